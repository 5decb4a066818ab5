/// Proof that a quorum of this node's current view still counts it in, recent enough to hold resources under: the
/// lease of docs/ARCHITECTURE.md ("The lease", "The watchdog").
///
/// Each heartbeat carries its send time on the sender's clock and echoes, per peer, the latest send time it got
/// from that peer (with the incarnation it belongs to). An echo of this node's time `t` in a heartbeat that names
/// this node's current view proves that its sender was in this very view when it sent it, and had by then received
/// this node's heartbeat of `t`, so it last heard this node at `t` or later (real time, whatever its clock). A node
/// holds its lease while members with a quorum of votes (itself included) have echoed a time within the lease
/// bound: the survivors of a view without it count their wait from when they last heard it, which is never before
/// the echoed time. Receive times would not do: a node resuming from a freeze reads old heartbeats from its socket
/// as if they were new, and a node left in a stale view keeps hearing members that moved on.
struct QuorumContact: Sendable, Equatable {
  /// Per peer, the latest of this node's send times (ms on its clock) it echoed in a heartbeat of the current view.
  private(set) var echoedMs: [NodeID: UInt64] = [:]
  /// Per peer, the latest send time (its clock) and incarnation seen on its heartbeats: echoed back to it.
  private(set) var peerSent: [NodeID: HeartbeatEcho] = [:]

  /// What this node's next heartbeat echoes, sorted by node.
  var echoes: [HeartbeatEcho] { peerSent.values.sorted { $0.node < $1.node } }

  mutating func received(_ hb: Heartbeat, from: Member, me: Member, view: ViewID, nowMs: UInt64) {
    if let sent = hb.sentAtMs { peerSent[from.id] = HeartbeatEcho(node: from.id, incarnation: from.incarnation, sentAtMs: sent) }
    guard hb.view == view, let e = hb.echoes.first(where: { $0.node == me.id }), e.incarnation == me.incarnation,
          e.sentAtMs <= nowMs else { return }
    echoedMs[from.id] = max(echoedMs[from.id] ?? 0, e.sentAtMs)
  }

  /// A new view: echoes of members that stay in it carry over (they were in this node's view when they sent them,
  /// and still are); the others' are dropped.
  mutating func viewInstalled(_ members: [Member]) {
    echoedMs = echoedMs.filter { id, _ in members.contains { $0.id == id } }
  }

  /// A peer restarted (new incarnation): what it sent in its earlier life is not echoed to the new one.
  mutating func peerRestarted(_ id: NodeID) {
    peerSent[id] = nil
    echoedMs[id] = nil
  }

  /// The latest time `t` (ms, this node's clock) such that members of `members` holding `quorum` votes (this node
  /// included, always current) echoed a heartbeat this node sent at `t` or later; nil when they never did.
  func since(members: [Member], me: Member, votes: (NodeID) -> Int, quorum: Int, nowMs: UInt64) -> UInt64? {
    var total = votes(me.id)
    if total >= quorum { return nowMs }
    // One buffer (asked after every input of the shell): the other members' echoes, newest first.
    var echoed: [(NodeID, UInt64)] = []
    echoed.reserveCapacity(members.count)
    for m in members where m.id != me.id {
      if let t = echoedMs[m.id] { echoed.append((m.id, t)) }
    }
    echoed.sort { $0.1 > $1.1 }
    for (id, t) in echoed {
      total += votes(id)
      if total >= quorum { return t }
    }
    return nil
  }
}

/// The latest send time a node saw on a peer's heartbeats, sent back to it.
public struct HeartbeatEcho: Equatable, Sendable {
  public var node: NodeID
  public var incarnation: UInt64
  public var sentAtMs: UInt64
  public init(node: NodeID, incarnation: UInt64, sentAtMs: UInt64) {
    self.node = node
    self.incarnation = incarnation
    self.sentAtMs = sentAtMs
  }
}

extension Duration {
  /// Whole milliseconds since the shell's clock origin (0 for a negative duration).
  var wholeMilliseconds: UInt64 {
    let (s, atto) = components
    return UInt64(max(0, s * 1000 + atto / 1_000_000_000_000_000))
  }
}
