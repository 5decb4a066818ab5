import CIB

/// Where every primitive is, in which role, and which nodes are up: what "Current cluster status" and
/// "Revised Cluster Status" print. Built from the interpreted status (current) or by replaying the
/// transition's executable actions (revised), the way crm_simulate's simulation does with all actions succeeding.
public struct ClusterSnapshot: Sendable, Equatable {
  public struct NodeView: Sendable, Equatable {
    public var name: String
    public var online: Bool
    public var unclean: Bool
    public var standby: Bool
    public var pending: Bool
    public var maintenance: Bool
  }
  public struct ResourceView: Sendable, Equatable {
    /// (node index, role) in node order of activation.
    public var placements: [(Int, Role)]
    public var failed: Bool
    public var managed: Bool
    public static func == (a: ResourceView, b: ResourceView) -> Bool {
      a.failed == b.failed && a.managed == b.managed && a.placements.map { $0.0 } == b.placements.map { $0.0 }
        && a.placements.map { $0.1 } == b.placements.map { $0.1 }
    }
  }
  public var nodes: [NodeView]
  public var resources: [ResourceView]
}

public func currentSnapshot(_ state: ClusterState) -> ClusterSnapshot {
  let nodes = state.nodes.map {
    ClusterSnapshot.NodeView(name: $0.name, online: $0.online, unclean: $0.unclean, standby: $0.standby,
                             pending: $0.pending, maintenance: $0.maintenance)
  }
  let managedAll = !(state.options.stonithEnabled && !state.options.haveStonithResource)
  let resources = state.resources.map { r in
    ClusterSnapshot.ResourceView(
      placements: r.runningOn.map { ($0, r.rolePerNode[$0] ?? r.role) }, failed: r.failed,
      managed: r.managed && (managedAll || !r.isPrimitive))
  }
  return ClusterSnapshot(nodes: nodes, resources: resources)
}

/// Applies every required, runnable action (all succeeding) to the current snapshot.
public func revisedSnapshot(_ state: ClusterState, _ a: Assignment, _ g: TransitionGraph) -> ClusterSnapshot {
  var snap = currentSnapshot(state)
  let fenced = Set(g.fencing.map { $0.node })
  for n in fenced {
    snap.nodes[n].online = false
    snap.nodes[n].unclean = false
  }
  for r in state.resources where r.isPrimitive {
    var view = snap.resources[r.index]
    let acts = g.byResource[r.index].map { g.actions[$0] }.filter { !$0.optional && $0.runnable }
    var touched = false
    for act in acts where act.task == .demote {
      if let i = view.placements.firstIndex(where: { $0.0 == act.node }) { view.placements[i].1 = .unpromoted }
      touched = true
    }
    for act in acts where act.task == .stop {
      view.placements.removeAll { $0.0 == act.node }
      touched = true
    }
    for n in fenced { view.placements.removeAll { $0.0 == n } }
    for act in acts where act.task == .start {
      if let n = act.node, !view.placements.contains(where: { $0.0 == n }) {
        view.placements.append((n, state.isPromotableInstance(r.index) ? .unpromoted : .started))
      }
      touched = true
    }
    for act in acts where act.task == .promote {
      if let i = view.placements.firstIndex(where: { $0.0 == act.node }) { view.placements[i].1 = .promoted }
      touched = true
    }
    if touched { view.failed = false }
    if view.placements.isEmpty { view.failed = false }
    snap.resources[r.index] = view
  }
  return snap
}

/// Formats a snapshot in crm_mon's (2.1.5) text layout, as crm_simulate prints it.
public func formatStatus(_ state: ClusterState, _ snap: ClusterSnapshot) -> [String] {
  var out: [String] = ["  * Node List:"]
  var online: [String] = []
  var offline: [String] = []
  for (i, n) in snap.nodes.enumerated() {
    // Only standby nodes print it; scanning every resource for every node costs O(nodes x resources).
    var hasResources: Bool { snap.resources.contains { $0.placements.contains { $0.0 == i } } }
    if n.unclean {
      out.append("    * Node \(n.name): UNCLEAN (\(n.online ? "online" : "offline"))")
    } else if n.pending && n.online {
      out.append("    * Node \(n.name): pending")
    } else if n.standby && n.online {
      out.append("    * Node \(n.name): standby\(hasResources ? " (with active resources)" : "")")
    } else if n.maintenance && n.online {
      out.append("    * Node \(n.name): maintenance")
    } else if n.online {
      online.append(n.name)
    } else if n.standby {
      out.append("    * Node \(n.name): OFFLINE (standby)")
    } else {
      offline.append(n.name)
    }
  }
  if !online.isEmpty { out.append("    * Online: [ \(online.joined(separator: " ")) ]") }
  if !offline.isEmpty { out.append("    * OFFLINE: [ \(offline.joined(separator: " ")) ]") }
  out.append("")
  out.append("  * Full List of Resources:")
  var printed = false
  for r in state.topLevel {
    let lines = formatResource(state, snap, r, indent: 4)
    if !lines.isEmpty { printed = true }
    out += lines
  }
  if !printed { out.append("    * No resources") }
  return out
}

func primitiveStatus(_ state: ClusterState, _ snap: ClusterSnapshot, _ r: Int) -> String {
  let v = snap.resources[r]
  var text: String
  let names = v.placements.map { state.nodes[$0.0].name }
  if v.placements.isEmpty {
    text = "Stopped"
    if state.resources[r].targetRole == .stopped { text += " (disabled)" }
  } else {
    let role = v.placements.map { $0.1 }.max() ?? .started
    var prefix = ""
    if state.resources[r].isOrphan { prefix += "ORPHANED " }
    if v.failed { prefix += "FAILED " }
    let roleText = (v.failed && role == .started) ? "" : role.text + " "
    if names.count == 1 {
      text = "\(prefix)\(roleText)\(names[0])"
    } else {
      text = "\(prefix)\(roleText)[ \(names.joined(separator: " ")) ]"
    }
    if !v.managed { text += " (unmanaged)" }
  }
  return text
}

func formatResource(_ state: ClusterState, _ snap: ClusterSnapshot, _ r: Int, indent: Int) -> [String] {
  let pad = String(repeating: " ", count: indent)
  switch state.resources[r].variant {
  case .primitive:
    if state.resources[r].isOrphan && snap.resources[r].placements.isEmpty { return [] }
    let id = state.isInClone(r).map { state.resources[$0].unique } == false ? state.resources[r].baseID : state.resources[r].id
    return ["\(pad)* \(id)\t(\(state.resources[r].agent)):\t \(primitiveStatus(state, snap, r))"]
  case .group:
    var lines = ["\(pad)* Resource Group: \(state.resources[r].id):"]
    for c in state.resources[r].children { lines += formatResource(state, snap, c, indent: indent + 2) }
    return lines
  case .clone:
    let child = state.resources[r].children.first.map { state.resources[$0].baseID } ?? state.resources[r].id
    var flags: [String] = []
    if state.resources[r].unique { flags.append("unique") }
    if state.resources[r].promotable { flags.append("promotable") }
    if !state.resources[r].managed { flags.append("unmanaged") }
    var lines = ["\(pad)* Clone Set: \(state.resources[r].id) [\(child)]\(flags.isEmpty ? "" : " (" + flags.joined(separator: ", ") + ")"):"]
    let inner = String(repeating: " ", count: indent + 2)
    if state.resources[r].unique {
      for c in state.resources[r].children where !(state.resources[c].isOrphan && isInactive(state, snap, c)) {
        lines += formatResource(state, snap, c, indent: indent + 2)
      }
      return lines
    }
    var buckets: [Role: [Int]] = [:]
    var used = Set<Int>()
    for c in state.resources[r].children {
      let prims = state.allPrimitives(under: c)
      let views = prims.map { snap.resources[$0] }
      if views.allSatisfy({ $0.placements.isEmpty }) { continue }
      let nodesAll = Set(views.flatMap { $0.placements.map { $0.0 } })
      let normal = nodesAll.count == 1 && views.allSatisfy { $0.placements.count == 1 && !$0.failed && $0.managed }
        && Set(views.map { $0.placements[0].1 }).count == 1 && !state.resources[c].isOrphan
      if normal {
        let n = nodesAll.first!
        buckets[views[0].placements[0].1, default: []].append(n)
        used.insert(n)
      } else {
        if state.resources[c].variant == .group {
          lines.append("\(inner)* Resource Group: \(state.resources[c].id):")
          for m in state.resources[c].children {
            lines.append("\(inner)  * \(state.resources[m].baseID)\t(\(state.resources[m].agent)):\t \(primitiveStatus(state, snap, m))")
          }
        } else {
          lines.append("\(inner)* \(state.resources[c].baseID)\t(\(state.resources[c].agent)):\t \(primitiveStatus(state, snap, c))")
        }
        for n in nodesAll { used.insert(n) }
      }
    }
    for role in [Role.promoted, .unpromoted, .started] {
      guard let ns = buckets[role], !ns.isEmpty else { continue }
      let names = ns.map { state.nodes[$0].name }.sorted()
      lines.append("\(inner)* \(role.text): [ \(names.joined(separator: " ")) ]")
    }
    let stopped = state.nodes.indices.filter { !used.contains($0) }.map { state.nodes[$0].name }.sorted()
    if !stopped.isEmpty { lines.append("\(inner)* Stopped: [ \(stopped.joined(separator: " ")) ]") }
    return lines
  }
}

func isInactive(_ state: ClusterState, _ snap: ClusterSnapshot, _ r: Int) -> Bool {
  state.allPrimitives(under: r).allSatisfy { snap.resources[$0].placements.isEmpty }
}

/// The "Executing Cluster Transition" lines: fencing, then stops/demotes, then starts/promotes.
public func executedActions(_ state: ClusterState, _ g: TransitionGraph) -> [String] {
  var out: [String] = []
  for f in g.fencing { out.append("  * Fencing \(state.nodes[f.node].name) (\(state.options.stonithAction))") }
  for u in g.unfencing { out.append("  * Fencing \(state.nodes[u.node].name) (on)") }
  func line(_ a: Action) -> String? {
    guard let r = a.resource, let n = a.node, !a.optional, a.runnable else { return nil }
    let id = state.resources[r].id
    if a.pseudo || a.task == .start && a.migratable { return "  * Pseudo action:   \(id)_\(a.task.rawValue)_0" }
    return "  * Resource action: \(id.padding(toLength: max(15, id.count), withPad: " ", startingAt: 0)) \(a.task.rawValue) on \(state.nodes[n].name)"
  }
  for phase in [[ActionTask.demote], [.migrateTo], [.migrateFrom], [.stop], [.start], [.promote]] {
    for a in g.actions where phase.contains(a.task) { if let l = line(a) { out.append(l) } }
  }
  return out
}
