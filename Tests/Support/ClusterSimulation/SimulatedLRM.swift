import Controller
import Membership

/// The LRM of one clusterd process (in Vigil it lives inside clusterd, so it dies with it), as `ExecutorCore`
/// behaves: one run at a time per resource in request order; a recurring operation runs at once, then every
/// interval, and is reported only when its result changes; a cancel drops queued runs and the in-flight result.
struct SimulatedLRM {
  struct Recurring {
    var request: ActionRequest
    var lastRC: Int?
    var generation: Int
  }
  var queued: [String: [AgentRun]] = [:]
  var running: [String: AgentRun] = [:]
  var recurring: [String: Recurring] = [:]
  var generation = 0
  var cancelledRuns: Set<Int> = []

  /// Operation keys of the recurring operations registered, sorted.
  var recurringKeys: [String] { recurring.keys.sorted() }
}

extension ClusterSimulator {
  mutating func lrmRequest(_ i: Int, _ request: ActionRequest) {
    let key = request.operationKey
    if request.intervalMs > 0 {
      nodes[i].process!.lrm.generation += 1
      let g = nodes[i].process!.lrm.generation
      nodes[i].process!.lrm.recurring[key] = SimulatedLRM.Recurring(request: request, lastRC: nil, generation: g)
    }
    enqueue(i, request)
  }

  mutating func enqueue(_ i: Int, _ request: ActionRequest) {
    nextRunID += 1
    let agentRun = AgentRun(id: nextRunID, request: request, lrmIncarnation: nodes[i].incarnation)
    nodes[i].process!.lrm.queued[request.resource, default: []].append(agentRun)
    startNext(i, request.resource)
  }

  mutating func lrmCancel(_ i: Int, key: String) {
    guard nodes[i].process != nil else { return }
    nodes[i].process!.lrm.recurring[key] = nil
    for (rsc, list) in nodes[i].process!.lrm.queued {
      nodes[i].process!.lrm.queued[rsc] = list.filter { $0.request.operationKey != key }
    }
    for (_, r) in nodes[i].process!.lrm.running where r.request.operationKey == key {
      nodes[i].process!.lrm.cancelledRuns.insert(r.id)
    }
    log("n\(i + 1) LRM cancels \(key)")
  }

  mutating func recurringDue(_ i: Int, _ key: String) {
    guard let r = nodes[i].process!.lrm.recurring[key] else { return }
    let pending = (nodes[i].process!.lrm.queued[r.request.resource] ?? []).contains { $0.request.operationKey == key }
      || nodes[i].process!.lrm.running[r.request.resource]?.request.operationKey == key
    if !pending { enqueue(i, r.request) }
  }

  /// Starts the oldest queued run of `resource` if nothing runs for it; the agent's state changes at once for a
  /// start (a probe sampling the agent sees it active from the start's first instant).
  mutating func startNext(_ i: Int, _ resource: String) {
    guard nodes[i].process!.lrm.running[resource] == nil,
          var list = nodes[i].process!.lrm.queued[resource], !list.isEmpty else { return }
    let agentRun = list.removeFirst()
    nodes[i].process!.lrm.queued[resource] = list
    nodes[i].process!.lrm.running[resource] = agentRun
    let r = agentRun.request
    result.operations += 1
    let p = plan.resources.first { $0.id == r.resource }
    let ms: Int64
    switch r.task {
    case "start":
      ms = p?.startMs ?? 50
      if nodes[i].agents[r.resource] == nil { nodes[i].agents[r.resource] = nowMs }
    case "stop": ms = p?.stopMs ?? 20
    default: ms = p?.monitorMs ?? 10
    }
    if r.intervalMs == 0 || options.trace { log("n\(i + 1) agent \(r.operationKey) begins (\(ms) ms)") }
    mark(5, Int64(i), Int64(agentRun.id))
    after(ms: ms, .agentDone(node: i, boot: nodes[i].boot, agentRun))
  }

  /// An agent process exits: its effect on the resource happens whether or not clusterd is still there to hear it.
  mutating func agentFinished(_ i: Int, _ agentRun: AgentRun) {
    let r = agentRun.request
    var rc = 0
    switch r.task {
    case "start":
      rc = 0
    case "stop":
      nodes[i].agents[r.resource] = nil
      rc = 0
    case "monitor":
      let active = nodes[i].agents[r.resource] != nil
      rc = active ? 0 : 7
      if active && r.intervalMs > 0 && Int.random(in: 0..<1000, using: &rng) < plan.monitorFailurePerMille {
        if Bool.random(using: &rng) {
          nodes[i].agents[r.resource] = nil
          rc = 7
          log("n\(i + 1) \(r.resource) died behind the cluster's back")
        } else {
          rc = 1
          log("n\(i + 1) \(r.resource) monitor fails with a generic error")
        }
      }
    default:
      rc = 3
    }
    schedule(atUs: nowUs, .process(node: i, incarnation: agentRun.lrmIncarnation, .lrmDone(agentRun, rc: rc)))
  }

  /// The LRM hears an agent run's end: the completion to report, if any; the next queued run starts.
  mutating func lrmFinished(_ i: Int, _ agentRun: AgentRun, rc: Int) -> OperationCompletion? {
    let r = agentRun.request
    guard nodes[i].process!.lrm.running[r.resource]?.id == agentRun.id else { return nil }
    nodes[i].process!.lrm.running[r.resource] = nil
    defer { startNext(i, r.resource) }
    if nodes[i].process!.lrm.cancelledRuns.remove(agentRun.id) != nil { return nil }
    if r.intervalMs > 0 {
      let key = r.operationKey
      guard let rec = nodes[i].process!.lrm.recurring[key] else { return nil }
      nodes[i].process!.lrm.recurring[key]!.lastRC = rc
      after(ms: Int64(r.intervalMs),
            .process(node: i, incarnation: nodes[i].incarnation, .recurringDue(key: key)))
      guard rec.lastRC != rc else { return nil }
      log("n\(i + 1) LRM reports \(key) rc=\(rc)")
      return OperationCompletion(rec.request, rc: rc)
    }
    log("n\(i + 1) LRM reports \(r.operationKey) rc=\(rc)")
    mark(6, Int64(i), Int64(agentRun.id), Int64(rc))
    return OperationCompletion(r, rc: rc)
  }
}
