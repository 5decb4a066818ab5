/// The values the quorum arbiter and its clients share: which partition asks, under which rules, and the answer.
///
/// The arbiter (`vigil-arbiter`, corosync-qnetd's role) gives the quorum device's vote to at most one partition of a
/// cluster at a time. A partition is named by the view its members installed (the membership's ring id) and its
/// member list; a vote is granted to one view and lapses when that view ends or its lease runs out.

/// A membership view as the arbiter sees it: the view id (epoch, coordinator node, coordinator incarnation: the
/// membership's ring id) and its members, sorted. Two nodes in the same view report equal values.
public struct PartitionView: Hashable, Sendable, CustomStringConvertible {
  public var epoch: UInt64
  public var coordinator: UInt32
  public var coordinatorIncarnation: UInt64
  public private(set) var members: [UInt32]

  public init(epoch: UInt64, coordinator: UInt32, coordinatorIncarnation: UInt64, members: [UInt32]) {
    self.epoch = epoch
    self.coordinator = coordinator
    self.coordinatorIncarnation = coordinatorIncarnation
    self.members = Array(Set(members)).sorted()
  }

  public func overlaps(_ other: PartitionView) -> Bool { members.contains { other.members.contains($0) } }
  public func isSubset(of other: PartitionView) -> Bool { members.allSatisfy { other.members.contains($0) } }
  public var description: String {
    "\(coordinator).\(epoch)/\(coordinatorIncarnation) [\(members.map(String.init).joined(separator: ","))]"
  }
}

/// corosync-qdevice's `algorithm` for model net.
public enum ArbiterAlgorithm: UInt8, Sendable, CaseIterable, CustomStringConvertible {
  /// fifty-fifty split: the vote goes to the partition with more nodes, then the higher heuristics score (nodes
  /// reporting + passing - failing, as corosync-qnetd counts it), then the one running resources, then the tie
  /// breaker's side. Device votes 1 (`votes` = 1).
  case ffsplit = 1
  /// last man standing: the same order, device votes nodes - 1, so one node holding the vote is quorate alone.
  case lms = 2
  public var description: String { self == .ffsplit ? "ffsplit" : "lms" }
  public init?(name: String) {
    switch name {
    case "ffsplit": self = .ffsplit
    case "lms": self = .lms
    default: return nil
    }
  }
}

/// corosync-qdevice's `tie_breaker`: which side of an otherwise even split gets the vote.
public enum ArbiterTieBreaker: Hashable, Sendable, CustomStringConvertible {
  case lowest
  case highest
  case node(UInt32)
  public var description: String {
    switch self {
    case .lowest: return "lowest"
    case .highest: return "highest"
    case .node(let id): return String(id)
    }
  }
  /// `lowest`, `highest` or a node id, as corosync.conf writes it.
  public init?(text: String) {
    switch text {
    case "lowest": self = .lowest
    case "highest": self = .highest
    default:
      guard let id = UInt32(text), id > 0 else { return nil }
      self = .node(id)
    }
  }
}

/// The result of a node's heuristics (corosync-qdevice's `heuristics` commands, e.g. a ping of the gateway).
public enum HeuristicsResult: UInt8, Sendable {
  case undefined = 0
  case pass = 1
  case fail = 2
}

/// One poll of a node: "my partition is this view; may it have the vote?". Sent on every view change and every
/// poll period; doubles as the keepalive that renews a granted vote.
public struct VoteRequest: Equatable, Sendable {
  public var cluster: String
  public var node: UInt32
  /// The node process's incarnation (start time): a restarted node replaces its earlier reports.
  public var incarnation: UInt64
  /// Echoed in the reply, so the node knows which poll (and when it sent it) is answered.
  public var sequence: UInt64
  public var view: PartitionView
  public var algorithm: ArbiterAlgorithm
  public var tieBreaker: ArbiterTieBreaker
  public var heuristics: HeuristicsResult
  /// Whether resources run on this node (the side that runs them keeps them on an even split).
  public var runsResources: Bool

  public init(
    cluster: String, node: UInt32, incarnation: UInt64, sequence: UInt64, view: PartitionView,
    algorithm: ArbiterAlgorithm = .ffsplit, tieBreaker: ArbiterTieBreaker = .lowest,
    heuristics: HeuristicsResult = .undefined, runsResources: Bool = false
  ) {
    self.cluster = cluster
    self.node = node
    self.incarnation = incarnation
    self.sequence = sequence
    self.view = view
    self.algorithm = algorithm
    self.tieBreaker = tieBreaker
    self.heuristics = heuristics
    self.runsResources = runsResources
  }
}

/// The arbiter's answer to one `VoteRequest`.
public enum VoteAnswer: Equatable, Sendable {
  /// The partition of the request's view holds the vote for `leaseMs` from the moment the node sent the request.
  case vote(leaseMs: UInt32)
  /// Another partition gets (or holds) the vote, or the request is refused; `reason` says which.
  case noVote(reason: String)
  /// Not decided yet: a node whose report overlaps this partition has not reported its new view, or a disjoint
  /// partition's vote has not lapsed. Ask again at the next poll.
  case wait(reason: String)
}

public struct VoteReply: Equatable, Sendable {
  public var sequence: UInt64
  public var view: PartitionView
  public var answer: VoteAnswer
  public init(sequence: UInt64, view: PartitionView, answer: VoteAnswer) {
    self.sequence = sequence
    self.view = view
    self.answer = answer
  }
}
