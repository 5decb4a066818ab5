import Foundation
import Testing

/// The command tree itself: pcs's exit codes and streams for help, version, and bad command lines.
@Suite struct CommandTreeTests {
  @Test func versionIsPcs0115() throws {
    let r = try PCSHarness.run(["--version"])
    #expect(r.status == 0)
    #expect(r.stdout == "0.11.5\n")
  }

  @Test func unknownCommandPrintsUsageOnStderrAndExits1() throws {
    let r = try PCSHarness.run(["bogus"])
    #expect(r.status == 1)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains("Usage"))
  }

  @Test func unknownResourceSubcommandExits1() throws {
    let dir = try PCSHarness.scratch()
    let r = try PCSHarness.run(["-f", dir.appendingPathComponent("cib.xml").path, "resource", "bogus"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("Usage"))
  }

  @Test func fileOptionIsRefusedWhereLiveOnly() throws {
    let dir = try PCSHarness.scratch()
    for cmd in [["resource", "move", "VIP"], ["resource", "cleanup"], ["cluster", "start", "--all"]] {
      let r = try PCSHarness.run(["-f", dir.appendingPathComponent("cib.xml").path] + cmd)
      #expect(r.status == 1, "\(cmd)")
      #expect(r.stderr == "Error: Specified option '-f' is not supported in this command\n", "\(cmd)")
    }
  }
}
