import CIB
import Controller
import PolicyEngine
import Testing

/// A deterministic simulation of several ControllerCores with a fake LRM per node, a fake fencer and a fake
/// membership (partitions as components), on simulated time. Everything the cores ask for happens here as the
/// shell (clusterd) would do it: actions run on the target's LRM if it is reachable, every result is delivered to
/// every core of the node's partition, the DC's CIB updates reach the other cores of its partition.
struct ClusterSimulation {
  enum Event {
    case input(node: Int, ControllerInput)
    case operationDone(node: Int, request: ActionRequest)
    case fenceDone(by: Int, target: Int)
  }

  struct SimNode {
    var me: ControllerNode
    var core: ControllerCore
    var alive = true
    /// Resources the LRM considers active, since when (from the moment a start is issued: conservative).
    var running: [String: Int64] = [:]
    var recurring: [String: ActionRequest] = [:]
  }

  var nodes: [SimNode] = []
  var components: [[Int]] = []
  var queue: [(at: Int64, seq: Int, event: Event)] = []
  var seq = 0
  var nowMs: Int64 = 0
  var log: [String] = []
  /// (time, resource, nodes) whenever a resource was active on two reachable-or-not nodes at once.
  var overlaps: [String] = []
  /// Per resource: (time, node) of every start issued / stop completed.
  var startsIssued: [(at: Int64, resource: String, node: String)] = []
  var fencesDone: [(at: Int64, node: String)] = []
  /// Operations issued and not yet answered, and the most ever at once.
  var inFlight = 0
  var inFlightMax = 0
  /// "node op_key" of operations whose result never comes back (a lost LRM reply).
  var lostReplies: Set<String> = []
  /// Kill -9 of `node` at the moment the result of "nodeN op_key" is broadcast: the other cores get the result,
  /// the dying one (typically the DC) never records it.
  var dieOnResult: (node: Int, result: String)?
  let startLatencyMs: Int64 = 30
  let stopLatencyMs: Int64 = 20
  let monitorLatencyMs: Int64 = 5

  init(nodeCount: Int, cib: CIBElement, lease: LeaseTiming = LeaseTiming()) {
    for i in 1...nodeCount {
      let me = ControllerNode(id: UInt32(i), name: "node\(i)")
      let core = ControllerCore(config: ControllerConfig(localNode: me, controllerUUID: "uuid-node\(i)", lease: lease),
                                cib: cib)
      nodes.append(SimNode(me: me, core: core))
    }
  }

  func time(_ ms: Int64) -> ControllerTime { ControllerTime(monotonicMs: ms, wallSeconds: 1_700_000_000 + ms / 1000) }
  func index(of name: String) -> Int? { nodes.firstIndex { $0.me.name == name } }
  func component(of i: Int) -> [Int] { components.first { $0.contains(i) } ?? [i] }
  func reachable(_ a: Int, _ b: Int) -> Bool { component(of: a).contains(b) }

  mutating func push(_ at: Int64, _ e: Event) {
    seq += 1
    let item = (at: at, seq: seq, event: e)
    let pos = queue.firstIndex { ($0.at, $0.seq) > (at, seq) } ?? queue.count
    queue.insert(item, at: pos)
  }

  /// Installs a view in every component: each member hears of it `detectionMs[component index]` after `at`.
  mutating func setComponents(_ comps: [[Int]], at: Int64, detectionMs: [Int64], lastHeardMs: Int64? = nil) {
    let old = components
    components = comps
    let total = nodes.count
    for (ci, comp) in comps.enumerated() {
      let alive = comp.filter { nodes[$0].alive }
      let members = alive.map { nodes[$0].me }
      var heard: [UInt32: Int64] = [:]
      if let h = lastHeardMs {
        for o in old.flatMap({ $0 }) where !comp.contains(o) { heard[nodes[o].me.id] = h }
      }
      for i in alive {
        push(at + detectionMs[min(ci, detectionMs.count - 1)],
             .input(node: i, .membershipChanged(members: members, quorate: alive.count * 2 > total, left: [],
                                                lastHeardMs: heard, at: time(at + detectionMs[min(ci, detectionMs.count - 1)]))))
      }
    }
  }

  /// kill -9 of a node: its core and everything it ran are gone.
  mutating func kill(_ i: Int, at: Int64) {
    nodes[i].alive = false
    nodes[i].running = [:]
    log.append("\(at) kill \(nodes[i].me.name)")
  }

  mutating func deliver(_ i: Int, _ input: ControllerInput) {
    guard nodes[i].alive else { return }
    let effects = nodes[i].core.handle(input)
    apply(effects, from: i)
  }

  mutating func apply(_ effects: [ControllerEffect], from i: Int) {
    for e in effects {
      switch e {
      case .execute(let req):
        guard let t = index(of: req.node.name), nodes[t].alive, reachable(i, t) else {
          log.append("\(nowMs) \(nodes[i].me.name) cannot reach \(req.node.name) for \(req.operationKey)")
          continue
        }
        log.append("\(nowMs) \(nodes[i].me.name) -> \(req.node.name) \(req.operationKey)")
        let latency = req.task == "start" ? startLatencyMs : req.task == "stop" ? stopLatencyMs : monitorLatencyMs
        if req.task == "stop" {
          // As the LRM does: a stop ends its resource's recurring operations first, cancelled or not.
          nodes[t].recurring = nodes[t].recurring.filter { $0.value.resource != req.resource }
        }
        if req.task == "start" {
          nodes[t].running[req.resource] = nowMs
          startsIssued.append((nowMs, req.resource, req.node.name))
          checkOverlap()
        }
        inFlight += 1
        inFlightMax = max(inFlightMax, inFlight)
        if lostReplies.contains("\(req.node.name) \(req.operationKey)") { continue }
        push(nowMs + latency, .operationDone(node: t, request: req))
      case .cancel(let node, let rsc, let task, let interval):
        if let t = index(of: node.name), reachable(i, t) { nodes[t].recurring["\(rsc)_\(task)_\(interval)"] = nil }
      case .fence(let node, _):
        if let t = index(of: node.name) { push(nowMs + 100, .fenceDone(by: i, target: t)) }
      case .updateCIB(let cib):
        for o in component(of: i) where o != i && nodes[o].alive { push(nowMs, .input(node: o, .cibReplaced(cib, at: time(nowMs)))) }
      case .scheduleTimer(let at):
        push(max(at, nowMs), .input(node: i, .tick(time(max(at, nowMs)))))
      case .dcChanged(let dc):
        log.append("\(nowMs) \(nodes[i].me.name) sees DC \(dc?.name ?? "none")")
      case .transitionStarted(let id, let n):
        log.append("\(nowMs) \(nodes[i].me.name) transition \(id) with \(n) actions")
      case .transitionComplete(let id, let aborted):
        log.append("\(nowMs) \(nodes[i].me.name) transition \(id) complete\(aborted ? " (aborted)" : "")")
      case .leaseExpired(let rs):
        log.append("\(nowMs) \(nodes[i].me.name) LEASE EXPIRED with \(rs)")
      case .shutdownNode(let n):
        log.append("\(nowMs) shutdown \(n.name)")
      }
    }
  }

  func rcFor(_ node: SimNode, _ req: ActionRequest) -> Int {
    switch req.task {
    case "monitor": return node.running[req.resource] != nil ? (req.transitionKey.targetRC == 8 ? 8 : 0) : 7
    default: return 0
    }
  }

  mutating func checkOverlap() {
    var byResource: [String: [String]] = [:]
    for n in nodes where n.alive { for r in n.running.keys { byResource[r, default: []].append(n.me.name) } }
    for (r, on) in byResource.sorted(by: { $0.key < $1.key }) where on.count > 1 {
      overlaps.append("\(nowMs) \(r) on \(on.sorted().joined(separator: ","))")
    }
  }

  mutating func step() -> Bool {
    guard !queue.isEmpty else { return false }
    let item = queue.removeFirst()
    nowMs = item.at
    switch item.event {
    case .input(let i, let input):
      deliver(i, input)
    case .operationDone(let t, let req):
      inFlight -= 1
      guard nodes[t].alive else { break }
      let rc = rcFor(nodes[t], req)
      if req.task == "stop" { nodes[t].running[req.resource] = nil }
      if req.intervalMs > 0 { nodes[t].recurring[req.operationKey] = req }
      log.append("\(nowMs) \(nodes[t].me.name) done \(req.operationKey) rc=\(rc)")
      let c = OperationCompletion(req, rc: rc)
      if let d = dieOnResult, d.result == "\(nodes[t].me.name) \(req.operationKey)" {
        dieOnResult = nil
        kill(d.node, at: nowMs)
      }
      for o in component(of: t) where nodes[o].alive { push(nowMs, .input(node: o, .operationCompleted(c, at: time(nowMs)))) }
    case .fenceDone(let by, let target):
      kill(target, at: nowMs)
      fencesDone.append((nowMs, nodes[target].me.name))
      push(nowMs, .input(node: by, .fencingCompleted(node: nodes[target].me.name, success: true, at: time(nowMs))))
    }
    checkOverlap()
    return true
  }

  /// Runs until nothing is left to do or `untilMs`, with a bound on events.
  mutating func run(untilMs: Int64 = .max, eventsMax: Int = 20_000) {
    var n = 0
    while let first = queue.first, first.at <= untilMs, n < eventsMax {
      _ = step()
      n += 1
    }
    if untilMs != .max { nowMs = max(nowMs, untilMs) }
    if n >= eventsMax {
      Issue.record(Comment(rawValue: "simulation did not settle:\n" + log.suffix(40).joined(separator: "\n")))
      queue.removeAll()
    }
  }

  /// A recurring monitor notices the resource is gone (killed behind the agent's back).
  mutating func killBehindBack(_ resource: String, on i: Int) {
    nodes[i].running[resource] = nil
    guard let mon = nodes[i].recurring.values.sorted(by: { $0.operationKey < $1.operationKey })
      .first(where: { $0.resource == resource }) else { return }
    broadcast(OperationCompletion(mon, rc: 7, exitReason: "not running"), from: i)
  }

  /// Delivers a result node `i`'s LRM reports to every core of its partition, as clusterd broadcasts it.
  mutating func broadcast(_ c: OperationCompletion, from i: Int) {
    for o in component(of: i) where nodes[o].alive { push(nowMs, .input(node: o, .operationCompleted(c, at: time(nowMs)))) }
  }

  /// Steps until `condition` holds (true) or nothing is left to do (false), bounded.
  mutating func step(until condition: (ClusterSimulation) -> Bool, eventsMax: Int = 20_000) -> Bool {
    for _ in 0..<eventsMax {
      if condition(self) { return true }
      guard step() else { return false }
    }
    return false
  }

  /// Where the LRMs' recurring operations differ from what the configuration asks for the resources they run:
  /// "missing OP on NODE" / "extra OP on NODE", sorted (promoted roles are not modelled: no promotable resources).
  func recurringMismatches() throws -> [String] {
    let dc = try #require(dcIndex)
    let input = try CIBReader.read(nodes[dc].core.cib, now: 1_700_000_000 + nowMs / 1000)
    var out: [String] = []
    for n in nodes where n.alive {
      let wanted = Set(n.running.keys.flatMap { rsc in
        OperationDefinition.recurringOperations(input: input, resource: rsc).map { "\(rsc)_\($0.task)_\($0.intervalMs)" }
      })
      let registered = Set(n.recurring.keys)
      out += wanted.subtracting(registered).map { "missing \($0) on \(n.me.name)" }
      out += registered.subtracting(wanted).map { "extra \($0) on \(n.me.name)" }
    }
    return out.sorted()
  }

  // Views of the cluster.

  var dcIndex: Int? { nodes.indices.first { nodes[$0].alive && nodes[$0].core.isDC } }

  func where_(_ resource: String) -> [String] {
    nodes.filter { $0.alive && $0.running[resource] != nil }.map(\.me.name).sorted()
  }

  func dcSchedule() throws -> SchedulerResult {
    let dc = try #require(dcIndex)
    return PolicyEngine.schedule(try CIBReader.read(nodes[dc].core.cib, now: 1_700_000_000 + nowMs / 1000))
  }
}
