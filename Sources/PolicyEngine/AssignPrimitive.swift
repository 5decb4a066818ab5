// Assigning one primitive to its best node (Pacemaker's pcmk_sched_primitive.c).

extension Assigner {
  mutating func assignPrimitive(_ r: Int, prefer: Int?) -> Int? {
    if let p = state.resources[r].parent, !assigning[p], provisional[p] {
      _ = assignResource(p, prefer: prefer)
    }
    guard provisional[r] else { return assigned[r] }
    guard !assigning[r] else { return nil }
    assigning[r] = true

    for c in thisWith[r] { applyThisWith(r, c) }
    for c in withThis[r] where c.influence || state.resources[r].runningOn.isEmpty {
      let factor = Float(c.score) / Float(ScoreMath.infinity)
      var table = allowed[r]
      addColocatedNodeScores(c.dependent, into: &table, attr: c.nodeAttribute, factor: factor,
                             onlyPositive: false, thisWithMode: false)
      allowed[r] = table
    }

    if nextRole[r] == .stopped {
      for n in 0..<nodeCount { allowed[r][n] = ScoreMath.minusInfinity }
    } else if nextRole[r] > state.resources[r].role && !state.options.haveQuorum && state.options.noQuorumPolicy == .freeze {
      nextRole[r] = state.resources[r].role
    }

    logScores("pcmk__primitive_assign", r)

    var managed = state.resources[r].managed
    if state.options.stonithEnabled && !state.options.haveStonithResource { managed = false }
    if !managed {
      let to = currentNode(r)
      nextRole[r] = state.resources[r].role
      finalize(r, to, force: true)
    } else if state.options.stopAllResources {
      finalize(r, nil, force: true)
    } else {
      assignBestNode(r, prefer: prefer)
    }
    assigning[r] = false
    return assigned[r]
  }

  mutating func assignBestNode(_ r: Int, prefer: Int?) {
    let mostCapable = banInsufficientCapacity(r)
    let prefer = prefer ?? mostCapable
    let running = currentNode(r)
    guard let best = bestNode(r, active: running) else { finalize(r, nil, force: false); return }
    var chosen: Int?
    if let p = prefer, let w = allowed[r][p] {
      if w >= (allowed[r][best] ?? ScoreMath.minusInfinity), available(p), w >= 0 { chosen = p }
    }
    if chosen == nil {
      chosen = best
      // Among the nodes tied with the best, stay on the current one (assign_best_node).
      let bw = allowed[r][best] ?? ScoreMath.minusInfinity
      let uniqueInstance = state.isInClone(r).map { state.resources[$0].unique } ?? false
      if !uniqueInstance && bw > 0 && available(best), let running, available(running),
         (allowed[r][running] ?? ScoreMath.minusInfinity) == bw {
        chosen = running
      }
    }
    finalize(r, chosen, force: false)
  }

  mutating func finalize(_ r: Int, _ node: Int?, force: Bool) {
    provisional[r] = false
    var chosen = node
    if !force, let n = chosen {
      let w = allowed[r][n] ?? ScoreMath.minusInfinity
      if w < 0 || !available(n) { chosen = nil }
    }
    guard let n = chosen else {
      assigned[r] = nil
      nextRole[r] = .stopped
      return
    }
    assigned[r] = n
    if nextRole[r] == .unknown || nextRole[r] == .stopped && !force {
      nextRole[r] = state.isPromotableInstance(r) ? .unpromoted : .started
    }
    nodeLoad[n] += 1
    consumeCapacity(n, r)
  }

  /// Records `r`'s scores, and for a collective its members' too (Pacemaker's pe__show_node_weights shows
  /// the whole subtree, skipping orphans).
  mutating func logScores(_ fn: String, _ r: Int) {
    scoreLog.append(ScoreLogEntry(function: fn, resource: r, scores: allowed[r]))
    for c in state.resources[r].children where !state.resources[c].isOrphan { logScores(fn, c) }
  }
}
