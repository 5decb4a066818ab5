/// Pacemaker's `priority-fencing-delay`: fencing a lost node is delayed when that node holds the highest total
/// resource priority and this partition does not hold more than half of the cluster's members, so in a two-node
/// split the side running the more important resources survives the fence race. No delay when the target is online
/// here, is not a cluster member, or when every member has the same priority.
public func priorityFencingDelay(_ state: ClusterState, target: String, delay: Duration) -> Duration {
  guard delay > .zero, let t = state.node(named: target) else { return .zero }
  guard state.nodes[t].type == "member", !state.nodes[t].online else { return .zero }
  let members = state.nodes.filter { $0.type == "member" }
  guard members.filter(\.online).count <= members.count / 2 else { return .zero }
  let priorities = nodePriorities(state)
  let values = members.map { priorities[$0.index] ?? 0 }
  guard let top = values.max(), let lowest = values.min(), top != lowest, (priorities[t] ?? 0) >= top else {
    return .zero
  }
  return delay
}

/// Each node's priority: the sum of the `priority` of the primitives active on it; a promoted instance counts its
/// priority + 1 when that is not 0 (as Pacemaker counts it for priority-fencing-delay).
public func nodePriorities(_ state: ClusterState) -> [Int: Int] {
  var out: [Int: Int] = [:]
  for r in state.resources where r.isPrimitive {
    for n in r.runningOn {
      var p = r.priority
      if p != 0 && (r.rolePerNode[n] ?? r.role) == .promoted { p += 1 }
      out[n, default: 0] += p
    }
  }
  return out
}
