/// Options of one simulated run. Everything not given here is drawn from the seed, so a seed alone replays a run.
public struct SimulationOptions: Sendable {
  /// Simulated time of the fault phase; a heal phase follows.
  public var duration: Duration = .seconds(12)
  public var healDuration: Duration = .seconds(4)
  /// Node count; nil draws 3...7 from the seed.
  public var nodeCount: Int?
  /// Print every step (for replaying one seed).
  public var trace = false
  public init() {}
}

/// The outcome of one seed: the first violated invariant (the run stops there) and some counters.
public struct SimulationResult: Sendable {
  public var seed: UInt64
  public var nodeCount: Int
  public var violation: String?
  /// Not a safety violation: the nodes did not converge to one quorate view after the heal phase.
  public var notConverged: String?
  public var viewsInstalled = 0
  public var deliveries = 0
  public var packets = 0
  public var faults = 0
  public var trace: [String] = []
}

/// A deterministic simulation of N membership cores in one process: simulated time, a packet network with loss,
/// delay, duplication, reordering and partitions, crashes, restarts and graceful leaves. After every step it checks
/// the safety invariants (docs/ARCHITECTURE.md, Membership):
/// 1. quorate views pairwise share a member (at most one partition is quorate);
/// 2. every node installing a view id installs the same members;
/// 3. deliveries in a view are prefixes of one sequence, and nodes moving together from a view to the next
///    delivered the same messages in it;
/// 4. no node (incarnation) delivers a message twice.
public struct MembershipSimulator {
  struct Event: Comparable {
    var time: Duration
    var order: UInt64
    var kind: Kind
    enum Kind {
      case tick(Int, UInt64)
      case packet(Packet, to: Int)
      case fault
      case broadcast
    }
    static func < (a: Event, b: Event) -> Bool { a.time != b.time ? a.time < b.time : a.order < b.order }
    static func == (a: Event, b: Event) -> Bool { a.time == b.time && a.order == b.order }
  }

  struct SimNode {
    var core: MembershipCore?
    var incarnation: UInt64 = 1
    var quorate = false
    var viewID: ViewID?
    var deliveredInView = 0
    var delivered: Set<MessageKey> = []
  }

  struct MessageKey: Hashable {
    var view: ViewID
    var sender: Member
    var senderSequence: UInt64
  }

  let seed: UInt64
  let options: SimulationOptions
  var rng: SplitMix64
  var queue = EventHeap()
  var order: UInt64 = 0
  var now: Duration = .zero
  var nodes: [SimNode] = []
  var group: [Int]
  let n: Int
  let lossPercent: Int
  let duplicatePercent: Int
  let delayMaxMs: Int
  let baseConfig: [MembershipConfig]
  var result: SimulationResult

  // Invariant state
  var viewMembers: [ViewID: [Member]] = [:]
  var sequences: [ViewID: [MessageKey]] = [:]
  var transitions: [Pair: Int] = [:]
  struct Pair: Hashable {
    var from: ViewID
    var to: ViewID
  }
  var broadcastCounter = 0
  var healed = false

  public static func run(seed: UInt64, options: SimulationOptions = SimulationOptions()) -> SimulationResult {
    var sim = MembershipSimulator(seed: seed, options: options)
    sim.runAll()
    return sim.result
  }

  init(seed: UInt64, options: SimulationOptions) {
    self.seed = seed
    self.options = options
    var rng = SplitMix64(seed: seed)
    let n = options.nodeCount ?? Int.random(in: 3...7, using: &rng)
    self.n = n
    self.lossPercent = Int.random(in: 0...20, using: &rng)
    self.duplicatePercent = Int.random(in: 0...10, using: &rng)
    self.delayMaxMs = Int.random(in: 1...30, using: &rng)
    self.rng = rng
    self.group = Array(repeating: 0, count: n)
    let ids = (1...n).map { NodeID(UInt32($0)) }
    let entries = ids.map { NodeEntry(nodeID: $0, ring0Addr: "127.0.0.1") }
    let vq = try! VotequorumConfig(nodes: entries, options: QuorumOptions())
    self.baseConfig = ids.map { MembershipConfig(me: $0, incarnation: 1, nodes: ids, votequorum: vq) }
    self.result = SimulationResult(seed: seed, nodeCount: n)
    self.nodes = (0..<n).map { _ in SimNode() }
  }

  mutating func schedule(_ t: Duration, _ kind: Event.Kind) {
    order += 1
    queue.push(Event(time: t, order: order, kind: kind))
  }

  mutating func log(_ s: String) {
    if options.trace { result.trace.append("\(now) \(s)") }
  }

  mutating func runAll() {
    for i in 0..<n { start(i, incarnation: 1) }
    schedule(.milliseconds(Int64.random(in: 300...1500, using: &rng)), .fault)
    schedule(.milliseconds(50), .broadcast)
    let end = options.duration + options.healDuration
    while let e = queue.pop(), result.violation == nil {
      if e.time > end { break }
      now = e.time
      if !healed && now >= options.duration { healAll() }
      switch e.kind {
      case .tick(let i, let inc):
        guard nodes[i].core != nil, nodes[i].incarnation == inc else { continue }
        step(i, .tick(now: now))
      case .packet(let p, let to):
        guard nodes[to].core != nil, group[Int(p.from.id.rawValue) - 1] == group[to] else { continue }
        step(to, .packetReceived(p, now: now))
      case .fault:
        if now < options.duration {
          injectFault()
          schedule(now + .milliseconds(Int64.random(in: 200...2500, using: &rng)), .fault)
        }
      case .broadcast:
        let i = Int.random(in: 0..<n, using: &rng)
        if nodes[i].core != nil {
          broadcastCounter += 1
          step(i, .broadcastRequested(payload: Array("m\(broadcastCounter)".utf8), now: now))
        }
        schedule(now + .milliseconds(Int64.random(in: 1...60, using: &rng)), .broadcast)
      }
    }
    if result.violation == nil { checkConvergence() }
  }

  mutating func start(_ i: Int, incarnation: UInt64) {
    var cfg = baseConfig[i]
    cfg.incarnation = incarnation
    nodes[i] = SimNode(core: MembershipCore(config: cfg), incarnation: incarnation)
    log("start n\(i + 1) inc \(incarnation)")
    step(i, .tick(now: now))
  }

  mutating func healAll() {
    healed = true
    group = Array(repeating: 0, count: n)
    for i in 0..<n where nodes[i].core == nil { start(i, incarnation: nodes[i].incarnation + 1) }
    log("heal all")
  }

  mutating func injectFault() {
    result.faults += 1
    let alive = (0..<n).filter { nodes[$0].core != nil }
    let dead = (0..<n).filter { nodes[$0].core == nil }
    switch Int.random(in: 0..<8, using: &rng) {
    case 0:
      group = Array(repeating: 0, count: n)
      log("fault: heal")
    case 1:
      let v = Int.random(in: 0..<n, using: &rng)
      group = (0..<n).map { $0 == v ? 1 : 0 }
      log("fault: isolate n\(v + 1)")
    case 2:
      var ids = Array(0..<n)
      ids.shuffle(using: &rng)
      group = Array(repeating: 0, count: n)
      for i in ids.prefix(n / 2) { group[i] = 1 }
      log("fault: halves \(group)")
    case 3:
      group = (0..<n).map { _ in Int.random(in: 0..<3, using: &rng) }
      log("fault: random partition \(group)")
    case 4, 5:
      if let v = alive.randomElement(using: &rng), alive.count > 1 {
        nodes[v].core = nil
        nodes[v].quorate = false
        nodes[v].viewID = nil
        log("fault: crash n\(v + 1)")
      }
    case 6:
      if let v = dead.randomElement(using: &rng) {
        start(v, incarnation: nodes[v].incarnation + 1)
        log("fault: restart n\(v + 1)")
      }
    default:
      if let v = alive.randomElement(using: &rng), alive.count > 1 {
        step(v, .leaveRequested(now: now))
        log("fault: leave n\(v + 1)")
      }
    }
  }

  mutating func step(_ i: Int, _ input: MembershipInput) {
    guard var core = nodes[i].core else { return }
    let fx = core.handle(input)
    nodes[i].core = core
    var quorumTouched = false
    for effect in fx {
      switch effect {
      case .send(let p, let targets):
        if options.trace { traceSend(i, p, targets) }
        for t in targets {
          let ti = Int(t.rawValue) - 1
          guard ti >= 0 && ti < n else { continue }
          result.packets += 1
          if Int.random(in: 0..<100, using: &rng) < lossPercent { continue }
          schedule(now + .microseconds(Int64.random(in: 50...Int64(delayMaxMs * 1000), using: &rng)), .packet(p, to: ti))
          if Int.random(in: 0..<100, using: &rng) < duplicatePercent {
            schedule(now + .microseconds(Int64.random(in: 50...Int64(delayMaxMs * 2000), using: &rng)), .packet(p, to: ti))
          }
        }
      case .installView(let v):
        result.viewsInstalled += 1
        if options.trace { log("n\(i + 1) installs \(v)") }
        onInstall(i, v)
        quorumTouched = true
      case .quorumChanged(let s):
        nodes[i].quorate = s.quorate
        quorumTouched = true
      case .deliver(let d):
        result.deliveries += 1
        onDeliver(i, d)
      case .scheduleTick(let after):
        schedule(now + after, .tick(i, nodes[i].incarnation))
      case .broadcastRejected: break
      case .left:
        log("n\(i + 1) left")
        nodes[i].core = nil
        nodes[i].quorate = false
        nodes[i].viewID = nil
      }
      if result.violation != nil { return }
    }
    if quorumTouched { checkQuorum() }
  }

  /// Trace lines for the view-change messages (heartbeats and data would drown them).
  mutating func traceSend(_ i: Int, _ p: Packet, _ targets: [NodeID]) {
    let to = targets.map { "n\($0)" }.joined(separator: ",")
    switch p.message {
    case .propose(let prop): log("n\(i + 1) sends propose \(prop.view) \(prop.members.map(\.description)) to \(to)")
    case .proposalAck(let a): log("n\(i + 1) sends ack \(a.proposal) (in \(a.currentView), received \(a.received)) to \(to)")
    case .install(let inst): log("n\(i + 1) sends install \(inst.view.id) to \(to)")
    case .leave: log("n\(i + 1) sends leave to \(to)")
    case .heartbeat, .data, .ordered, .orderedAck: break
    }
  }

  mutating func violate(_ s: String) {
    if result.violation == nil { result.violation = "t=\(now) \(s)" }
  }

  mutating func onInstall(_ i: Int, _ v: View) {
    let me = Member(NodeID(UInt32(i + 1)), incarnation: nodes[i].incarnation)
    if !v.members.contains(me) { violate("n\(i + 1) installed \(v) without itself") }
    if let known = viewMembers[v.id] {
      if known != v.members { violate("view \(v.id) installed with members \(known) and \(v.members)") }
    } else {
      viewMembers[v.id] = v.members
    }
    if let old = nodes[i].viewID {
      let pair = Pair(from: old, to: v.id)
      let count = nodes[i].deliveredInView
      if let other = transitions[pair], other != count {
        violate("nodes moving \(old) -> \(v.id) delivered \(other) and \(count) messages in \(old)")
      }
      transitions[pair] = count
    }
    nodes[i].viewID = v.id
    nodes[i].deliveredInView = 0
  }

  mutating func onDeliver(_ i: Int, _ d: Delivery) {
    guard d.view == nodes[i].viewID else {
      violate("n\(i + 1) delivered in \(d.view) while in \(String(describing: nodes[i].viewID))")
      return
    }
    let key = MessageKey(view: d.view, sender: d.sender, senderSequence: d.senderSequence)
    if !nodes[i].delivered.insert(key).inserted { violate("n\(i + 1) delivered \(key) twice") }
    let k = nodes[i].deliveredInView
    var seq = sequences[d.view] ?? []
    if k < seq.count {
      if seq[k] != key { violate("n\(i + 1) delivered \(key) at position \(k) of \(d.view) where another node delivered \(seq[k])") }
    } else {
      seq.append(key)
      sequences[d.view] = seq
    }
    nodes[i].deliveredInView = k + 1
  }

  mutating func checkQuorum() {
    var quorateViews: [ViewID] = []
    for node in nodes where node.core != nil && node.quorate {
      if let v = node.viewID, !quorateViews.contains(v) { quorateViews.append(v) }
    }
    guard quorateViews.count > 1 else { return }
    for a in 0..<quorateViews.count {
      for b in (a + 1)..<quorateViews.count {
        let ma = Set(viewMembers[quorateViews[a]]!.map(\.id))
        let mb = Set(viewMembers[quorateViews[b]]!.map(\.id))
        if ma.isDisjoint(with: mb) {
          violate("two disjoint partitions are quorate: \(quorateViews[a]) and \(quorateViews[b])")
        }
      }
    }
  }

  mutating func checkConvergence() {
    let alive = (0..<n).filter { nodes[$0].core != nil }
    let views = Set(alive.compactMap { nodes[$0].viewID })
    if views.count != 1 || viewMembers[views.first!]?.count != alive.count || !alive.allSatisfy({ nodes[$0].quorate }) {
      result.notConverged = "after healing, views: " + alive.map { "n\($0 + 1)=\(nodes[$0].viewID.map(\.description) ?? "-")" }.joined(separator: " ")
    }
  }
}

/// A binary min-heap of simulator events (deterministic: ties broken by insertion order).
struct EventHeap {
  private var items: [MembershipSimulator.Event] = []
  var isEmpty: Bool { items.isEmpty }
  mutating func push(_ e: MembershipSimulator.Event) {
    items.append(e)
    var i = items.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      if items[i] < items[parent] {
        items.swapAt(i, parent)
        i = parent
      } else {
        break
      }
    }
  }
  mutating func pop() -> MembershipSimulator.Event? {
    guard !items.isEmpty else { return nil }
    items.swapAt(0, items.count - 1)
    let top = items.removeLast()
    var i = 0
    while true {
      let l = 2 * i + 1
      let r = l + 1
      var m = i
      if l < items.count && items[l] < items[m] { m = l }
      if r < items.count && items[r] < items[m] { m = r }
      if m == i { break }
      items.swapAt(i, m)
      i = m
    }
    return top
  }
}
