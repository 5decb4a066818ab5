import Foundation
import Logging
import Testing
@testable import LRM

/// Paths of the repository, found from this file so tests work from any working directory (and in CI's clone).
enum Repo {
  static let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()
  static let agents = "\(root)/Tests/LRMTests/Agents"
  /// Output captured from the real pcs 0.11.5, in ../shared beside the checkout (CI has it, a bare clone does not).
  static let samples = URL(fileURLWithPath: "\(root)/../shared/reference/pcs/samples").standardized.path
  static let samplesPresent = FileManager.default.fileExists(atPath: samples)
  static let samplesMissing: Comment = "needs the pcs reference samples in ../shared/reference/pcs/samples"
}

/// A fresh directory under /tmp, removed by `remove()`.
struct TempDir {
  let path: String
  init(_ label: String) {
    path = NSTemporaryDirectory() + "vigil-lrm-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  func remove() { try? FileManager.default.removeItem(atPath: path) }
}

let testLogger = Logger(label: "lrm-tests")

/// Agent roots: the system's agents plus the project's test agents (their own OCF root and init dir).
let systemRoots = AgentRoots.system
let testRoots = AgentRoots(ocfRoot: "\(Repo.agents)/ocf", initDirectory: "\(Repo.agents)/init.d")

func isRoot() -> Bool { getuid() == 0 }

/// Debian's fence_dummy (fence-agents, which `make deps` installs), the fence agent several tests run.
let haveFenceDummy = FileManager.default.isExecutableFile(atPath: "/usr/sbin/fence_dummy")
let fenceDummyMissing: Comment = "needs /usr/sbin/fence_dummy (Debian fence-agents; make deps installs it)"

/// Whether this process may create a network namespace: root, and a probe namespace comes and goes.
func networkNamespacesWork() async -> Bool {
  guard isRoot() else { return false }
  let probe = "vigil-lrm-probe-\(getpid())"
  guard await sh("ip netns add \(probe)") == 0 else { return false }
  await sh("ip netns del \(probe)")
  return true
}

/// Runs a shell command for test setup (ip netns…) through the LRM's own runner: async, so it never blocks one
/// of the few threads of Swift's cooperative pool (a blocked pool thread starves every other test's timers).
@discardableResult
func sh(_ command: String) async -> Int32 {
  await shResult(command).ocf.exitCode
}

func shOutput(_ command: String) async -> String {
  await shResult(command).standardOutput
}

private func shResult(_ command: String) async -> OperationResult {
  let runner = AgentRunner(logger: testLogger)
  let invocation = Invocation(
    executable: "/bin/sh", arguments: ["-c", command],
    environment: [(name: "PATH", value: AgentRoots.system.path)])
  return await runner.execute(invocation, timeout: .seconds(60), bytesMax: 1 << 20)
}
