/// The membership protocol as a value type: heartbeat failure detection, coordinator-driven view agreement with a
/// flush (extended virtual synchrony), graceful leave, merges, incarnations, and sequencer-ordered reliable
/// broadcast within a view. No I/O, no clock, no randomness: `handle` is a pure state transition.
///
/// Invariants kept (checked by the simulator): every member that installs a view id installs the same members;
/// members delivering in a view deliver prefixes of one sequence; members moving together from view V to view W
/// deliver exactly the same messages in V; a node delivers a message at most once.
public struct MembershipCore: Sendable {
  public let config: MembershipConfig
  public let me: Member
  public private(set) var view: View
  public private(set) var votequorum: Votequorum
  var now: Duration = .zero

  private var lifecycle = Lifecycle.notStarted
  /// The node left: every later input is ignored.
  public var stopped: Bool { lifecycle == .left }

  private var peers: [NodeID: Peer] = [:]
  private var contact = QuorumContact()
  private var maxEpochSeen: UInt64 = 0
  private var lastHeartbeat: Duration?

  // View change
  /// The highest proposal this node has accepted; it installs only that one.
  public private(set) var highestAcked: ViewID?
  private var agreement = Agreement.settled
  /// Set once this node accepts any proposal in the current view (see `Agreement.frozen`).
  public var frozen: Bool { if case .frozen = agreement { true } else { false } }
  /// This node's own proposal, while it collects acknowledgements.
  private var proposal: ProposalState? { if case .frozen(_, let p) = agreement { p } else { nil } }
  private var changeNeededSince: Duration?
  /// Per peer this node still hears both ways, its refusals to leave it out of a view (`mayExclude`).
  private var refusals: [NodeID: Refusal] = [:]
  private var lastInstall: Install?
  private var lastInstallResent: [NodeID: Duration] = [:]
  /// When this node, as coordinator, installed `lastInstall`.
  private var lastInstallAt: Duration = .zero
  /// Members known to have installed `lastInstall` (their heartbeat, data or acknowledgement names the view).
  /// The coordinator pushes the install to the others from its tick: a member that acknowledged a proposal and
  /// lost the install stays frozen (no ordered traffic) until it gets one, and waiting for its heartbeat to reach
  /// the coordinator first costs a heartbeat interval per lost packet in each direction (seed 9867).
  private var installConfirmed: Set<NodeID> = []

  // Ordered delivery, as a member
  private var buffer: [UInt64: OrderedEntry] = [:]
  public private(set) var received: UInt64 = 0
  public private(set) var delivered: UInt64 = 0
  var stableKnown: UInt64 = 0
  private var lastReported: UInt64 = 0
  // As a sender
  private var outgoing = OutgoingMessages()
  private var reassembly: Reassembly
  var unordered: [(seq: UInt64, payload: [UInt8])] = []
  private var nextSenderSequence: UInt64 = 1
  private var lastDataSent: Duration = .zero
  private var lastDataProgress: Duration = .zero
  /// When this member's receipt or delivery point last advanced, and when it last asked the coordinator for the
  /// stable point (`askForStablePoint`).
  private var lastOrderedProgress: Duration = .zero
  private var lastStableQuery: Duration = .zero
  /// The highest sequence number the coordinator gave one of its own messages.
  var ownOrderedUpTo: UInt64 = 0
  /// Messages handed to the coordinator in a view that ended before they were ordered and delivered.
  public private(set) var abortedBroadcasts = 0
  /// Install messages ignored because they contradicted this node's own acknowledgement (never seen in simulation).
  public private(set) var inconsistentInstalls = 0

  // As the view's coordinator (sequencer)
  var coordinator: Coordinator?

  public init(config: MembershipConfig) {
    self.config = config
    self.me = Member(config.me, incarnation: config.incarnation)
    self.view = View(id: ViewID(epoch: 0, coordinator: config.me, coordinatorIncarnation: config.incarnation), members: [me])
    self.votequorum = Votequorum(config: config.votequorum, me: config.me)
    self.reassembly = Reassembly(messageBytesMax: config.limits.payloadBytesMax)
  }

  public var quorumStatus: QuorumStatus { votequorum.status() }
  public var isQuorate: Bool { votequorum.quorate }
  public var pendingBroadcasts: Int { outgoing.queuedCount + outgoing.inFlightCount }
  /// When members with a quorum of votes last proved, in the current view, that they count this node in
  /// (`QuorumContact`; the shell's clock); nil: not since this view began. And when each peer was last heard at all.
  public var quorumContactSince: Duration? {
    // A closure, not `votequorum.config.votes(of:)`: that partial application copies the configuration, and the
    // shell asks after every input.
    contact.since(members: view.members, me: me, votes: { votequorum.config.votes(of: $0) },
                  quorum: votequorum.quorum, nowMs: now.wholeMilliseconds).map { .milliseconds($0) }
  }
  public var peerLastHeard: [NodeID: Duration] { peers.mapValues(\.lastHeard) }

  // MARK: entry point

  public mutating func handle(_ input: MembershipInput) -> [MembershipEffect] {
    var fx: [MembershipEffect] = []
    if lifecycle == .left { return fx }
    switch input {
    case .tick(let t):
      advance(to: t, &fx)
      onTick(&fx)
    case .packetReceived(let p, let t):
      advance(to: t, &fx)
      onPacket(p, &fx)
    case .leaveRequested(let t):
      advance(to: t, &fx)
      let others = config.nodes.filter { $0 != me.id }
      let p = Packet(from: me, message: .leave(Leave(view: view.id)))
      fx.append(.send(p, to: others))
      fx.append(.send(p, to: others))  // twice: a lost leave costs a failure timeout
      lifecycle = .left
      fx.append(.left)
      return fx
    case .broadcastRequested(let payload, let t):
      advance(to: t, &fx)
      if payload.count > config.limits.payloadBytesMax {
        fx.append(.broadcastRejected(reason: "payload of \(payload.count) bytes exceeds \(config.limits.payloadBytesMax)"))
      } else if outgoing.queuedCount >= config.limits.sendQueueMax {
        fx.append(.broadcastRejected(reason: "send queue full (\(config.limits.sendQueueMax) messages)"))
      } else {
        outgoing.enqueue(payload)
        if unordered.isEmpty { pumpSendQueue(&fx) }
      }
      return fx
    case .quorumDeviceVoted(let cast, let id, let t):
      advance(to: t, &fx)
      if id == view.id && votequorum.setDeviceVote(cast) { fx.append(.quorumChanged(votequorum.status())) }
      return fx
    }
    evaluateMembership(&fx)
    return fx
  }

  private mutating func advance(to t: Duration, _ fx: inout [MembershipEffect]) {
    if t > now { now = t }
    if lifecycle == .notStarted {
      lifecycle = .running
      // Start in a singleton view of our own, as corosync forms a one-node ring first.
      let infos = [votequorum.nodeInfo]
      installView(view, infos: infos, &fx)
      fx.append(.scheduleTick(after: config.timing.tickInterval))
    }
  }

  // MARK: timers

  private mutating func onTick(_ fx: inout [MembershipEffect]) {
    let timing = config.timing
    if lastHeartbeat == nil || now - lastHeartbeat! >= timing.heartbeatInterval {
      lastHeartbeat = now
      let hb = Heartbeat(view: view.id, acked: highestAcked, hears: heardPeers(), received: reportableReceived,
                         sentAtMs: now.wholeMilliseconds, echoes: contact.echoes)
      let others = config.nodes.filter { $0 != me.id }
      if !others.isEmpty { fx.append(.send(Packet(from: me, message: .heartbeat(hb)), to: others)) }
    }
    if votequorum.tick(now: now) { fx.append(.quorumChanged(votequorum.status())) }
    if case .frozen(let frozenReceived, var p?) = agreement {
      if now - p.startedAt >= timing.consensusTimeout {
        agreement = .frozen(received: frozenReceived, proposal: nil)  // evaluateMembership proposes again
      } else if now - p.lastSent >= timing.joinRetransmit {
        p.lastSent = now
        let missing = p.members.map(\.id).filter { $0 != me.id && p.acks[$0] == nil }
        agreement = .frozen(received: frozenReceived, proposal: p)
        if !missing.isEmpty {
          fx.append(.send(Packet(from: me, message: .propose(Proposal(view: p.id, members: p.members))), to: missing))
        }
      }
    }
    // Retransmit unordered data only when the sequencer made no progress on it for a while, and only the oldest
    // datagram's worth: the sequencer accepts a sender's messages in order, so that is what unblocks it.
    if !unordered.isEmpty && !frozen && now - lastDataSent >= timing.dataRetransmit
      && now - lastDataProgress >= timing.dataRetransmit
    {
      sendUnordered(from: 0, maxPackets: 1, &fx)
    }
    if coordinator != nil {
      retransmitInstall(&fx)
      coordinatorRetransmit(&fx)
    } else {
      askForStablePoint(&fx)
    }
    if unordered.isEmpty { pumpSendQueue(&fx) }
    fx.append(.scheduleTick(after: timing.tickInterval))
  }

  /// The coordinator announces a new stable point once, when it advances; a member that lost that packet holds
  /// messages it may not deliver until the next message is ordered, and when nothing else is sent (the last
  /// messages before a quiet period: a join's hellos) it would wait forever. A member that has waited a
  /// retransmit interval with undelivered messages asks again: an acknowledgement marked as a gap, which the
  /// coordinator answers with what the member lacks or, if it lacks nothing, with the stable point.
  private mutating func askForStablePoint(_ fx: inout [MembershipEffect]) {
    let wait = config.timing.dataRetransmit
    guard !frozen, delivered < received, now - lastOrderedProgress >= wait, now - lastStableQuery >= wait else { return }
    lastStableQuery = now
    let ack = OrderedAck(view: view.id, received: received, gap: true)
    fx.append(.send(Packet(from: me, message: .orderedAck(ack)), to: [view.id.coordinator]))
  }

  private var reportableReceived: UInt64 { if case .frozen(let r, _) = agreement { r } else { received } }

  /// Sends the current view's install again, every `joinRetransmit`, to members that have not shown that they
  /// installed it. Bounded: after one failure timeout a member still silent is left to the failure detector (and to
  /// the heartbeat-driven resend in `onHeartbeat`).
  private mutating func retransmitInstall(_ fx: inout [MembershipEffect]) {
    guard let inst = lastInstall, inst.view.id == view.id, now - lastInstallAt < config.timing.failTimeout else { return }
    var targets: [NodeID] = []
    for id in view.nodeIDs where !installConfirmed.contains(id) {
      let last = lastInstallResent[id] ?? lastInstallAt
      if now - last >= config.timing.joinRetransmit {
        lastInstallResent[id] = now
        targets.append(id)
      }
    }
    if !targets.isEmpty { fx.append(.send(Packet(from: me, message: .install(inst)), to: targets)) }
  }

  /// A member showed (by a packet naming the view) that it installed the coordinator's current view.
  mutating func noteInstalled(_ from: Member, view id: ViewID) {
    if coordinator != nil, id == view.id, view.contains(from) { installConfirmed.insert(from.id) }
  }

  /// Whether this node agrees to a view of `members` that leaves out peers it still hears both ways (they are in
  /// its `mutualMembers`). Totem's rule: a processor that still receives another's messages does not agree to a
  /// ring without it; only a failed set everyone reached, by its consensus timeout, is left out. Here: such a peer
  /// may be left out only once this node has refused to for a consensus timeout AND the heartbeats show a link
  /// broken (one way suffices) between that peer and a proposed member with a lower id. The first condition keeps
  /// live nodes in through the moments where the proposer has not heard them yet (a node restarting hears the
  /// cluster one peer at a time); the second settles a persistent one-way cut on one view, the same everywhere,
  /// instead of alternating between the two sides of the cut. A peer out of every quorate view keeps no lease
  /// either way: the proof of contact it needs (`QuorumContact`) comes only from heartbeats naming its own view.
  private mutating func mayExclude(from members: [Member]) -> Bool {
    let kept = Set(members.map(\.id))
    let heard = mutualMembers().map(\.id).filter { $0 != me.id && !kept.contains($0) }
    var agree = true
    for id in heard {
      var r = refusals[id] ?? Refusal(since: now, last: now)
      if now - r.last > config.timing.consensusTimeout { r.since = now }
      r.last = now
      refusals[id] = r
      let brokenWithLower = kept.contains { $0 < id && !linked($0, id) }
      if now - r.since < config.timing.consensusTimeout || !brokenWithLower { agree = false }
    }
    return agree
  }

  /// Both `a` and `b` say, in their latest heartbeats heard here, that they hear the other.
  private func linked(_ a: NodeID, _ b: NodeID) -> Bool {
    func hears(_ x: NodeID, _ y: NodeID) -> Bool {
      if x == me.id { return heardPeers().contains(y) }
      return peers[x]?.hears.contains(y) ?? false
    }
    return hears(a, b) && hears(b, a)
  }

  private func heardPeers() -> [NodeID] {
    config.nodes.filter { id in
      guard id != me.id, let p = peers[id] else { return false }
      return !p.left && now - p.lastHeard < config.timing.failTimeout
    }
  }

  // MARK: membership

  /// Itself plus every peer heard recently that also hears it.
  private func mutualMembers() -> [Member] {
    var out = [me]
    out.reserveCapacity(config.nodes.count)
    for id in config.nodes where id != me.id {
      guard let p = peers[id], !p.left, p.hearsMe, now - p.lastHeard < config.timing.failTimeout else { continue }
      out.append(Member(id, incarnation: p.incarnation))
    }
    out.sort()
    return out
  }

  /// Who this node believes should form the view: the mutual members, less each one whose link (either way, as
  /// the heartbeats tell) with a lower member kept is broken. Under a one-way cut every node that hears both sides
  /// then wants the same view: the lower side's (`mayExclude` agrees to leave the higher side out).
  private func desiredMembers() -> [Member] {
    var kept: [Member] = []
    for m in mutualMembers() where m.id == me.id || kept.allSatisfy({ linked($0.id, m.id) }) { kept.append(m) }
    return kept
  }

  private mutating func evaluateMembership(_ fx: inout [MembershipEffect]) {
    guard lifecycle == .running else { return }
    let desired = desiredMembers()
    let needChange = frozen || desired != view.members
    guard needChange else {
      changeNeededSince = nil
      return
    }
    if changeNeededSince == nil { changeNeededSince = now }
    // The lowest node of the desired set proposes; anyone proposes if nothing happened for a consensus timeout
    // (the lowest node may see the cluster differently).
    let lowest = desired[0].id == me.id
    let waitedTooLong = now - changeNeededSince! >= config.timing.consensusTimeout
    guard lowest || waitedTooLong else {
      // This node's own proposal no longer matches whom it hears, and another node now proposes: stop pressing
      // the members to leave out peers they hear (`mayExclude`).
      if case .frozen(let frozenReceived, let p?) = agreement, p.members != desired {
        agreement = .frozen(received: frozenReceived, proposal: nil)
      }
      return
    }
    if let p = proposal, p.members == desired { return }
    guard mayExclude(from: desired) else { return }  // it holds its own proposals to the rule it applies to others'
    if waitedTooLong { changeNeededSince = now }
    startProposal(desired, &fx)
  }

  private mutating func startProposal(_ members: [Member], _ fx: inout [MembershipEffect]) {
    let epoch = max(maxEpochSeen, view.id.epoch, highestAcked?.epoch ?? 0) + 1
    maxEpochSeen = epoch
    let id = ViewID(epoch: epoch, coordinator: me.id, coordinatorIncarnation: me.incarnation)
    accept(id)
    guard case .frozen(let frozenReceived, _) = agreement else { preconditionFailure("accepting freezes") }
    let p = ProposalState(id: id, members: members, acks: [me.id: ownAck(for: id)], startedAt: now, lastSent: now)
    agreement = .frozen(received: frozenReceived, proposal: p)
    let others = members.map(\.id).filter { $0 != me.id }
    if !others.isEmpty { fx.append(.send(Packet(from: me, message: .propose(Proposal(view: id, members: members))), to: others)) }
    completeProposalIfReady(&fx)
  }

  private mutating func accept(_ id: ViewID) {
    highestAcked = id
    if case .settled = agreement { agreement = .frozen(received: received, proposal: nil) }
  }

  private func ownAck(for id: ViewID) -> ProposalAck {
    ProposalAck(proposal: id, currentView: view.id, received: received, info: votequorum.nodeInfo)
  }

  private mutating func completeProposalIfReady(_ fx: inout [MembershipEffect]) {
    guard case .frozen(let frozenReceived, let p?) = agreement, p.members.allSatisfy({ p.acks[$0.id] != nil }) else {
      return
    }
    var cuts: [ViewID: UInt64] = [:]
    for ack in p.acks.values { cuts[ack.currentView] = min(cuts[ack.currentView] ?? .max, ack.received) }
    let install = Install(
      view: View(id: p.id, members: p.members),
      cuts: cuts.map { Cut(view: $0.key, upTo: $0.value) }.sorted { $0.view < $1.view },
      infos: p.acks.values.map(\.info).sorted { $0.nodeID < $1.nodeID })
    agreement = .frozen(received: frozenReceived, proposal: nil)
    lastInstall = install
    lastInstallResent = [:]
    lastInstallAt = now
    installConfirmed = [me.id]
    let others = p.members.map(\.id).filter { $0 != me.id }
    if !others.isEmpty { fx.append(.send(Packet(from: me, message: .install(install)), to: others)) }
    applyInstall(install, &fx)
  }

  private mutating func applyInstall(_ inst: Install, _ fx: inout [MembershipEffect]) {
    guard inst.view.contains(me), inst.view.id == highestAcked, inst.view.id != view.id else { return }
    // Both hold by construction (the cut comes from our own acknowledgement); a packet breaking them is ignored
    // rather than trusted, and counted.
    guard let cut = inst.cuts.first(where: { $0.view == view.id }), received >= cut.upTo else {
      inconsistentInstalls += 1
      return
    }
    deliver(upTo: cut.upTo, &fx)
    installView(inst.view, infos: inst.infos, &fx)
  }

  private mutating func installView(_ v: View, infos: [QuorumNodeInfo], _ fx: inout [MembershipEffect]) {
    // What this node began sending in the old view and did not deliver itself by the cut, nobody moving on with it
    // delivered either (the cut is at most its own receipt point): whole messages only, reported to the user.
    let aborted = outgoing.abortInFlight()
    abortedBroadcasts += aborted.count
    for payload in aborted { fx.append(.broadcastAborted(payload: payload, view: view.id)) }
    reassembly.reset()
    view = v
    // Any proposal of this node was completed (it is this view) or abandoned for the higher one installed.
    agreement = .settled
    buffer = [:]
    received = 0
    delivered = 0
    stableKnown = 0
    lastReported = 0
    unordered = []
    nextSenderSequence = 1
    ownOrderedUpTo = 0
    lastOrderedProgress = now
    changeNeededSince = nil
    refusals = [:]
    coordinator = v.id.coordinator == me.id && v.id.coordinatorIncarnation == me.incarnation ? Coordinator() : nil
    votequorum.viewInstalled(ringID: v.id, members: v.nodeIDs, infos: infos, now: now)
    contact.viewInstalled(v.members)
    fx.append(.installView(v))
    fx.append(.quorumChanged(votequorum.status()))
    pumpSendQueue(&fx)
  }

  // MARK: packets

  private mutating func onPacket(_ p: Packet, _ fx: inout [MembershipEffect]) {
    let from = p.from
    guard from.id != me.id, config.nodes.contains(from.id) else { return }
    if var peer = peers[from.id] {
      if from.incarnation < peer.incarnation { return }  // an older process of that node: stale
      if from.incarnation > peer.incarnation {
        peer = Peer(incarnation: from.incarnation, lastHeard: now, hearsMe: false, left: false)
        contact.peerRestarted(from.id)
      }
      peer.lastHeard = now
      peers[from.id] = peer
    } else {
      peers[from.id] = Peer(incarnation: from.incarnation, lastHeard: now, hearsMe: false, left: false)
    }
    switch p.message {
    case .heartbeat(let hb): onHeartbeat(from, hb, &fx)
    case .propose(let prop): onPropose(from, prop, &fx)
    case .proposalAck(let ack): onProposalAck(from, ack, &fx)
    case .install(let inst):
      maxEpochSeen = max(maxEpochSeen, inst.view.id.epoch)
      applyInstall(inst, &fx)
    case .data(let d): onData(from, d, &fx)
    case .ordered(let o): onOrdered(o, &fx)
    case .orderedAck(let a): onOrderedAck(from, a, &fx)
    case .leave:
      peers[from.id]?.left = true
    }
  }

  private mutating func onHeartbeat(_ from: Member, _ hb: Heartbeat, _ fx: inout [MembershipEffect]) {
    peers[from.id]?.hearsMe = hb.hears.contains(me.id)
    peers[from.id]?.hears = hb.hears
    contact.received(hb, from: from, me: me, view: view.id, nowMs: now.wholeMilliseconds)
    peers[from.id]?.reportedView = hb.view
    peers[from.id]?.reportedAcked = hb.acked
    maxEpochSeen = max(maxEpochSeen, hb.view.epoch, hb.acked?.epoch ?? 0)
    guard coordinator != nil, view.contains(from) else { return }
    noteInstalled(from, view: hb.view)
    if hb.view == view.id {
      noteMemberReceived(from.id, hb.received, &fx)
    } else if hb.acked == view.id, let inst = lastInstall, inst.view.id == view.id {
      // The member accepted our proposal but missed the install: send it again.
      let last = lastInstallResent[from.id]
      if last == nil || now - last! >= config.timing.joinRetransmit {
        lastInstallResent[from.id] = now
        fx.append(.send(Packet(from: me, message: .install(inst)), to: [from.id]))
      }
    }
  }

  private mutating func onPropose(_ from: Member, _ prop: Proposal, _ fx: inout [MembershipEffect]) {
    maxEpochSeen = max(maxEpochSeen, prop.view.epoch)
    guard prop.view.coordinator == from.id, prop.view.coordinatorIncarnation == from.incarnation,
      prop.members.contains(me), prop.members.contains(from)
    else { return }
    if let h = highestAcked, prop.view < h { return }
    if highestAcked != prop.view {
      guard mayExclude(from: prop.members) else { return }
      if case .frozen(let frozenReceived, let mine?) = agreement, mine.id < prop.view {
        agreement = .frozen(received: frozenReceived, proposal: nil)
      }
      accept(prop.view)
    }
    if view.id == prop.view { return }  // already installed: the proposer is done
    fx.append(.send(Packet(from: me, message: .proposalAck(ownAck(for: prop.view))), to: [from.id]))
  }

  private mutating func onProposalAck(_ from: Member, _ ack: ProposalAck, _ fx: inout [MembershipEffect]) {
    guard case .frozen(let frozenReceived, var p?) = agreement, ack.proposal == p.id, p.members.contains(from),
      ack.info.nodeID == from.id
    else { return }
    p.acks[from.id] = ack
    agreement = .frozen(received: frozenReceived, proposal: p)
    completeProposalIfReady(&fx)
  }

  // MARK: ordered broadcast, sender side

  mutating func pumpSendQueue(_ fx: inout [MembershipEffect]) {
    guard lifecycle != .notStarted, !frozen, outgoing.hasFragment, unordered.count < config.limits.senderWindowMax else {
      return
    }
    // The coordinator orders its own messages at once, so "one batch in flight" would mean one message per batch;
    // it waits instead until its previous batch is stable, which batches under load and costs nothing when idle.
    if coordinator != nil && ownOrderedUpTo > stableKnown { return }
    let start = unordered.count
    if start == 0 { lastDataProgress = now }
    while unordered.count < config.limits.senderWindowMax,
      let fragment = outgoing.nextFragment(fragmentBytesMax: config.limits.fragmentBytesMax)
    {
      unordered.append((nextSenderSequence, fragment))
      nextSenderSequence += 1
    }
    sendUnordered(from: start, &fx)
  }

  private mutating func sendUnordered(from start: Int, maxPackets: Int = .max, _ fx: inout [MembershipEffect]) {
    lastDataSent = now
    var i = start
    var packets = 0
    while i < unordered.count && packets < maxPackets {
      packets += 1
      var bytes = 0
      var payloads: [[UInt8]] = []
      let first = unordered[i].seq
      while i < unordered.count && (payloads.isEmpty || bytes + unordered[i].payload.count <= config.limits.packetPayloadBytesMax) {
        bytes += unordered[i].payload.count + 8
        payloads.append(unordered[i].payload)
        i += 1
      }
      let batch = DataBatch(view: view.id, firstSequence: first, payloads: payloads)
      if view.id.coordinator == me.id {
        onData(me, batch, &fx)
      } else {
        fx.append(.send(Packet(from: me, message: .data(batch)), to: [view.id.coordinator]))
      }
    }
  }

  // MARK: ordered broadcast, member side

  mutating func onOrdered(_ o: OrderedBatch, _ fx: inout [MembershipEffect]) {
    guard o.view == view.id else { return }
    var gap = false
    for e in o.entries where e.sequence > received {
      if buffer[e.sequence] == nil { buffer[e.sequence] = e }
      if e.sequence > received + 1 && buffer[received + 1] == nil { gap = true }
    }
    let before = received
    var ownUpTo: UInt64 = 0
    while let e = buffer[received + 1] {
      received += 1
      if e.sender == me.id { ownUpTo = max(ownUpTo, e.senderSequence) }
    }
    if ownUpTo > 0, let first = unordered.first, first.seq <= ownUpTo {
      let n = unordered.prefix { $0.seq <= ownUpTo }.count
      unordered.removeFirst(n)
      lastDataProgress = now
    }
    if o.stable > stableKnown { stableKnown = o.stable }
    let deliveredBefore = delivered
    deliver(upTo: min(received, stableKnown), &fx)
    if received > before || delivered > deliveredBefore { lastOrderedProgress = now }
    if received > before || gap {
      if coordinator != nil {
        noteMemberReceived(me.id, received, &fx)
      } else if !frozen {
        lastReported = received
        fx.append(.send(Packet(from: me, message: .orderedAck(OrderedAck(view: view.id, received: received, gap: gap))), to: [view.id.coordinator]))
      }
    }
    if unordered.isEmpty { pumpSendQueue(&fx) }
  }

  mutating func deliver(upTo limit: UInt64, _ fx: inout [MembershipEffect]) {
    while delivered < limit {
      let seq = delivered + 1
      guard let e = buffer.removeValue(forKey: seq) else {
        preconditionFailure("\(me) must deliver \(seq) in \(view.id) but does not have it")
      }
      delivered = seq
      guard case .whole(let payload) = reassembly.add(e.payload, from: e.sender) else { continue }
      if e.sender == me.id { outgoing.delivered() }
      let sender = view.members.first { $0.id == e.sender } ?? Member(e.sender, incarnation: 0)
      fx.append(.deliver(Delivery(view: view.id, sequence: seq, sender: sender, senderSequence: e.senderSequence, payload: payload)))
    }
  }
}
