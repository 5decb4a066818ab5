import CIB
import ControlProtocol
import Controller
import LRM
import Membership
import PolicyEngine

/// Several `NodeCore`s over a simulated ordered broadcast, a simulated LRM per machine and simulated time, driven by
/// the test step by step. Deliberately small (the whole-cluster VOPR is the broad one): it exists to replay one
/// scenario exactly, e.g. a restart of the lowest-id node while another node runs the group.
///
/// - Views are installed by the test (`installView`); every member hears `viewInstalled` then, `quorumDelayMs` later,
///   `quorumChanged` (the order of the native membership; corosync's quorum notice may come later still).
/// - A broadcast sent in view V is delivered 1 ms later, in send order, to every member of V still in V.
/// - The LRM belongs to the machine: a clusterd crash (`crash`) leaves its resources running, as kill -9 does.
/// - Overlap: a resource counts as running on a node from the moment its start is handed to the LRM until its stop
///   completes; any instant with two such nodes is recorded in `overlaps`.
struct NodeSimulation {
  struct Machine {
    let me: ControllerNode
    var core: NodeCore?
    /// Bumped by each restart: events of an earlier life are dropped.
    var incarnation: UInt64 = 0
    var view: View?
    /// The persisted CIB (survives a crash).
    var disk: CIBElement?
    var diskTerm: UInt64 = 0
    /// Earlier persisted CIBs, newest last: a crash with `diskLag` n loses the last n writes (a persister that was
    /// behind, as clusterd's background writer could be).
    var diskHistory: [(cib: CIBElement, term: UInt64)] = []
    /// Resources the agents run here (survive a clusterd crash).
    var running: Set<String> = []
    /// This boot's record of what may run here (emptied with the agents: a reboot or watchdog reset).
    var mayRun: [String] = []
    var left = false
    /// Bumped when the agents' processes die with clusterd (a reboot): their operations in flight do nothing.
    var agentsLife = 0
  }

  enum Event {
    case input(node: Int, incarnation: UInt64, (ControllerTime) -> NodeInput)
    case deliver(to: Int, incarnation: UInt64, ClusterMessage, sender: Membership.NodeID, view: ViewID)
    case lrmDone(node: Int, incarnation: UInt64, agentsLife: Int, AgentCall)
  }

  var machines: [Machine] = []
  var queue: [(at: Int64, seq: Int, event: Event)] = []
  var seq = 0
  var nowMs: Int64 = 0
  var viewEpoch: UInt64 = 0
  var quorumDelayMs: Int64 = 0
  let tickMs: Int64 = 20
  var nextTickMs: Int64 = 0
  var nextRequestID: ControlRequestID = 1
  var replies: [ControlRequestID: ControlResponse] = [:]
  var log: [String] = []
  var overlaps: [String] = []
  /// Every broadcast, in order: (sender index, message).
  var sent: [(node: Int, message: ClusterMessage)] = []
  /// Drops a delivery when it answers true (a node that missed a message: what a diff's base check must catch).
  var dropDelivery: ((_ to: Int, ClusterMessage) -> Bool)?
  /// (time, node, operation key) of every operation handed to an LRM.
  var operations: [(at: Int64, node: String, key: String)] = []
  var startLatencyMs: Int64 = 30
  var stopLatencyMs: Int64 = 20
  var monitorLatencyMs: Int64 = 5

  init(nodeCount: Int, cib: CIBElement) {
    for i in 1...nodeCount {
      machines.append(Machine(me: ControllerNode(id: UInt32(i), name: "node\(i)"), disk: cib))
    }
  }

  func time(_ ms: Int64) -> ControllerTime { ControllerTime(monotonicMs: ms, wallSeconds: 1_700_000_000 + ms / 1000) }
  var nodeList: [ControllerNode] { machines.map(\.me) }

  mutating func push(_ at: Int64, _ e: Event) {
    seq += 1
    let pos = queue.firstIndex { ($0.at, $0.seq) > (at, seq) } ?? queue.count
    queue.insert((at, seq, e), at: pos)
  }

  // MARK: faults and scenario steps

  /// Starts clusterd on machine `i` from its disk (the first input: `.started`).
  mutating func start(_ i: Int) {
    machines[i].incarnation += 1
    machines[i].left = false
    let me = machines[i].me
    let config = NodeCoreConfig(
      controller: ControllerConfig(localNode: me, controllerUUID: "uuid-\(me.name)-\(machines[i].incarnation)"),
      nodes: nodeList, clusterName: "sim", tokenMs: 400, membershipBackend: "sim")
    machines[i].core = NodeCore(config: config, storedCIB: machines[i].disk, storedTerm: machines[i].diskTerm)
    machines[i].view = nil
    push(nowMs, .input(node: i, incarnation: machines[i].incarnation, { [mayRun = machines[i].mayRun] in .started(at: $0, mayRunHere: mayRun) }))
  }

  /// kill -9 of clusterd on machine `i`: its disk keeps what was persisted; its resources keep running unless
  /// `killAgents` (a watchdog or a reboot took the whole process tree).
  mutating func crash(_ i: Int, killAgents: Bool = false, diskLag: Int = 0) {
    if diskLag > 0, machines[i].diskHistory.count > diskLag {
      let kept = machines[i].diskHistory[machines[i].diskHistory.count - 1 - diskLag]
      machines[i].disk = kept.cib
      machines[i].diskTerm = kept.term
    }
    machines[i].diskHistory = []
    if killAgents {
      machines[i].running = []
      machines[i].mayRun = []
      machines[i].agentsLife += 1
    }
    machines[i].core = nil
    machines[i].view = nil
    machines[i].incarnation += 1
  }

  /// Installs a view of `members` (indices) on each of them; quorate when a majority of all machines.
  mutating func installView(_ members: [Int], quorate: Bool? = nil) {
    viewEpoch += 1
    let alive = members.filter { machines[$0].core != nil }.sorted()
    guard let first = alive.first else { return }
    let view = View(
      id: ViewID(epoch: viewEpoch, coordinator: Membership.NodeID(machines[first].me.id), coordinatorIncarnation: 1),
      members: alive.map { Member(Membership.NodeID(machines[$0].me.id), incarnation: machines[$0].incarnation) })
    let q = quorate ?? (alive.count * 2 > machines.count)
    for i in alive {
      let inc = machines[i].incarnation
      push(nowMs, .input(node: i, incarnation: inc, { [view] in .viewInstalled(view, at: $0) }))
      push(nowMs + quorumDelayMs, .input(node: i, incarnation: inc, { [view] in .quorumChanged(quorate: q, view: view.id, at: $0) }))
    }
  }

  /// A control request on machine `i`; its answer lands in `replies[id]`.
  mutating func control(_ i: Int, _ request: ControlRequest) -> ControlRequestID {
    let id = nextRequestID
    nextRequestID += 1
    push(nowMs, .input(node: i, incarnation: machines[i].incarnation, { .controlRequested(id, request, at: $0) }))
    return id
  }

  // MARK: running

  mutating func run(forMs: Int64) { run(untilMs: nowMs + forMs) }

  mutating func run(untilMs: Int64) {
    while true {
      let nextEvent = queue.first?.at ?? Int64.max
      if nextTickMs <= min(nextEvent, untilMs) {
        nowMs = nextTickMs
        nextTickMs += tickMs
        for i in machines.indices where machines[i].core != nil {
          handle(i, .tick(at: time(nowMs)))
        }
        continue
      }
      guard let item = queue.first, item.at <= untilMs else { break }
      queue.removeFirst()
      nowMs = max(nowMs, item.at)
      switch item.event {
      case .input(let i, let inc, let make):
        guard machines[i].incarnation == inc, machines[i].core != nil else { continue }
        if case .viewInstalled(let v, _) = make(time(nowMs)) { machines[i].view = v }
        handle(i, make(time(nowMs)))
      case .deliver(let i, let inc, let m, let sender, let viewID):
        guard machines[i].incarnation == inc, machines[i].view?.id == viewID else { continue }
        if let drop = dropDelivery, drop(i, m) { continue }
        handle(i, .messageDelivered(m, sender: sender, view: viewID, at: time(nowMs)))
      case .lrmDone(let i, let inc, let life, let call):
        guard machines[i].agentsLife == life else { continue }
        let result = complete(i, call)
        guard machines[i].incarnation == inc, machines[i].core != nil else { continue }
        handle(i, .operationReported(OperationReport(key: OperationKey(call), call: call, result: result), at: time(nowMs)))
      }
    }
    nowMs = max(nowMs, untilMs)
  }

  mutating func handle(_ i: Int, _ input: NodeInput) {
    guard var core = machines[i].core else { return }
    let effects = core.handle(input)
    machines[i].core = core
    for e in effects { perform(i, e) }
  }

  mutating func perform(_ i: Int, _ effect: NodeEffect) {
    let name = machines[i].me.name
    switch effect {
    case .broadcast(let m):
      sent.append((i, m))
      guard let v = machines[i].view else { return }
      for member in v.members {
        guard let j = machines.firstIndex(where: { $0.me.id == member.id.rawValue }) else { continue }
        push(nowMs + 1, .deliver(to: j, incarnation: machines[j].incarnation, m, sender: Membership.NodeID(machines[i].me.id), view: v.id))
      }
    case .runLocally(let call):
      operations.append((nowMs, name, "\(call.resource)_\(call.action.rawValue)_\(call.interval / .milliseconds(1))"))
      if call.action == .start { machines[i].running.insert(call.resource); checkOverlap() }
      let latency = call.action == .start ? startLatencyMs : call.action == .stop ? stopLatencyMs : monitorLatencyMs
      push(nowMs + latency, .lrmDone(node: i, incarnation: machines[i].incarnation, agentsLife: machines[i].agentsLife, call))
    case .recordMayRun(let resource):
      if !machines[i].mayRun.contains(resource) { machines[i].mayRun.append(resource) }
    case .rewriteMayRun(let resources):
      machines[i].mayRun = resources
    case .cancelLocally, .alert, .fence:
      break
    case .persist(let cib, let term):
      machines[i].disk = cib
      machines[i].diskTerm = term
      machines[i].diskHistory.append((cib, term))
      if machines[i].diskHistory.count > 8 { machines[i].diskHistory.removeFirst() }
    case .reply(let id, let response):
      replies[id] = response
    case .scheduleTimer(let atMs):
      push(atMs, .input(node: i, incarnation: machines[i].incarnation, { .timerFired(atMs: atMs, at: $0) }))
    case .leaveCluster:
      machines[i].left = true
    case .log(let level, let text):
      log.append("\(nowMs) \(name) \(level.rawValue): \(text)")
    }
  }

  /// What the agent did: the machine's resources change, the result says what it found.
  mutating func complete(_ i: Int, _ call: AgentCall) -> OperationResult {
    var rc: Int32 = 0
    switch call.action {
    case .start: machines[i].running.insert(call.resource)
    case .stop: machines[i].running.remove(call.resource)
    case .monitor: rc = machines[i].running.contains(call.resource) ? 0 : 7
    default: break
    }
    return OperationResult(status: .done, code: nil, ocf: OCFResult(exitCode: rc))
  }

  mutating func checkOverlap() {
    var holders: [String: [String]] = [:]
    for m in machines { for r in m.running { holders[r, default: []].append(m.me.name) } }
    for (r, nodes) in holders.sorted(by: { $0.key < $1.key }) where nodes.count > 1 {
      overlaps.append("\(nowMs) ms: \(r) on \(nodes.sorted().joined(separator: " "))")
    }
  }

  /// Nodes whose agents run `resource` now.
  func holders(_ resource: String) -> [String] {
    machines.filter { $0.running.contains(resource) }.map(\.me.name)
  }
}
