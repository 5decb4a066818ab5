import Testing

@testable import Membership

/// The lease's proof of contact: echoes of this node's heartbeat send times, counted only from heartbeats naming its
/// current view, by the same incarnation, from enough members for a quorum of votes.
@Suite struct QuorumContactTests {
  let me = Member(NodeID(1), incarnation: 3)
  let v1 = ViewID(epoch: 5, coordinator: NodeID(1), coordinatorIncarnation: 3)
  let v2 = ViewID(epoch: 6, coordinator: NodeID(2), coordinatorIncarnation: 1)
  var members: [Member] { [me, Member(NodeID(2), incarnation: 1), Member(NodeID(3), incarnation: 1)] }

  func heartbeat(view: ViewID, echo: UInt64?, incarnation: UInt64 = 3, sentAt: UInt64 = 0) -> Heartbeat {
    Heartbeat(view: view, acked: nil, hears: [], received: 0, sentAtMs: sentAt,
              echoes: echo.map { [HeartbeatEcho(node: NodeID(1), incarnation: incarnation, sentAtMs: $0)] } ?? [])
  }

  func since(_ c: QuorumContact, nowMs: UInt64 = 10_000) -> UInt64? {
    c.since(members: members, me: me, votes: { _ in 1 }, quorum: 2, nowMs: nowMs)
  }

  @Test func anEchoInTheCurrentViewProvesContact() {
    var c = QuorumContact()
    #expect(since(c) == nil, "nothing echoed yet")
    c.received(heartbeat(view: v1, echo: 900), from: Member(NodeID(2), incarnation: 1), me: me, view: v1, nowMs: 1_000)
    #expect(since(c) == 900)
    c.received(heartbeat(view: v1, echo: 700), from: Member(NodeID(2), incarnation: 1), me: me, view: v1, nowMs: 1_100)
    #expect(since(c) == 900, "an older echo (reordered) changes nothing")
  }

  /// A member that moved on to another view (this node left in a stale one) still hears it and echoes it: those
  /// echoes prove nothing about this node's view.
  @Test func echoesFromAnotherViewProveNothing() {
    var c = QuorumContact()
    c.received(heartbeat(view: v2, echo: 900), from: Member(NodeID(2), incarnation: 1), me: me, view: v1, nowMs: 1_000)
    #expect(since(c) == nil)
  }

  /// An echo of an earlier life of this node (another incarnation), or of a time this node has not reached yet.
  @Test func echoesOfAnotherLifeProveNothing() {
    var c = QuorumContact()
    c.received(heartbeat(view: v1, echo: 900, incarnation: 2), from: Member(NodeID(2), incarnation: 1), me: me,
               view: v1, nowMs: 1_000)
    c.received(heartbeat(view: v1, echo: 5_000), from: Member(NodeID(3), incarnation: 1), me: me, view: v1, nowMs: 1_000)
    #expect(since(c) == nil)
  }

  /// Five nodes, quorum 3: this node and the two freshest echoes; a view change keeps the echoes of members that
  /// stay, and a peer that restarted loses its own.
  @Test func theQuorumIsTheFreshestEnoughVotes() {
    var c = QuorumContact()
    let five = (1...5).map { $0 == 1 ? me : Member(NodeID(UInt32($0)), incarnation: 1) }
    for (id, t) in [(2, 500), (3, 900), (4, 700)] {
      c.received(heartbeat(view: v1, echo: UInt64(t)), from: Member(NodeID(UInt32(id)), incarnation: 1), me: me,
                 view: v1, nowMs: 1_000)
    }
    #expect(c.since(members: five, me: me, votes: { _ in 1 }, quorum: 3, nowMs: 1_000) == 700)
    c.viewInstalled([me, Member(NodeID(2), incarnation: 1), Member(NodeID(4), incarnation: 1)])
    #expect(c.since(members: five, me: me, votes: { _ in 1 }, quorum: 3, nowMs: 1_000) == 500, "node3's echo is gone")
    c.peerRestarted(NodeID(4))
    #expect(c.since(members: five, me: me, votes: { _ in 1 }, quorum: 3, nowMs: 1_000) == nil)
    #expect(c.since(members: five, me: me, votes: { _ in 3 }, quorum: 3, nowMs: 1_000) == 1_000, "this node's own votes suffice")
  }

  /// What a heartbeat echoes: the latest send time and incarnation seen from each peer.
  @Test func heartbeatsEchoTheLatestSendTimeOfEachPeer() {
    var c = QuorumContact()
    c.received(heartbeat(view: v2, echo: nil, sentAt: 40), from: Member(NodeID(2), incarnation: 7), me: me, view: v1,
               nowMs: 1_000)
    #expect(c.echoes == [HeartbeatEcho(node: NodeID(2), incarnation: 7, sentAtMs: 40)])
  }

  @Test func theWireCarriesSendTimeAndEchoes() throws {
    let hb = heartbeat(view: v1, echo: 123, sentAt: 456)
    let p = Packet(from: me, message: .heartbeat(hb))
    let decoded = try Packet.decode(p.encoded())
    #expect(decoded == p)
  }
}
