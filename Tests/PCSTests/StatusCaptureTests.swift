import Foundation
import Testing

/// Every captured `pcs status` variant (status/<scenario>.pcs-status*.txt, .pcs-resource-status.txt): our pcs,
/// run with the same arguments on the same CIB, prints the same text, the "Last updated" line aside.
@Suite struct StatusCaptureTests {
  struct Capture: Sendable, CustomStringConvertible {
    var file: String
    var args: [String]
    var expected: String
    var status: Int32
    var description: String { file }
  }

  static let captures: [Capture] = {
    let dir = PCSHarness.referenceFile("status")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.contains(".pcs-status") || $0.hasSuffix(".pcs-resource-status.txt") }.sorted().compactMap { name in
      guard let text = try? PCSHarness.read(dir.appendingPathComponent(name)) else { return nil }
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if lines.last == "" { lines.removeLast() }
      guard let first = lines.first, first.hasPrefix("$ pcs "), let last = lines.last, last.hasPrefix("[exit code: ") else { return nil }
      let status = Int32(last.dropFirst("[exit code: ".count).dropLast()) ?? -1
      var args = first.dropFirst("$ pcs ".count).split(separator: " ").map(String.init)
      for i in args.indices.dropLast() {
        if args[i] == "-f" { args[i + 1] = dir.appendingPathComponent(args[i + 1]).path }
        if args[i] == "--corosync_conf" { args[i + 1] = PCSHarness.referenceFile("session/corosync2.conf").path }
      }
      let body = lines.dropFirst().dropLast().filter { !$0.hasPrefix("  * Last updated: ") }
      return Capture(file: name, args: args, expected: body.map { $0 + "\n" }.joined(), status: status)
    }
  }()

  @Test(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing))
  func thereAreCapturesToCompare() {
    #expect(Self.captures.count >= 50)
  }

  @Test(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing), arguments: captures)
  func statusMatchesCapture(_ capture: Capture) throws {
    let r = try PCSHarness.run(capture.args, environment: ["TZ": "UTC", "LC_ALL": "C"])
    #expect(r.status == capture.status)
    let got = (r.stdout + r.stderr).split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.hasPrefix("  * Last updated: ") }.joined(separator: "\n")
    #expect(got == capture.expected)
  }

  @Test func statusNeedsCorosyncConfWithFile() throws {
    let r = try PCSHarness.run(["-f", PCSHarness.referenceFile("status/s1-allonline.xml").path, "status"])
    #expect(r.status == 1)
    #expect(r.stderr == "Error: When '-f' is specified, '--corosync_conf' must be specified as well\n")
  }

  @Test(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing))
  func lastUpdatedIsCtimeOfNow() throws {
    let r = try PCSHarness.run(
      ["-f", PCSHarness.referenceFile("status/s1-allonline.xml").path, "status", "--corosync_conf",
       PCSHarness.referenceFile("session/corosync2.conf").path], environment: ["TZ": "UTC"])
    let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("  * Last updated: ") }
    #expect(line?.count == "  * Last updated: Sat Nov 21 21:44:12 2026".count)
  }
}
