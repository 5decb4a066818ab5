/// A corosync `nodeid`: 32 bits, 0 reserved.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let rawValue: UInt32
  public init(_ rawValue: UInt32) { self.rawValue = rawValue }
  public static func < (a: NodeID, b: NodeID) -> Bool { a.rawValue < b.rawValue }
  public var description: String { String(rawValue) }
}

/// A node id travels as its plain number (control protocol JSON: `"localNode": 1`).
extension NodeID: Codable {
  public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(UInt32.self)) }
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(rawValue)
  }
}

/// A node process: its id plus the incarnation it started with. A restarted node has a larger incarnation, so the
/// cluster sees it as a new member (it missed everything in between) rather than as the old one coming back.
public struct Member: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var id: NodeID
  public var incarnation: UInt64
  public init(_ id: NodeID, incarnation: UInt64) {
    self.id = id
    self.incarnation = incarnation
  }
  public static func < (a: Member, b: Member) -> Bool {
    a.id != b.id ? a.id < b.id : a.incarnation < b.incarnation
  }
  public var description: String { "\(id)/\(incarnation)" }
}

/// Identifies a view (corosync's ring id). Ordered by epoch, then coordinator, then the coordinator's incarnation;
/// the incarnation keeps a restarted coordinator, which forgot its epochs, from reusing an id with other members.
public struct ViewID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  public var epoch: UInt64
  public var coordinator: NodeID
  public var coordinatorIncarnation: UInt64
  public init(epoch: UInt64, coordinator: NodeID, coordinatorIncarnation: UInt64) {
    self.epoch = epoch
    self.coordinator = coordinator
    self.coordinatorIncarnation = coordinatorIncarnation
  }
  public static func < (a: ViewID, b: ViewID) -> Bool {
    if a.epoch != b.epoch { return a.epoch < b.epoch }
    if a.coordinator != b.coordinator { return a.coordinator < b.coordinator }
    return a.coordinatorIncarnation < b.coordinatorIncarnation
  }
  /// corosync's ring id text: representative node id and sequence, both hexadecimal ("1.c5").
  public var ringIDText: String { String(coordinator.rawValue, radix: 16) + "." + String(epoch, radix: 16) }
  public var description: String { "\(coordinator.rawValue).\(epoch)/\(coordinatorIncarnation)" }
}

/// An installed membership: every member that installs `id` installs exactly these members (sorted by node id).
public struct View: Equatable, Sendable, CustomStringConvertible {
  public var id: ViewID
  public var members: [Member]
  public init(id: ViewID, members: [Member]) {
    self.id = id
    self.members = members.sorted()
  }
  public var nodeIDs: [NodeID] { members.map(\.id) }
  public func contains(_ m: Member) -> Bool { members.contains(m) }
  public func contains(_ id: NodeID) -> Bool { members.contains { $0.id == id } }
  public var description: String { "\(id) [\(members.map(\.description).joined(separator: ","))]" }
}

/// A message delivered by the ordered broadcast, identified by (origin view, sender, per-view sender sequence).
public struct Delivery: Equatable, Sendable {
  public var view: ViewID
  public var sequence: UInt64
  public var sender: Member
  public var senderSequence: UInt64
  public var payload: [UInt8]
  public init(view: ViewID, sequence: UInt64, sender: Member, senderSequence: UInt64, payload: [UInt8]) {
    self.view = view
    self.sequence = sequence
    self.sender = sender
    self.senderSequence = senderSequence
    self.payload = payload
  }
}
