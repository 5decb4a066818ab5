import Testing

@testable import Membership

/// A tiny in-memory network for scripted scenarios: instant FIFO delivery, ticks every 10 ms, isolation by node.
struct Harness {
  var cores: [NodeID: MembershipCore] = [:]
  var now: Duration = .zero
  var queue: [(to: NodeID, packet: Packet)] = []
  var isolated: Set<NodeID> = []
  /// Drops a packet (from, to, packet) when it returns true: scripted losses.
  var drop: ((NodeID, NodeID, Packet) -> Bool)?
  /// Every packet dropped by `drop`, in order.
  var dropped: [(from: NodeID, to: NodeID, packet: Packet)] = []
  var views: [NodeID: View] = [:]
  var quorum: [NodeID: QuorumStatus] = [:]
  var deliveries: [NodeID: [Delivery]] = [:]
  var installs: [NodeID: [(Duration, View)]] = [:]
  let ids: [NodeID]
  let vq: VotequorumConfig

  init(_ n: Int, options: QuorumOptions = QuorumOptions()) {
    ids = (1...n).map { NodeID(UInt32($0)) }
    vq = try! VotequorumConfig(nodes: ids.map { NodeEntry(nodeID: $0, ring0Addr: "127.0.0.1") }, options: options)
    for id in ids { start(id, incarnation: 1) }
  }

  mutating func start(_ id: NodeID, incarnation: UInt64) {
    cores[id] = MembershipCore(config: MembershipConfig(me: id, incarnation: incarnation, nodes: ids, votequorum: vq))
    feed(id, .tick(now: now))
  }

  mutating func feed(_ id: NodeID, _ input: MembershipInput) {
    guard var core = cores[id] else { return }
    let fx = core.handle(input)
    cores[id] = core
    for e in fx {
      switch e {
      case .send(let p, let targets):
        for t in targets where !isolated.contains(id) && !isolated.contains(t) {
          if let drop, drop(id, t, p) {
            dropped.append((id, t, p))
          } else {
            queue.append((t, p))
          }
        }
      case .installView(let v):
        views[id] = v
        installs[id, default: []].append((now, v))
      case .quorumChanged(let s): quorum[id] = s
      case .deliver(let d): deliveries[id, default: []].append(d)
      case .left: cores[id] = nil
      case .scheduleTick, .broadcastRejected, .broadcastAborted: break
      }
    }
  }

  mutating func drain() {
    var guardCount = 0
    while !queue.isEmpty && guardCount < 1_000_000 {
      let (to, p) = queue.removeFirst()
      feed(to, .packetReceived(p, now: now))
      guardCount += 1
    }
  }

  mutating func run(for d: Duration) {
    let end = now + d
    while now < end {
      now += .milliseconds(10)
      for id in ids { feed(id, .tick(now: now)) }
      drain()
    }
  }

  func memberIDs(_ id: NodeID) -> [NodeID] { views[id]?.nodeIDs ?? [] }
}

@Test func threeNodesFormOneQuorateView() {
  var h = Harness(3)
  h.run(for: .seconds(1))
  let v = h.views[NodeID(1)]!
  #expect(v.nodeIDs == [NodeID(1), NodeID(2), NodeID(3)])
  for id in h.ids {
    #expect(h.views[id] == v, "every member installs the same view id and members")
    #expect(h.quorum[id]?.quorate == true)
    #expect(h.quorum[id]?.quorum == 2)
  }
  #expect(v.id.coordinator == NodeID(1), "the lowest node id coordinates")
}

@Test func crashedNodeIsDetectedAndTheRestKeepQuorum() {
  var h = Harness(3)
  h.run(for: .seconds(1))
  let crashAt = h.now
  h.cores[NodeID(3)] = nil
  h.run(for: .seconds(2))
  for id in [NodeID(1), NodeID(2)] {
    #expect(h.memberIDs(id) == [NodeID(1), NodeID(2)])
    #expect(h.quorum[id]?.quorate == true)
    let detectedAt = h.installs[id]!.last!.0
    #expect(detectedAt - crashAt <= .milliseconds(600), "detected within the failure timeout plus a view change")
  }
}

@Test func isolatedNodeLosesQuorumAndRejoinsAfterHealing() {
  var h = Harness(3)
  h.run(for: .seconds(1))
  h.isolated = [NodeID(2)]
  h.run(for: .seconds(2))
  #expect(h.memberIDs(NodeID(2)) == [NodeID(2)])
  #expect(h.quorum[NodeID(2)]?.quorate == false)
  #expect(h.memberIDs(NodeID(1)) == [NodeID(1), NodeID(3)])
  #expect(h.quorum[NodeID(1)]?.quorate == true)
  h.isolated = []
  h.run(for: .seconds(2))
  for id in h.ids {
    #expect(h.memberIDs(id) == h.ids, "partitions merge")
    #expect(h.quorum[id]?.quorate == true)
  }
}

@Test func gracefulLeaveIsAnnouncedAndInstalledWithoutWaitingForTheTimeout() {
  var h = Harness(3)
  h.run(for: .seconds(1))
  let leaveAt = h.now
  h.feed(NodeID(2), .leaveRequested(now: h.now))
  h.drain()
  #expect(h.cores[NodeID(2)] == nil)
  #expect(h.memberIDs(NodeID(1)) == [NodeID(1), NodeID(3)])
  #expect(h.memberIDs(NodeID(3)) == [NodeID(1), NodeID(3)])
  #expect(h.installs[NodeID(1)]!.last!.0 == leaveAt, "no timer involved")
}

@Test func restartedNodeIsANewIncarnation() {
  var h = Harness(3)
  h.run(for: .seconds(1))
  h.start(NodeID(3), incarnation: 2)  // crash and immediate restart: same id, new process
  h.run(for: .seconds(2))
  for id in h.ids {
    #expect(h.views[id]?.members.contains(Member(NodeID(3), incarnation: 2)) == true)
    #expect(h.views[id]?.members.contains(Member(NodeID(3), incarnation: 1)) == false)
  }
}

@Test func broadcastIsDeliveredInTheSameOrderEverywhere() {
  var h = Harness(3)
  h.run(for: .seconds(1))
  for round in 0..<50 {
    for id in h.ids { h.feed(id, .broadcastRequested(payload: Array("\(id)-\(round)".utf8), now: h.now)) }
    if round % 7 == 0 { h.drain() }
  }
  h.run(for: .milliseconds(500))
  let reference = h.deliveries[NodeID(1)]!.map(\.payload)
  #expect(reference.count == 150)
  for id in h.ids { #expect(h.deliveries[id]!.map(\.payload) == reference) }
  // FIFO per sender
  let fromTwo = reference.map { String(decoding: $0, as: UTF8.self) }.filter { $0.hasPrefix("2-") }
  #expect(fromTwo == (0..<50).map { "2-\($0)" })
}

@Test func viewChangeFallsAtTheSamePointOfTheDeliveryOrder() {
  var h = Harness(4)
  h.run(for: .seconds(1))
  for i in 0..<40 { h.feed(NodeID(UInt32(i % 4 + 1)), .broadcastRequested(payload: [UInt8(i)], now: h.now)) }
  // The coordinator crashes with messages in flight.
  h.queue.removeAll { $0.to == NodeID(3) && $0.packet.from.id == NodeID(1) }
  h.cores[NodeID(1)] = nil
  h.run(for: .seconds(2))
  let survivors = [NodeID(2), NodeID(3), NodeID(4)]
  let newView = h.views[NodeID(2)]!
  #expect(newView.nodeIDs == survivors)
  let oldView = h.installs[NodeID(2)]!.dropLast().last!.1.id
  let inOld = survivors.map { id in h.deliveries[id, default: []].filter { $0.view == oldView }.map(\.payload) }
  #expect(inOld[0] == inOld[1] && inOld[1] == inOld[2], "virtual synchrony: same messages before the view change")
}

@Test func broadcastLimitsAreEnforced() {
  var h = Harness(1)
  var core = h.cores[NodeID(1)]!
  let fx = core.handle(.broadcastRequested(payload: Array(repeating: 0, count: MembershipLimits().payloadBytesMax + 1), now: h.now))
  #expect(fx.contains { if case .broadcastRejected = $0 { return true } else { return false } })
  h.cores[NodeID(1)] = core
}
