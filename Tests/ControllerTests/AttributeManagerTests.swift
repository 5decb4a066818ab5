import CIB
import ControlProtocol
import Foundation
import PolicyEngine
import Testing

@testable import Controller

/// The attribute manager's dampening (Pacemaker's attrd): a change is written once stable for the dampening, a
/// change back within it is never written, 0 writes at once.
struct AttributeManagerTests {
  func update(_ value: String?, dampenMs: Int64? = 5_000, node: String = "node1") -> AttributeUpdate {
    AttributeUpdate(name: "pingd", value: value, node: node, scope: .status, managed: true, dampenMs: dampenMs)
  }

  @Test func aChangeIsWrittenWhenItsDampeningRunsOut() {
    var m = AttributeManager()
    #expect(m.update(update("1000"), cibValue: nil, nowMs: 0) == .held(untilMs: 5_000))
    #expect(m.due(nowMs: 4_999).isEmpty)
    let due = m.due(nowMs: 5_000)
    #expect(due.map(\.value) == ["1000"])
    #expect(due.first?.managed == false, "the write goes to the DC directly")
    #expect(m.due(nowMs: 10_000).isEmpty, "written once")
    #expect(m.nextDueMs == nil)
  }

  @Test func aChangeRestartsTheTimerAndTheLatestValueIsWritten() {
    var m = AttributeManager()
    _ = m.update(update("1000"), cibValue: "0", nowMs: 0)
    #expect(m.update(update("2000"), cibValue: "0", nowMs: 3_000) == .held(untilMs: 8_000))
    #expect(m.due(nowMs: 5_000).isEmpty)
    #expect(m.due(nowMs: 8_000).map(\.value) == ["2000"])
  }

  @Test func theSameValueAsTheCIBIsNotWritten() {
    var m = AttributeManager()
    #expect(m.update(update("1000"), cibValue: "1000", nowMs: 0) == .unchanged)
    #expect(m.due(nowMs: 60_000).isEmpty)
    #expect(m.value(node: "node1", name: "pingd") == .some("1000"))
  }

  @Test func noDampeningWritesAtOnceAndDeleteIsAValueToo() {
    var m = AttributeManager()
    guard case .write(let w) = m.update(update("5", dampenMs: 0), cibValue: nil, nowMs: 0) else {
      Issue.record("not written at once")
      return
    }
    #expect(w.value == "5" && w.node == "node1" && w.scope == .status)
    guard case .write(let d) = m.update(update(nil, dampenMs: nil), cibValue: "5", nowMs: 10) else {
      Issue.record("delete not written at once (the dampening stays 0)")
      return
    }
    #expect(d.value == nil)
    #expect(m.value(node: "node1", name: "pingd") == .some(nil))
  }

  @Test func heldValuesAreBounded() {
    var m = AttributeManager()
    for i in 0..<AttributeManager.entriesMax {
      _ = m.update(AttributeUpdate(name: "a\(i)", value: "1", node: "node1", scope: .status, managed: true,
                                   dampenMs: 1_000), cibValue: nil, nowMs: 0)
    }
    let refused = m.update(update("1"), cibValue: nil, nowMs: 0)
    guard case .refused = refused else {
      Issue.record("past \(AttributeManager.entriesMax) attributes an update must be refused, got \(refused)")
      return
    }
  }
}

/// `NodeAttributes`: where each kind of attribute goes in the CIB, as Pacemaker lays it out.
struct NodeAttributesEditTests {
  let cib = try! CIBXML.parse("""
    <cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/>\
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes><resources/><constraints/></configuration>\
    <status/></cib>
    """)

  @Test func transientPermanentAndPropertyGoWherePacemakerPutsThem() throws {
    var c = try NodeAttributes.set("pingd", value: "1000", section: .status, node: "node2", in: cib)
    c = try NodeAttributes.set("site", value: "a", section: .nodes, node: "node1", in: c)
    c = try NodeAttributes.set("maintenance-mode", value: "false", section: .crmConfig, node: nil, in: c)
    let xml = CIBXML.serialize(c).replacingOccurrences(of: ">\\s+<", with: "><", options: .regularExpression)
    #expect(xml.contains(#"<node_state id="2" uname="node2"><transient_attributes id="2"><instance_attributes id="status-2"><nvpair id="status-2-pingd" name="pingd" value="1000"/>"#))
    #expect(xml.contains(#"<node id="1" uname="node1"><instance_attributes id="nodes-1"><nvpair id="nodes-1-site" name="site" value="a"/>"#))
    #expect(xml.contains(#"<cluster_property_set id="cib-bootstrap-options"><nvpair id="cib-bootstrap-options-maintenance-mode" name="maintenance-mode" value="false"/>"#))
    #expect(try NodeAttributes.value("pingd", section: .status, node: "node2", in: c) == "1000")
    #expect(try NodeAttributes.value("pingd", section: .status, node: "node1", in: c) == nil)
    let removed = try NodeAttributes.set("pingd", value: nil, section: .status, node: "node2", in: c)
    #expect(try NodeAttributes.value("pingd", section: .status, node: "node2", in: removed) == nil)
    #expect(NodeAttributes.transientValues("pingd", in: c).map(\.node) == ["node2"])
  }

  @Test func unknownNodesAreRefusedAndValuesExpand() throws {
    #expect(throws: NodeAttributeError.unknownNode("node9")) {
      try NodeAttributes.set("x", value: "1", section: .status, node: "node9", in: cib)
    }
    #expect(throws: NodeAttributeError.nodeRequired(.nodes)) {
      try NodeAttributes.set("x", value: "1", section: .nodes, node: nil, in: cib)
    }
    #expect(NodeAttributes.expand("x++", name: "x", current: "4") == "5")
    #expect(NodeAttributes.expand("x+=10", name: "x", current: nil) == "10")
    #expect(NodeAttributes.expand("x+=INFINITY", name: "x", current: "3") == "INFINITY")
    #expect(NodeAttributes.expand("y++", name: "x", current: "3") == "y++")
  }
}

extension AttributeManagerTests {
  @Test func aValueTheCIBLostIsWrittenAgain() {
    var m = AttributeManager()
    _ = m.update(update("1000", dampenMs: 0), cibValue: nil, nowMs: 0)
    // Someone else set the CIB's value to 0; the agent reports 1000 again: written again, after the dampening.
    #expect(m.update(update("1000", dampenMs: 2_000), cibValue: "0", nowMs: 100) == .held(untilMs: 2_100))
  }
}
