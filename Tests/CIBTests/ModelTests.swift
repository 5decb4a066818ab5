import Testing

@testable import CIB

/// A small CIB built by hand, with whitespace text nodes and a comment, like a parsed file.
func sampleCIB() -> CIBElement {
  func nl(_ e: CIBElement) -> [CIBContent] { [.text("\n  "), .element(e)] }
  let props = CIBElement(
    "cluster_property_set", ["id": "cib-bootstrap-options"],
    children: [
      CIBElement("nvpair", ["id": "opt-stonith", "name": "stonith-enabled", "value": "false"]),
      CIBElement("nvpair", ["id": "opt-nqp", "name": "no-quorum-policy", "value": "ignore"]),
    ])
  let vip = CIBElement(
    "primitive", ["id": "vip", "class": "ocf", "provider": "heartbeat", "type": "IPaddr2"],
    children: [
      CIBElement(
        "instance_attributes", ["id": "vip-ia"],
        children: [CIBElement("nvpair", ["id": "vip-ip", "name": "ip", "value": "10.0.0.1"])]),
      CIBElement(
        "operations", [:],
        children: [
          CIBElement("op", ["id": "vip-mon", "name": "monitor", "interval": "10s", "timeout": "20s"]),
          CIBElement("op", ["id": "vip-start", "name": "start", "interval": "0s", "timeout": "20s"]),
        ]),
    ])
  let web = CIBElement("primitive", ["id": "web", "class": "systemd", "type": "httpd"])
  var group = CIBElement("group", ["id": "grp"], children: [web])
  group.children.insert(.comment(" the web tier "), at: 0)
  let dummy = CIBElement("primitive", ["id": "dummy", "class": "ocf", "provider": "pacemaker", "type": "Stateful"])
  let clone = CIBElement(
    "master", ["id": "ms"],
    children: [
      CIBElement(
        "meta_attributes", ["id": "ms-meta"],
        children: [CIBElement("nvpair", ["id": "ms-pm", "name": "promoted-max", "value": "1"])]),
      dummy,
    ])
  var resources = CIBElement("resources")
  resources.children = nl(vip) + nl(group) + nl(clone) + [.comment(" future "), .element(CIBElement("futurething", ["id": "x"]))]
  let constraints = CIBElement(
    "constraints", [:],
    children: [
      CIBElement(
        "rsc_location", ["id": "loc1", "rsc": "vip", "score": "+INFINITY"],
        children: [
          CIBElement(
            "rule", ["id": "loc1-rule", "score": "-INFINITY", "boolean-op": "or"],
            children: [
              CIBElement("expression", ["id": "loc1-e1", "attribute": "#uname", "operation": "eq", "value": "n2"]),
              CIBElement(
                "date_expression", ["id": "loc1-d", "operation": "date_spec"],
                children: [CIBElement("date_spec", ["id": "loc1-ds", "hours": "9-17", "weekdays": "1-5"])]),
            ])
        ]),
      CIBElement("rsc_colocation", ["id": "col1", "rsc": "grp", "with-rsc": "vip", "score": "INFINITY", "rsc-role": "Started"]),
      CIBElement("rsc_order", ["id": "ord1", "first": "vip", "then": "grp", "kind": "Mandatory", "then-action": "start"]),
      CIBElement(
        "rsc_order", ["id": "ord2", "kind": "Optional"],
        children: [
          CIBElement(
            "resource_set", ["id": "ord2-s1", "sequential": "false"],
            children: [
              CIBElement("resource_ref", ["id": "vip"]), CIBElement("resource_ref", ["id": "ms"]),
            ])
        ]),
      CIBElement("rsc_ticket", ["id": "tk1", "rsc": "vip", "ticket": "T1", "loss-policy": "stop"]),
    ])
  let configuration = CIBElement(
    "configuration", [:],
    children: [
      CIBElement("crm_config", [:], children: [props]),
      CIBElement(
        "nodes", [:],
        children: [
          CIBElement(
            "node", ["id": "1", "uname": "n1"],
            children: [
              CIBElement(
                "instance_attributes", ["id": "n1-ia"],
                children: [CIBElement("nvpair", ["id": "n1-standby", "name": "standby", "value": "on"])])
            ]),
          CIBElement("node", ["id": "2", "uname": "n2", "type": "member"]),
        ]),
      resources,
      constraints,
      CIBElement(
        "rsc_defaults", [:],
        children: [
          CIBElement(
            "meta_attributes", ["id": "rsc-options"],
            children: [CIBElement("nvpair", ["id": "rsc-stick", "name": "resource-stickiness", "value": "100"])])
        ]),
      CIBElement(
        "fencing-topology", [:],
        children: [CIBElement("fencing-level", ["id": "fl1", "target": "n1", "index": "1", "devices": "f1,f2"])]),
    ])
  let status = CIBElement(
    "status", [:],
    children: [
      CIBElement(
        "node_state",
        ["id": "1", "uname": "n1", "in_ccm": "true", "crmd": "online", "join": "member", "expected": "member",
         "crm-debug-origin": "do_update_resource"],
        children: [
          CIBElement(
            "transient_attributes", ["id": "1"],
            children: [
              CIBElement(
                "instance_attributes", ["id": "status-1"],
                children: [CIBElement("nvpair", ["id": "status-1-fc", "name": "fail-count-vip#monitor_10000", "value": "2"])])
            ]),
          CIBElement(
            "lrm", ["id": "1"],
            children: [
              CIBElement(
                "lrm_resources", [:],
                children: [
                  CIBElement(
                    "lrm_resource", ["id": "vip", "type": "IPaddr2", "class": "ocf", "provider": "heartbeat"],
                    children: [
                      CIBElement(
                        "lrm_rsc_op",
                        ["id": "vip_last_0", "operation_key": "vip_start_0", "operation": "start",
                         "crm-debug-origin": "do_update_resource", "crm_feature_set": "3.16.2",
                         "transition-key": "2:1:0:abc", "transition-magic": "0:0;2:1:0:abc", "exit-reason": "",
                         "on_node": "n1", "call-id": "12", "rc-code": "0", "op-status": "0", "interval": "0",
                         "last-rc-change": "1700000000", "exec-time": "55", "queue-time": "0",
                         "op-digest": "d41d8cd9"]),
                      CIBElement(
                        "lrm_rsc_op",
                        ["id": "vip_monitor_10000", "operation_key": "vip_monitor_10000", "operation": "monitor",
                         "call-id": "13", "rc-code": "7", "op-status": "0", "interval": "10000"]),
                    ])
                ])
            ]),
        ])
    ])
  var root = CIBElement(
    "cib",
    ["crm_feature_set": "3.16.2", "validate-with": "pacemaker-3.9", "epoch": "5", "num_updates": "3",
     "admin_epoch": "0", "have-quorum": "1", "dc-uuid": "1", "cib-last-written": "Sat Nov 21 10:00:00 2026",
     "update-origin": "n1", "update-client": "cibadmin", "update-user": "root"],
    children: [])
  root.children = [.element(configuration), .text("\n"), .element(status)]
  return root
}

@Test func decodeReadsEveryPartOfTheSample() throws {
  let doc = CIBDocument(decoding: sampleCIB())
  #expect(doc.epochValue == 5 && doc.numUpdatesValue == 3 && doc.adminEpochValue == 0)
  #expect(doc.hasQuorum)
  #expect(doc.dcUUID == "1")
  #expect(doc.updateUser == "root")
  let cfg = doc.configuration
  #expect(cfg.clusterProperty("no-quorum-policy") == "ignore")
  #expect(cfg.nodes.map(\.uname) == ["n1", "n2"])
  #expect(cfg.nodes[0].attribute("standby") == "on")
  #expect(cfg.resources.map(\.id) == ["vip", "grp", "ms"])
  #expect(cfg.allResources.map(\.id) == ["vip", "grp", "web", "ms", "dummy"])
  guard case .primitive(let vip) = cfg.resources[0] else {
    Issue.record("vip is not a primitive")
    return
  }
  #expect(vip.agentName == "ocf:heartbeat:IPaddr2")
  #expect(vip.instanceAttributes.first?["ip"] == "10.0.0.1")
  #expect(vip.operations.map(\.intervalMs) == [Milliseconds(10_000), .zero])
  #expect(vip.operations[0].timeoutMs == Milliseconds(20_000))
  guard case .clone(let ms) = cfg.resources[2] else {
    Issue.record("ms is not a clone")
    return
  }
  #expect(ms.isLegacyMaster && ms.isPromotable)
  #expect(ms.child?.id == "dummy")
  #expect(cfg.parentByID()["web"] == "grp")
  let loc = cfg.locationConstraints[0]
  #expect(loc.score == .infinity)
  #expect(loc.rules[0].score == .minusInfinity)
  #expect(loc.rules[0].booleanOp == .or)
  #expect(loc.rules[0].conditions.count == 2)
  if case .dateExpression(let d) = loc.rules[0].conditions[1] {
    #expect(d.dateSpec?.hours == "9-17")
  } else {
    Issue.record("second condition is not a date_expression")
  }
  #expect(cfg.colocationConstraints[0].rscRole == .started)
  #expect(cfg.orderConstraints[0].kind == .mandatory)
  #expect(cfg.orderConstraints[1].resourceSets[0].resources == ["vip", "ms"])
  #expect(cfg.orderConstraints[1].resourceSets[0].isSequential == false)
  #expect(cfg.ticketConstraints[0].ticket == "T1")
  #expect(cfg.rscDefaults[0]["resource-stickiness"] == "100")
  #expect(cfg.fencingLevels[0].deviceIDs == ["f1", "f2"])
  let state = doc.status.nodeStates[0]
  #expect(state.uname == "n1" && state.join == "member" && state.crmd == "online")
  #expect(state.transientAttribute("fail-count-vip#monitor_10000") == "2")
  let ops = state.lrmResources[0].operations
  #expect(ops.map(\.rcCodeValue) == [0, 7])
  #expect(ops[1].intervalMs == Milliseconds(10_000))
  #expect(ops[0].lastRCChangeValue == 1_700_000_000)
  #expect(ops[0].exitReason == "")
}

@Test func unchangedDocumentEncodesToItself() {
  let root = sampleCIB()
  #expect(CIBDocument(decoding: root).encoded() == root)
}

@Test func editsRewriteOnlyWhatChanged() throws {
  let root = sampleCIB()
  var doc = CIBDocument(decoding: root)
  // Change a score through its typed view: the canonical spelling is written, the rest stays.
  guard case .location(var loc) = doc.configuration.constraints[0] else {
    Issue.record("first constraint is not a location")
    return
  }
  loc.score = Score(clamping: 50)
  doc.configuration.constraints[0] = .location(loc)
  // Add an op to vip, remove the group's comment-adjacent member, add a node.
  guard case .primitive(var vip) = doc.configuration.resources[0] else { return }
  vip.operations.append(Operation(id: "vip-stop", name: "stop", interval: "0s", timeout: "20s"))
  doc.configuration.resources[0] = .primitive(vip)
  doc.configuration.nodes.append(Node(id: "3", uname: "n3"))
  doc.epoch = "6"
  let out = doc.encoded()
  let again = CIBDocument(decoding: out)
  #expect(again.epoch == "6")
  #expect(again.configuration.locationConstraints[0].scoreText == "50")
  #expect(again.configuration.nodes.map(\.uname) == ["n1", "n2", "n3"])
  guard case .primitive(let vip2) = again.configuration.resources[0] else { return }
  #expect(vip2.operations.map(\.id) == ["vip-mon", "vip-start", "vip-stop"])
  // Untouched parts are byte-identical, including the comment and the unknown element.
  let resources = out.firstElement(named: "configuration")!.firstElement(named: "resources")!
  #expect(resources.children.contains(.comment(" future ")))
  #expect(resources.firstElement(named: "futurething")?.id == "x")
  #expect(out.firstElement(named: "status") == root.firstElement(named: "status"))
  // The location's attribute order is unchanged: score is rewritten in place.
  let locOut = out.firstElement(named: "configuration")!.firstElement(named: "constraints")!.elements[0]
  #expect(locOut.attributes.map(\.name) == ["id", "rsc", "score"])
}

@Test func removingAndAddingChildrenKeepsOtherSlots() {
  var e = CIBElement("x")
  e.children = [
    .element(CIBElement("a", ["id": "a1"])), .comment("c"), .element(CIBElement("b", ["id": "b1"])),
    .element(CIBElement("a", ["id": "a2"])), .text("t"),
  ]
  var removed = e
  removed.mergeChildren([ChildSlots("a", [CIBElement("a", ["id": "a2"])])])
  #expect(removed.children == [.element(CIBElement("a", ["id": "a2"])), .comment("c"), .element(CIBElement("b", ["id": "b1"])), .text("t")])
  var added = e
  added.mergeChildren([ChildSlots("b", [CIBElement("b", ["id": "b1"]), CIBElement("b", ["id": "b2"])])])
  #expect(added.elements.map { $0.id ?? "" } == ["a1", "b1", "b2", "a2"])
  var fresh = CIBElement("y")
  fresh.mergeChildren([ChildSlots("a", [CIBElement("a", ["id": "n"])])])
  #expect(fresh.elements.map(\.name) == ["a"])
}

@Test func newValuesBuildFromScratch() {
  var cfg = CIBConfiguration(decoding: CIBElement("configuration"))
  var p = Primitive(id: "d1", resourceClass: "ocf", provider: "pacemaker", type: "Dummy")
  p.operations = [Operation(id: "d1-monitor-interval-10s", name: "monitor", interval: "10s", timeout: "20s")]
  cfg.resources = [.primitive(p), .group(Group(id: "g", members: [Primitive(id: "d2", resourceClass: "lsb", provider: nil, type: "foo")]))]
  cfg.constraints = [.location(LocationConstraint(id: "l", rsc: "d1", node: "n1", score: .minusInfinity))]
  let e = cfg.encoded()
  #expect(e.elements.map(\.name) == ["resources", "constraints"])
  let back = CIBConfiguration(decoding: e)
  #expect(back.allResources.map(\.id) == ["d1", "g", "d2"])
  #expect(back.locationConstraints[0].scoreText == "-INFINITY")
  #expect(back.locationConstraints[0].node == "n1")
  #expect(back.encoded() == e)
}

@Test func referenceIndexResolvesIDRefs() {
  var cfg = CIBConfiguration(decoding: sampleCIB().firstElement(named: "configuration")!)
  let ref = AttributeSet(decoding: CIBElement("meta_attributes", ["id-ref": "rsc-options"]))
  cfg.rscDefaults.append(ref)
  let index = ReferenceIndex(cfg)
  #expect(index.resolve(ref)?["resource-stickiness"] == "100")
  #expect(index.resolve(AttributeSet(decoding: CIBElement("meta_attributes", ["id-ref": "nope"]))) == nil)
  #expect(index.rules["loc1-rule"]?.score == .minusInfinity)
}

@Test func recordingAnOperationCreatesTheStatusWrappers() {
  var state = NodeState(id: "3", uname: "n3")
  var history = LRMResource(id: "vip", resourceClass: "ocf", provider: "heartbeat", type: "IPaddr2")
  var op = LRMResourceOperation(id: "vip_last_0")
  op.operationKey = "vip_start_0"
  op.operation = "start"
  op.rcCode = "0"
  op.callID = "4"
  history.operations = [op]
  state.lrmResources = [history]
  state.transientAttributes = [AttributeSet(kind: "instance_attributes", id: "status-3", pairs: [NVPair(id: "status-3-x", name: "x", value: "1")])]
  let e = state.encoded()
  #expect(e.elements.map(\.name) == ["transient_attributes", "lrm"])
  #expect(e.firstElement(named: "lrm")?.id == "3")
  let back = NodeState(decoding: e)
  #expect(back.lrmResources.first?.operations.first?.operationKey == "vip_start_0")
  #expect(back.lrmResources.first?.operations.first?.rcCodeValue == 0)
  #expect(back.transientAttribute("x") == "1")
  #expect(back.encoded() == e)
}

@Test func typedSettersWriteCanonicalSpellings() {
  var o = OrderConstraint(id: "o", first: "a", then: "b")
  o.kind = .serialize
  var c = ColocationConstraint(id: "c", rsc: "a", withRsc: "b", score: Score(clamping: 2_000_000))
  c.rscRole = .promoted
  let oe = o.encoded()
  let ce = c.encoded()
  #expect(oe[attribute: "kind"] == "Serialize")
  #expect(ce[attribute: "score"] == "INFINITY")
  #expect(ce[attribute: "rsc-role"] == "Promoted")
  #expect(oe.attributes.map(\.name) == ["id", "first", "then", "kind"])
}
