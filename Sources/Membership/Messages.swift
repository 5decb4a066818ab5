/// Every packet between nodes: who sent it (id + incarnation) and what it says.
public struct Packet: Equatable, Sendable {
  public var from: Member
  public var message: Message
  public init(from: Member, message: Message) {
    self.from = from
    self.message = message
  }
}

/// The membership protocol's messages. See docs/ARCHITECTURE.md (Membership) for the protocol.
public enum Message: Equatable, Sendable {
  /// Sent to every configured node each heartbeat interval: liveness, who the sender hears, and its progress.
  case heartbeat(Heartbeat)
  /// A coordinator candidate proposes a new view.
  case propose(Proposal)
  /// A member accepts a proposal and reports where it stands in its current view (for the flush).
  case proposalAck(ProposalAck)
  /// The coordinator installs the view, with the cut of every old view (how far each old view is delivered).
  case install(Install)
  /// A sender's messages for the coordinator to order.
  case data(DataBatch)
  /// The coordinator's ordered messages (possibly none) and the stable point (received by every member).
  case ordered(OrderedBatch)
  /// A member's contiguous receipt point in the view.
  case orderedAck(OrderedAck)
  /// Graceful leave: the sender stops now.
  case leave(Leave)
}

public struct Heartbeat: Equatable, Sendable {
  public var view: ViewID
  public var acked: ViewID?
  public var hears: [NodeID]
  public var received: UInt64
  /// The sender's clock (ms) when it sent this, and per peer the latest such time it got from that peer
  /// (`QuorumContact`: the lease's proof that a quorum of the view still counts a node in).
  public var sentAtMs: UInt64?
  public var echoes: [HeartbeatEcho]
  public init(view: ViewID, acked: ViewID?, hears: [NodeID], received: UInt64, sentAtMs: UInt64? = nil,
              echoes: [HeartbeatEcho] = []) {
    self.view = view
    self.acked = acked
    self.hears = hears
    self.received = received
    self.sentAtMs = sentAtMs
    self.echoes = echoes
  }
}

public struct Proposal: Equatable, Sendable {
  public var view: ViewID
  public var members: [Member]
  public init(view: ViewID, members: [Member]) {
    self.view = view
    self.members = members
  }
}

public struct ProposalAck: Equatable, Sendable {
  public var proposal: ViewID
  public var currentView: ViewID
  public var received: UInt64
  public var info: QuorumNodeInfo
  public init(proposal: ViewID, currentView: ViewID, received: UInt64, info: QuorumNodeInfo) {
    self.proposal = proposal
    self.currentView = currentView
    self.received = received
    self.info = info
  }
}

/// How far an old view's ordered stream is delivered by the members that move together into the new view.
public struct Cut: Equatable, Sendable {
  public var view: ViewID
  public var upTo: UInt64
  public init(view: ViewID, upTo: UInt64) {
    self.view = view
    self.upTo = upTo
  }
}

public struct Install: Equatable, Sendable {
  public var view: View
  public var cuts: [Cut]
  public var infos: [QuorumNodeInfo]
  public init(view: View, cuts: [Cut], infos: [QuorumNodeInfo]) {
    self.view = view
    self.cuts = cuts
    self.infos = infos
  }
}

public struct DataBatch: Equatable, Sendable {
  public var view: ViewID
  public var firstSequence: UInt64
  public var payloads: [[UInt8]]
  public init(view: ViewID, firstSequence: UInt64, payloads: [[UInt8]]) {
    self.view = view
    self.firstSequence = firstSequence
    self.payloads = payloads
  }
}

public struct OrderedEntry: Equatable, Sendable {
  public var sequence: UInt64
  public var sender: NodeID
  public var senderSequence: UInt64
  public var payload: [UInt8]
  public init(sequence: UInt64, sender: NodeID, senderSequence: UInt64, payload: [UInt8]) {
    self.sequence = sequence
    self.sender = sender
    self.senderSequence = senderSequence
    self.payload = payload
  }
}

public struct OrderedBatch: Equatable, Sendable {
  public var view: ViewID
  public var stable: UInt64
  public var entries: [OrderedEntry]
  public init(view: ViewID, stable: UInt64, entries: [OrderedEntry]) {
    self.view = view
    self.stable = stable
    self.entries = entries
  }
}

public struct OrderedAck: Equatable, Sendable {
  public var view: ViewID
  public var received: UInt64
  public var gap: Bool
  public init(view: ViewID, received: UInt64, gap: Bool) {
    self.view = view
    self.received = received
    self.gap = gap
  }
}

public struct Leave: Equatable, Sendable {
  public var view: ViewID
  public init(view: ViewID) { self.view = view }
}

// MARK: - binary encoding

/// A malformed packet body. Decoding never traps: every read is bounds-checked and every count is limited.
public enum WireError: Error, Equatable, Sendable {
  case truncated
  case unknownType(UInt8)
  case limitExceeded(String)
  case trailingBytes(Int)
}

/// Limits applied while decoding, so a hostile length field cannot make a node allocate without bound.
public enum WireLimits {
  public static let membersMax = 384  // corosync's PROCESSOR_COUNT_MAX
  public static let entriesMax = 65_536
  public static let payloadBytesMax = 65_000
}

struct ByteWriter {
  var bytes: [UInt8] = []
  init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }
  mutating func u8(_ v: UInt8) { bytes.append(v) }
  mutating func u32(_ v: UInt32) {
    bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    bytes.append(UInt8(truncatingIfNeeded: v >> 16))
    bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    bytes.append(UInt8(truncatingIfNeeded: v))
  }
  mutating func u64(_ v: UInt64) {
    u32(UInt32(truncatingIfNeeded: v >> 32))
    u32(UInt32(truncatingIfNeeded: v))
  }
  mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
  mutating func blob(_ b: [UInt8]) {
    u32(UInt32(b.count))
    bytes.append(contentsOf: b)
  }
  mutating func node(_ n: NodeID) { u32(n.rawValue) }
  mutating func member(_ m: Member) {
    u32(m.id.rawValue)
    u64(m.incarnation)
  }
  mutating func viewID(_ v: ViewID) {
    u64(v.epoch)
    u32(v.coordinator.rawValue)
    u64(v.coordinatorIncarnation)
  }
  mutating func info(_ i: QuorumNodeInfo) {
    u32(i.nodeID.rawValue)
    u32(UInt32(clamping: i.votes))
    u32(UInt32(clamping: i.expectedVotes))
    bool(i.quorate)
    bool(i.waitForAllPending)
  }
}

struct ByteReader {
  let bytes: [UInt8]
  var offset: Int
  init(_ bytes: [UInt8], offset: Int = 0) {
    self.bytes = bytes
    self.offset = offset
  }
  var remaining: Int { bytes.count - offset }
  mutating func u8() throws(WireError) -> UInt8 {
    guard remaining >= 1 else { throw .truncated }
    defer { offset += 1 }
    return bytes[offset]
  }
  mutating func u32() throws(WireError) -> UInt32 {
    guard remaining >= 4 else { throw .truncated }
    var v: UInt32 = 0
    for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
    offset += 4
    return v
  }
  mutating func u64() throws(WireError) -> UInt64 {
    let hi = try u32()
    let lo = try u32()
    return UInt64(hi) << 32 | UInt64(lo)
  }
  mutating func bool() throws(WireError) -> Bool { try u8() != 0 }
  mutating func count(max: Int, what: String) throws(WireError) -> Int {
    let n = Int(try u32())
    guard n <= max else { throw .limitExceeded(what) }
    return n
  }
  mutating func blob() throws(WireError) -> [UInt8] {
    let n = try count(max: WireLimits.payloadBytesMax, what: "payload")
    guard remaining >= n else { throw .truncated }
    defer { offset += n }
    return Array(bytes[offset..<offset + n])
  }
  mutating func node() throws(WireError) -> NodeID { NodeID(try u32()) }
  mutating func member() throws(WireError) -> Member {
    let id = try u32()
    return Member(NodeID(id), incarnation: try u64())
  }
  mutating func viewID() throws(WireError) -> ViewID {
    let e = try u64()
    let c = try u32()
    return ViewID(epoch: e, coordinator: NodeID(c), coordinatorIncarnation: try u64())
  }
  mutating func info() throws(WireError) -> QuorumNodeInfo {
    let id = try u32()
    let votes = try u32()
    let expected = try u32()
    let q = try bool()
    return QuorumNodeInfo(
      nodeID: NodeID(id), votes: Int(votes), expectedVotes: Int(expected), quorate: q, waitForAllPending: try bool())
  }
}

extension Packet {
  /// The plain encoding (before authentication): type, sender, body.
  public func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: 128)
    switch message {
    case .heartbeat: w.u8(1)
    case .propose: w.u8(2)
    case .proposalAck: w.u8(3)
    case .install: w.u8(4)
    case .data: w.u8(5)
    case .ordered: w.u8(6)
    case .orderedAck: w.u8(7)
    case .leave: w.u8(8)
    }
    w.member(from)
    switch message {
    case .heartbeat(let h):
      w.viewID(h.view)
      w.bool(h.acked != nil)
      if let a = h.acked { w.viewID(a) }
      w.u32(UInt32(h.hears.count))
      for n in h.hears { w.node(n) }
      w.u64(h.received)
      w.bool(h.sentAtMs != nil)
      if let s = h.sentAtMs { w.u64(s) }
      w.u32(UInt32(h.echoes.count))
      for e in h.echoes {
        w.node(e.node)
        w.u64(e.incarnation)
        w.u64(e.sentAtMs)
      }
    case .propose(let p):
      w.viewID(p.view)
      w.u32(UInt32(p.members.count))
      for m in p.members { w.member(m) }
    case .proposalAck(let a):
      w.viewID(a.proposal)
      w.viewID(a.currentView)
      w.u64(a.received)
      w.info(a.info)
    case .install(let i):
      w.viewID(i.view.id)
      w.u32(UInt32(i.view.members.count))
      for m in i.view.members { w.member(m) }
      w.u32(UInt32(i.cuts.count))
      for c in i.cuts {
        w.viewID(c.view)
        w.u64(c.upTo)
      }
      w.u32(UInt32(i.infos.count))
      for info in i.infos { w.info(info) }
    case .data(let d):
      w.viewID(d.view)
      w.u64(d.firstSequence)
      w.u32(UInt32(d.payloads.count))
      for p in d.payloads { w.blob(p) }
    case .ordered(let o):
      w.viewID(o.view)
      w.u64(o.stable)
      w.u32(UInt32(o.entries.count))
      for e in o.entries {
        w.u64(e.sequence)
        w.node(e.sender)
        w.u64(e.senderSequence)
        w.blob(e.payload)
      }
    case .orderedAck(let a):
      w.viewID(a.view)
      w.u64(a.received)
      w.bool(a.gap)
    case .leave(let l):
      w.viewID(l.view)
    }
    return w.bytes
  }

  public static func decode(_ bytes: [UInt8]) throws(WireError) -> Packet {
    var r = ByteReader(bytes)
    let type = try r.u8()
    let from = try r.member()
    let message: Message
    switch type {
    case 1:
      let view = try r.viewID()
      let acked: ViewID? = try r.bool() ? try r.viewID() : nil
      let n = try r.count(max: WireLimits.membersMax, what: "hears")
      var hears: [NodeID] = []
      for _ in 0..<n { hears.append(try r.node()) }
      let received = try r.u64()
      let sentAt: UInt64? = try r.bool() ? try r.u64() : nil
      let e = try r.count(max: WireLimits.membersMax, what: "echoes")
      var echoes: [HeartbeatEcho] = []
      for _ in 0..<e {
        let node = try r.node()
        let incarnation = try r.u64()
        echoes.append(HeartbeatEcho(node: node, incarnation: incarnation, sentAtMs: try r.u64()))
      }
      message = .heartbeat(Heartbeat(view: view, acked: acked, hears: hears, received: received, sentAtMs: sentAt,
                                     echoes: echoes))
    case 2:
      let view = try r.viewID()
      let n = try r.count(max: WireLimits.membersMax, what: "members")
      var members: [Member] = []
      for _ in 0..<n { members.append(try r.member()) }
      message = .propose(Proposal(view: view, members: members))
    case 3:
      let p = try r.viewID()
      let c = try r.viewID()
      let received = try r.u64()
      message = .proposalAck(ProposalAck(proposal: p, currentView: c, received: received, info: try r.info()))
    case 4:
      let id = try r.viewID()
      let n = try r.count(max: WireLimits.membersMax, what: "members")
      var members: [Member] = []
      for _ in 0..<n { members.append(try r.member()) }
      let nc = try r.count(max: WireLimits.membersMax, what: "cuts")
      var cuts: [Cut] = []
      for _ in 0..<nc {
        let v = try r.viewID()
        cuts.append(Cut(view: v, upTo: try r.u64()))
      }
      let ni = try r.count(max: WireLimits.membersMax, what: "infos")
      var infos: [QuorumNodeInfo] = []
      for _ in 0..<ni { infos.append(try r.info()) }
      message = .install(Install(view: View(id: id, members: members), cuts: cuts, infos: infos))
    case 5:
      let view = try r.viewID()
      let first = try r.u64()
      let n = try r.count(max: WireLimits.entriesMax, what: "payloads")
      var payloads: [[UInt8]] = []
      for _ in 0..<n { payloads.append(try r.blob()) }
      message = .data(DataBatch(view: view, firstSequence: first, payloads: payloads))
    case 6:
      let view = try r.viewID()
      let stable = try r.u64()
      let n = try r.count(max: WireLimits.entriesMax, what: "entries")
      var entries: [OrderedEntry] = []
      for _ in 0..<n {
        let seq = try r.u64()
        let sender = try r.node()
        let sseq = try r.u64()
        entries.append(OrderedEntry(sequence: seq, sender: sender, senderSequence: sseq, payload: try r.blob()))
      }
      message = .ordered(OrderedBatch(view: view, stable: stable, entries: entries))
    case 7:
      let view = try r.viewID()
      let received = try r.u64()
      message = .orderedAck(OrderedAck(view: view, received: received, gap: try r.bool()))
    case 8:
      message = .leave(Leave(view: try r.viewID()))
    default:
      throw .unknownType(type)
    }
    if r.remaining != 0 { throw .trailingBytes(r.remaining) }
    return Packet(from: from, message: message)
  }
}
