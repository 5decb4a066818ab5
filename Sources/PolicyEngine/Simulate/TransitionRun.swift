import CIB

/// What a simulated transition did: the "Executing Cluster Transition" lines, the CIB with every executed
/// operation recorded in its status section, and whether an `-F` failure stopped it.
public struct TransitionRun: Sendable {
  public var lines: [String]
  public var cib: CIBElement
  public var failedActions: Int
  public var executed: Int
}

/// Runs the complete graph the way Pacemaker's simulator does: in passes over the synapses (graph order), each
/// pass firing every action whose inputs have all completed; resource operations succeed with their expected
/// result (probes find the resource stopped) unless `failures` names them (`-F`), fencing takes the node down.
/// A failed action aborts the transition: nothing new is fired after it, as the controller does.
///
/// Why it exists: `-S` prints the executed actions and `-O` writes the resulting CIB; both come from here so the
/// saved CIB is exactly what the printed run did. Pure: `now` is the time recorded in last-rc-change.
public func runTransition(_ result: SchedulerResult, _ graph: CompleteGraph, cib: CIBElement,
                          failures: [OperationSpec], now: Int64, record: Bool = true) -> TransitionRun {
  let state = result.state
  var editor = StatusEditor(cib: cib, now: now)
  var done = [Bool](repeating: false, count: graph.actions.count)
  var lines: [String] = []
  var failed = 0
  var executed = 0
  var aborted = false
  // Each pass fires at least one action or stops; the graph has at most actions.count passes.
  for _ in 0...graph.actions.count {
    if aborted { break }
    var ready: [Int] = []
    for id in graph.synapseOrder where !done[id] {
      if graph.actions[id].inputs.allSatisfy({ done[$0] }) { ready.append(id) }
    }
    if ready.isEmpty { break }
    for id in ready {
      let a = graph.actions[id]
      done[id] = true
      executed += 1
      switch a.kind {
      case .pseudo:
        lines.append("  * Pseudo action:   \(a.key)")
      case .crm where a.task == "stonith":
        let name = a.node.map { state.nodes[$0].name } ?? ""
        lines.append("  * Fencing \(name) (\(state.options.stonithAction))")
        if record { editor.recordFenced(name) }
      case .crm:
        let name = a.node.map { state.nodes[$0].name } ?? ""
        lines.append("  * Cluster action:  \(a.task) on \(name)")
        if record && a.task == "do_shutdown" { editor.setNodeMembership(name, .down) }
      case .rscOp:
        guard let r = a.resource, let n = a.node else { continue }
        let rsc = state.resources[r]
        let node = state.nodes[n].name
        let task = a.intervalMs > 0 ? "\(a.task)=\(a.intervalMs)" : a.task
        let padded = rsc.id.count >= 15 ? rsc.id : rsc.id + String(repeating: " ", count: 15 - rsc.id.count)
        lines.append("  * Resource action: \(padded) \(task) on \(node)")
        // Anonymous clone instances are recorded under the clone's child id, as the executor knows them.
        let historyID = state.isInClone(r).map { state.resources[$0].unique } == false ? rsc.baseID : rsc.id
        var rc = a.targetRC
        var reason = ""
        if let f = failures.first(where: { $0.key == a.key && $0.node == node }) {
          rc = f.rc
          reason = "User-injected result"
          lines.append("Pretending action \(a.id) failed with rc=\(rc)")
        }
        let injected = !record ? [] : editor.recordOperation(resource: historyID, task: a.task, intervalMs: a.intervalMs, node: node,
                                              rc: rc, targetRC: a.targetRC, exitReason: reason, withDigest: true,
                                              timeoutMs: operationTimeoutMs(state, r, a))
        lines += injected
        if !record && rc != a.targetRC {
          lines.append("  * Injecting attribute fail-count-\(historyID)#\(a.task)_\(a.intervalMs)=value++ into /node_state '\(state.nodes[n].id)'")
        }
        if rc != a.targetRC && !(a.isProbe && (rc == 0 || rc == 8)) {
          failed += 1
          aborted = true
        }
      }
      if aborted { break }
    }
  }
  return TransitionRun(lines: lines, cib: editor.finished(), failedActions: failed, executed: executed)
}

/// What `crm_simulate` prints and saves for one run, built from pure parts so tests can check it without the
/// binary.
public struct SimulationOutput: Sendable {
  public var text: String
  /// The CIB after injections and (with `simulate` and `record`) the simulated transition, for `-O`.
  public var cib: CIBElement
  public var result: SchedulerResult
  public var graph: CompleteGraph
}

/// One crm_simulate invocation's choices. `quiet` is `-Q`, `simulate` is `-S` (false: `-R`, no executed
/// actions and no revised status), `record` asks for the transition's results in `SimulationOutput.cib` (`-O`).
public struct SimulationRequest: Sendable {
  public var injections = Injections()
  public var failures: [OperationSpec] = []
  public var simulate = false
  public var quiet = false
  public var showScores = false
  public var record = false
  public var now: Int64 = 0
  /// The `-t` argument as given; Pacemaker echoes it each time it reads the CIB.
  public var dateText: String?
  public init() {}
}

/// The whole crm_simulate run: current status, injections, scheduling, transition summary, simulated
/// transition, revised status. Throws for bad what-if arguments before anything is printed or written.
public func runSimulation(_ cib: CIBElement, _ request: SimulationRequest) throws -> SimulationOutput {
  var doc = cib
  // Validate -F specs up front: a typo must not silently simulate a clean run.
  let check = StatusEditor(cib: doc, now: request.now)
  for f in request.failures {
    guard check.primitive(f.resource) != nil else {
      throw SimulationError.unknownResource(spec: f.text, resource: f.resource)
    }
    if check.nodeID(f.node) == nil && !request.injections.nodesUp.contains(f.node) {
      throw SimulationError.unknownNode(option: "--op-fail", node: f.node)
    }
  }
  var modifications: [String] = []
  var before: ClusterState?
  if !request.injections.isEmpty {
    if !request.quiet { before = interpretStatus(try CIBReader.read(doc, now: request.now)) }
    modifications = try applyInjections(&doc, request.injections, now: request.now)
  }
  let result = schedule(try CIBReader.read(doc, now: request.now))
  let graph = completeGraph(result)
  let record = request.record || !request.failures.isEmpty
  let run = request.simulate
    ? runTransition(result, graph, cib: doc, failures: request.failures, now: request.now, record: record) : nil

  var lines: [String] = []
  let dateLine = request.dateText.map { ["Setting effective cluster time: \($0)"] } ?? []
  if !request.quiet {
    let current = before ?? result.state
    lines += dateLine
    lines.append("Current cluster status:")
    lines += formatStatus(current, currentSnapshot(current))
    lines.append("")
    if !modifications.isEmpty {
      lines.append("Performing Requested Modifications:")
      lines += modifications
      lines += dateLine
      lines.append("")
    }
  }
  if request.showScores {
    lines += scoreText(result)
    lines.append("")
  }
  if !request.quiet {
    lines.append("Transition Summary:")
    lines += result.summaryLines.map { "  * " + $0 }
    if let run {
      lines.append("")
      lines.append("Executing Cluster Transition:")
      lines += run.lines
      lines += dateLine
      lines.append("")
      lines.append("Revised Cluster Status:")
      if run.failedActions > 0 {
        // The transition stopped early: show what the recorded history now says, not the planned outcome.
        let after = interpretStatus(try CIBReader.read(run.cib, now: request.now))
        lines += formatStatus(after, currentSnapshot(after))
      } else {
        lines += formatStatus(result.state, result.revised)
      }
    }
  }
  let text = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
  return SimulationOutput(text: text, cib: run?.cib ?? doc, result: result, graph: graph)
}
