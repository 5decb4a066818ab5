import Foundation
import TestKit
import Testing

/// Bad CIB files given to each tool that reads a CIB file (pcs -f, cibadmin with CIB_file, crm_verify -x,
/// crm_simulate -x): no crash, no hang, a message naming the problem, a failing exit, the file byte-identical.
///
/// All four tools read through the one shared loader (`CIBFile.load`), so a file one tool refuses, every tool
/// refuses, with the same reason.
@Suite struct CIBFileSafetyTests {
  static let good = """
    <cib admin_epoch="0" epoch="5" num_updates="0" validate-with="pacemaker-3.1">
      <configuration>
        <crm_config/>
        <nodes><node id="1" uname="node1"/></nodes>
        <resources><primitive id="D" class="ocf" provider="pacemaker" type="Dummy"/></resources>
        <constraints/>
      </configuration>
      <status/>
    </cib>

    """

  /// How a case's file is made in its scratch folder (`cib.xml` is what every tool is pointed at).
  enum Setup {
    case bytes([UInt8])
    /// `cib.xml` -> `link`, and `link` -> `cib.xml`, or a link to itself.
    case symlinkLoop
    case selfLink
    case directory
    /// The good CIB as a sparse file `bytes` long: refused by its size before anything is read.
    case sparse(bytes: Int)
  }

  struct Case: CustomStringConvertible {
    var name: String
    var setup: Setup
    /// Any of these in a tool's stderr names the problem.
    var names: [String]
    var description: String { name }
  }

  static func text(_ s: String) -> Setup { .bytes(Array(s.utf8)) }
  static func goodWith(_ from: String, _ to: String) -> Setup { text(good.replacingOccurrences(of: from, with: to)) }

  static let bomb: String = {
    var s = "<?xml version=\"1.0\"?>\n<!DOCTYPE cib [\n<!ENTITY a0 \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
    for i in 1...9 { s += "<!ENTITY a\(i) \"" + String(repeating: "&a\(i - 1);", count: 10) + "\">\n" }
    s += "]>\n"
    return s + good.replacingOccurrences(of: "type=\"Dummy\"", with: "type=\"Dummy\" description=\"&a9;\"")
  }()

  static let cases: [Case] = [
    Case(name: "empty file", setup: .bytes([]), names: ["unable to get cib", "empty"]),
    Case(name: "whitespace only", setup: text(" \n\t\n"), names: ["unable to get cib", "empty"]),
    Case(name: "truncated", setup: text(String(good.prefix(120))), names: ["line"]),
    Case(name: "binary garbage", setup: .bytes([0x00, 0xFF, 0xFE, 0x13, 0x37, 0x00, 0x80]), names: ["line", "empty"]),
    Case(name: "not XML", setup: text("resources: [D]\n"), names: ["line"]),
    Case(name: "root foo", setup: text("<foo><configuration/></foo>\n"), names: ["<foo>"]),
    Case(name: "two roots", setup: text(good + "<cib/>\n"), names: ["line"]),
    Case(name: "unclosed comment", setup: text(good + "<!-- x\n"), names: ["line"]),
    Case(name: "no configuration", setup: text("<cib admin_epoch=\"0\" epoch=\"1\" num_updates=\"0\" validate-with=\"pacemaker-3.1\"><status/></cib>\n"), names: ["configuration"]),
    Case(name: "validate-with pacemaker-9.9", setup: goodWith("pacemaker-3.1", "pacemaker-9.9"), names: ["pacemaker-9.9"]),
    Case(name: "validate-with missing", setup: goodWith(" validate-with=\"pacemaker-3.1\"", ""), names: ["validate-with"]),
    Case(name: "validate-with empty", setup: goodWith("pacemaker-3.1", ""), names: ["validate-with"]),
    Case(name: "epoch not a number", setup: goodWith("epoch=\"5\"", "epoch=\"five\""), names: ["epoch"]),
    Case(name: "entity bomb", setup: text(bomb), names: ["DOCTYPE"]),
    Case(name: "external DTD", setup: text("<!DOCTYPE cib SYSTEM \"cib.dtd\">\n" + good), names: ["DOCTYPE"]),
    Case(name: "external entity", setup: text("<!DOCTYPE cib [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n" + good.replacingOccurrences(of: "type=\"Dummy\"", with: "type=\"Dummy\" description=\"&x;\"")), names: ["DOCTYPE"]),
    Case(name: "parameter entity", setup: text("<!DOCTYPE cib [<!ENTITY % p SYSTEM \"http://192.0.2.1/x.dtd\"> %p;]>\n" + good), names: ["DOCTYPE"]),
    Case(name: "doctype without subset", setup: text("<!DOCTYPE cib>\n" + good), names: ["DOCTYPE"]),
    Case(name: "undeclared entity", setup: goodWith("type=\"Dummy\"", "type=\"&nope;\""), names: ["nope"]),
    Case(name: "attribute over 1 MiB", setup: goodWith("type=\"Dummy\"", "type=\"Dummy\" description=\"" + String(repeating: "x", count: (1 << 20) + 1) + "\""), names: ["description"]),
    Case(name: "document over 128 MiB", setup: .sparse(bytes: (128 << 20) + 1), names: ["limit"]),
    Case(name: "nesting 300 deep", setup: goodWith("<status/>", "<status>" + String(repeating: "<x>", count: 300) + String(repeating: "</x>", count: 300) + "</status>"), names: ["depth"]),
    Case(name: "duplicate id", setup: goodWith("<constraints/>", "<constraints><rsc_location id=\"D\" rsc=\"D\" node=\"node1\" score=\"1\"/></constraints>"), names: ["\"D\""]),
    Case(name: "id with a space", setup: goodWith("id=\"D\"", "id=\"D x\""), names: ["D x"]),
    Case(name: "dangling constraint reference", setup: goodWith("<constraints/>", "<constraints><rsc_location id=\"l1\" rsc=\"nope\" node=\"node1\" score=\"1\"/></constraints>"), names: ["nope"]),
    Case(name: "score INFINITYX", setup: goodWith("<constraints/>", "<constraints><rsc_location id=\"l1\" rsc=\"D\" node=\"node1\" score=\"INFINITYX\"/></constraints>"), names: ["INFINITYX"]),
    Case(name: "symlink loop", setup: .symlinkLoop, names: ["symbolic links"]),
    Case(name: "symlink to itself", setup: .selfLink, names: ["symbolic links"]),
    Case(name: "a directory", setup: .directory, names: ["regular file", "directory"]),
    Case(name: "invalid UTF-8", setup: .bytes(Array(good.utf8.prefix(40)) + [0xC3, 0x28] + Array(good.utf8.dropFirst(40))), names: ["line"]),
    Case(name: "unsupported encoding", setup: text("<?xml version=\"1.0\" encoding=\"bogus-9\"?>\n" + good), names: ["line", "encoding"]),
    Case(name: "NUL inside", setup: .bytes(Array(good.utf8.prefix(60)) + [0] + Array(good.utf8.dropFirst(60))), names: ["line"]),
  ]

  /// Each tool's command: one that would write the file if it loaded it (crm_verify only reads).
  static let tools: [(name: String, args: [String], env: [String: String])] = [
    ("pcs", ["-f", "cib.xml", "resource", "create", "X", "ocf:pacemaker:Dummy"], [:]),
    ("cibadmin", ["-C", "-o", "resources", "-X", "<primitive id=\"X\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\"/>"], ["CIB_file": "cib.xml"]),
    ("crm_verify", ["-x", "cib.xml"], [:]),
    ("crm_simulate", ["-x", "cib.xml", "-S", "-X"], [:]),
  ]

  static func make(_ setup: Setup, in dir: URL) throws {
    let file = dir.appendingPathComponent("cib.xml").path
    switch setup {
    case .bytes(let b): try Data(b).write(to: URL(fileURLWithPath: file))
    case .symlinkLoop:
      try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: "link.xml")
      try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.xml").path, withDestinationPath: "cib.xml")
    case .selfLink: try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: "cib.xml")
    case .directory: try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)
    case .sparse(let bytes):
      try Data(good.utf8).write(to: URL(fileURLWithPath: file))
      #expect(truncate(file, off_t(bytes)) == 0)
    }
  }

  /// What is at the file's path: its bytes, or a description of the link or folder.
  static func snapshot(_ dir: URL) -> String {
    let path = dir.appendingPathComponent("cib.xml").path
    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) { return "link -> " + target }
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return "directory" }
    guard let data = FileManager.default.contents(atPath: path) else { return "missing" }
    return "\(data.count) bytes, hash \(data.hashValue)"
  }

  @Test(arguments: cases)
  func badFileIsRefusedByEveryTool(_ c: Case) throws {
    for tool in Self.tools {
      let dir = try PCSHarness.scratch("\(c.name)-\(tool.name)")
      defer { try? FileManager.default.removeItem(at: dir) }
      try Self.make(c.setup, in: dir)
      let before = Self.snapshot(dir)
      var env = ProcessInfo.processInfo.environment
      for (k, v) in tool.env { env[k] = v }
      let r = try TestProcess.run(
        TestProcess.builtProduct(tool.name), tool.args, environment: env, directory: dir, timeoutMs: 30_000)
      #expect(r.status != 0, "\(c) \(tool.name): exit 0, stdout \(r.stdout.prefix(200))")
      #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"), "\(c) \(tool.name) crashed: \(r.stderr.prefix(400))")
      #expect(c.names.contains { r.stderr.contains($0) }, "\(c) \(tool.name): \(r.stderr.prefix(400))")
      #expect(Self.snapshot(dir) == before, "\(c) \(tool.name) changed the file")
    }
  }

  @Test func writesGoThroughASymlinkToItsTarget() throws {
    for tool in Self.tools where tool.name != "crm_verify" {
      let dir = try PCSHarness.scratch("link-\(tool.name)")
      defer { try? FileManager.default.removeItem(at: dir) }
      let target = dir.appendingPathComponent("real.xml")
      try Data(Self.good.utf8).write(to: target)
      try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("cib.xml").path, withDestinationPath: "real.xml")
      var env = ProcessInfo.processInfo.environment
      for (k, v) in tool.env { env[k] = v }
      let r = try TestProcess.run(TestProcess.builtProduct(tool.name), tool.args, environment: env, directory: dir)
      #expect(r.status == 0, "\(tool.name): \(r.stderr)")
      #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("cib.xml").path) == "real.xml")
      let after = try String(contentsOf: target, encoding: .utf8)
      #expect(after != Self.good, "\(tool.name) did not write the link's target")
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["cib.xml", "real.xml"])
    }
  }

  @Test func aMissingFileIsNotACIBForTheReadingTools() throws {
    let dir = try PCSHarness.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    for tool in Self.tools where tool.name != "pcs" {
      var env = ProcessInfo.processInfo.environment
      for (k, v) in tool.env { env[k] = v }
      let r = try TestProcess.run(TestProcess.builtProduct(tool.name), tool.args, environment: env, directory: dir)
      #expect(r.status != 0, "\(tool.name)")
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("cib.xml").path), "\(tool.name) created the file")
    }
  }
}
