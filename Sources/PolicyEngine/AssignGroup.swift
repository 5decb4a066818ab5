// Assigning a group: its members in order, the group follows the first (Pacemaker's pcmk_sched_group.c).

extension Assigner {
  mutating func assignGroup(_ r: Int, prefer: Int?) -> Int? {
    guard provisional[r] else { return assigned[r] }
    guard !assigning[r] else { return nil }
    let kids = state.resources[r].children
    guard !kids.isEmpty else { provisional[r] = false; return nil }
    assigning[r] = true
    // Group-level colocations were routed to the first/last member when the lists were built.
    expandGroupColocations(r)
    logScores("pcmk__group_assign", r)
    var first: Int?
    for m in kids {
      let n = assignResource(m, prefer: prefer)
      if first == nil { first = n }
    }
    nextRole[r] = nextRole[kids[0]]
    provisional[r] = false
    assigning[r] = false
    assigned[r] = first
    return first
  }
}
