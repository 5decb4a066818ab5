import CIB

// Assigning clone instances across nodes (Pacemaker's pcmk_sched_clone.c and pcmk_sched_instances.c).

extension Assigner {
  mutating func assignClone(_ r: Int, prefer: Int?) {
    guard provisional[r], !assigning[r] else { return }
    assigning[r] = true
    let clone = state.resources[r]
    for c in thisWith[r] { _ = assignResource(c.primary, prefer: prefer) }
    for c in withThis[r] where c.influence || clone.runningOn.isEmpty {
      let factor = Float(c.score) / Float(ScoreMath.infinity)
      var table = allowed[r]
      addColocatedNodeScores(c.dependent, into: &table, attr: c.nodeAttribute, factor: factor,
                             onlyPositive: true, thisWithMode: false)
      allowed[r] = table
    }
    if clone.promotable { addPromotionScores(r) }
    logScores("pcmk__clone_allocate", r)

    // Instances inherit the clone's colocations.
    let available0 = (0..<nodeCount).filter { available($0) }.count
    let allColoc = clone.cloneMax < available0
    for inst in clone.children {
      for c in thisWith[r] where allColoc || c.score < 0 || c.score == ScoreMath.infinity {
        var ic = c
        ic.dependent = inst
        thisWith[firstPrimitiveOrSelf(inst)].append(ic)
      }
    }

    let instances = sortInstances(clone.children, clone: r)
    var count = [Int](repeating: 0, count: nodeCount)
    let maxTotal = clone.cloneMax
    let perNode = clone.cloneNodeMax
    let availableNodes = (0..<nodeCount).filter { available($0) }.count
    var loopMax = availableNodes > 0 ? maxTotal / availableNodes : 0
    if loopMax < 1 { loopMax = 1 }
    var done = 0

    // Keep active instances where they are when possible.
    for inst in instances where done < maxTotal {
      let rsc = state.resources[inst]
      guard let cur = currentNodeOfInstance(inst), provisional[inst], !instanceFailed(inst) else { continue }
      guard available(cur), (allowed[r][cur] ?? ScoreMath.minusInfinity) >= 0 || allowed[r][cur] == nil && false else {
        continue
      }
      if count[cur] >= loopMax { continue }
      _ = rsc
      if assignInstance(inst, prefer: cur, perNode: perNode, count: &count, clone: r) { done += 1 }
    }
    for inst in instances {
      guard provisional[inst] else { continue }
      if done >= maxTotal {
        banEverywhere(inst)
        markStopped(inst)
      } else if assignInstance(inst, prefer: nil, perNode: perNode, count: &count, clone: r) {
        done += 1
      }
    }
    cloneNodeCount[r] = count
    if clone.promotable { setPromotableRoles(r) }
    provisional[r] = false
    assigning[r] = false
  }

  func firstPrimitiveOrSelf(_ r: Int) -> Int {
    if state.resources[r].variant == .group, let f = state.resources[r].children.first { return f }
    return r
  }

  func currentNodeOfInstance(_ inst: Int) -> Int? {
    let prims = state.allPrimitives(under: inst)
    for p in prims { if let n = state.currentNode(p) { return n } }
    return nil
  }

  func instanceFailed(_ inst: Int) -> Bool {
    state.allPrimitives(under: inst).contains { state.resources[$0].failed }
  }

  mutating func banEverywhere(_ inst: Int) {
    for x in subtree(inst) { for n in 0..<nodeCount where allowed[x][n] != nil { allowed[x][n] = ScoreMath.minusInfinity } }
  }

  mutating func markStopped(_ inst: Int) {
    for x in subtree(inst) {
      provisional[x] = false
      assigned[x] = nil
      nextRole[x] = .stopped
    }
  }

  func subtree(_ r: Int) -> [Int] {
    var out = [r]
    for c in state.resources[r].children { out += subtree(c) }
    return out
  }

  /// Pacemaker's instance order: fewer active nodes, allowed, priority, active, current node usable, fewer
  /// instances on the current node, not failed, instance number.
  func sortInstances(_ list: [Int], clone: Int) -> [Int] {
    func activeCount(_ i: Int) -> Int {
      var s = Set<Int>()
      for p in state.allPrimitives(under: i) { s.formUnion(state.resources[p].runningOn) }
      return s.count
    }
    return stableSorted(list) { a, b in
      let na = activeCount(a), nb = activeCount(b)
      if na > 0 && nb > 0 && na != nb { return na < nb }
      let ca = currentNodeOfInstance(a), cb = currentNodeOfInstance(b)
      let alA = ca.map { (allowed[a][$0] ?? ScoreMath.minusInfinity) >= 0 } ?? true
      let alB = cb.map { (allowed[b][$0] ?? ScoreMath.minusInfinity) >= 0 } ?? true
      let canA = ca != nil ? alA : false, canB = cb != nil ? alB : false
      _ = canA; _ = canB
      if state.resources[a].priority != state.resources[b].priority {
        return state.resources[a].priority > state.resources[b].priority
      }
      if ca == nil && cb == nil { return false }
      if ca == nil { return false }
      if cb == nil { return true }
      let avA = available(ca!), avB = available(cb!)
      if avA != avB { return avA }
      let fa = instanceFailed(a), fb = instanceFailed(b)
      if fa != fb { return !fa }
      return (state.resources[a].instanceNumber ?? 0) < (state.resources[b].instanceNumber ?? 0)
    }
  }

  mutating func assignInstance(_ inst: Int, prefer: Int?, perNode: Int, count: inout [Int], clone: Int) -> Bool {
    guard provisional[inst] else { return locationOf(inst) != nil }
    // can_run_instance: nodes unavailable or at the per-node limit are excluded.
    for x in [inst] + (state.resources[inst].variant == .group ? state.resources[inst].children : []) {
      for n in 0..<nodeCount {
        guard allowed[x][n] != nil else { continue }
        let top = allowed[clone][n]
        if !available(n) || state.resources[inst].isOrphan || top == nil {
          allowed[x][n] = ScoreMath.minusInfinity
        } else if let t = top, t < 0 {
          allowed[x][n] = ScoreMath.add(allowed[x][n]!, t) < t ? ScoreMath.add(allowed[x][n]!, t) : t
          allowed[x][n] = min(allowed[x][n]!, t)
        } else if count[n] >= perNode {
          allowed[x][n] = ScoreMath.minusInfinity
        }
      }
    }
    if let p = prefer {
      guard let w = allowed[inst][p], w >= 0 else { return false }
    }
    let backup = allowed
    let backupLoad = nodeLoad
    let backupCapacity = capacity
    let chosen = assignResource(inst, prefer: prefer)
    if let c = chosen, let p = prefer, c != p {
      // Not pre-assigning to the preferred node because another is better: undo.
      allowed = backup
      nodeLoad = backupLoad
      capacity = backupCapacity
      for x in subtree(inst) { provisional[x] = true; assigned[x] = nil; nextRole[x] = initialNextRole(x) }
      return false
    }
    if prefer != nil && chosen == nil {
      allowed = backup
      nodeLoad = backupLoad
      capacity = backupCapacity
      for x in subtree(inst) { provisional[x] = true; assigned[x] = nil; nextRole[x] = initialNextRole(x) }
      return false
    }
    if let c = chosen { count[c] += 1; return true }
    return false
  }

  func initialNextRole(_ r: Int) -> Role {
    var role = Role.unknown
    if let s = state.resources[r].nextRoleFromStatus { role = s }
    if let t = state.resources[r].targetRole, role == .unknown || t < role { role = t }
    return role
  }
}
