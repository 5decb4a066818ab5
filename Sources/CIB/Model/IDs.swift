// Typed identifiers: a resource id and a node name are both strings in the XML, but mixing them up is a
// bug the compiler can catch. Each keeps the exact text of the document (no normalisation), so the
// typed model round-trips byte for byte.

/// The `id` of a resource (primitive, group, clone, bundle, template), as written in the CIB.
public struct ResourceID: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { self.rawValue = value }
  public var description: String { rawValue }
  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A node's name (`uname`), the name Pacemaker prints and constraints use.
public struct NodeName: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { self.rawValue = value }
  public var description: String { rawValue }
  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A node's `id` in the CIB, which Pacemaker calls the node's uuid (`dc-uuid` names one): on a corosync cluster
/// the decimal text of the corosync nodeid (Membership's `NodeID`), a uuid on old clusters. Text, because the
/// CIB may hold either.
public struct NodeUUID: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { self.rawValue = value }
  public var description: String { rawValue }
  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// The `id` of a constraint (rsc_location, rsc_colocation, rsc_order, rsc_ticket).
public struct ConstraintID: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { self.rawValue = value }
  public var description: String { rawValue }
  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A ticket name (rsc_ticket `ticket`, ticket_state `id`).
public struct TicketID: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { self.rawValue = value }
  public var description: String { rawValue }
  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}
