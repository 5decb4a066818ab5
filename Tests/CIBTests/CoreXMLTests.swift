import Foundation
import Testing

@testable import CIB

@Suite struct CoreXMLTests {
  /// serialize(parse(x)) parses back to the same tree as x, for every corpus input.
  @Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
  func roundTripWholeCorpus() throws {
    let files = try CoreTestPaths.corpusFiles()
    #expect(files.count >= 666, "corpus at \(CoreTestPaths.corpus) has \(files.count) files")
    var failures: [String] = []
    for file in files {
      do {
        let first = try CIBXML.parse(fileAt: file)
        let text = CIBXML.serialize(first)
        let second = try CIBXML.parse(text)
        if first != second { failures.append("\(file): tree differs after round trip") }
        if CIBXML.serialize(second) != text { failures.append("\(file): serialization not stable") }
        if first.name != "cib" { failures.append("\(file): root is \(first.name)") }
      } catch {
        failures.append("\(file): \(error)")
      }
    }
    #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(20).joined(separator: "\n"))")
  }

  /// The layout of `cibadmin --query` (checked against Pacemaker 2.1.5's cibadmin on the same input).
  @Test func serializesLikePacemaker() throws {
    let input = """
      <?xml version="1.0"?>
      <!-- dropped, outside the root -->
      <cib epoch="1" num_updates="2" admin_epoch="0" validate-with="none"><configuration>
          <!-- inner comment -->
        <crm_config><cluster_property_set id="x">
        <nvpair id="a" name="a&amp;b" value="&lt;&gt;&quot;&apos;"/></cluster_property_set></crm_config>
        <nodes></nodes>
        <constraints/>
      </configuration>
      <status/></cib>
      """
    let expected = """
      <cib epoch="1" num_updates="2" admin_epoch="0" validate-with="none">
        <configuration>
          <!-- inner comment -->
          <crm_config>
            <cluster_property_set id="x">
              <nvpair id="a" name="a&amp;b" value="&lt;&gt;&quot;&apos;"/>
            </cluster_property_set>
          </crm_config>
          <nodes/>
          <constraints/>
        </configuration>
        <status/>
      </cib>

      """
    #expect(CIBXML.serialize(try CIBXML.parse(input)) == expected)
  }

  @Test func keepsCommentsCDATAProcessingInstructionsAndText() throws {
    let input = """
      <cib><configuration><resources>
        <primitive id="p"><description>some &lt; text &amp; more </description></primitive>
        <primitive id="q"><description><![CDATA[cdata <x>]]></description><?vigil keep me?><!--c--></primitive>
      </resources></configuration></cib>
      """
    let root = try CIBXML.parse(input)
    let resources = root.firstElement(named: "configuration")!.firstElement(named: "resources")!
    let p = resources.elements[0]
    let q = resources.elements[1]
    #expect(p.firstElement(named: "description")!.children == [.text("some < text & more ")])
    #expect(q.firstElement(named: "description")!.children == [.cdata("cdata <x>")])
    #expect(q.children.dropFirst().map { $0 } == [.processingInstruction(target: "vigil", data: "keep me"), .comment("c")])
    let text = CIBXML.serialize(root)
    #expect(text.contains("<description>some &lt; text &amp; more </description>"))
    #expect(text.contains("<?vigil keep me?>"))
    #expect(try CIBXML.parse(text) == root)
  }

  @Test func attributeValuesSurviveEscaping() throws {
    let odd = "a&b<c>d\"e'f\ng\rh\ti ünïcødé ]]> &amp;"
    var root = CIBElement("cib")
    root[attribute: "x"] = odd
    root.children = [.text(odd), .element(CIBElement("nvpair", ["value": odd]))]
    let back = try CIBXML.parse(CIBXML.serialize(root))
    #expect(back[attribute: "x"] == odd)
    #expect(back.elements[0][attribute: "value"] == odd)
    #expect(back.text == odd)
  }

  @Test func truncatedInputReportsLineAndColumn() {
    let input = "<cib>\n  <configuration>\n    <resources>\n"
    #expect(throws: CIBError.self) { try CIBXML.parse(input) }
    guard case .malformedXML(let line, let column, let message)? = parseError(input) else {
      Issue.record("expected malformedXML")
      return
    }
    #expect(line == 4)
    #expect(column >= 1)
    #expect(message.contains("Premature end of data") || message.contains("EndTag"), "\(message)")
  }

  @Test func mismatchedTagReportsLineAndColumn() {
    let input = "<cib>\n  <configuration>\n  </resources>\n</cib>\n"
    guard case .malformedXML(let line, let column, let message)? = parseError(input) else {
      Issue.record("expected malformedXML")
      return
    }
    #expect(line == 3)
    #expect(column == 15)
    #expect(message.contains("mismatch"), "\(message)")
  }

  @Test func undefinedEntityReportsLineAndColumn() {
    let input = "<cib>\n<nvpair value=\"a &bogus; b\"/>\n</cib>"
    guard case .malformedXML(let line, let column, let message)? = parseError(input) else {
      Issue.record("expected malformedXML")
      return
    }
    #expect(line == 2)
    #expect(column > 1)
    #expect(message.contains("bogus"), "\(message)")
  }

  @Test func emptyAndGarbageInputsAreErrors() {
    #expect(parseError("") != nil)
    #expect(parseError("   \n") != nil)
    #expect(parseError("not xml") != nil)
    #expect(parseError("<a/><b/>") != nil)  // two roots: "Extra content at the end of the document"
    if case .malformedXML(let line, _, _)? = parseError("<a/>\n<b/>") { #expect(line == 2) }
  }

  @Test func missingFileIsAReadError() {
    #expect(throws: CIBError.fileUnreadable(path: "/nonexistent/cib.xml", reason: "No such file or directory")) {
      try CIBXML.parse(fileAt: "/nonexistent/cib.xml")
    }
  }

  @Test func sizeLimitIsEnforced() {
    #expect(throws: CIBError.documentTooLarge(bytes: 7, bytesMax: 4)) {
      try CIBXML.parse("<cib/> ", inputBytesMax: 4)
    }
  }

  private func parseError(_ text: String) -> CIBError? {
    do {
      _ = try CIBXML.parse(text)
      return nil
    } catch {
      return error
    }
  }
}

/// When Pacemaker's own cibadmin is installed, our serializer must print exactly what it prints.
@Suite struct CorePacemakerComparisonTests {
  static let pacemakerCibadmin = "/usr/sbin/cibadmin"

  @Test(
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: pacemakerCibadmin),
      "needs Pacemaker's cibadmin (pacemaker-cli-utils; make deps installs it)"),
    .enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing),
    arguments: ["group3.xml", "simple1.xml", "params-6.xml", "bundle-order-startup-clone.xml"])
  func serializerMatchesInstalledPacemaker(name: String) throws {
    let file = CoreTestPaths.corpus + "/" + name
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.pacemakerCibadmin)
    process.arguments = ["-Q"]
    process.environment = ["CIB_file": file, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    #expect(CIBXML.serialize(try CIBXML.parse(fileAt: file)) == String(decoding: data, as: UTF8.self), "\(name)")
  }
}

@Suite struct CoreXMLLimitTests {
  @Test func nestingDeeperThanTheLimitIsAnError() throws {
    let ok = String(repeating: "<a>", count: 200) + String(repeating: "</a>", count: 200)
    #expect(throws: Never.self) { try CIBXML.parse(ok) }
    let deep = String(repeating: "<a>\n", count: 300) + String(repeating: "</a>", count: 300)
    #expect(throws: CIBError.self) { try CIBXML.parse(deep) }
  }
}

/// The SAX fast path and the libxml2-tree path must build the same tree.
@Suite struct CoreXMLPathTests {
  @Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
  func saxAndTreePathsAgreeOnTheWholeCorpus() throws {
    var failures: [String] = []
    for file in try CoreTestPaths.corpusFiles() {
      let text = try String(contentsOfFile: file, encoding: .utf8)
      if try CIBXML.parse(text) != CIBXML.parseWithTreeForTesting(text) { failures.append(file) }
    }
    #expect(failures.isEmpty, "\(failures.count) differ: \(failures.prefix(5))")
  }

  @Test(arguments: [
    "<cib a=\"x &amp; y &#38; z &lt; &#10;\"><x>t &amp; u</x><!--c--><?p d?><![CDATA[a]]><![CDATA[b]]></cib>",
    "<cib>\n  <a>  text  </a>\n  <b>x<!--c-->y</b>\n</cib>",
    "<cib xmlns:v=\"urn:vigil\"><v:x v:attr=\"1\"/></cib>",
    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><cib a=\"\u{e9}\"/>",
  ])
  func saxAndTreePathsAgree(text: String) throws {
    #expect(try CIBXML.parse(text) == CIBXML.parseWithTreeForTesting(text))
  }

  /// A DOCTYPE sends the document down the tree path, where internal entities are expanded.
  @Test func doctypeWithInternalEntityUsesTheTreePath() throws {
    let root = try CIBXML.parse("<!DOCTYPE cib [<!ENTITY who \"world\">]><cib a=\"hello &who;\"><x>hi &who;</x></cib>")
    #expect(root[attribute: "a"] == "hello world")
    #expect(root.elements.first?.text == "hi world")
  }
}
