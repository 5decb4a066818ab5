import Foundation
import Testing

/// `pcs qdevice setup model net --start`, `status`, `stop`, `start`, `destroy` with a real vigil-arbiter (from
/// .build/debug, next to pcs), its key directory, pid file and port moved into a scratch folder.
@Suite struct QdeviceCommandTests {
  static var arbiterBuilt: Bool {
    FileManager.default.isExecutableFile(atPath: PCSHarness.binary.replacingOccurrences(of: "/pcs", with: "/vigil-arbiter"))
  }

  @Test(.enabled(if: arbiterBuilt, "needs .build/debug/vigil-arbiter"))
  func setupStartsTheArbiterAndDestroyStopsAndRemovesIt() throws {
    let dir = try PCSHarness.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = ProcessInfo.processInfo.environment.merging([
      "VIGIL_ARBITER_DIR": dir.path + "/keys", "VIGIL_ARBITER_PID": dir.path + "/arbiter.pid",
      "VIGIL_ARBITER_PORT": String(Int.random(in: 20_000...40_000)),
    ]) { $1 }
    func pcs(_ args: [String]) throws -> PCSRun { try PCSHarness.run(["qdevice"] + args, environment: env) }
    var r = try pcs(["status", "net"])
    #expect(r.status == 1 && r.stderr == "Error: Quorum device 'net' is not running\n")
    r = try pcs(["setup", "model", "net", "--start"])
    #expect(r.status == 0 && r.stdout == "Quorum device 'net' initialized\nStarting quorum device...\nquorum device started\n", "\(r.stderr)")
    defer { _ = try? pcs(["destroy", "net"]) }
    let pid = try #require(Int32((try String(contentsOfFile: dir.path + "/arbiter.pid", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
    #expect(kill(pid, 0) == 0, "vigil-arbiter runs")
    r = try pcs(["setup", "model", "net"])
    #expect(r.status == 1 && r.stderr == "Error: Quorum device 'net' has been already initialized\n")
    r = try pcs(["status", "net"])
    #expect(r.status == 0 && r.stdout.hasPrefix("vigil-arbiter running, pid \(pid)\n"))
    r = try pcs(["status", "foo"])
    #expect(r.status == 1 && r.stderr == "Error: 'foo' is not a valid model value, use 'net'\n")
    r = try pcs(["destroy", "net"])
    #expect(r.status == 0 && r.stdout == "Stopping quorum device...\nquorum device stopped\nQuorum device 'net' configuration files removed\n")
    #expect(kill(pid, 0) != 0, "vigil-arbiter stopped")
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/keys"))
  }
}
