import CIB
import PolicyEngine

/// One step clusterd performs: an operation of one resource on one node.
public struct PlannedOperation: Sendable, Equatable {
  public var nodeID: String
  public var nodeName: String
  public var op: WireOperation
  public init(nodeID: String, nodeName: String, op: WireOperation) {
    self.nodeID = nodeID
    self.nodeName = nodeName
    self.op = op
  }
}

/// What the DC does next, decided from the CIB alone (pure): probe unknown resources first, then walk the
/// scheduler's transition graph in a dependency order, then start the recurring monitors that are missing.
///
/// Why three kinds: our scheduler plans placement (start/stop/promote/demote); probes and recurring monitors
/// are the controller's job here, as they are Pacemaker's graph extras.
public enum NextStep: Sendable, Equatable {
  case probe([PlannedOperation])
  /// Actions in the order to run them, one at a time; `summary` is the scheduler's transition summary.
  case transition([PlannedOperation], summary: [String], fencing: [String])
  case monitors([PlannedOperation])
  case idle
}

public enum TransitionPlanner {
  /// Decides the next step for the CIB. `members` are node ids of the current view.
  public static func next(cib: CIBElement, members: Set<String>, now: Int64) -> NextStep {
    let input: SchedulerInput
    do { input = try CIBReader.read(cib, now: now) } catch { return .idle }
    let result = schedule(input)
    let state = result.state
    // 1. Probes: every primitive on every online member without any history there.
    var known: Set<String> = []  // "node\u{0}resource"
    for ns in input.nodeStates {
      for h in ns.resources { known.insert(ns.id + "\u{0}" + h.id) }
    }
    var probes: [PlannedOperation] = []
    for n in state.nodes where members.contains(n.id) && n.online {
      for r in state.resources where r.isPrimitive && !known.contains(n.id + "\u{0}" + historyID(r)) {
        probes.append(PlannedOperation(nodeID: n.id, nodeName: n.name, op: operation(r, action: "monitor", intervalMs: 0, targetRC: 7)))
      }
    }
    if !probes.isEmpty { return .probe(probes) }
    // 2. The transition graph.
    let g = result.graph
    let live = g.actions.filter {
      !$0.optional && $0.runnable && !$0.pseudo && $0.node != nil && $0.resource != nil
        && state.resources[$0.resource!].isPrimitive
        && [ActionTask.start, .stop, .promote, .demote].contains($0.task)
    }
    let fencing = g.fencing.map { state.nodes[$0.node].name }
    if !live.isEmpty || !fencing.isEmpty {
      let ordered = order(live, graph: g, state: state)
      let ops = ordered.map { a -> PlannedOperation in
        let r = state.resources[a.resource!]
        let n = state.nodes[a.node!]
        return PlannedOperation(nodeID: n.id, nodeName: n.name, op: operation(r, action: a.task.rawValue, intervalMs: 0, targetRC: 0))
      }
      return .transition(ops, summary: result.summaryLines, fencing: fencing)
    }
    // 3. Recurring monitors of active resources that have no record of them.
    var monitors: [PlannedOperation] = []
    var recorded: Set<String> = []
    for ns in input.nodeStates {
      for h in ns.resources {
        for op in h.operations where op.intervalMs > 0 && op.task == "monitor" {
          recorded.insert("\(ns.id)\u{0}\(h.id)\u{0}\(op.intervalMs)")
        }
      }
    }
    for r in state.resources where r.isPrimitive && !r.failed {
      for n in r.runningOn.sorted() where members.contains(state.nodes[n].id) {
        for m in r.operations where m.name == "monitor" && m.intervalMs > 0 && m.enabled
          && (m.role == nil || m.role == "Started" || m.role == "Unpromoted" || m.role == "Slave")
          && !recorded.contains("\(state.nodes[n].id)\u{0}\(historyID(r))\u{0}\(m.intervalMs)")
        {
          monitors.append(
            PlannedOperation(
              nodeID: state.nodes[n].id, nodeName: state.nodes[n].name,
              op: operation(r, action: "monitor", intervalMs: Int64(m.intervalMs), targetRC: 0)))
        }
      }
    }
    if !monitors.isEmpty { return .monitors(monitors) }
    return .idle
  }

  /// The id under which a resource's history is recorded (anonymous clone instances use the clone's base id).
  static func historyID(_ r: ResourceState) -> String { r.unique ? r.id : r.baseID }

  static func operation(_ r: ResourceState, action: String, intervalMs: Int64, targetRC: Int) -> WireOperation {
    let config = r.operations.first { $0.name == action && Int64($0.intervalMs) == intervalMs }
    let timeoutMs = config?.meta["timeout"].flatMap { try? Milliseconds(time: $0).value } ?? 20_000
    let params = r.parameters.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }
    let meta = r.meta.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }
    return WireOperation(
      resource: historyID(r), agent: r.agent, action: action, intervalMs: intervalMs, timeoutMs: max(1, timeoutMs),
      parameters: params, meta: meta, targetRC: targetRC,
      opDigest: action == "stop" ? nil : resourceDefinitionDigest(r.parameters))
  }

  /// A dependency order of `live`: the graph's orderings (resolved to these actions), group member order, and
  /// phases (demote, stop before start, promote) so that nothing starts while something it displaces still
  /// runs. Ties are broken by phase, then action id; a cycle falls back to the same tie-break.
  static func order(_ live: [Action], graph g: TransitionGraph, state: ClusterState) -> [Action] {
    let ids = live.map(\.id)
    let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
    func phase(_ t: ActionTask) -> Int {
      switch t {
      case .demote: 0
      case .stop: 1
      case .start: 2
      case .promote: 3
      default: 4
      }
    }
    func resolve(_ h: ActionHandle) -> [Int] {
      switch h {
      case .action(let id): return index[id].map { [$0] } ?? []
      case .resource(let r, let task):
        let prims = Set(state.allPrimitives(under: r) + [r])
        return live.indices.filter { prims.contains(live[$0].resource!) && live[$0].task == task }
      }
    }
    var edges = Array(repeating: Set<Int>(), count: live.count)
    var indegree = Array(repeating: 0, count: live.count)
    func edge(_ a: Int, _ b: Int) {
      guard a != b, !edges[a].contains(b) else { return }
      edges[a].insert(b)
      indegree[b] += 1
    }
    for o in g.orderings {
      for a in resolve(o.first) { for b in resolve(o.then) { edge(a, b) } }
    }
    // Group members: start in order, stop in reverse order.
    for grp in state.resources where grp.variant == .group {
      let members = grp.children
      for (x, y) in zip(members, members.dropFirst()) {
        for a in live.indices where live[a].resource == x {
          for b in live.indices where live[b].resource == y {
            if live[a].task == .start && live[b].task == .start { edge(a, b) }
            if live[a].task == .stop && live[b].task == .stop { edge(b, a) }
          }
        }
      }
    }
    for a in live.indices {
      for b in live.indices where phase(live[a].task) < phase(live[b].task) { edge(a, b) }
    }
    var done = Array(repeating: false, count: live.count)
    var out: [Action] = []
    func key(_ i: Int) -> (Int, Int) { (phase(live[i].task), live[i].id) }
    while out.count < live.count {
      let ready = live.indices.filter { !done[$0] && indegree[$0] == 0 }
      let pool = ready.isEmpty ? live.indices.filter { !done[$0] } : ready
      let next = pool.min { key($0) < key($1) }!
      done[next] = true
      out.append(live[next])
      for b in edges[next] { indegree[b] -= 1 }
    }
    return out
  }
}
