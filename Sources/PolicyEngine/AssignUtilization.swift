// Utilization and placement-strategy (Pacemaker's pcmk_sched_utilization.c): with any strategy but "default",
// a node must have enough remaining capacity for a resource and for everything mandatorily colocated with it
// that is not assigned yet; "balanced" also prefers the node with more remaining capacity.

extension Assigner {
  /// Does the placement strategy look at utilization at all?
  var checksUtilization: Bool { state.options.placementStrategy != "default" }

  /// Node `n` has at least `required` of every attribute left (a missing capacity counts as 0).
  func hasEnoughCapacity(_ n: Int, for required: [String: Int]) -> Bool {
    for (key, amount) in required where amount > (capacity[n][key] ?? 0) { return false }
    return true
  }

  /// Which node has more capacity left (pcmk__compare_node_capacities): < 0 when `a` has more, attribute by
  /// attribute (each attribute counts one, however large the difference).
  func compareCapacities(_ a: Int, _ b: Int) -> Int {
    var result = 0
    for (key, va) in capacity[a] {
      let vb = capacity[b][key] ?? 0
      if va > vb { result -= 1 } else if va < vb { result += 1 }
    }
    for (key, vb) in capacity[b] where capacity[a][key] == nil {
      if 0 > vb { result -= 1 } else if 0 < vb { result += 1 }
    }
    return result
  }

  /// Takes a resource's utilization from the node it was assigned to (or gives it back).
  mutating func consumeCapacity(_ n: Int, _ r: Int, release: Bool = false) {
    for (key, amount) in state.resources[r].utilization {
      let current = capacity[n][key]
      if release {
        capacity[n][key] = (current ?? 0) + amount
      } else if let current {
        capacity[n][key] = current - amount
      } else {
        capacity[n][key] = 0
      }
    }
  }

  /// `r` and every resource mandatorily colocated with it, in either direction, transitively
  /// (pcmk__colocated_resources and the group variant).
  func colocatedResources(_ r: Int, origin: Int, into list: inout [Int]) {
    guard !list.contains(r) else { return }
    let rsc = state.resources[r]
    if rsc.variant == .group {
      let colocated = isTrue(rsc.meta["collocated"] ?? "true")
      let cloned = rsc.parent.map { state.resources[$0].variant == .clone } ?? false
      if colocated || cloned {
        for m in rsc.children { colocatedResources(m, origin: origin, into: &list) }
      } else if let first = rsc.children.first {
        colocatedResources(first, origin: origin, into: &list)
      }
      guard !list.contains(r) else { return }
    }
    list.append(r)
    for c in thisWith[r] where c.primary != origin && c.score >= ScoreMath.infinity && affectsLocation(c) {
      colocatedResources(c.primary, origin: origin, into: &list)
    }
    for c in withThis[r] where c.dependent != origin && c.score >= ScoreMath.infinity && affectsLocation(c) {
      if rsc.variant == .clone && state.resources[c.dependent].variant != .clone { continue }
      colocatedResources(c.dependent, origin: origin, into: &list)
    }
  }

  /// Whether a colocation (previewed before assignment) constrains location rather than only role.
  func affectsLocation(_ c: Colocation) -> Bool {
    if c.dependentRole >= .unpromoted, let p = state.resources[c.dependent].parent, state.resources[p].promotable,
       !provisional[c.dependent] { return false }
    if c.score > 0 && c.dependentRole != .unknown && c.dependentRole != nextRole[c.dependent] { return false }
    if c.score > 0 && c.primaryRole != .unknown && c.primaryRole != nextRole[c.primary] { return false }
    if c.score < 0 && c.dependentRole != .unknown && c.dependentRole == nextRole[c.dependent] { return false }
    if c.score < 0 && c.primaryRole != .unknown && c.primaryRole == nextRole[c.primary] { return false }
    return true
  }

  /// The utilization of the resources in `list` that are not assigned yet (each variant's add_utilization).
  func addUtilization(_ r: Int, list: [Int], into sum: inout [String: Int]) {
    guard provisional[r] else { return }
    let rsc = state.resources[r]
    switch rsc.variant {
    case .primitive:
      for (key, amount) in rsc.utilization { sum[key] = (sum[key] ?? 0) + amount }
    case .group:
      let colocated = isTrue(rsc.meta["collocated"] ?? "true")
      let cloned = rsc.parent.map { state.resources[$0].variant == .clone } ?? false
      if colocated || cloned {
        for m in rsc.children where provisional[m] && !list.contains(m) { addUtilization(m, list: list, into: &sum) }
      } else if let first = rsc.children.first, provisional[first], !list.contains(first) {
        addUtilization(first, list: list, into: &sum)
      }
    case .clone:
      var existing = false
      for child in rsc.children {
        if list.contains(child) {
          existing = true
        } else if state.resources[child].children.contains(where: { list.contains($0) }) {
          addUtilization(child, list: list, into: &sum)
          existing = true
        }
      }
      if !existing, let first = rsc.children.first { addUtilization(first, list: list, into: &sum) }
    }
  }

  /// Bans `r` from nodes without room (pcmk__ban_insufficient_capacity). When some node has room for `r` and
  /// everything colocated with it, nodes without that room are banned; otherwise only nodes without room for
  /// `r` alone are, and the node with the most capacity left is returned as the preferred one.
  mutating func banInsufficientCapacity(_ r: Int) -> Int? {
    guard checksUtilization else { return nil }
    var list: [Int] = []
    colocatedResources(r, origin: r, into: &list)
    if !list.contains(r) { list.append(r) }
    var together: [String: Int] = [:]
    for x in list { addUtilization(x, list: list, into: &together) }
    func usable(_ n: Int) -> Bool {
      guard available(n), let w = allowed[r][n] else { return false }
      return w >= 0
    }
    var anyCapable = false
    var mostCapable: Int?
    for n in 0..<nodeCount where allowed[r][n] != nil {
      guard usable(n) else { continue }
      if hasEnoughCapacity(n, for: together) { anyCapable = true }
      if mostCapable == nil || compareCapacities(n, mostCapable!) < 0 { mostCapable = n }
    }
    let required = anyCapable ? together : state.resources[r].utilization
    for n in 0..<nodeCount where usable(n) && !hasEnoughCapacity(n, for: required) {
      allowed[r][n] = ScoreMath.add(allowed[r][n] ?? 0, ScoreMath.minusInfinity)
    }
    return anyCapable ? nil : mostCapable
  }

  /// The order resources are assigned in when utilization matters (cmp_resources): priority, then the score
  /// (own plus colocated, as seen before assignment) on the current node, then the scores on each node in node
  /// order, highest first; ties keep configuration order.
  mutating func utilizationOrder(_ resources: [Int]) -> [Int] {
    var tables: [Int: [Int?]] = [:]
    for r in resources {
      var table = WalkTable(allowed[r], available: availableNode)
      merging[r] = true
      if table.availableCount > 0 {
        for c in thisWith[r] {
          walkColocated(c.primary, &table, attr: c.nodeAttribute, factor: Float(c.score) / Float(ScoreMath.infinity),
                        onlyPositive: false, thisWithMode: true, active: true)
        }
      }
      merging[r] = false
      tables[r] = table.scores
    }
    let nodeOrder = (0..<nodeCount).sorted { a, b in
      if balancedPlacement {
        let c = compareCapacities(a, b)
        if c != 0 { return c < 0 }
      }
      return nodeNameRank[a] < nodeNameRank[b]
    }
    func score(_ r: Int, _ n: Int?) -> Int {
      guard let n, let w = tables[r]?[n] else { return ScoreMath.minusInfinity }
      return w
    }
    func compare(_ a: Int, _ b: Int) -> Int {
      let pa = state.resources[a].priority, pb = state.resources[b].priority
      if pa != pb { return pa > pb ? -1 : 1 }
      let ca = state.resources[a].runningOn.isEmpty ? nil : currentNode(a)
      let cb = state.resources[b].runningOn.isEmpty ? nil : currentNode(b)
      let wa = score(a, ca), wb = score(b, cb)
      if wa != wb { return wa > wb ? -1 : 1 }
      for n in nodeOrder {
        let x = score(a, n), y = score(b, n)
        if x != y { return x > y ? -1 : 1 }
      }
      return 0
    }
    return stableSorted(resources) { compare($0, $1) < 0 }
  }
}
