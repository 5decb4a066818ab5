import Foundation
import Testing

@testable import CIB

private func corpusFiles() throws -> [URL] {
  let dir = URL(fileURLWithPath: CoreTestPaths.corpus)
  return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
    .filter { $0.pathExtension == "xml" }
    .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

/// Where two trees first differ, as a path of element names, for a readable failure.
func firstDifference(_ a: CIBElement, _ b: CIBElement, path: String = "") -> String? {
  let here = path + "/" + a.name + (a.id.map { "[\($0)]" } ?? "")
  if a.name != b.name { return "\(here): name \(a.name) vs \(b.name)" }
  if a.attributes != b.attributes { return "\(here): attributes \(a.attributes) vs \(b.attributes)" }
  if a.children.count != b.children.count {
    return "\(here): \(a.children.count) vs \(b.children.count) children"
  }
  for (x, y) in zip(a.children, b.children) where x != y {
    if case .element(let ex) = x, case .element(let ey) = y { return firstDifference(ex, ey, path: here) }
    return "\(here): child \(x) vs \(y)"
  }
  return nil
}

@Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
func everyCorpusCIBRoundTripsThroughTheModel() throws {
  let files = try corpusFiles()
  #expect(files.count == 666)
  var failures: [String] = []
  for file in files {
    let root = try CIBXML.parse(fileAt: file.path)
    let doc = CIBDocument(decoding: root)
    let out = doc.encoded()
    if out != root { failures.append("\(file.lastPathComponent): \(firstDifference(root, out) ?? "?")") }
  }
  #expect(failures == [])
}

@Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
func everyCorpusCIBDecodesItsResourcesAndHistory() throws {
  // Cross-check the model against a plain walk of the tree: every primitive and every lrm_rsc_op is seen.
  for file in try corpusFiles() {
    let root = try CIBXML.parse(fileAt: file.path)
    let doc = CIBDocument(decoding: root)
    var primitives = 0
    var ops = 0
    root.firstElement(named: "configuration")?.firstElement(named: "resources")?.forEachDescendant {
      if $0.name == "primitive" { primitives += 1 }
    }
    root.firstElement(named: "status")?.forEachDescendant { if $0.name == "lrm_rsc_op" { ops += 1 } }
    let modelOps = doc.status.nodeStates.reduce(0) { $0 + $1.lrmResources.reduce(0) { $0 + $1.operations.count } }
    #expect(doc.configuration.allPrimitives.count == primitives,
            "\(file.lastPathComponent)")
    #expect(modelOps == ops, "\(file.lastPathComponent)")
  }
}

@Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
func anEditedCorpusCIBKeepsEverythingElse() throws {
  let file = try corpusFiles().first { $0.lastPathComponent == "params-6.xml" }!
  let root = try CIBXML.parse(fileAt: file.path)
  var doc = CIBDocument(decoding: root)
  doc.epoch = String((doc.epochValue ?? 0) + 1)
  doc.configuration.constraints.append(
    .location(LocationConstraint(id: "vigil-test-ban", rsc: doc.configuration.resources[0].id, node: "node1",
                                 score: .minusInfinity)))
  let out = doc.encoded()
  #expect(out.firstElement(named: "status") == root.firstElement(named: "status"))
  let back = CIBDocument(decoding: out)
  #expect(back.configuration.constraints.count == doc.configuration.constraints.count)
  #expect(back.configuration.constraints.last?.id == "vigil-test-ban")
  #expect(back.encoded() == out)
}

@Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
func validationOfTheCorpusFindsNoBrokenReferences() throws {
  // The corpus CIBs come from Pacemaker's own regression suite and pass its schema, so none of them has a
  // duplicate id, an unknown constraint reference or an unknown class; a finding here is a validator bug.
  let schemaKinds: Set<CIBValidationIssue.Kind> = [.duplicateID, .unknownReference, .unknownResourceClass, .invalidScore]
  var findings: [String] = []
  for file in try corpusFiles() {
    let root = try CIBXML.parse(fileAt: file.path)
    for issue in validateCIB(root) where issue.severity == .error && schemaKinds.contains(issue.kind) {
      findings.append("\(file.lastPathComponent): \(issue)")
    }
  }
  #expect(findings == [], "\(findings.prefix(20).joined(separator: "\n"))")
}
