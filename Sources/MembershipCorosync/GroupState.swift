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

  /// The quorum notice as it applies to the current group view. votequorum decides per totem ring, and a group
  /// view changes within one ring whenever a clusterd process joins or leaves (no new quorum notice then), so a
  /// notice about this view's ring names this view: the controller matches quorum to views by id. A loss of quorum
  /// names the current view whatever its ring (a ring can change without a group change, e.g. when a node that runs
  /// corosync but no clusterd leaves), because a loss must never be ignored as stale.
  public func quorumNotice(_ status: QuorumStatus) -> QuorumStatus {
    guard let view, let ring = status.ringID,
      !status.quorate || (ring.epoch == view.id.epoch && ring.coordinator == view.id.coordinator)
    else { return status }
    var named = status
    named.ringID = view.id
    return named
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

  /// One CPG message (`cpg_deliver_fn`), which carries one or more broadcasts (`CPGBatch`): one `.delivered` per
  /// broadcast, in the order they were packed. A message that is not a well-formed batch yields nothing, on every
  /// member alike (it is the same bytes everywhere), so the order stays identical.
  public mutating func deliveredMessage(from sender: CPGAddress, message: [UInt8]) -> [MembershipEvent] {
    guard view != nil, let payloads = CPGBatch.decode(message) else { return [] }
    return payloads.compactMap { delivered(from: sender, payload: $0) }
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

/// How several broadcasts travel in one agreed-order CPG message: one `cpg_mcast_joined` (one IPC round trip to
/// corosync, one totem message) for all the broadcasts queued when the dispatch thread sends, instead of one each.
/// Layout: the 4 bytes "VGB1", then per broadcast a 4-byte little-endian length and the bytes. Batching never
/// delays a broadcast (only those already queued are packed) and keeps their order: CPG delivers the message whole,
/// in the same place of the total order on every member.
public enum CPGBatch {
  public static let magic: [UInt8] = [0x56, 0x47, 0x42, 0x31]
  public static let headerBytes = 4
  public static let perBroadcastBytes = 4

  /// The message size of a batch of payloads totalling `payloadBytes` bytes.
  public static func size(payloadBytes: Int, count: Int) -> Int { headerBytes + count * perBroadcastBytes + payloadBytes }

  public static func encode(_ payloads: ArraySlice<[UInt8]>) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(size(payloadBytes: payloads.reduce(0) { $0 + $1.count }, count: payloads.count))
    out.append(contentsOf: magic)
    for p in payloads {
      precondition(p.count <= Int(UInt32.max), "a broadcast larger than 4 GiB")
      let n = UInt32(p.count)
      out.append(contentsOf: [UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)])
      out.append(contentsOf: p)
    }
    return out
  }

  /// The payloads of a batch, or nil when `message` is not one (wrong magic, a length past the end, no payload).
  public static func decode(_ message: [UInt8]) -> [[UInt8]]? {
    guard message.count > headerBytes, Array(message[0..<headerBytes]) == magic else { return nil }
    var payloads: [[UInt8]] = []
    var at = headerBytes
    while at < message.count {
      guard message.count - at >= perBroadcastBytes else { return nil }
      let n =
        Int(message[at]) | Int(message[at + 1]) << 8 | Int(message[at + 2]) << 16 | Int(message[at + 3]) << 24
      at += perBroadcastBytes
      guard n <= message.count - at else { return nil }
      payloads.append(Array(message[at..<(at + n)]))
      at += n
    }
    return payloads
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
