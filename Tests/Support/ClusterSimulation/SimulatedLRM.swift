import LRM
import Membership

/// The local resource manager of one clusterd process: the real `ExecutorCore` (it lives inside clusterd in Vigil,
/// so it dies with it) with simulated agents and timers. Timers are generations per operation key, so a cancelled
/// timer that still fires is ignored.
struct SimulatedLRM {
  var executor = ExecutorCore(limits: ExecutorLimits())
  var timerGeneration: [OperationKey: Int] = [:]
  var generation = 0

  /// Operation keys of the recurring operations registered, sorted ("rsc_monitor_ms").
  var recurringKeys: [String] { executor.recurringKeys.map(\.description) }
}

extension ClusterSimulator {
  /// One input for node `i`'s LRM; its effects are performed at once (agent runs start, timers are set, reports
  /// go to the node core).
  mutating func lrm(_ i: Int, _ input: ExecutorInput, _ work: inout [Work]) {
    let fx = nodes[i].process!.lrm.executor.handle(input)
    for e in fx {
      switch e {
      case .runOperation(let id, let call):
        startAgent(i, AgentRun(id: id, call: call, lrmIncarnation: nodes[i].incarnation))
      case .startTimer(let key, let after):
        nodes[i].process!.lrm.generation += 1
        let g = nodes[i].process!.lrm.generation
        nodes[i].process!.lrm.timerGeneration[key] = g
        schedule(atUs: nowUs + Self.microseconds(after),
                 .process(node: i, incarnation: nodes[i].incarnation, .lrmTimer(key, generation: g)))
      case .cancelTimer(let key):
        nodes[i].process!.lrm.timerGeneration[key] = nil
      case .report(let r):
        if r.call.interval == .zero || options.trace {
          log("n\(i + 1) LRM reports \(r.key) rc=\(r.result.ocf.exitCode) \(r.result.status)")
        }
        mark(6, Int64(i), Int64(r.result.ocf.exitCode))
        work.append(.node(.operationReported(r, at: time(i))))
      }
    }
  }

  /// An agent starts: a start makes the resource active at its first instant (what a probe sampling the agent's
  /// own state would see).
  mutating func startAgent(_ i: Int, _ run: AgentRun) {
    result.operations += 1
    let call = run.call
    let p = plan.resources.first { $0.id == call.resource }
    let ms: Int64
    switch call.action {
    case .start:
      ms = p?.startMs ?? 50
      if nodes[i].agents[call.resource] == nil {
        nodes[i].agents[call.resource] = nowMs
        agentsChanged = true
      }
    case .stop: ms = p?.stopMs ?? 20
    default: ms = p?.monitorMs ?? 10
    }
    if call.interval == .zero || options.trace {
      log("n\(i + 1) agent \(OperationKey(call)) begins (\(ms) ms)")
    }
    mark(5, Int64(i), Int64(run.id.rawValue))
    after(ms: ms, .agentDone(node: i, boot: nodes[i].boot, run))
  }

  /// An agent process exits: its effect on the resource happens whether or not clusterd is still there to hear it.
  mutating func agentFinished(_ i: Int, _ run: AgentRun) {
    let call = run.call
    var rc: OCFResult = .success
    var reason: String?
    switch call.action {
    case .start:
      rc = .success
    case .stop:
      nodes[i].agents[call.resource] = nil
      agentsChanged = true
    case .monitor:
      let active = nodes[i].agents[call.resource] != nil
      rc = active ? .success : .notRunning
      if active && !healed && call.interval > .zero && Int.random(in: 0..<1000, using: &rng) < plan.monitorFailurePerMille {
        if Bool.random(using: &rng) {
          nodes[i].agents[call.resource] = nil
          agentsChanged = true
          rc = .notRunning
          reason = "died behind the cluster's back"
        } else {
          rc = .genericError
          reason = "the agent's check failed"
        }
        log("n\(i + 1) \(call.resource): \(reason!)")
      }
    default:
      rc = .unimplemented
    }
    let result = OperationResult(status: .done, code: .ocf(rc), ocf: rc, exitReason: reason)
    schedule(atUs: nowUs, .process(node: i, incarnation: run.lrmIncarnation, .agentRunDone(run, result)))
  }

  static func microseconds(_ d: Duration) -> Int64 {
    Int64(d.components.seconds) * 1_000_000 + Int64(d.components.attoseconds / 1_000_000_000_000)
  }
}
