// Typed identifiers: a resource id and a node name are both strings in the XML, but mixing them up is a
// bug the compiler can catch. Each keeps the exact text of the document (no normalisation), so the
// typed model round-trips byte for byte.

/// What every typed identifier is: the document's exact text under a type of its own, ordered by that text.
public protocol CIBIdentifier: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
  var rawValue: String { get }
  init(_ rawValue: String)
}

extension CIBIdentifier {
  public init(stringLiteral value: String) { self.init(value) }
  public var description: String { rawValue }
  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
  init(attributeText: String) { self.init(attributeText) }
  var attributeText: String { rawValue }
}

/// The `id` of a resource (primitive, group, clone, bundle, template), as written in the CIB.
public struct ResourceID: CIBIdentifier, AttributeText {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A node's name (`uname`), the name Pacemaker prints and constraints use.
public struct NodeName: CIBIdentifier, AttributeText {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A node's `id` in the CIB, which Pacemaker calls the node's uuid (`dc-uuid` names one): on a corosync cluster
/// the decimal text of the corosync nodeid (Membership's `NodeID`), a uuid on old clusters. Text, because the
/// CIB may hold either.
public struct NodeUUID: CIBIdentifier, AttributeText {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// The `id` of a constraint (rsc_location, rsc_colocation, rsc_order, rsc_ticket).
public struct ConstraintID: CIBIdentifier, AttributeText {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A ticket name (rsc_ticket `ticket`, ticket_state `id`).
public struct TicketID: CIBIdentifier, AttributeText {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
}
