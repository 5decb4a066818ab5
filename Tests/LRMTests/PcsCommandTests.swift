import Foundation
import Testing
@testable import LRM

let debugPcs = "\(Repo.root)/.build/debug/pcs"

/// The real `pcs` binary of this build running the LRM's subcommands (argument parsing, exit status, streams).
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: debugPcs), "needs the debug build of pcs (swift build)"))
struct PcsCommandTests {
  static let pcs = debugPcs

  @Test func debugMonitorOfAStoppedResourceIsNonZeroAndSaysNotRunning() async throws {
    let dir = TempDir("pcs-debug")
    defer { dir.remove() }
    let cib = "\(dir.path)/cib.xml"
    try """
      <cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.1"><configuration><crm_config/><nodes/>
      <resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="d1-ia">
      <nvpair id="d1-ia-state" name="state" value="\(dir.path)/d1.state"/></instance_attributes></primitive></resources>
      <constraints/></configuration><status/></cib>

      """.write(toFile: cib, atomically: true, encoding: .utf8)
    let runner = AgentRunner(logger: testLogger)
    func pcs(_ args: String) async -> OperationResult {
      await runner.execute(
        Invocation(executable: "/bin/sh", arguments: ["-c", "\(Self.pcs) -f \(cib) \(args)"],
          environment: [(name: "PATH", value: AgentRoots.system.path)]),
        timeout: .seconds(60), bytesMax: 1 << 20)
    }
    let stopped = await pcs("resource debug-monitor d1")
    #expect(stopped.ocf.exitCode == 7)
    #expect(stopped.standardOutput == "Operation force-check for d1 (ocf:heartbeat:Dummy) returned 7 (not running)\n")
    let start = await pcs("resource debug-start d1")
    #expect(start.ocf.exitCode == 0, "\(start.standardOutput)\(start.standardError)")
    #expect(await pcs("resource debug-monitor d1").ocf.exitCode == 0)
    #expect(await pcs("resource debug-stop d1").ocf.exitCode == 0)
    let missing = await pcs("resource debug-start nope")
    #expect(missing.ocf.exitCode == 1)
    #expect(missing.standardError == "Error: unable to find a resource/clone/group/bundle: nope\n")
  }

  @Test(.enabled(if: haveFenceDummy, fenceDummyMissing))
  func describeAndListUseTheInstalledAgents() async throws {
    let runner = AgentRunner(logger: testLogger)
    func pcs(_ args: String) async -> OperationResult {
      await runner.execute(
        Invocation(executable: Self.pcs, arguments: args.split(separator: " ").map(String.init),
          environment: [(name: "PATH", value: AgentRoots.system.path)]),
        timeout: .seconds(120), bytesMax: 1 << 20)
    }
    let describe = await pcs("stonith describe fence_dummy")
    #expect(describe.ocf == .success)
    #expect(describe.standardOutput.hasPrefix("fence_dummy - Dummy fence agent\n\nfence_dummy\n\nStonith options:\n"))
    #expect(describe.standardOutput.hasSuffix("Default operations:\n  monitor:\n    interval=60s\n"))
    let unknown = await pcs("resource describe NoSuchVigilAgent")
    #expect(unknown.ocf.exitCode == 1)
    #expect(unknown.standardError == "Error: Unable to find agent 'NoSuchVigilAgent', try specifying its full name\n")
    let list = await pcs("stonith list dummy")
    #expect(list.standardOutput == "fence_dummy - Dummy fence agent\n")
    let none = await pcs("resource agents ocf:no-such-provider")
    #expect(none.standardError == "Error: No agents found for ocf:no-such-provider\n")
  }
}
