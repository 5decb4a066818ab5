import Membership
import TestKit

/// Options of one simulated run. Everything not given here is drawn from the seed, so a seed alone replays a run.
public struct SimulationOptions: Sendable {
  /// Simulated time of the fault phase; a heal phase follows.
  public var duration: Duration = .seconds(12)
  public var healDuration: Duration = .seconds(4)
  /// Node count; nil draws 3...7 from the seed.
  public var nodeCount: Int?
  /// Print every step (for replaying one seed).
  public var trace = false
  /// The `quorum` section every node runs with; nil draws one from the seed (`SimulatedQuorum.draw`). Pinning it
  /// keeps the fault schedule of a seed: the quorum draw uses a generator of its own.
  public var quorum: QuorumOptions?
  /// Broadcast messages of several fragments (`LargeMessages`) instead of a few bytes each.
  public var largeMessages: LargeMessages?
  /// Also draw one-way cuts (packets from one node to another lost, the other way kept) among the faults. Off by
  /// default: the fault draw of every seed stays what it was without them.
  public var oneWayCuts = false
  public init() {}
}

/// The votequorum options a seed runs with, and which properties they promise.
public enum SimulatedQuorum {
  /// Draws the `quorum` options of one seed: defaults, two_node (2 nodes), wait_for_all, last_man_standing with a
  /// short window, auto_tie_breaker lowest/highest/list, an explicit expected_votes, and combinations.
  /// `nodeCount` is the count drawn for the fault schedule; two_node replaces it with 2.
  public static func draw(seed: UInt64, nodeCount: Int) -> (options: QuorumOptions, nodeCount: Int) {
    var rng = SplitMix64(seed: seed ^ 0x5155_4F52_554D_0000)  // "QUORUM": independent of the fault schedule
    var o = QuorumOptions()
    var n = nodeCount
    let wfa = Bool.random(using: &rng)
    switch Int.random(in: 0..<8, using: &rng) {
    case 0, 1: break
    case 2:
      n = 2
      o.twoNode = true
      if Int.random(in: 0..<4, using: &rng) == 0 { o.waitForAll = false }  // two_node without its implied WFA
    case 3:
      o.waitForAll = true
    case 4:
      o.lastManStanding = true
      o.lastManStandingWindowMs = Int.random(in: 300...3000, using: &rng)
      if wfa { o.waitForAll = true }
    case 5:
      o.autoTieBreaker = true
      switch Int.random(in: 0..<3, using: &rng) {
      case 0: o.autoTieBreakerNode = .lowest
      case 1: o.autoTieBreakerNode = .highest
      default:
        var ids = (1...n).map { NodeID(UInt32($0)) }
        ids.shuffle(using: &rng)
        o.autoTieBreakerNode = .list(Array(ids.prefix(Int.random(in: 1...n, using: &rng))))
      }
      if wfa { o.waitForAll = true }
    case 6:
      o.expectedVotes = n + Int.random(in: 0...2, using: &rng)
      // wait_for_all needs every expected vote present once: above the nodelist's votes it never grants quorum.
      if wfa && o.expectedVotes == n { o.waitForAll = true }
    default:
      o.lastManStanding = true
      o.lastManStandingWindowMs = Int.random(in: 300...3000, using: &rng)
      o.autoTieBreaker = true
      o.waitForAll = true
    }
    return (o, n)
  }

  /// Whether votequorum promises "at most one quorate partition" under every fault schedule with this
  /// configuration. It does for the defaults, wait_for_all and an explicit expected_votes at or above the
  /// nodelist's votes. It does not for:
  /// - two_node: each node alone keeps quorum 1 once the pair was seen together; fencing decides (votequorum(5)).
  /// - auto_tie_breaker: the tie-breaker node is remembered from the last quorate partition and the "other side
  ///   might have quorum" test uses this node's previous membership, so two successive splits without a heal in
  ///   between can leave both halves quorate (seed 196: 3 nodes, wait_for_all, highest: {1} | {2,3}, then
  ///   {1,2} | {3}: node 3 keeps quorum by the tie-breaker while {1,2} has 2 of 3 votes). corosync 3.1.7's
  ///   votequorum.c computes exactly this; Vigil mirrors it (the corosync backend's differential test depends on it).
  /// - last_man_standing: a node that lowered expected_votes carries the lower value into a later partition.
  /// There the simulator checks votequorum's rules only and counts such events (`unpromised_split_brains`).
  public static func promisesSingleQuoratePartition(_ c: VotequorumConfig) -> Bool {
    !c.twoNode && !c.lastManStanding && c.autoTieBreaker == nil
  }

  /// One line for traces and failure reports.
  public static func describe(_ c: VotequorumConfig) -> String {
    var parts = ["expected_votes=\(c.expectedVotes)"]
    if c.twoNode { parts.append("two_node") }
    if c.waitForAll { parts.append("wait_for_all") }
    if c.lastManStanding { parts.append("last_man_standing(window=\(c.lastManStandingWindow))") }
    switch c.autoTieBreaker {
    case .none: break
    case .lowest: parts.append("auto_tie_breaker=lowest")
    case .highest: parts.append("auto_tie_breaker=highest")
    case .list(let l): parts.append("auto_tie_breaker=\(l.map(\.description).joined(separator: " "))")
    }
    return parts.joined(separator: " ")
  }
}

/// The outcome of one seed: the first violated invariant (the run stops there) and some counters.
public struct SimulationResult: Sendable {
  public var seed: UInt64
  public var nodeCount: Int
  /// The votequorum configuration of the run (`SimulatedQuorum.describe`).
  public var quorum = ""
  public var violation: String?
  /// Disjoint quorate partitions seen under a configuration where votequorum does not promise a single one.
  public var unpromisedSplitBrain = false
  /// Not a safety violation: the nodes did not converge to one quorate view after the heal phase.
  public var notConverged: String?
  public var viewsInstalled = 0
  public var deliveries = 0
  /// Messages whose senders were told a view change cut them (`.broadcastAborted`).
  public var aborted = 0
  /// Delivered messages made of more than one fragment.
  public var multiFragmentDeliveries = 0
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
/// 4. no node (incarnation) delivers a message twice;
/// 5. a message is delivered whole (its bytes as sent), and a message its sender reports aborted at the change
///    from view V to W was delivered in V by no node that also moved from V to W (MessageChecks.swift).
/// And votequorum's rules under the seed's `quorum` options (`SimulatedQuorum`): quorate only with
/// total_votes >= quorum (or auto_tie_breaker's exact half); quorum 1 for two_node with at most 2 members; with
/// wait_for_all, nobody quorate before some view held every node; expected_votes below the configured value only
/// through last_man_standing, and then only a full window after the last view that lost members. Invariant 1 is
/// checked only where votequorum promises it (not two_node, not last_man_standing without wait_for_all).
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
    /// When it installed its current view.
    var installedAt: Duration = .zero
  }
  /// Per view: its members, who installed it when, and whether a member was quorate in it (the lease check).
  struct InstallRecord {
    var members: Set<Int>
    var firstAt: Duration
    var pending: Set<Int>
    var allAt: Duration?
    var quorate = false
  }
  var installRecords: [ViewID: InstallRecord] = [:]
  /// Views every member installed and some member was quorate in, with when the last member installed it.
  var completedQuorateViews: [(id: ViewID, members: Set<Int>, firstAt: Duration, allAt: Duration)] = []
  /// Per broadcast number: who delivered it in which view; the aborts senders reported; every node's view changes.
  var deliveredBy: [Int: [(Member, ViewID)]] = [:]
  var abortedBy: [(sender: Member, number: Int, view: ViewID)] = []
  var moves: Set<Move> = []
  struct Move: Hashable {
    var member: Member
    var from: ViewID
    var to: ViewID
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
  /// One-way cuts in place: `from * 64 + to` (node indices).
  var cuts: Set<Int> = []
  let n: Int
  let lossPercent: Int
  let duplicatePercent: Int
  let delayMaxMs: Int
  let baseConfig: [MembershipConfig]
  let quorumConfig: VotequorumConfig
  let checkSingleQuorate: Bool
  var result: SimulationResult
  /// Some node installed a view holding every configured node (wait_for_all's condition).
  var fullViewSeen = false
  /// Per node: the expected votes last reported, and the first view change since its last decrease that could
  /// have armed the last_man_standing timer (corosync arms it on a view that lost members, or, with
  /// auto_tie_breaker, on any view; a later view that does not re-arm it leaves the earlier deadline running).
  var lastExpected: [Int?]
  var lastShrink: [Duration?]

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
    var n = options.nodeCount ?? Int.random(in: 3...7, using: &rng)
    var quorumOptions: QuorumOptions
    if let q = options.quorum {
      quorumOptions = q
    } else {
      (quorumOptions, n) = SimulatedQuorum.draw(seed: seed, nodeCount: n)
    }
    self.n = n
    self.lossPercent = Int.random(in: 0...20, using: &rng)
    self.duplicatePercent = Int.random(in: 0...10, using: &rng)
    self.delayMaxMs = Int.random(in: 1...30, using: &rng)
    self.rng = rng
    self.group = Array(repeating: 0, count: n)
    let ids = (1...n).map { NodeID(UInt32($0)) }
    let entries = ids.map { NodeEntry(nodeID: $0, ring0Addr: "127.0.0.1") }
    var vq: VotequorumConfig
    do {
      vq = try VotequorumConfig(nodes: entries, options: quorumOptions)
    } catch {
      // corosync refuses auto_tie_breaker + last_man_standing in an odd cluster without wait_for_all.
      quorumOptions.waitForAll = true
      vq = try! VotequorumConfig(nodes: entries, options: quorumOptions)
    }
    self.quorumConfig = vq
    self.checkSingleQuorate = SimulatedQuorum.promisesSingleQuoratePartition(vq)
    var limits = MembershipLimits()
    if let large = options.largeMessages { limits.fragmentBytesMax = large.fragmentBytesMax }
    self.baseConfig = ids.map { MembershipConfig(me: $0, incarnation: 1, nodes: ids, votequorum: vq, limits: limits) }
    self.result = SimulationResult(seed: seed, nodeCount: n)
    self.result.quorum = SimulatedQuorum.describe(vq)
    self.lastExpected = Array(repeating: nil, count: n)
    self.lastShrink = Array(repeating: nil, count: n)
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
    log("quorum: \(result.quorum)")
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
        let from = Int(p.from.id.rawValue) - 1
        guard nodes[to].core != nil, group[from] == group[to], !cuts.contains(from * 64 + to) else { continue }
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
          step(i, .broadcastRequested(payload: nextPayload(), now: now))
        }
        schedule(now + .milliseconds(Int64.random(in: 1...60, using: &rng)), .broadcast)
      }
    }
    if result.violation == nil { checkConvergence() }
    if result.violation == nil { checkAborts() }
  }

  mutating func start(_ i: Int, incarnation: UInt64) {
    var cfg = baseConfig[i]
    cfg.incarnation = incarnation
    nodes[i] = SimNode(core: MembershipCore(config: cfg), incarnation: incarnation)
    lastExpected[i] = nil
    lastShrink[i] = quorumConfig.autoTieBreaker != nil ? now : nil  // its singleton view may arm the timer
    log("start n\(i + 1) inc \(incarnation)")
    step(i, .tick(now: now))
  }

  mutating func healAll() {
    healed = true
    group = Array(repeating: 0, count: n)
    cuts = []
    for i in 0..<n where nodes[i].core == nil { start(i, incarnation: nodes[i].incarnation + 1) }
    log("heal all")
  }

  mutating func injectFault() {
    result.faults += 1
    let alive = (0..<n).filter { nodes[$0].core != nil }
    let dead = (0..<n).filter { nodes[$0].core == nil }
    switch Int.random(in: 0..<(options.oneWayCuts ? 10 : 8), using: &rng) {
    case 0:
      group = Array(repeating: 0, count: n)
      cuts = []
      log("fault: heal")
    case 8, 9:
      let from = Int.random(in: 0..<n, using: &rng)
      let to = (from + Int.random(in: 1..<n, using: &rng)) % n
      cuts.insert(from * 64 + to)
      log("fault: one-way cut n\(from + 1) -> n\(to + 1)")
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
        checkVotequorumRules(i, s, input)
      case .deliver(let d):
        result.deliveries += 1
        onDeliver(i, d)
      case .scheduleTick(let after):
        schedule(now + after, .tick(i, nodes[i].incarnation))
      case .broadcastRejected: break
      case .broadcastAborted(let payload, let view): onAborted(i, payload, view)
      case .left:
        log("n\(i + 1) left")
        nodes[i].core = nil
        nodes[i].quorate = false
        nodes[i].viewID = nil
      }
      if result.violation != nil { return }
    }
    if quorumTouched { checkQuorum() }
    if result.violation == nil { checkContact(i) }
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
    if v.members.count == n { fullViewSeen = true }
    if lastShrink[i] == nil, let old = nodes[i].viewID, let oldMembers = viewMembers[old],
      quorumConfig.autoTieBreaker != nil || oldMembers.contains(where: { !v.members.contains($0) })
    {
      lastShrink[i] = now
    }
    if let old = nodes[i].viewID {
      moves.insert(Move(member: me, from: old, to: v.id))
      let pair = Pair(from: old, to: v.id)
      let count = nodes[i].deliveredInView
      if let other = transitions[pair], other != count {
        violate("nodes moving \(old) -> \(v.id) delivered \(other) and \(count) messages in \(old)")
      }
      transitions[pair] = count
    }
    nodes[i].viewID = v.id
    nodes[i].deliveredInView = 0
    nodes[i].installedAt = now
    var record = installRecords[v.id] ?? InstallRecord(
      members: Set(v.members.map { Int($0.id.rawValue) - 1 }), firstAt: now,
      pending: Set(v.members.map { Int($0.id.rawValue) - 1 }))
    record.pending.remove(i)
    installRecords[v.id] = record
    completeIfQuorate(v.id)
  }

  mutating func completeIfQuorate(_ id: ViewID) {
    guard var r = installRecords[id], r.allAt == nil, r.pending.isEmpty, r.quorate else { return }
    r.allAt = now
    installRecords[id] = r
    completedQuorateViews.append((id, r.members, r.firstAt, now))
  }

  /// The lease's premise (`QuorumContact`): once every member of a quorate view W has installed it, a node left out
  /// of W that is still in a view it installed before W began proves no quorum contact after that moment (the
  /// members of W that it needs stopped echoing its heartbeats in its view when they installed W). Checked where
  /// votequorum promises a single quorate partition (two quorums of the same votes then share a member).
  mutating func checkContact(_ i: Int) {
    guard checkSingleQuorate, let core = nodes[i].core, let since = core.quorumContactSince else { return }
    for w in completedQuorateViews where !w.members.contains(i) && nodes[i].installedAt < w.firstAt && since > w.allAt {
      violate("n\(i + 1) proves quorum contact since \(since), after every member of quorate \(w.id) (without it) installed it at \(w.allAt); its own view \(String(describing: nodes[i].viewID)) is from \(nodes[i].installedAt)")
      return
    }
  }

  mutating func onDeliver(_ i: Int, _ d: Delivery) {
    guard d.view == nodes[i].viewID else {
      violate("n\(i + 1) delivered in \(d.view) while in \(String(describing: nodes[i].viewID))")
      return
    }
    let key = MessageKey(view: d.view, sender: d.sender, senderSequence: d.senderSequence)
    if !nodes[i].delivered.insert(key).inserted { violate("n\(i + 1) delivered \(key) twice") }
    checkWhole(i, d)
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

  /// votequorum's rules, as seen from one node's reported status (see the type's documentation).
  mutating func checkVotequorumRules(_ i: Int, _ s: QuorumStatus, _ input: MembershipInput) {
    let c = quorumConfig
    let node = "n\(i + 1)"
    if s.quorate && s.totalVotes < s.quorum {
      let atbHalf = c.autoTieBreaker != nil && s.totalVotes == s.expectedVotes / 2
      if !atbHalf { violate("\(node) quorate with \(s.totalVotes) votes below quorum \(s.quorum) [\(result.quorum)]") }
    }
    if c.twoNode && s.members.count <= 2 && s.quorum != 1 {
      violate("\(node) two_node with \(s.members.count) members but quorum \(s.quorum) [\(result.quorum)]")
    }
    if c.waitForAll && s.quorate && !fullViewSeen {
      violate("\(node) quorate before any view held all \(n) nodes (wait_for_all) [\(result.quorum)]")
    }
    if !c.lastManStanding && s.expectedVotes < c.expectedVotes {
      violate("\(node) expected_votes \(s.expectedVotes) below \(c.expectedVotes) without last_man_standing [\(result.quorum)]")
    }
    if c.lastManStanding, let before = lastExpected[i], s.expectedVotes < before, case .tick = input {
      if let armed = lastShrink[i], now - armed >= c.lastManStandingWindow {
        lastShrink[i] = nil
      } else {
        let since = lastShrink[i].map { "\(now - $0)" } ?? "no view change"
        violate("\(node) lowered expected_votes \(before) -> \(s.expectedVotes) \(since) after the view change that armed last_man_standing, window \(c.lastManStandingWindow) [\(result.quorum)]")
      }
    }
    lastExpected[i] = s.expectedVotes
  }

  mutating func checkQuorum() {
    var quorateViews: [ViewID] = []
    for node in nodes where node.core != nil && node.quorate {
      if let v = node.viewID, !quorateViews.contains(v) { quorateViews.append(v) }
    }
    for v in quorateViews where installRecords[v]?.quorate == false {
      installRecords[v]!.quorate = true
      completeIfQuorate(v)
    }
    guard quorateViews.count > 1 else { return }
    for a in 0..<quorateViews.count {
      for b in (a + 1)..<quorateViews.count {
        let ma = Set(viewMembers[quorateViews[a]]!.map(\.id))
        let mb = Set(viewMembers[quorateViews[b]]!.map(\.id))
        if ma.isDisjoint(with: mb) {
          guard checkSingleQuorate else {
            if !result.unpromisedSplitBrain { log("disjoint quorate partitions (not promised by votequorum here): \(quorateViews[a]) and \(quorateViews[b])") }
            result.unpromisedSplitBrain = true
            return
          }
          violate("two disjoint partitions are quorate: \(quorateViews[a]) and \(quorateViews[b]) [\(result.quorum)]")
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

typealias EventHeap = MinHeap<MembershipSimulator.Event>
