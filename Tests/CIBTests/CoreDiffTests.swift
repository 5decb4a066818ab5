import Foundation
import TestKit
import Testing

@testable import CIB

/// Random edits of a CIB tree, driven by a seeded generator so a failure reproduces from its seed.
struct CoreRandomEditor {
  var rng: SplitMix64
  var counter = 0

  init(seed: UInt64) { rng = SplitMix64(seed: seed) }

  mutating func int(_ bound: Int) -> Int { Int(rng.next() % UInt64(max(bound, 1))) }

  /// Paths (child indices) of every element in `root`, root included.
  func elementPaths(_ root: CIBElement) -> [[Int]] {
    var out: [[Int]] = [[]]
    func walk(_ e: CIBElement, _ path: [Int]) {
      for (i, c) in e.children.enumerated() {
        if case .element(let child) = c {
          out.append(path + [i])
          walk(child, path + [i])
        }
      }
    }
    walk(root, [])
    return out
  }

  static func mutate(_ root: inout CIBElement, at path: ArraySlice<Int>, _ body: (inout CIBElement) -> Void) {
    guard let i = path.first else { return body(&root) }
    guard case .element(var child) = root.children[i] else { return }
    mutate(&child, at: path.dropFirst(), body)
    root.children[i] = .element(child)
  }

  mutating func newElement() -> CIBElement {
    counter += 1
    let names = ["primitive", "nvpair", "op", "rule", "expression", "lrm_rsc_op"]
    var e = CIBElement(names[int(names.count)])
    if int(3) > 0 { e[attribute: "id"] = "gen-\(counter)-\(int(5))" }  // some without id, some repeated
    e[attribute: "value"] = "v\(int(100))"
    if int(3) == 0 { e.append(CIBElement("nvpair", ["name": "n\(int(4))", "value": "x"])) }
    return e
  }

  mutating func edit(_ root: inout CIBElement) {
    let paths = elementPaths(root)
    let path = paths[int(paths.count)]
    let choice = int(10)
    var me = self
    Self.mutate(&root, at: path[...]) { e in
      switch choice {
      case 0:  // change or add an attribute
        let names = ["value", "score", "id", "name", "extra"]
        e[attribute: names[me.int(names.count)]] = "r\(me.int(1000))"
      case 1:  // remove an attribute
        if !e.attributes.isEmpty { e.attributes.remove(at: me.int(e.attributes.count)) }
      case 2:  // reorder attributes
        if e.attributes.count > 1 { e.attributes.swapAt(0, e.attributes.count - 1) }
      case 3, 4:  // insert a new element
        e.children.insert(.element(me.newElement()), at: me.int(e.children.count + 1))
      case 5:  // delete a child
        if !e.children.isEmpty { e.children.remove(at: me.int(e.children.count)) }
      case 6:  // move a child
        if e.children.count > 1 {
          let c = e.children.remove(at: me.int(e.children.count))
          e.children.insert(c, at: me.int(e.children.count + 1))
        }
      case 7:  // duplicate a child (same key twice)
        if !e.children.isEmpty {
          let c = e.children[me.int(e.children.count)]
          e.children.insert(c, at: me.int(e.children.count + 1))
        }
      case 8:  // text and comments
        let contents: [CIBContent] = [.text("t\(me.int(5))"), .comment("c\(me.int(5))"), .cdata("d")]
        e.children.insert(contents[me.int(contents.count)], at: me.int(e.children.count + 1))
      default:  // rename an element's tag
        e.name = ["group", "clone", "primitive"][me.int(3)]
      }
    }
    self = me
  }
}

@Suite(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
struct CoreDiffTests {
  static let inputs = [
    "simple1.xml", "params-6.xml", "template-clone-primitive.xml", "bundle-order-startup-clone.xml",
  ]

  func load(_ name: String) throws -> CIBElement {
    try CIBXML.parse(fileAt: CoreTestPaths.corpus + "/" + name)
  }

  @Test func diffOfEqualDocumentsIsEmpty() throws {
    let doc = try load("simple1.xml")
    let diff = CIBDiff(from: doc, to: doc)
    #expect(diff.isEmpty)
    #expect(try diff.apply(to: doc) == doc)
  }

  /// patch(old, diff(old, new)) == new for random edits: 400 seeds, 1 to 12 edits each.
  @Test func patchOfDiffReproducesTheNewDocument() throws {
    let docs = try Self.inputs.map { try load($0) }
    for seed in UInt64(1)...400 {
      var editor = CoreRandomEditor(seed: seed)
      let old = docs[editor.int(docs.count)]
      var new = old
      for _ in 0..<(1 + editor.int(12)) { editor.edit(&new) }
      let diff = CIBDiff(from: old, to: new)
      let patched: CIBElement
      do {
        patched = try diff.apply(to: old)
      } catch {
        Issue.record("seed \(seed): patch failed: \(error)")
        continue
      }
      #expect(patched == new, "seed \(seed): patched document differs (\(diff.operations.count) operations)")
      if old != new { #expect(!diff.isEmpty, "seed \(seed)") }
    }
  }

  /// One attribute change gives one operation.
  @Test func diffIsSmallForSmallEdits() throws {
    let old = try load("params-6.xml")
    var new = old
    new = try CIBDiff(
      operations: [
        .setAttributes(
          path: [
            .init(kind: .element, name: "configuration", id: nil, ordinal: 0),
            .init(kind: .element, name: "crm_config", id: nil, ordinal: 0),
          ], attributes: [CIBAttribute(name: "x", value: "1")])
      ]
    ).apply(to: new)
    let diff = CIBDiff(from: old, to: new)
    #expect(diff.operations.count == 1)
    #expect(try diff.apply(to: old) == new)
  }

  @Test func patchThatDoesNotFitIsRejectedWithItsPath() throws {
    let doc = try load("simple1.xml")
    let diff = CIBDiff(operations: [
      .delete(
        parent: [.init(kind: .element, name: "configuration", id: nil, ordinal: 0)],
        key: .init(kind: .element, name: "resources", id: "nope", ordinal: 0))
    ])
    #expect(throws: CIBError.patchDoesNotApply(path: "/configuration[1]/resources[@id='nope']", reason: "no such child to delete")) {
      try diff.apply(to: doc)
    }
  }

  @Test func diffRecordsVersions() throws {
    let old = try load("simple1.xml")
    var new = old
    new[attribute: "epoch"] = "7"
    let diff = CIBDiff(from: old, to: new)
    #expect(diff.source == (try CIBVersion(of: old)))
    #expect(diff.target?.epoch == 7)
  }
}

@Suite struct CoreDiffPatchsetTests {
  @Test func rendersPacemakerStyleV2Patchset() throws {
    let old = try CIBXML.parse(
      """
      <cib admin_epoch="0" epoch="1" num_updates="3"><configuration><crm_config>\
      <cluster_property_set id="o"><nvpair id="a" name="a" value="1"/></cluster_property_set></crm_config>\
      <resources><primitive id="p1"/><primitive id="p2"/></resources></configuration><status/></cib>
      """)
    let new = try CIBXML.parse(
      """
      <cib admin_epoch="0" epoch="2" num_updates="0"><configuration><crm_config>\
      <cluster_property_set id="o"><nvpair id="a" name="a" value="2"/></cluster_property_set></crm_config>\
      <resources><primitive id="p2"/><primitive id="p3"/></resources></configuration><status/></cib>
      """)
    let diff = CIBDiff(from: old, to: new)
    #expect(try diff.apply(to: old) == new)
    // Pacemaker escapes ' as &apos; in attribute values, so the paths read [@id=&apos;x&apos;] in the text.
    let text = CIBXML.serialize(try diff.patchset(applyingTo: old))
    #expect(
      text == """
        <diff format="2">
          <version>
            <source admin_epoch="0" epoch="1" num_updates="3"/>
            <target admin_epoch="0" epoch="2" num_updates="0"/>
          </version>
          <change operation="modify" path="/cib">
            <change-list>
              <change-attr name="epoch" operation="set" value="2"/>
              <change-attr name="num_updates" operation="set" value="0"/>
            </change-list>
            <change-result>
              <cib admin_epoch="0" epoch="2" num_updates="0"/>
            </change-result>
          </change>
          <change operation="modify" path="/cib/configuration/crm_config/cluster_property_set[@id=&apos;o&apos;]/nvpair[@id=&apos;a&apos;]">
            <change-list>
              <change-attr name="value" operation="set" value="2"/>
            </change-list>
            <change-result>
              <nvpair id="a" name="a" value="2"/>
            </change-result>
          </change>
          <change operation="delete" path="/cib/configuration/resources/primitive[@id=&apos;p1&apos;]"/>
          <change operation="create" path="/cib/configuration/resources" position="1">
            <primitive id="p3"/>
          </change>
        </diff>

        """)
  }
}
