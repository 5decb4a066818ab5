import CIB

// Choosing which instances of a promotable clone are promoted (Pacemaker's pcmk_sched_promotable.c).

extension Assigner {
  /// Promotion score of an instance on a node from the `master-<id>` node attribute (crm_master), or nil when
  /// none applies; cloned groups sum their members.
  func promotionScore(_ inst: Int, _ n: Int) -> Int? {
    if !state.resources[inst].isPrimitive {
      var total = 0
      var any = false
      for c in state.resources[inst].children {
        if let s = promotionScore(c, n) { total = ScoreMath.add(total, s); any = true }
      }
      return any ? total : nil
    }
    guard promotionScoreApplies(inst, n) else { return nil }
    let attrs = state.nodes[n].attributes
    if let v = attrs["master-\(state.resources[inst].id)"] { return ScoreMath.parseOrZero(v) }
    if let v = attrs["master-\(state.resources[inst].baseID)"] { return ScoreMath.parseOrZero(v) }
    return nil
  }

  func promotionScoreApplies(_ inst: Int, _ n: Int) -> Bool {
    guard let clone = state.isInClone(inst) else { return false }
    func allowedHere() -> Bool { (allowed[inst][n] ?? ScoreMath.minusInfinity) >= 0 }
    if !state.resources[clone].unique {
      let same = state.allPrimitives(under: clone).filter { state.resources[$0].baseID == state.resources[inst].baseID }
      let active = same.first { state.resources[$0].runningOn.contains(n) }
      if active == inst { return allowedHere() }
      if active == nil && same.contains(where: { state.resources[$0].knownOn.contains(n) }) { return allowedHere() }
    }
    if state.resources[inst].runningOn.isEmpty && state.resources[inst].knownOn.isEmpty { return allowedHere() }
    if state.resources[inst].knownOn.contains(n) || state.resources[inst].runningOn.contains(n) { return allowedHere() }
    return false
  }

  /// Before placing a promotable clone's instances, positive promotion scores raise node preferences.
  mutating func addPromotionScores(_ r: Int) {
    for inst in state.resources[r].children {
      for n in 0..<nodeCount where allowed[inst][n] != nil && available(n) {
        guard let score = promotionScore(inst, n) else { continue }
        if score > 0 { allowed[inst][n] = ScoreMath.add(allowed[inst][n]!, score) }
        if score > priority[inst] { priority[inst] = score }
      }
    }
  }

  /// Pacemaker's pcmk__set_instance_roles: promotion priorities, sort, then promote the first eligible ones.
  mutating func setPromotableRoles(_ r: Int) {
    let clone = state.resources[r]
    var sortIndex = [Int: Int]()
    var prio = [Int: Int]()
    for inst in clone.children {
      guard let n = locationOf(inst) else { sortIndex[inst] = 0; prio[inst] = priority[inst]; continue }
      let explicit = initialNextRole(inst)
      var p: Int
      switch explicit {
      case .unpromoted, .stopped:
        p = ScoreMath.minusInfinity
      case .promoted:
        p = priority[inst]
      default:
        p = promotionScore(inst, n) ?? -1
      }
      for loc in roleLocations[inst] where loc.node == n && loc.role == .promoted {
        p = ScoreMath.add(p, loc.score)
      }
      for c in thisWith[r] where c.dependentRole == .promoted || c.dependentRole == .unpromoted {
        guard let pn = locationOf(c.primary) else { continue }
        let same = nodeAttribute(pn, c.nodeAttribute)?.lowercased() == nodeAttribute(n, c.nodeAttribute)?.lowercased()
        if !same {
          if c.score >= ScoreMath.infinity && c.dependentRole == .promoted { p = ScoreMath.minusInfinity }
          continue
        }
        if c.primaryRole != .unknown && c.primaryRole != roleOf(c.primary) { continue }
        p = ScoreMath.add((c.dependentRole == .unpromoted ? -1 : 1) * c.score, p)
      }
      prio[inst] = p
      sortIndex[inst] = explicit == .promoted ? ScoreMath.infinity : p
    }
    // Merge per-node preferences into the clone's scores.
    var weights = allowed[r]
    for inst in clone.children {
      guard let si = sortIndex[inst], si >= 0, let n = locationOf(inst) else { continue }
      weights[n] = ScoreMath.add(si, weights[n] ?? 0)
    }
    for c in thisWith[r] where c.dependentRole == .promoted {
      let factor = Float(c.score) / Float(ScoreMath.infinity)
      addColocatedNodeScores(c.primary, into: &weights, attr: c.nodeAttribute, factor: factor, onlyPositive: false,
                             thisWithMode: false)
    }
    for c in withThis[r] where c.primaryRole == .promoted && (c.influence || clone.runningOn.isEmpty) {
      let factor = Float(c.score) / Float(ScoreMath.infinity)
      addColocatedNodeScores(c.dependent, into: &weights, attr: c.nodeAttribute, factor: factor, onlyPositive: true,
                             thisWithMode: false)
    }
    // Without the ticket its promoted role needs, the clone is banned everywhere for promotion.
    if lacksPromotionTicket(r) {
      for n in 0..<nodeCount where weights[n] != nil { weights[n] = ScoreMath.minusInfinity }
    }
    for inst in clone.children {
      let managed = state.resources[inst].managed
      if !managed && state.resources[inst].role == .promoted {
        sortIndex[inst] = ScoreMath.infinity
      } else if let n = locationOf(inst), let si = sortIndex[inst], si >= 0 {
        sortIndex[inst] = weights[n] ?? si
      }
    }

    let ordered = stableSorted(sortInstances(clone.children, clone: r)) { a, b in
      let sa = sortIndex[a] ?? 0, sb = sortIndex[b] ?? 0
      if sa != sb { return sa > sb }
      return state.resources[a].role > state.resources[b].role
    }
    var promoted = 0
    var perNode = [Int](repeating: 0, count: nodeCount)
    for inst in ordered {
      if let n = locationOf(inst) {
        let score = sortIndex[inst] ?? 0
        promotionLines.append("\(state.resources[inst].id) promotion score on \(state.nodes[n].name): \(ScoreMath.text(score))")
      }
      var role = Role.unpromoted
      if (sortIndex[inst] ?? 0) >= 0 && (promoted < clone.promotedMax || !clone.managed), let n = locationOf(inst) {
        var ok = true
        let managed = state.resources[inst].managed
        if !managed && state.resources[inst].role != .promoted { ok = false }
        if managed && (prio[inst] ?? 0) < 0 { ok = false }
        if !available(n) { ok = false }
        if allowed[r][n] == nil { ok = false }
        if managed && perNode[n] >= clone.promotedNodeMax { ok = false }
        if ok && state.resources[inst].role < .promoted && !state.options.haveQuorum
          && state.options.noQuorumPolicy == .freeze { ok = false }
        if ok {
          role = .promoted
          promoted += 1
          perNode[n] += 1
        }
      }
      for x in subtree(inst) where state.resources[x].isPrimitive && assigned[x] != nil {
        nextRole[x] = role
      }
      nextRole[inst] = role
    }
  }
}
