// Checks of constraints (location, colocation, order, ticket, sets) and of the fencing topology.

extension Validator {
  /// A constraint may name a resource, a template (standing for the primitives built from it) or a tag.
  func isResourceOrTag(_ id: String) -> Bool {
    resourceIDs.contains(id) || templateIDs.contains(id) || tagIDs.contains(id)
  }

  mutating func checkResourceReference(_ c: CIBElement, _ attribute: String, required: Bool) {
    guard let v = c[attribute: attribute] else {
      if required {
        report(.error, .missingAttribute, c, "\(attribute) is missing: name the resource (or use resource sets)")
      }
      return
    }
    if !isResourceOrTag(v) {
      report(.error, .unknownReference, c,
             "IDREF attribute \(attribute) references an unknown ID \"\(v)\": no resource has that id; create it or correct the name")
    }
  }

  mutating func checkSets(_ c: CIBElement) -> Bool {
    let sets = c.elements(named: "resource_set")
    for set in sets {
      if let ref = set[attribute: "id-ref"] {
        checkIDRef(set, ref)
        continue
      }
      checkBoolean(set, "sequential")
      checkBoolean(set, "require-all")
      checkRole(set, "role")
      checkScoreAttribute(set, "score")
      checkEnum(set, "action", OrderConstraint.actions)
      checkEnum(set, "kind", Set(OrderConstraint.Kind.allCases.map(\.rawValue)))
      let refs = set.elements(named: "resource_ref")
      if refs.isEmpty {
        report(.error, .emptyConstraint, set, "the resource set is empty: add <resource_ref id=\"...\"/> elements")
      }
      for ref in refs {
        if let id = ref.id, !isResourceOrTag(id) {
          report(.error, .unknownReference, set,
                 "resource_ref references an unknown ID \"\(id)\": no resource has that id; create it or correct the name")
        }
      }
    }
    return !sets.isEmpty
  }

  mutating func checkConstraint(_ c: CIBElement) {
    let hasSets = checkSets(c)
    switch c.name {
    case "rsc_location":
      if c[attribute: "rsc"] != nil, c[attribute: "rsc-pattern"] != nil {
        report(.error, .conflictingAttributes, c, "both rsc and rsc-pattern are set: keep only one")
      }
      if c[attribute: "rsc-pattern"] == nil, !hasSets { checkResourceReference(c, "rsc", required: true) }
      checkScoreAttribute(c, "score")
      checkRole(c, "role")
      checkEnum(c, "resource-discovery", LocationConstraint.resourceDiscoveryValues)
      let rules = c.elements(named: "rule")
      if c[attribute: "node"] != nil, !rules.isEmpty {
        report(.error, .conflictingAttributes, c, "node and rules are both given: use either node+score or rules")
      } else if let node = c[attribute: "node"] {
        if c[attribute: "score"] == nil, c[attribute: "score-attribute"] == nil {
          report(.error, .missingAttribute, c, "a location with node=\"\(node)\" needs a score: add score=\"INFINITY\" (or another score)")
        }
        if !nodeNames.contains(node) {
          report(.warning, .unknownNode, c, "node \"\(node)\" is not a configured node: the constraint has no effect until it joins")
        }
      } else if rules.isEmpty {
        report(.error, .emptyConstraint, c, "the location has neither node nor rule: add node=\"...\" with a score, or a <rule>")
      }
      for rule in rules { checkRule(rule, inLocation: true) }
    case "rsc_colocation":
      if !hasSets {
        checkResourceReference(c, "rsc", required: true)
        checkResourceReference(c, "with-rsc", required: true)
      }
      if c[attribute: "score"] == nil {
        report(.error, .missingAttribute, c, "the colocation has no score: add score=\"INFINITY\" (or another score)")
      }
      checkScoreAttribute(c, "score")
      if let a = c[attribute: "rsc"], let b = c[attribute: "with-rsc"],
        templateIDs.contains(a) || tagIDs.contains(a), templateIDs.contains(b) || tagIDs.contains(b)
      {
        report(.error, .conflictingAttributes, c,
               "rsc \"\(a)\" and with-rsc \"\(b)\" are both templates or tags, and two templates or tags cannot be colocated (Pacemaker ignores the constraint): name a resource on one side")
      }
      checkRole(c, "rsc-role")
      checkRole(c, "with-rsc-role")
      if let v = c[attribute: "influence"], parseBoolean(v) == nil {
        report(.error, .invalidBoolean, c,
               "influence=\"\(v)\" is an invalid value for influence (Pacemaker uses the default): use true or false")
      }
    case "rsc_order":
      if !hasSets {
        checkResourceReference(c, "first", required: true)
        checkResourceReference(c, "then", required: true)
      }
      checkScoreAttribute(c, "score")
      checkEnum(c, "kind", Set(OrderConstraint.Kind.allCases.map(\.rawValue)))
      checkEnum(c, "first-action", OrderConstraint.actions)
      checkEnum(c, "then-action", OrderConstraint.actions)
      checkBoolean(c, "symmetrical")
    case "rsc_ticket":
      if !hasSets { checkResourceReference(c, "rsc", required: true) }
      if c[attribute: "ticket"] == nil {
        report(.error, .missingAttribute, c, "the rsc_ticket has no ticket: add ticket=\"<ticket name>\"")
      }
      checkRole(c, "rsc-role")
      checkEnum(c, "loss-policy", TicketConstraint.lossPolicyValues)
    default: break
    }
  }


  mutating func checkFencingLevel(_ level: CIBElement) {
    let targets = ["target", "target-pattern", "target-attribute"].filter { level[attribute: $0] != nil }
    if targets.isEmpty {
      report(.error, .missingAttribute, level, "fencing-level has no target: add target=\"<node>\" (or target-pattern, target-attribute)")
    } else if targets.count > 1 {
      report(.error, .conflictingAttributes, level, "fencing-level sets \(targets.joined(separator: " and ")): keep only one kind of target")
    }
    if let t = level[attribute: "target"], !nodeNames.contains(t) {
      report(.warning, .unknownNode, level, "target \"\(t)\" is not a configured node: check the node name")
    }
    if let index = level[attribute: "index"] {
      if let n = parseInteger(index), n >= 1, n <= 9 {
      } else {
        report(.error, .invalidInteger, level, "index=\"\(index)\" is not valid: use an integer from 1 to 9")
      }
    } else {
      report(.error, .missingAttribute, level, "fencing-level has no index: add index=\"1\"")
    }
    guard let devices = level[attribute: "devices"], !devices.isEmpty else {
      report(.error, .missingAttribute, level, "fencing-level has no devices: add devices=\"<stonith resource id>[,...]\"")
      return
    }
    for device in devices.split(separator: ",").map({ String($0.trimmingCharacters()) }) {
      if let cls = primitiveClassByID[device] {
        if cls != "stonith" {
          report(.error, .unknownReference, level,
                 "device \"\(device)\" is a \(cls) resource, not a stonith device: list stonith resources only")
        }
      } else {
        report(.error, .unknownReference, level,
               "device \"\(device)\" references an unknown ID: create the stonith resource or correct the name")
      }
    }
  }
}
