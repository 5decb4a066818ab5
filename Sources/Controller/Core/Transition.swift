import Foundation
import CIB
import PolicyEngine

/// One action of a transition being executed.
public struct TransitionAction: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// Runs on a node's LRM.
    case operation(ActionRequest)
    /// Completes as soon as its inputs have (implied stops on fenced nodes, shutdown markers).
    case pseudo(String)
    case fence(node: ControllerNode, action: String)
  }
  public enum State: Sendable, Equatable {
    case pending
    case inFlight(deadlineMs: Int64)
    case done
    case failed
  }

  public var index: Int
  public var kind: Kind
  /// Indices of actions that must complete first.
  public var inputs: [Int]
  /// Not fired before this monotonic time (the lease of a lost node).
  public var notBeforeMs: Int64?
  public var state: State = .pending
  /// "start web node1", for logs and tests.
  public var label: String
}

/// A transition graph being walked: Pacemaker's transition engine state, as a value.
///
/// Invariants: an action fires only when every input is done; at most `batchLimit` operations and fencing actions
/// are in flight; once aborted nothing new fires and the transition completes when the in-flight actions have.
public struct Transition: Sendable, Equatable {
  public var id: Int
  public var actions: [TransitionAction]
  public var aborted = false
  public var batchLimit: Int
  public var clusterDelayMs: Int64
  public var stonithTimeoutMs: Int64

  public var inFlightCount: Int { actions.filter { if case .inFlight = $0.state { true } else { false } }.count }
  public var isComplete: Bool {
    aborted ? inFlightCount == 0 : actions.allSatisfy { $0.state == .done || $0.state == .failed }
  }

  /// Actions whose inputs are complete and that may run at `nowMs`, in index order (pseudo actions first
  /// complete without counting against the batch limit).
  mutating func fireReady(nowMs: Int64) -> [TransitionAction] {
    guard !aborted else { return [] }
    var fired: [TransitionAction] = []
    var progress = true
    while progress {
      progress = false
      for i in actions.indices where actions[i].state == .pending {
        guard actions[i].inputs.allSatisfy({ actions[$0].state == .done }) else { continue }
        if let nb = actions[i].notBeforeMs, nb > nowMs { continue }
        switch actions[i].kind {
        case .pseudo:
          actions[i].state = .done
          fired.append(actions[i])
          progress = true
        case .operation(let req):
          guard inFlightCount < batchLimit else { continue }
          actions[i].state = .inFlight(deadlineMs: nowMs + Int64(req.timeoutMs) + clusterDelayMs)
          fired.append(actions[i])
        case .fence:
          guard inFlightCount < batchLimit else { continue }
          actions[i].state = .inFlight(deadlineMs: nowMs + stonithTimeoutMs + clusterDelayMs)
          fired.append(actions[i])
        }
      }
    }
    return fired
  }

  /// The earliest lease time a pending action waits for, if any.
  var nextHoldMs: Int64? {
    actions.filter { $0.state == .pending }.compactMap(\.notBeforeMs).min()
  }

  /// In-flight actions whose deadline has passed.
  func expired(nowMs: Int64) -> [Int] {
    actions.indices.filter { if case .inFlight(let d) = actions[$0].state { d <= nowMs } else { false } }
  }

  /// The index of the in-flight operation this completion answers.
  func match(_ c: OperationCompletion) -> Int? {
    actions.indices.first { i in
      guard case .inFlight = actions[i].state, case .operation(let r) = actions[i].kind else { return false }
      if let key = c.transitionKey, key != r.transitionKey { return false }
      return r.node.name == c.node && r.resource == c.resource && r.task == c.task && r.intervalMs == c.intervalMs
    }
  }

  func matchFence(_ node: String) -> Int? {
    actions.indices.first { i in
      guard case .inFlight = actions[i].state, case .fence(let n, _) = actions[i].kind else { return false }
      return n.name == node
    }
  }

  /// The nearest in-flight deadline, for the timer.
  var nextDeadlineMs: Int64? {
    actions.compactMap { if case .inFlight(let d) = $0.state { d } else { nil } }.min()
  }
}

/// Builds the executable transition from a scheduler result: Pacemaker's graph unpacking, minus XML.
///
/// - Operations: the required, runnable actions with a node. Pseudo actions (stops implied by fencing) wait for
///   the fencing of their node. Starts and promotes wait for every fencing action of the transition.
/// - Orderings become inputs between the concrete actions they reach (`.resource(r, task)` means every primitive
///   action of that task under r); an ordering whose other end is not in the transition constrains nothing.
/// - The scheduler does not (yet) create recurring monitors: after each start (or promote) the configured
///   recurring monitors for that role are added, each waiting for its start; those that should run on resources
///   this transition leaves alone and are not recorded (`RecurringMonitorCheck.missing`) are added without inputs.
/// - Starts, promotes and migrate_froms wait until the lease of every lost node has ended.
struct TransitionBuilder {
  let result: SchedulerResult
  let nodes: [String: ControllerNode]
  let uuid: String
  let transitionID: Int
  /// Resource history id (or `everyResource`) -> not before this time.
  let holds: [String: Int64]
  static let everyResource = "*"

  func build(batchLimit: Int) -> Transition {
    let state = result.state
    let g = result.graph
    let input = state.input
    var out: [TransitionAction] = []
    var byGraphID: [Int: Int] = [:]
    var fenceIndex: [Int: Int] = [:]  // node index -> action
    let stonithAction = state.options.stonithAction

    func node(_ n: Int) -> ControllerNode {
      let ns = state.nodes[n]
      return nodes[ns.name] ?? ControllerNode(id: UInt32(ns.id) ?? 0, name: ns.name)
    }
    func historyID(_ r: Int) -> String {
      let rsc = state.resources[r]
      if let clone = state.isInClone(r), !state.resources[clone].unique { return rsc.baseID }
      return rsc.id
    }
    func request(_ rid: String, _ task: String, _ intervalMs: Int, _ n: Int, targetRC: Int, actionID: Int)
      -> ActionRequest {
      let def = OperationDefinition(input: input, resource: rid, task: task, intervalMs: intervalMs)
      return ActionRequest(
        node: node(n), resource: rid, agentClass: def?.agentClass ?? "", agentProvider: def?.agentProvider,
        agentType: def?.agentType ?? "", task: task, intervalMs: intervalMs, parameters: def?.parameters ?? [:],
        timeoutMs: def?.timeoutMs ?? 20_000,
        transitionKey: TransitionKey(actionID: actionID, transitionID: transitionID, targetRC: targetRC, uuid: uuid))
    }

    for f in g.fencing {
      let i = out.count
      out.append(TransitionAction(index: i, kind: .fence(node: node(f.node), action: stonithAction), inputs: [],
                                  label: "stonith \(state.nodes[f.node].name)"))
      fenceIndex[f.node] = i
    }
    let monitorsInGraph = Set(g.actions.filter { $0.task == .monitor }.compactMap(\.resource))
    // Probes (monitor_0, expecting "not running") wherever a node has no history of a resource, as Pacemaker's
    // DC does on join and after a refresh; the scheduler does not create them (yet). Fencing devices are not
    // probed. Starts of a resource wait for all of its probes.
    var probesOf: [String: [Int]] = [:]
    if !g.actions.contains(where: { $0.probe }) {
      var known: [String: Set<String>] = [:]
      for ns in input.nodeStates { known[ns.id, default: []].formUnion(ns.resources.map(\.id)) }
      for n in state.nodes.indices where state.nodes[n].online && !state.nodes[n].unclean && !state.nodes[n].pending {
        var seen: Set<String> = []
        for r in state.resources.indices where state.resources[r].isPrimitive && !state.resources[r].isOrphan
          && state.resources[r].agentClass != "stonith" {
          let rid = historyID(r)
          guard !seen.contains(rid), !(known[state.nodes[n].id]?.contains(rid) ?? false) else { continue }
          seen.insert(rid)
          let i = out.count
          out.append(TransitionAction(
            index: i, kind: .operation(request(rid, "monitor", 0, n, targetRC: 7, actionID: i)), inputs: [],
            label: "probe \(rid) \(state.nodes[n].name)"))
          probesOf[rid, default: []].append(i)
        }
      }
    }
    // "node resource" pairs this transition acts on, and those it promotes.
    var actedOn: Set<String> = [], promotedAt: Set<String> = []
    for a in g.actions where !a.optional && a.runnable {
      guard let r = a.resource, let n = a.node else { continue }
      actedOn.insert("\(state.nodes[n].name) \(historyID(r))")
      if a.task == .promote { promotedAt.insert("\(state.nodes[n].name) \(historyID(r))") }
    }
    for a in g.actions where !a.optional && a.runnable {
      guard let r = a.resource, let n = a.node else { continue }
      let rid = historyID(r)
      let label = "\(a.task.rawValue) \(rid) \(state.nodes[n].name)"
      let i = out.count
      if a.pseudo {
        out.append(TransitionAction(index: i, kind: .pseudo(label), inputs: fenceIndex[n].map { [$0] } ?? [],
                                    label: label))
        byGraphID[a.id] = i
        continue
      }
      if a.task == .shutdown {
        out.append(TransitionAction(index: i, kind: .pseudo(label), inputs: [], label: label))
        byGraphID[a.id] = i
        continue
      }
      let interval = a.task == .monitor ? a.intervalMs : 0
      let target = a.probe ? 7 : 0
      var action = TransitionAction(
        index: i, kind: .operation(request(rid, a.task.rawValue, interval, n, targetRC: target, actionID: i)),
        inputs: [], label: label)
      if a.task == .start || a.task == .promote || a.task == .migrateFrom {
        action.inputs = fenceIndex.keys.sorted().compactMap { fenceIndex[$0] } + (probesOf[rid] ?? [])
        if let hold = [holds[rid], holds[state.resources[r].baseID], holds[Self.everyResource]].compactMap({ $0 }).max() {
          action.notBeforeMs = hold
        }
      }
      out.append(action)
      byGraphID[a.id] = i
      // A start followed by a promote there gets the promoted role's monitors only (the other role's would report
      // "promoted" as a failure).
      let promotedLater = a.task == .start && promotedAt.contains("\(state.nodes[n].name) \(rid)")
      if (a.task == .start || a.task == .promote) && !monitorsInGraph.contains(r) && !promotedLater {
        let promoted = a.task == .promote
        for mon in OperationDefinition.recurringOperations(input: input, resource: rid, promoted: promoted) {
          let j = out.count
          var req = request(rid, mon.task, mon.intervalMs, n, targetRC: promoted ? 8 : 0, actionID: j)
          req.timeoutMs = mon.timeoutMs
          out.append(TransitionAction(index: j, kind: .operation(req), inputs: [i],
                                      label: "\(mon.task)_\(mon.intervalMs) \(rid) \(state.nodes[n].name)"))
        }
      }
    }
    // Recurring operations that should run and are not recorded (a transition aborted between a start and its
    // monitor, a monitor given up with a view change, a role changed by a demote) are issued again, unless this
    // transition acts on that resource there: a start or promote brings its own, a stop ends them.
    let check = RecurringMonitorCheck(state)
    for op in check.missing where !actedOn.contains("\(op.node) \(op.resource)") {
      guard let n = state.node(named: op.node) else { continue }
      let j = out.count
      let req = request(op.resource, op.task, op.intervalMs, n, targetRC: check.promoted.contains(op) ? 8 : 0,
                        actionID: j)
      out.append(TransitionAction(index: j, kind: .operation(req), inputs: [],
                                  label: "\(op.task)_\(op.intervalMs) \(op.resource) \(op.node)"))
    }
    // Orderings between actions present in the transition.
    func resolve(_ h: ActionHandle) -> [Int] {
      switch h {
      case .action(let id): return byGraphID[id].map { [$0] } ?? []
      case .resource(let r, let task):
        return state.allPrimitives(under: r).flatMap { p in
          g.byResource[p].filter { g.actions[$0].task == task }.compactMap { byGraphID[$0] }
        }
      }
    }
    for o in g.orderings {
      let firsts = resolve(o.first)
      guard !firsts.isEmpty else { continue }
      for t in resolve(o.then) {
        for f in firsts where f != t && !out[t].inputs.contains(f) { out[t].inputs.append(f) }
      }
    }
    for i in out.indices { out[i].inputs.sort() }
    let opts = input.clusterOptions
    let clusterDelay = opts["cluster-delay"].flatMap { try? Milliseconds(interval: $0) }?.value ?? 60_000
    let stonithTimeout = opts["stonith-timeout"].flatMap { try? Milliseconds(interval: $0) }?.value ?? 60_000
    return Transition(id: transitionID, actions: out, batchLimit: batchLimit, clusterDelayMs: clusterDelay,
                      stonithTimeoutMs: stonithTimeout)
  }
}
