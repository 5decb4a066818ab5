import CIB

/// One resource set of a constraint as the scheduler expands it: tags and templates replaced by the resources
/// they stand for, `id-ref`s followed.
struct ConstraintSet {
  var id: String?
  var refs: [String]
  var sequential: Bool
  var role: String?
  var action: String?
  var scoreText: String?
  var requireAll: Bool
}

/// Constraints read through the CIB model and expanded into the scheduler's pairs (Pacemaker's
/// pcmk_sched_constraints.c). A constraint naming a tag or a template applies to every resource it stands
/// for: in `rsc`/`with-rsc`/`first`/`then` it becomes an unordered (sequential=false) set, and inside a
/// resource set its resources replace the reference in place (pcmk__tag_to_set, pcmk__expand_tags_in_sets).
extension CIBReader {
  /// Tags (`<tags>`) and templates (primitives' `template` attribute), each with the resources it stands for.
  mutating func collectTagMembers(_ configuration: CIBElement) {
    func visit(_ e: CIBElement) {
      if let id = e.id, ["primitive", "group", "clone", "master", "bundle"].contains(e.name) { resourceIDs.insert(id) }
      if e.name == "primitive", let id = e.id, let template = e[attribute: "template"] {
        tagMembers[template, default: []].append(id)
      }
      for child in e.elements where ["primitive", "group", "clone", "master", "bundle"].contains(child.name) {
        visit(child)
      }
    }
    if let rscs = configuration.firstElement(named: "resources") {
      for e in rscs.elements { visit(e) }
      for t in rscs.elements(named: "template") where tagMembers[t.id ?? ""] == nil {
        if let id = t.id { tagMembers[id] = [] }
      }
    }
    if let tags = configuration.firstElement(named: "tags") {
      for tag in tags.elements(named: "tag") {
        guard let id = tag.id else { continue }
        tagMembers[id] = tag.elements(named: "obj_ref").compactMap { $0.id }
      }
    }
  }

  /// A tag or template id (not a resource id).
  func isTag(_ id: String) -> Bool { !resourceIDs.contains(id) && tagMembers[id] != nil }

  /// The set itself, or the set its `id-ref` names (itself when the reference is dangling).
  func resolved(_ set: ResourceSet) -> ResourceSet {
    if let ref = set.idRef, let target = byID[ref] { return ResourceSet(decoding: target) }
    return set
  }

  /// A configured set with tag and template references expanded in place.
  func constraintSet(_ set0: ResourceSet) -> ConstraintSet {
    let set = resolved(set0)
    var refs: [String] = []
    for r in set.resources where !r.rawValue.isEmpty {
      if isTag(r.rawValue) { refs += tagMembers[r.rawValue] ?? [] } else { refs.append(r.rawValue) }
    }
    return ConstraintSet(id: set.id, refs: refs, sequential: isTrue(set.sequential ?? "true"), role: set.roleText,
                         action: set.action, scoreText: set.scoreText, requireAll: isTrue(set.requireAll ?? "true"))
  }

  /// A `rsc`-style reference as a set: a tag becomes an unordered set of its resources, a resource a set of one.
  func referenceSet(_ id: String, role: String?, action: String?) -> ConstraintSet {
    if isTag(id) {
      return ConstraintSet(id: id, refs: tagMembers[id] ?? [], sequential: false, role: role, action: action,
                           scoreText: nil, requireAll: true)
    }
    return ConstraintSet(id: id, refs: [id], sequential: true, role: role, action: action, scoreText: nil,
                         requireAll: true)
  }

  func location(_ c: CIBElement) -> [ExpandedLocation] {
    let m = LocationConstraint(decoding: c)
    let id = c.id ?? "location"
    let rules = m.rules.map { r in
      let rr = r.idRef.flatMap { byID[$0] }.map(Rule.init(decoding:)) ?? r
      return LocationRule(
        score: rr.scoreText.map { ScoreMath.parseOrZero($0) }, scoreAttribute: rr.scoreAttribute,
        role: rr.roleText, condition: rule(rr))
    }
    let score = ScoreMath.parseOrZero(m.scoreText)
    var targets: [(String?, String?, String?)] = []  // (rsc, pattern, role)
    if let rsc = m.rsc {
      for r in referenceSet(rsc.rawValue, role: nil, action: nil).refs { targets.append((r, nil, m.roleText)) }
    } else if let pattern = m.rscPattern {
      targets.append((nil, pattern, m.roleText))
    }
    for set0 in m.resourceSets {
      let set = constraintSet(set0)
      for r in set.refs { targets.append((r, nil, set.role ?? m.roleText)) }
    }
    return targets.map { t in
      ExpandedLocation(
        id: id, resource: t.0, resourcePattern: t.1, role: t.2, node: m.node?.rawValue, score: score, rules: rules,
        discovery: m.resourceDiscovery)
    }
  }

  func ticket(_ c: CIBElement) -> [ExpandedTicket] {
    let m = TicketConstraint(decoding: c)
    guard let ticket = m.ticket?.rawValue else { return [] }
    let id = c.id ?? "rsc_ticket"
    var sets: [ConstraintSet] = []
    if let rsc = m.rsc {
      sets.append(referenceSet(rsc.rawValue, role: m.rscRoleText, action: nil))
    } else {
      sets = m.resourceSets.map(constraintSet)
    }
    var out: [ExpandedTicket] = []
    for set in sets {
      for r in set.refs {
        out.append(ExpandedTicket(id: m.rsc != nil ? id : set.id ?? id, resource: r, ticket: ticket, role: set.role,
                                  lossPolicy: m.lossPolicy))
      }
    }
    return out
  }

  func colocation(_ c: CIBElement) -> [ExpandedColocation] {
    let m = ColocationConstraint(decoding: c)
    let id = c.id ?? "colocation"
    let score = ScoreMath.parseOrZero(m.scoreText)
    let influence = isTrue(m.influence ?? "true")
    var sets: [ConstraintSet]
    if let dep = m.rsc, let pri = m.withRsc {
      guard isTag(dep.rawValue) || isTag(pri.rawValue) else {
        return [
          ExpandedColocation(
            id: id, dependent: dep.rawValue, primary: pri.rawValue, score: score, dependentRole: m.rscRoleText,
            primaryRole: m.withRscRoleText, nodeAttribute: m.nodeAttribute, influence: influence)
        ]
      }
      // Colocating two tags or templates with each other means nothing; Pacemaker ignores the constraint.
      if isTag(dep.rawValue) && isTag(pri.rawValue) { return [] }
      sets = [referenceSet(dep.rawValue, role: m.rscRoleText, action: nil),
              referenceSet(pri.rawValue, role: m.withRscRoleText, action: nil)]
    } else {
      sets = m.resourceSets.map(constraintSet)
    }
    var out: [ExpandedColocation] = []
    var last: ConstraintSet?
    for set in sets {
      let setScore = set.scoreText.map { ScoreMath.parseOrZero($0) } ?? score
      let role = set.role
      let refs = set.refs
      if setScore != 0 && set.sequential {
        if setScore > 0 {
          for i in refs.indices.dropFirst() {
            out.append(ExpandedColocation(id: id, dependent: refs[i], primary: refs[i - 1], score: setScore,
                                          dependentRole: role, primaryRole: role, influence: influence))
          }
        } else {
          for i in refs.indices {
            for j in 0..<i {
              out.append(ExpandedColocation(id: id, dependent: refs[i], primary: refs[j], score: setScore,
                                            dependentRole: role, primaryRole: role, influence: influence))
            }
          }
        }
      }
      if let prev = last, score != 0 {
        let deps = prev.sequential ? Array(prev.refs.prefix(1)) : prev.refs
        let pris = set.sequential ? Array(refs.suffix(1)) : refs
        for d in deps {
          for p in pris {
            out.append(ExpandedColocation(id: id, dependent: d, primary: p, score: score, dependentRole: prev.role,
                                          primaryRole: role, influence: influence))
          }
        }
      }
      last = set
    }
    return out
  }

  func order(_ c: CIBElement) -> [ExpandedOrder] {
    let m = OrderConstraint(decoding: c)
    let id = c.id ?? "order"
    var kind: OrderKind = .mandatory
    if let k = m.kindText {
      switch k.lowercased() {
      case "optional": kind = .optional
      case "serialize": kind = .serialize
      default: kind = .mandatory
      }
    } else if let s = m.scoreText, ScoreMath.parseOrZero(s) == 0 {
      kind = .optional
    }
    let symmetricalDefault = kind != .serialize
    let symmetrical = m.symmetrical.map(isTrue) ?? symmetricalDefault
    var sets: [ConstraintSet]
    if let first = m.first, let then = m.then {
      guard isTag(first.rawValue) || isTag(then.rawValue) else {
        var o = ExpandedOrder(
          id: id, first: first.rawValue, firstAction: m.firstAction ?? "start", then: then.rawValue,
          thenAction: m.thenAction ?? m.firstAction ?? "start", kind: kind, symmetrical: symmetrical)
        o.requireAll = isTrue(m.requireAll ?? "true")
        return [o]
      }
      sets = [referenceSet(first.rawValue, role: nil, action: m.firstAction),
              referenceSet(then.rawValue, role: nil, action: m.thenAction)]
    } else {
      sets = m.resourceSets.map(constraintSet)
    }
    var out: [ExpandedOrder] = []
    var last: (refs: [String], action: String, sequential: Bool)?
    for set in sets {
      let refs = set.refs
      let action = set.action ?? "start"
      if set.sequential {
        for i in refs.indices.dropFirst() {
          out.append(ExpandedOrder(id: id, first: refs[i - 1], firstAction: action, then: refs[i],
                                   thenAction: action, kind: kind, symmetrical: symmetrical))
        }
      }
      if let prev = last {
        let firsts = prev.sequential ? Array(prev.refs.suffix(1)) : prev.refs
        let thens = set.sequential ? Array(refs.prefix(1)) : refs
        for f in firsts {
          for t in thens {
            out.append(ExpandedOrder(id: id, first: f, firstAction: prev.action, then: t, thenAction: action,
                                     kind: kind, symmetrical: symmetrical))
          }
        }
      }
      last = (refs, action, set.sequential)
    }
    return out
  }
}
