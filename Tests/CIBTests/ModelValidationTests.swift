import Testing

@testable import CIB

/// A minimal valid CIB with the given resources and constraints (plus two nodes and a stonith device).
private func cib(
  resources: [CIBElement] = [], constraints: [CIBElement] = [], properties: [CIBElement] = [],
  extra: [CIBElement] = []
) -> CIBElement {
  let stonith = CIBElement("primitive", ["id": "fence1", "class": "stonith", "type": "fence_dummy"])
  let dummy = CIBElement("primitive", ["id": "d1", "class": "ocf", "provider": "pacemaker", "type": "Dummy"])
  let d2 = CIBElement("primitive", ["id": "d2", "class": "ocf", "provider": "pacemaker", "type": "Dummy"])
  var children: [CIBElement] = [
    CIBElement(
      "crm_config", [:],
      children: [CIBElement("cluster_property_set", ["id": "opts"], children: properties)]),
    CIBElement(
      "nodes", [:],
      children: [CIBElement("node", ["id": "1", "uname": "n1"]), CIBElement("node", ["id": "2", "uname": "n2"])]),
    CIBElement("resources", [:], children: [stonith, dummy, d2] + resources),
    CIBElement("constraints", [:], children: constraints),
  ]
  children += extra
  return CIBElement(
    "cib", ["epoch": "1", "num_updates": "0", "admin_epoch": "0", "validate-with": "pacemaker-3.9"],
    children: [CIBElement("configuration", [:], children: children), CIBElement("status")])
}

private func op(_ attrs: KeyValuePairs<String, String>) -> CIBElement {
  CIBElement("primitive", ["id": "withop", "class": "ocf", "provider": "heartbeat", "type": "Dummy"],
             children: [CIBElement("operations", [:], children: [CIBElement("op", attrs)])])
}

@Test func validSampleHasNoErrors() {
  let issues = validateCIB(cib(
    resources: [op(["id": "withop-mon", "name": "monitor", "interval": "10s", "timeout": "20s", "role": "Promoted"])],
    constraints: [
      CIBElement("rsc_location", ["id": "l1", "rsc": "d1", "node": "n1", "score": "INFINITY"]),
      CIBElement("rsc_order", ["id": "o1", "first": "d1", "then": "d2", "kind": "Mandatory"]),
      CIBElement("rsc_colocation", ["id": "c1", "rsc": "d1", "with-rsc": "d2", "score": "-INFINITY", "rsc-role": "Master"]),
    ]))
  #expect(issues == [])
  #expect(throws: Never.self) { try requireValidCIB(cib()) }
}

@Test func theHandBuiltSampleValidates() {
  let issues = validateCIB(sampleCIB()).filter { $0.severity == .error }
  #expect(issues.map(\.description) == ["error: fencing-level 'fl1': device \"f1\" references an unknown ID: create the stonith resource or correct the name",
                                        "error: fencing-level 'fl1': device \"f2\" references an unknown ID: create the stonith resource or correct the name"])
}

/// One bad input, the kind of issue it must raise, and the id the message must name.
struct BadCase: Sendable, CustomStringConvertible {
  let name: String
  let document: CIBElement
  let kind: CIBValidationIssue.Kind
  let id: String
  let messageContains: String
  var description: String { name }
}

let badCases: [BadCase] = [
  BadCase(name: "promoted target-role on a plain primitive",
          document: cib(resources: [CIBElement("primitive", ["id": "plain", "class": "lsb", "type": "x"], children: [
            CIBElement("meta_attributes", ["id": "plain-meta"], children: [
              CIBElement("nvpair", ["id": "plain-tr", "name": "target-role", "value": "Promoted"])])])]),
          kind: .roleNeedsPromotable, id: "plain-tr", messageContains: "only makes sense for promotable clones"),
  BadCase(name: "stop with on-fail=stop",
          document: cib(resources: [op(["id": "stop-stop", "name": "stop", "interval": "0", "on-fail": "stop"])]),
          kind: .onFailNotAllowed, id: "stop-stop", messageContains: "not allowed for stop"),
  BadCase(name: "duplicate recurring operation",
          document: cib(resources: [CIBElement("primitive", ["id": "dupops", "class": "lsb", "type": "x"], children: [
            CIBElement("operations", [:], children: [
              CIBElement("op", ["id": "dup-a", "name": "monitor", "interval": "10s", "role": "Promoted"]),
              CIBElement("op", ["id": "dup-b", "name": "monitor", "interval": "10000ms", "role": "Unpromoted"])])])]),
          kind: .duplicateOperation, id: "dup-b", messageContains: "dup-b is duplicate of dup-a"),
  BadCase(name: "duplicate id", document: cib(resources: [CIBElement("primitive", ["id": "d1", "class": "lsb", "type": "x"])]),
          kind: .duplicateID, id: "d1", messageContains: "already used by a primitive"),
  BadCase(name: "location to unknown resource",
          document: cib(constraints: [CIBElement("rsc_location", ["id": "loc-ghost", "rsc": "ghost", "node": "n1", "score": "10"])]),
          kind: .unknownReference, id: "loc-ghost", messageContains: "rsc references an unknown ID \"ghost\""),
  BadCase(name: "colocation with unknown",
          document: cib(constraints: [CIBElement("rsc_colocation", ["id": "col-ghost", "rsc": "d1", "with-rsc": "ghost", "score": "INFINITY"])]),
          kind: .unknownReference, id: "col-ghost", messageContains: "with-rsc references an unknown ID \"ghost\""),
  BadCase(name: "order first unknown",
          document: cib(constraints: [CIBElement("rsc_order", ["id": "ord-ghost", "first": "ghost", "then": "d1"])]),
          kind: .unknownReference, id: "ord-ghost", messageContains: "first references an unknown ID \"ghost\""),
  BadCase(name: "resource set member unknown",
          document: cib(constraints: [CIBElement("rsc_order", ["id": "ord-set"], children: [
            CIBElement("resource_set", ["id": "ord-set-0"], children: [CIBElement("resource_ref", ["id": "d1"]), CIBElement("resource_ref", ["id": "nosuch"])])
          ])]),
          kind: .unknownReference, id: "ord-set-0", messageContains: "\"nosuch\""),
  BadCase(name: "unknown template",
          document: cib(resources: [CIBElement("primitive", ["id": "fromtpl", "template": "tpl-missing"])]),
          kind: .unknownTemplate, id: "fromtpl", messageContains: "tpl-missing"),
  BadCase(name: "dangling id-ref",
          document: cib(resources: [CIBElement("primitive", ["id": "p-ref", "class": "lsb", "type": "x"], children: [
            CIBElement("meta_attributes", ["id": "p-ref-meta", "id-ref": "nowhere"])])]),
          kind: .danglingIDRef, id: "p-ref-meta", messageContains: "\"nowhere\""),
  BadCase(name: "invalid location score",
          document: cib(constraints: [CIBElement("rsc_location", ["id": "loc-abc", "rsc": "d1", "node": "n1", "score": "abc"])]),
          kind: .invalidScore, id: "loc-abc", messageContains: "score=\"abc\" is not a score"),
  BadCase(name: "invalid stickiness",
          document: cib(resources: [CIBElement("primitive", ["id": "sticky", "class": "lsb", "type": "x"], children: [
            CIBElement("meta_attributes", ["id": "sticky-meta"], children: [
              CIBElement("nvpair", ["id": "sticky-rs", "name": "resource-stickiness", "value": "lots"])])])]),
          kind: .invalidScore, id: "sticky-rs", messageContains: "resource-stickiness=\"lots\""),
  BadCase(name: "invalid interval",
          document: cib(resources: [op(["id": "mon-bad", "name": "monitor", "interval": "10x"])]),
          kind: .invalidInterval, id: "mon-bad", messageContains: "unknown unit 'x'"),
  BadCase(name: "invalid ISO 8601 interval",
          document: cib(resources: [op(["id": "mon-iso", "name": "monitor", "interval": "PT1.5S"])]),
          kind: .invalidInterval, id: "mon-iso", messageContains: "ISO 8601"),
  BadCase(name: "invalid timeout",
          document: cib(resources: [op(["id": "mon-to", "name": "monitor", "interval": "10s", "timeout": "soon"])]),
          kind: .invalidDuration, id: "mon-to", messageContains: "'soon' is not a time"),
  BadCase(name: "unknown resource class",
          document: cib(resources: [CIBElement("primitive", ["id": "weird", "class": "ocff", "provider": "heartbeat", "type": "IPaddr2"])]),
          kind: .unknownResourceClass, id: "weird", messageContains: "class=\"ocff\""),
  BadCase(name: "ocf without provider",
          document: cib(resources: [CIBElement("primitive", ["id": "noprov", "class": "ocf", "type": "IPaddr2"])]),
          kind: .missingProvider, id: "noprov", messageContains: "provider"),
  BadCase(name: "primitive without type",
          document: cib(resources: [CIBElement("primitive", ["id": "notype", "class": "lsb"])]),
          kind: .missingAttribute, id: "notype", messageContains: "has no type"),
  BadCase(name: "group with a clone member",
          document: cib(resources: [CIBElement("group", ["id": "grp-bad"], children: [
            CIBElement("clone", ["id": "inner-clone"], children: [CIBElement("primitive", ["id": "ic", "class": "lsb", "type": "x"])])])]),
          kind: .invalidGroupMember, id: "grp-bad", messageContains: "'inner-clone' is a clone"),
  BadCase(name: "clone of two children",
          document: cib(resources: [CIBElement("clone", ["id": "cl-two"], children: [
            CIBElement("primitive", ["id": "c-a", "class": "lsb", "type": "x"]),
            CIBElement("primitive", ["id": "c-b", "class": "lsb", "type": "y"])])]),
          kind: .invalidCloneChild, id: "cl-two", messageContains: "c-a, c-b"),
  BadCase(name: "invalid order kind",
          document: cib(constraints: [CIBElement("rsc_order", ["id": "ord-kind", "first": "d1", "then": "d2", "kind": "bogus"])]),
          kind: .invalidEnumValue, id: "ord-kind", messageContains: "kind=\"bogus\""),
  BadCase(name: "invalid role",
          document: cib(constraints: [CIBElement("rsc_colocation", ["id": "col-role", "rsc": "d1", "with-rsc": "d2", "score": "10", "rsc-role": "Boss"])]),
          kind: .invalidEnumValue, id: "col-role", messageContains: "rsc-role=\"Boss\""),
  BadCase(name: "invalid boolean-op",
          document: cib(constraints: [CIBElement("rsc_location", ["id": "loc-rule", "rsc": "d1"], children: [
            CIBElement("rule", ["id": "loc-rule-r", "score": "10", "boolean-op": "xor"], children: [
              CIBElement("expression", ["id": "loc-rule-e", "attribute": "#uname", "operation": "eq", "value": "n1"])])])]),
          kind: .invalidEnumValue, id: "loc-rule-r", messageContains: "boolean-op=\"xor\""),
  BadCase(name: "invalid no-quorum-policy",
          document: cib(properties: [CIBElement("nvpair", ["id": "opts-nqp", "name": "no-quorum-policy", "value": "panic"])]),
          kind: .invalidEnumValue, id: "opts-nqp", messageContains: "no-quorum-policy=\"panic\""),
  BadCase(name: "invalid expression operation",
          document: cib(constraints: [CIBElement("rsc_location", ["id": "loc-expr", "rsc": "d1"], children: [
            CIBElement("rule", ["id": "loc-expr-r", "score": "10"], children: [
              CIBElement("expression", ["id": "loc-expr-e", "attribute": "#uname", "operation": "equals", "value": "n1"])])])]),
          kind: .invalidEnumValue, id: "loc-expr-e", messageContains: "operation=\"equals\""),
  BadCase(name: "invalid on-fail",
          document: cib(resources: [op(["id": "mon-fail", "name": "monitor", "interval": "10s", "on-fail": "explode"])]),
          kind: .invalidEnumValue, id: "mon-fail", messageContains: "on-fail=\"explode\""),
  BadCase(name: "fencing level with unknown device",
          document: cib(extra: [CIBElement("fencing-topology", [:], children: [
            CIBElement("fencing-level", ["id": "fl-bad", "target": "n1", "index": "1", "devices": "fence1,fence-ghost"])])]),
          kind: .unknownReference, id: "fl-bad", messageContains: "\"fence-ghost\""),
  BadCase(name: "fencing level with a non-stonith device",
          document: cib(extra: [CIBElement("fencing-topology", [:], children: [
            CIBElement("fencing-level", ["id": "fl-ocf", "target": "n1", "index": "1", "devices": "d1"])])]),
          kind: .unknownReference, id: "fl-ocf", messageContains: "not a stonith device"),
  BadCase(name: "location with neither node nor rule",
          document: cib(constraints: [CIBElement("rsc_location", ["id": "loc-empty", "rsc": "d1", "score": "10"])]),
          kind: .emptyConstraint, id: "loc-empty", messageContains: "neither node nor rule"),
  BadCase(name: "invalid boolean symmetrical",
          document: cib(constraints: [CIBElement("rsc_order", ["id": "ord-sym", "first": "d1", "then": "d2", "symmetrical": "maybe"])]),
          kind: .invalidBoolean, id: "ord-sym", messageContains: "symmetrical=\"maybe\""),
  BadCase(name: "invalid cluster time option",
          document: cib(properties: [CIBElement("nvpair", ["id": "opts-recheck", "name": "cluster-recheck-interval", "value": "often"])]),
          kind: .invalidDuration, id: "opts-recheck", messageContains: "cluster-recheck-interval"),
  BadCase(name: "op without interval",
          document: cib(resources: [op(["id": "mon-noint", "name": "monitor"])]),
          kind: .missingAttribute, id: "mon-noint", messageContains: "no interval"),
  BadCase(name: "invalid target-role",
          document: cib(resources: [CIBElement("primitive", ["id": "tr", "class": "lsb", "type": "x"], children: [
            CIBElement("meta_attributes", ["id": "tr-meta"], children: [
              CIBElement("nvpair", ["id": "tr-role", "name": "target-role", "value": "Running"])])])]),
          kind: .invalidEnumValue, id: "tr-role", messageContains: "target-role=\"Running\""),
]

@Test(arguments: badCases)
func badInputIsReportedWithItsID(bad: BadCase) {
  let issues = validateCIB(bad.document)
  let matching = issues.filter { $0.kind == bad.kind && $0.id == bad.id }
  #expect(!matching.isEmpty, "\(bad.name): got \(issues.map(\.description))")
  #expect(matching.contains { $0.message.contains(bad.messageContains) }, "\(bad.name): got \(matching.map(\.message))")
  #expect(matching.allSatisfy { $0.description.contains("'\(bad.id)'") })
  #expect(throws: CIBValidationError.self) { try requireValidCIB(bad.document) }
}

@Test func atLeastFifteenKindsOfBadInputAreCovered() {
  #expect(Set(badCases.map(\.kind)).count >= 15)
}

@Test func issuesComeInDocumentOrder() {
  let doc = cib(constraints: [
    CIBElement("rsc_location", ["id": "a-first", "rsc": "ghost1", "node": "n1", "score": "1"]),
    CIBElement("rsc_location", ["id": "b-second", "rsc": "ghost2", "node": "n1", "score": "1"]),
  ])
  #expect(validateCIB(doc).map(\.id) == ["a-first", "b-second"])
}

@Test func notACIBIsReported() {
  let issues = validateCIB(CIBElement("configuration"))
  #expect(issues.map(\.kind) == [.notACIB])
}

@Test func unknownNodeIsOnlyAWarning() {
  // crm_verify accepts a location on a node that does not exist; we warn.
  let doc = cib(constraints: [CIBElement("rsc_location", ["id": "loc-n9", "rsc": "d1", "node": "n9", "score": "1"])])
  let issues = validateCIB(doc)
  #expect(issues.map(\.severity) == [.warning])
  #expect(issues.first?.message.contains("n9") == true)
  #expect(throws: Never.self) { try requireValidCIB(doc) }
}

@Test func missingFencingIsCrmVerifysStartupError() throws {
  var doc = cib()
  // Drop the stonith device: stonith-enabled defaults to true.
  var config = doc.firstElement(named: "configuration")!
  let r = config.childIndex(named: "resources")!
  guard case .element(var resources) = config.children[r] else { return }
  resources.children.removeAll { if case .element(let e) = $0 { e.id == "fence1" } else { false } }
  config.children[r] = .element(resources)
  doc.children[doc.childIndex(named: "configuration")!] = .element(config)
  let issues = validateCIB(doc)
  #expect(issues.map(\.kind) == [.fencingNotConfigured])
  #expect(issues[0].message.hasPrefix("Resource start-up disabled since no STONITH resources have been defined"))
  // Writers may still store it (pcs does); the scheduler is the one that refuses to start resources.
  try requireValidCIB(doc)
  // With stonith-enabled=false the check is off.
  let off = cib(properties: [CIBElement("nvpair", ["id": "o-se", "name": "stonith-enabled", "value": "false"])])
  #expect(validateCIB(off) == [])
}

@Test func promotedTargetRoleInsideAPromotableCloneIsFine() {
  let promotable = CIBElement("clone", ["id": "pc"], children: [
    CIBElement("meta_attributes", ["id": "pc-meta"], children: [
      CIBElement("nvpair", ["id": "pc-prom", "name": "promotable", "value": "true"]),
      CIBElement("nvpair", ["id": "pc-tr", "name": "target-role", "value": "Promoted"])]),
    CIBElement("primitive", ["id": "pc-child", "class": "ocf", "provider": "pacemaker", "type": "Stateful"], children: [
      CIBElement("meta_attributes", ["id": "pc-child-meta"], children: [
        CIBElement("nvpair", ["id": "pc-child-tr", "name": "target-role", "value": "Unpromoted"])])]),
  ])
  #expect(validateCIB(cib(resources: [promotable])) == [])
}
