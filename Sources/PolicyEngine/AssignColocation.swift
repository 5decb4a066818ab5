import CIB

// Colocations during assignment (Pacemaker's pcmk_sched_colocation.c): the sorted "this with" / "with this"
// lists, and how a primary's placement adds to its dependents' node scores.

extension Assigner {
  /// Pacemaker keeps each resource's colocation lists sorted (g_list_insert_sorted): "this with" lists by the
  /// primary's priority, variant (clones first), promotable, id; "with this" lists likewise by the dependent.
  /// A new entry goes before existing equal ones, exactly as the GLib insertion does.
  func colocationKeyLess(_ a: Int, _ b: Int) -> Int {
    let ra = state.resources[a], rb = state.resources[b]
    if ra.priority != rb.priority { return ra.priority > rb.priority ? -1 : 1 }
    let va = variantRank(ra.variant), vb = variantRank(rb.variant)
    if va != vb { return va > vb ? -1 : 1 }
    if ra.variant == .clone && ra.promotable != rb.promotable { return ra.promotable ? -1 : 1 }
    if ra.id == rb.id { return 0 }
    return ra.id.utf8.lexicographicallyPrecedes(rb.id.utf8) ? -1 : 1
  }

  func variantRank(_ v: ResourceState.Variant) -> Int {
    switch v {
    case .primitive: return 0
    case .group: return 1
    case .clone: return 2
    }
  }

  mutating func addThisWith(_ r: Int, _ c: Colocation) {
    var list = thisWith[r]
    var i = 0
    while i < list.count && colocationKeyLess(c.primary, list[i].primary) > 0 { i += 1 }
    list.insert(c, at: i)
    thisWith[r] = list
  }

  mutating func addWithThis(_ r: Int, _ c: Colocation) {
    var list = withThis[r]
    var i = 0
    while i < list.count && colocationKeyLess(c.dependent, list[i].dependent) > 0 { i += 1 }
    list.insert(c, at: i)
    withThis[r] = list
  }

  mutating func addColocation(_ c: Colocation) {
    addThisWith(c.dependent, c)
    addWithThis(c.primary, c)
  }

  mutating func buildColocations() {
    // Configured colocations first, as Pacemaker unpacks them before creating the implicit ones. Groups keep
    // their own lists until they are assigned (expandGroupColocations), as Pacemaker's groups do.
    for c in state.input.colocations {
      guard c.score != 0, let d = constraintResource(state, c.dependent), let p = constraintResource(state, c.primary),
            d != p else { continue }
      func role(_ s: String?) -> Role {
        guard let s, let r = Role(parsing: s) else { return .unknown }
        return r == .started ? .unknown : r
      }
      addColocation(Colocation(id: c.id, dependent: d, primary: p, score: c.score, dependentRole: role(c.dependentRole),
                               primaryRole: role(c.primaryRole), nodeAttribute: c.nodeAttribute,
                               influence: c.influence))
    }
    // Group internals: each member with the previous one.
    for r in state.resources where r.variant == .group {
      let collocated = isTrue(r.meta["collocated"] ?? "true")
      guard collocated else { continue }
      for (i, m) in r.children.enumerated() where i > 0 {
        addColocation(Colocation(id: "group:internal_colocation", dependent: m, primary: r.children[i - 1],
                                 score: ScoreMath.infinity, dependentRole: .unknown, primaryRole: .unknown,
                                 nodeAttribute: nil, influence: true))
      }
    }
  }

  /// When a group is assigned, "group with X" becomes "first member with X" and "X with group" becomes
  /// "X with last member" (Pacemaker's expand_group_colocations). Before that, walks through the group's
  /// members do not see the group's own colocations.
  mutating func expandGroupColocations(_ g: Int) {
    let kids = state.resources[g].children
    guard let first = kids.first, let last = kids.last else { return }
    let own = thisWith[g]
    for c in own { addThisWith(first, c) }
    var anyUnmanaged = !state.resources[first].managed
    for m in kids.dropFirst() {
      if anyUnmanaged {
        for c in own where c.score == ScoreMath.infinity { addThisWith(m, c) }
      } else if !state.resources[m].managed {
        anyUnmanaged = true
      }
    }
    thisWith[g] = []
    for c in withThis[g] { addWithThis(last, c) }
    withThis[g] = []
  }

  mutating func applyThisWith(_ r: Int, _ c: Colocation) {
    let primary = c.primary
    let archive: [Int?]? = (c.dependentRole >= .promoted || (c.score < 0 && c.score > ScoreMath.minusInfinity))
      ? allowed[r] : nil
    _ = assignResource(primary, prefer: nil)
    applyColocScore(dependent: r, primary: primary, c)
    if let archive, !anyAvailable(allowed[r]) { allowed[r] = archive }
  }

  /// Apply colocation `c` to primitive `dependent`'s scores from `primary` (any variant).
  mutating func applyColocScore(dependent: Int, primary: Int, _ c: Colocation) {
    switch state.resources[primary].variant {
    case .primitive:
      applyColocToWeights(dependent: dependent, primaryNode: primaryNodeIfAffects(dependent, primary, c), c,
                          primaryProvisional: provisional[primary])
    case .group:
      guard !provisional[primary] else { return }
      let kids = state.resources[primary].children
      guard let member = c.score >= ScoreMath.infinity ? kids.last : kids.first else { return }
      applyColocScore(dependent: dependent, primary: member, c)
    case .clone:
      guard !provisional[primary] else { return }
      let instances = state.resources[primary].children
      if c.score >= ScoreMath.infinity {
        var nodes = Set<Int>()
        for i in instances {
          if let n = locationOf(i), !state.resources[i].blocked {
            if c.primaryRole == .unknown || roleOf(i) == c.primaryRole { nodes.insert(n) }
          }
        }
        for n in 0..<nodeCount where !nodes.contains(n) && allowed[dependent][n] != nil {
          allowed[dependent][n] = ScoreMath.minusInfinity
        }
        return
      }
      for i in instances {
        if c.primaryRole != .unknown && roleOf(i) != c.primaryRole { continue }
        if let n = locationOf(i) {
          applyColocToWeights(dependent: dependent, primaryNode: n, c, primaryProvisional: false, single: true)
        }
      }
    }
  }

  func locationOf(_ r: Int) -> Int? {
    if state.resources[r].isPrimitive { return assigned[r] }
    for c in state.resources[r].children { if let n = locationOf(c) { return n } }
    return nil
  }

  func roleOf(_ r: Int) -> Role {
    if state.resources[r].isPrimitive { return nextRole[r] }
    var role = Role.stopped
    for c in state.resources[r].children { role = max(role, roleOf(c)) }
    return role
  }

  /// Pacemaker's pcmk__colocation_affects for a primitive primary: nil when it does not apply.
  func primaryNodeIfAffects(_ dependent: Int, _ primary: Int, _ c: Colocation) -> Int?? {
    if provisional[primary] { return .none }
    if c.score > 0 && c.dependentRole != .unknown && c.dependentRole != nextRole[dependent] && !(c.dependentRole == .started) {
      if !(c.dependentRole == .unpromoted && nextRole[dependent] == .unknown) { return .none }
    }
    if c.score > 0 && c.primaryRole != .unknown && c.primaryRole != nextRole[primary] { return .none }
    if c.score < 0 && c.dependentRole != .unknown && c.dependentRole == nextRole[dependent] { return .none }
    if c.score < 0 && c.primaryRole != .unknown && c.primaryRole == nextRole[primary] { return .none }
    return .some(assigned[primary])
  }

  mutating func applyColocToWeights(dependent: Int, primaryNode: Int??, _ c: Colocation, primaryProvisional: Bool,
                                    single: Bool = false) {
    guard case .some(let pn) = primaryNode else { return }
    if pn == nil && c.score < 0 { return }
    var work = allowed[dependent]
    let cls = classes(c.nodeAttribute)
    // A node matches the primary's node when their attribute values are equal (a missing value matches none).
    let primaryClass = pn.flatMap { p in nodeAttribute(p, c.nodeAttribute) == nil ? nil : cls[p] }
    for n in 0..<nodeCount {
      guard let w = work[n] else { continue }
      if pn == nil {
        work[n] = ScoreMath.add(-c.score, w)
      } else if let pc = primaryClass, cls[n] == pc {
        if c.score < ScoreMath.infinity { work[n] = ScoreMath.add(c.score, w) }
      } else if c.score >= ScoreMath.infinity && !single {
        work[n] = ScoreMath.add(-c.score, w)
      }
    }
    if c.score <= ScoreMath.minusInfinity || c.score >= ScoreMath.infinity || anyAvailable(work) {
      allowed[dependent] = work
    }
  }

  /// Pacemaker's pcmk__add_colocated_node_scores: fold `rsc`'s (and, recursively, its dependents') preferences
  /// into `nodes`, attenuated by `factor`. `active` is Pacemaker's pcmk__coloc_select_active: when the merged
  /// scores leave no node available, the whole contribution of `rsc` is rolled back.
  ///
  /// A group contributes through its first member (whose walk follows the internal colocations down the
  /// members) and then through the "with group" colocations its last member holds once the group is assigned.
  mutating func addColocatedNodeScores(_ rsc: Int, into nodes: inout [Int?], attr: String?, factor: Float,
                                       onlyPositive: Bool, thisWithMode: Bool, active: Bool = true) {
    var table = WalkTable(nodes, available: availableNode)
    walkColocated(rsc, &table, attr: attr, factor: factor, onlyPositive: onlyPositive, thisWithMode: thisWithMode,
                  active: active)
    nodes = table.scores
  }

  /// One step of the walk, in place on `table`: a rollback undoes exactly the changes made since this step
  /// began (the table's undo log), so no level copies the scores.
  mutating func walkColocated(_ rsc: Int, _ table: inout WalkTable, attr: String?, factor: Float,
                              onlyPositive: Bool, thisWithMode: Bool, active: Bool) {
    guard !merging[rsc] else { return }
    merging[rsc] = true
    defer { merging[rsc] = false }
    let mark = table.undoCount
    let isGroup = state.resources[rsc].variant == .group
    if isGroup {
      guard let first = state.resources[rsc].children.first else { return }
      walkColocated(first, &table, attr: attr, factor: factor, onlyPositive: onlyPositive,
                    thisWithMode: thisWithMode, active: active)
    } else {
      addNodeScoresMatchingAttr(&table, from: rsc, attr: attr, factor: factor, onlyPositive: onlyPositive)
    }
    if table.availableCount > 0 {
      let multiplier: Float = factor < 0 ? -1 : 1
      let owner = thisWithMode || !isGroup ? rsc : (state.resources[rsc].children.last ?? rsc)
      let count = thisWithMode ? thisWith[owner].count : withThis[owner].count
      for i in 0..<count {
        let c = thisWithMode ? thisWith[owner][i] : withThis[owner][i]
        let other: Int
        if thisWithMode {
          other = c.primary
        } else {
          guard c.influence || state.resources[c.primary].runningOn.isEmpty else { continue }
          other = c.dependent
        }
        let f = multiplier * Float(c.score) / Float(ScoreMath.infinity)
        walkColocated(other, &table, attr: c.nodeAttribute, factor: f, onlyPositive: onlyPositive,
                      thisWithMode: thisWithMode, active: true)
      }
    } else if active {
      table.rollBack(to: mark)
      return
    }
    if onlyPositive {
      for n in 0..<nodeCount where table.scores[n] == Self.infinityHack { table.set(n, 1) }
    }
  }

  /// Pacemaker marks a node it must not make negative with this value while merging (INFINITY * -100).
  static let infinityHack = ScoreMath.infinity * -100

  /// Node classes per colocation attribute: nodes with equal (case-insensitive) values share a class; a missing
  /// value is a class of its own (it matches other missing values, as Pacemaker's string comparison does).
  static func attributeClasses(_ nodes: [SchedulerNode], _ attr: String?) -> [Int] {
    var ids: [String?: Int] = [:]
    return nodes.map { node in
      let v: String?
      if attr == nil || attr == "#uname" { v = node.name.lowercased() }
      else if attr == "#id" { v = node.id.lowercased() }
      else { v = node.attributes[attr!]?.lowercased() }
      if let id = ids[v] { return id }
      let id = ids.count
      ids[v] = id
      return id
    }
  }

  func classes(_ attr: String?) -> [Int] {
    guard let attr, attr != "#uname" else { return unameClasses }
    return attrClasses[attr] ?? Self.attributeClasses(state.nodes, attr)
  }

  /// For each node of `table`, add `factor` times `rsc`'s best score among available nodes with the same
  /// attribute value (Pacemaker's add_node_scores_matching_attr), in O(nodes).
  mutating func addNodeScoresMatchingAttr(_ table: inout WalkTable, from rsc: Int, attr: String?, factor: Float,
                                          onlyPositive: Bool) {
    let cls = classes(attr)
    // With one node per class (node names), each node gets the source's own score, and only the nodes where
    // that score is not 0 can change: those come from the rows' cached list, not a scan of every node.
    let identity = cls.count == nodeCount && (attr == nil || attr == "#uname") && uniqueNames
    if identity {
      let entries = allowed.nonZeroEffectiveScores(rsc)
      for e in entries {
        addWeighted(&table, node: Int(e.node), score: e.score, factor: factor, onlyPositive: onlyPositive)
      }
      return
    }
    let source = allowed[rsc]
    var best = [Int](repeating: ScoreMath.minusInfinity, count: nodeCount)
    for m in 0..<nodeCount {
      guard let w = source[m], w > best[cls[m]], availableNode[m] else { continue }
      best[cls[m]] = w
    }
    for n in 0..<nodeCount {
      let score = best[cls[n]]
      // A zero score adds nothing (weight 0, and add(0, x) == x).
      if score == 0 { continue }
      addWeighted(&table, node: n, score: score, factor: factor, onlyPositive: onlyPositive)
    }
  }

  /// Adds `factor` times `score` to one node of the walk (Pacemaker's rounding, and the INFINITY*-100 marker
  /// for nodes that must not become negative when only positive preferences count).
  @inline(__always)
  func addWeighted(_ table: inout WalkTable, node n: Int, score: Int, factor: Float, onlyPositive: Bool) {
    guard let current = table.scores[n] else { return }
    if factor < 0 && score < 0 { return }
    let hack = Self.infinityHack
    if current == hack { return }
    let wf = factor * Float(score)
    var weight = Int(wf < 0 ? wf - 0.5 : wf + 0.5)
    if weight == 0 && score != 0 { weight = factor > 0 ? 1 : (factor < 0 ? -1 : 0) }
    let newScore = ScoreMath.add(weight, current)
    if onlyPositive && newScore < 0 && current > 0 { table.set(n, hack); return }
    if onlyPositive && newScore < 0 && current == 0 { return }
    if newScore != current { table.set(n, newScore) }
  }
}
