import Membership

/// One process in a CPG group, as corosync names it: the node id and the process id of the client that joined.
public struct CPGAddress: Hashable, Comparable, Sendable {
  public var nodeID: UInt32
  public var pid: UInt32
  public init(nodeID: UInt32, pid: UInt32) {
    self.nodeID = nodeID
    self.pid = pid
  }
  public static func < (a: CPGAddress, b: CPGAddress) -> Bool {
    a.nodeID != b.nodeID ? a.nodeID < b.nodeID : a.pid < b.pid
  }
  /// A CPG member as a membership `Member`: the pid stands for the incarnation (a restarted client is a new member).
  public var member: Member { Member(NodeID(nodeID), incarnation: UInt64(pid)) }
}

/// The pure part of the corosync backend: turns CPG callbacks (group configuration changes, totem ring changes,
/// agreed-order messages) into `MembershipEvent`s. No corosync calls, no clock, so it is tested with plain values.
///
/// Invariants it keeps, given CPG's extended virtual synchrony (every member sees the same callbacks in the same
/// order from the moment it joined):
/// - a view's id is the same on every member: the latest totem ring (sequence, representative) seen before the
///   group change, plus a digest of the group's members, which tells apart several group changes in one ring
///   (a client leaving and rejoining while corosync stays up);
/// - `Delivery.sequence` counts messages from 1 within the view and `senderSequence` counts per sender within the
///   view, so both are identical on every member.
public struct CPGGroupState: Sendable {
  public let me: CPGAddress
  public private(set) var ringSequence: UInt64 = 0
  public private(set) var ringRepresentative: UInt32 = 0
  public private(set) var view: View?
  public private(set) var joined = false
  private var sequence: UInt64 = 0
  private var perSender: [CPGAddress: UInt64] = [:]

  public init(me: CPGAddress) { self.me = me }

  /// A totem configuration change (`cpg_totem_confchg_fn`): only the ring id is kept, for the next view's id.
  public mutating func totemChanged(ringSequence: UInt64, representative: UInt32) {
    self.ringSequence = ringSequence
    self.ringRepresentative = representative
  }

  /// A group configuration change (`cpg_confchg_fn`). Returns the events to report, in order.
  public mutating func groupChanged(members: [CPGAddress], left: [CPGAddress], joined joinedList: [CPGAddress])
    -> [MembershipEvent]
  {
    let sorted = members.sorted()
    if !joined {
      // Before our own join is confirmed, changes of other processes are not ours to report.
      guard sorted.contains(me) else { return [] }
      joined = true
    } else if !sorted.contains(me) {
      // We left the group (cpg_leave) or were removed from it.
      joined = false
      view = nil
      perSender = [:]
      sequence = 0
      return [.left]
    }
    let id = ViewID(
      epoch: ringSequence, coordinator: NodeID(ringRepresentative), coordinatorIncarnation: Self.digest(sorted))
    let v = View(id: id, members: sorted.map(\.member))
    view = v
    sequence = 0
    perSender = [:]
    return [.viewInstalled(v)]
  }

  /// An agreed-order message (`cpg_deliver_fn`). Nil before our join (CPG delivers nothing then anyway).
  public mutating func delivered(from sender: CPGAddress, payload: [UInt8]) -> MembershipEvent? {
    guard let view else { return nil }
    sequence += 1
    let n = (perSender[sender] ?? 0) + 1
    perSender[sender] = n
    return .delivered(
      Delivery(view: view.id, sequence: sequence, sender: sender.member, senderSequence: n, payload: payload))
  }

  /// FNV-1a over the sorted (node id, pid) pairs: equal member lists give equal digests on every node.
  static func digest(_ members: [CPGAddress]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for m in members {
      for v in [UInt64(m.nodeID), UInt64(m.pid)] {
        for shift in stride(from: 0, to: 64, by: 8) {
          h = (h ^ ((v >> UInt64(shift)) & 0xff)) &* 0x100_0000_01b3
        }
      }
    }
    return h
  }
}

/// What votequorum reports about one node (`votequorum_getinfo`), as plain values.
public struct VotequorumNodeInfo: Equatable, Sendable {
  public var nodeID: UInt32
  public var votes: Int
  public var expectedVotes: Int
  public var highestExpected: Int
  public var totalVotes: Int
  public var quorum: Int
  public var flags: UInt32
  public init(nodeID: UInt32, votes: Int, expectedVotes: Int, highestExpected: Int, totalVotes: Int, quorum: Int, flags: UInt32) {
    self.nodeID = nodeID
    self.votes = votes
    self.expectedVotes = expectedVotes
    self.highestExpected = highestExpected
    self.totalVotes = totalVotes
    self.quorum = quorum
    self.flags = flags
  }

  // votequorum.h VOTEQUORUM_INFO_* bits.
  public static let twoNodeFlag: UInt32 = 1
  public static let quorateFlag: UInt32 = 2
  public static let waitForAllFlag: UInt32 = 4
  public static let lastManStandingFlag: UInt32 = 8
  public static let autoTieBreakerFlag: UInt32 = 16
}

extension QuorumStatus {
  /// The status `pcs quorum status` renders, from corosync's answers: the quorum service's ring id and member list,
  /// votequorum's view of this node (`local`) and each member's votes (`votes`; a member corosync could not describe
  /// counts with 1 vote, corosync's default).
  public static func fromCorosync(
    ringSequence: UInt64, ringRepresentative: UInt32, members: [UInt32], local: VotequorumNodeInfo,
    votes: [UInt32: Int]
  ) -> QuorumStatus {
    let f = local.flags
    return QuorumStatus(
      ringID: ViewID(epoch: ringSequence, coordinator: NodeID(ringRepresentative), coordinatorIncarnation: 0),
      localNode: NodeID(local.nodeID), quorate: f & VotequorumNodeInfo.quorateFlag != 0,
      expectedVotes: local.expectedVotes, highestExpected: local.highestExpected, totalVotes: local.totalVotes,
      quorum: local.quorum,
      members: members.sorted().map { .init(nodeID: NodeID($0), votes: votes[$0] ?? 1) },
      twoNode: f & VotequorumNodeInfo.twoNodeFlag != 0, waitForAll: f & VotequorumNodeInfo.waitForAllFlag != 0,
      lastManStanding: f & VotequorumNodeInfo.lastManStandingFlag != 0,
      autoTieBreaker: f & VotequorumNodeInfo.autoTieBreakerFlag != 0)
  }
}
