import Foundation
import Testing

/// REPORT.md section 6, case by case: each command run on a copy of the session CIB prints pcs 0.11.5's exact
/// stderr, exits with its code, and leaves the file byte-for-byte untouched. The expectations in
/// ErrorTableCases.swift were captured from the real pcs on this CIB.
@Suite(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing))
struct ErrorTableTests {
  struct ErrorCase: Sendable, CustomStringConvertible {
    var args: [String]
    var status: Int32
    var stdout: String
    var stderr: String
    var changesFile: Bool
    var description: String { args.joined(separator: " ") }
  }

  static let fenceXvmInstalled = FileManager.default.isExecutableFile(atPath: "/usr/sbin/fence_xvm")
  /// The cases that read fence_xvm's metadata (package fence-virt); without it pcs reports the agent missing.
  static let fenceXvmCases = cases.filter { $0.args.contains("fence_xvm") }
  static let otherCases = cases.filter { !$0.args.contains("fence_xvm") }

  @Test(arguments: otherCases)
  func errorMatchesPcs(_ c: ErrorCase) throws { try check(c) }

  @Test(
    .enabled(if: fenceXvmInstalled, "needs /usr/sbin/fence_xvm (Debian fence-virt; make deps installs it)"),
    arguments: fenceXvmCases)
  func fenceXvmErrorMatchesPcs(_ c: ErrorCase) throws { try check(c) }

  func check(_ c: ErrorCase) throws {
    let dir = try PCSHarness.scratch()
    let cib = dir.appendingPathComponent("cib.xml")
    try FileManager.default.copyItem(at: PCSHarness.referenceFile("steps/10-stonith-create.xml"), to: cib)
    let before = try Data(contentsOf: cib)
    let r = try PCSHarness.run(["-f", "cib.xml"] + c.args, in: dir, environment: ["LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    #expect(r.status == c.status)
    #expect(r.stderr == c.stderr)
    #expect(r.stdout == c.stdout)
    if !c.changesFile {
      #expect(try Data(contentsOf: cib) == before, "the file must be untouched")
    }
  }

  @Test func forceTurnsForceableErrorsIntoWarningsAndWrites() throws {
    let dir = try PCSHarness.scratch()
    let cib = dir.appendingPathComponent("cib.xml")
    try FileManager.default.copyItem(at: PCSHarness.referenceFile("steps/10-stonith-create.xml"), to: cib)
    let r = try PCSHarness.run(
      ["-f", "cib.xml", "resource", "create", "VIP3", "ocf:heartbeat:IPaddr2", "cidr_netmask=24", "--force"], in: dir)
    #expect(r.status == 0)
    #expect(r.stderr == "Warning: required resource option 'ip' is missing\n")
    let text = try PCSHarness.read(cib)
    #expect(text.contains("<primitive id=\"VIP3\" class=\"ocf\" type=\"IPaddr2\" provider=\"heartbeat\">"))
    #expect(text.contains("epoch=\"13\""), "one write, one epoch")
  }
}
