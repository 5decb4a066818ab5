/// Timers of the membership protocol. Derived from totem's `token`/`join`/`consensus` when the config sets them;
/// the defaults are Vigil's (docs/BENCHMARKS.md explains them), not corosync's 3000 ms token.
public struct MembershipTiming: Equatable, Sendable {
  /// A peer not heard from for this long is suspected (corosync's `token`).
  public var failTimeout: Duration
  /// How often each node sends a heartbeat to every configured node.
  public var heartbeatInterval: Duration
  /// Retransmission of proposals (corosync's `join`).
  public var joinRetransmit: Duration
  /// Retransmission of unordered data and of ordered messages a member lacks.
  public var dataRetransmit: Duration
  /// A view change that has not completed after this long is restarted with a new epoch (`consensus`).
  public var consensusTimeout: Duration
  /// The resolution of the core's timers: the shell ticks the core this often.
  public var tickInterval: Duration

  public init(
    failTimeout: Duration = .milliseconds(400), heartbeatInterval: Duration? = nil,
    joinRetransmit: Duration = .milliseconds(50), dataRetransmit: Duration = .milliseconds(20),
    consensusTimeout: Duration? = nil, tickInterval: Duration = .milliseconds(10)
  ) {
    precondition(failTimeout > .zero && tickInterval > .zero)
    self.failTimeout = failTimeout
    self.heartbeatInterval = heartbeatInterval ?? failTimeout / 4
    self.joinRetransmit = joinRetransmit
    self.dataRetransmit = dataRetransmit
    self.consensusTimeout = consensusTimeout ?? failTimeout * 1.2
    self.tickInterval = tickInterval
    precondition(self.heartbeatInterval < failTimeout, "heartbeats must be more frequent than the failure timeout")
  }

  public init(totem: TotemOptions) {
    let token = Duration.milliseconds(totem.tokenMs ?? 400)
    self.init(
      failTimeout: token, joinRetransmit: .milliseconds(totem.joinMs ?? 50),
      consensusTimeout: totem.consensusMs.map { .milliseconds($0) })
  }
}

/// Bounds on every queue of the core (TigerStyle: a limit on everything).
public struct MembershipLimits: Equatable, Sendable {
  /// Messages waiting to be sent (the application gets `.broadcastRejected` beyond it).
  public var sendQueueMax: Int = 100_000
  /// Messages a sender has handed to the coordinator and not yet seen ordered.
  public var senderWindowMax: Int = 4096
  /// Ordered messages the coordinator keeps until every member has them; beyond it, it stops ordering.
  public var coordinatorLogMax: Int = 65_536
  /// Largest payload of one message (sent as fragments of `fragmentBytesMax`, delivered whole or not at all).
  public var payloadBytesMax: Int = 16 << 20
  /// Largest piece of a message carried by one ordered entry.
  public var fragmentBytesMax: Int = 30_000
  /// Payload bytes packed into one datagram.
  public var packetPayloadBytesMax: Int = 48_000
  public init() {}
}

public struct MembershipConfig: Equatable, Sendable {
  public var me: NodeID
  public var incarnation: UInt64
  /// Every node of the nodelist, including this one.
  public var nodes: [NodeID]
  public var votequorum: VotequorumConfig
  public var timing: MembershipTiming
  public var limits: MembershipLimits
  public init(
    me: NodeID, incarnation: UInt64, nodes: [NodeID], votequorum: VotequorumConfig,
    timing: MembershipTiming = MembershipTiming(), limits: MembershipLimits = MembershipLimits()
  ) {
    precondition(nodes.contains(me), "the local node must be in the nodelist")
    self.me = me
    self.incarnation = incarnation
    self.nodes = nodes.sorted()
    self.votequorum = votequorum
    self.timing = timing
    self.limits = limits
  }
}

/// Facts the shell feeds into the core. `now` is the shell's monotonic clock (simulated time in the simulator).
public enum MembershipInput: Sendable, Equatable {
  case tick(now: Duration)
  case packetReceived(Packet, now: Duration)
  case leaveRequested(now: Duration)
  case broadcastRequested(payload: [UInt8], now: Duration)
  /// The quorum device client learned that this node holds (or no longer holds) the arbiter's vote for `view`.
  case quorumDeviceVoted(cast: Bool, view: ViewID, now: Duration)
}

/// What the shell must do, in order.
public enum MembershipEffect: Sendable, Equatable {
  case send(Packet, to: [NodeID])
  case installView(View)
  case quorumChanged(QuorumStatus)
  case deliver(Delivery)
  case scheduleTick(after: Duration)
  case broadcastRejected(reason: String)
  /// A message this node broadcast in `view` was delivered to no member that installs the next view with it
  /// (a view change cut it); it is not sent again. Reported before the next `.installView`.
  case broadcastAborted(payload: [UInt8], view: ViewID)
  case left
}

extension MembershipCore {
  struct Peer: Sendable {
    var incarnation: UInt64
    var lastHeard: Duration
    var hearsMe: Bool
    var left: Bool
    /// The peers its latest heartbeat says it hears (`MembershipCore.mayExclude`).
    var hears: [NodeID] = []
    var reportedView: ViewID?
    var reportedAcked: ViewID?
  }
  /// This node refused proposals that leave out a peer it hears both ways (`MembershipCore.mayExclude`): since when,
  /// and the latest such refusal (a pause longer than a consensus timeout starts a new episode).
  struct Refusal: Sendable {
    var since: Duration
    var last: Duration
  }
  struct ProposalState: Sendable {
    var id: ViewID
    var members: [Member]
    var acks: [NodeID: ProposalAck]
    var startedAt: Duration
    var lastSent: Duration
  }
  struct Coordinator: Sendable {
    var nextSequence: UInt64 = 1
    var log: [OrderedEntry] = []
    var logBase: UInt64 = 1
    var expectedSender: [NodeID: UInt64] = [:]
    var memberReceived: [NodeID: UInt64] = [:]
    var stable: UInt64 = 0
    var lastRetransmit: [NodeID: Duration] = [:]
    /// When each member's received point last advanced: only a member stuck for a retransmit interval gets a
    /// retransmission from the tick (acks in flight are not losses).
    var lastProgress: [NodeID: Duration] = [:]
  }
}
