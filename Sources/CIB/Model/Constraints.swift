/// A constraint under `<constraints>`.
public enum Constraint: Equatable, Sendable {
  case location(LocationConstraint)
  case colocation(ColocationConstraint)
  case order(OrderConstraint)
  case ticket(TicketConstraint)

  static let elementNames: Set<String> = ["rsc_location", "rsc_colocation", "rsc_order", "rsc_ticket"]

  public init?(decoding e: CIBElement) {
    switch e.name {
    case "rsc_location": self = .location(LocationConstraint(decoding: e))
    case "rsc_colocation": self = .colocation(ColocationConstraint(decoding: e))
    case "rsc_order": self = .order(OrderConstraint(decoding: e))
    case "rsc_ticket": self = .ticket(TicketConstraint(decoding: e))
    default: return nil
    }
  }

  public var id: ConstraintID {
    switch self {
    case .location(let c): c.id
    case .colocation(let c): c.id
    case .order(let c): c.id
    case .ticket(let c): c.id
    }
  }

  public func encoded() -> CIBElement {
    switch self {
    case .location(let c): c.encoded()
    case .colocation(let c): c.encoded()
    case .order(let c): c.encoded()
    case .ticket(let c): c.encoded()
    }
  }
}

/// A `resource_set` inside a constraint: resources referenced by `resource_ref`, with set options.
public struct ResourceSet: Equatable, Sendable {
  public var id: String?
  public var idRef: String?
  public var sequential: String?
  public var requireAll: String?
  public var action: String?
  public var roleText: String?
  public var scoreText: String?
  public var kind: String?
  public var ordering: String?
  public var resources: [ResourceID]
  public var source: CIBElement

  public init(id: String, resources: [ResourceID]) {
    self.init(decoding: CIBElement("resource_set"))
    self.id = id
    self.resources = resources
  }

  static let attributes = AttributeMap<ResourceSet>([
    .text("id", \.id), .text("id-ref", \.idRef), .text("sequential", \.sequential),
    .text("require-all", \.requireAll), .text("action", \.action), .text("role", \.roleText),
    .text("score", \.scoreText), .text("kind", \.kind), .text("ordering", \.ordering),
  ])

  public init(decoding e: CIBElement) {
    source = e
    resources = e.decodeChildren(named: "resource_ref") { ResourceID($0[attribute: "id"] ?? "") }
    Self.attributes.read(e, into: &self)
  }

  /// `sequential`, true when absent.
  public var isSequential: Bool { parseBoolean(sequential) ?? true }
  /// `require-all`, true when absent.
  public var isRequireAll: Bool { parseBoolean(requireAll) ?? true }
  public var role: Role? {
    get { roleText.flatMap(Role.init(parsing:)) }
    set { roleText = newValue?.text }
  }
  public var score: Score? {
    get { scoreText.map { Score(lenient: $0) } }
    set { scoreText = newValue?.description }
  }

  public func encoded() -> CIBElement {
    var e = source
    Self.attributes.write(self, into: &e)
    // resource_ref elements keep their own extra attributes when the id at their position is unchanged.
    let old = source.elements(named: "resource_ref")
    let refs = resources.enumerated().map { i, r in
      if i < old.count, old[i][attribute: "id"] == r.rawValue { return old[i] }
      return CIBElement("resource_ref", ["id": r.rawValue])
    }
    e.mergeChildren([ChildSlots("resource_ref", refs)])
    return e
  }
}

/// An `rsc_location`: prefer or avoid nodes for a resource (or resources matching `rsc-pattern`),
/// by a fixed node and score or by rules.
public struct LocationConstraint: Equatable, Sendable {
  public var id: ConstraintID
  public var rsc: ResourceID?
  public var rscPattern: String?
  public var roleText: String?
  public var scoreText: String?
  public var node: NodeName?
  public var resourceDiscovery: String?
  public var rules: [Rule]
  public var resourceSets: [ResourceSet]
  public var source: CIBElement

  public static let resourceDiscoveryValues: Set<String> = ["always", "never", "exclusive"]

  public init(id: ConstraintID, rsc: ResourceID, node: NodeName, score: Score) {
    self.init(decoding: CIBElement("rsc_location"))
    self.id = id
    self.rsc = rsc
    self.node = node
    self.score = score
  }

  static let attributes = AttributeMap<LocationConstraint>([
    .text("rsc", \.rsc), .text("rsc-pattern", \.rscPattern), .text("role", \.roleText), .text("score", \.scoreText),
    .text("node", \.node), .text("resource-discovery", \.resourceDiscovery),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = ConstraintID(e[attribute: "id"] ?? "")
    rules = e.decodeChildren(named: "rule", Rule.init(decoding:))
    resourceSets = e.decodeChildren(named: "resource_set", ResourceSet.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  public var score: Score? {
    get { scoreText.map { Score(lenient: $0) } }
    set { scoreText = newValue?.description }
  }
  public var role: Role? {
    get { roleText.flatMap(Role.init(parsing:)) }
    set { roleText = newValue?.text }
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    Self.attributes.write(self, into: &e)
    e.mergeChildren([
      ChildSlots("rule", rules.map { $0.encoded() }),
      ChildSlots("resource_set", resourceSets.map { $0.encoded() }),
    ])
    return e
  }
}

/// An `rsc_colocation`: place `rsc` relative to `with-rsc` (or resource sets).
public struct ColocationConstraint: Equatable, Sendable {
  public var id: ConstraintID
  public var rsc: ResourceID?
  public var withRsc: ResourceID?
  public var scoreText: String?
  public var rscRoleText: String?
  public var withRscRoleText: String?
  public var nodeAttribute: String?
  public var influence: String?
  public var resourceSets: [ResourceSet]
  public var source: CIBElement

  public init(id: ConstraintID, rsc: ResourceID, withRsc: ResourceID, score: Score) {
    self.init(decoding: CIBElement("rsc_colocation"))
    self.id = id
    self.rsc = rsc
    self.withRsc = withRsc
    self.score = score
  }

  static let attributes = AttributeMap<ColocationConstraint>([
    .text("rsc", \.rsc), .text("with-rsc", \.withRsc), .text("score", \.scoreText), .text("rsc-role", \.rscRoleText),
    .text("with-rsc-role", \.withRscRoleText), .text("node-attribute", \.nodeAttribute),
    .text("influence", \.influence),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = ConstraintID(e[attribute: "id"] ?? "")
    resourceSets = e.decodeChildren(named: "resource_set", ResourceSet.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  public var score: Score? {
    get { scoreText.map { Score(lenient: $0) } }
    set { scoreText = newValue?.description }
  }
  public var rscRole: Role? {
    get { rscRoleText.flatMap(Role.init(parsing:)) }
    set { rscRoleText = newValue?.text }
  }
  public var withRscRole: Role? {
    get { withRscRoleText.flatMap(Role.init(parsing:)) }
    set { withRscRoleText = newValue?.text }
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    Self.attributes.write(self, into: &e)
    e.mergeChildren([ChildSlots("resource_set", resourceSets.map { $0.encoded() })])
    return e
  }
}

/// An `rsc_order`: `then` after `first` (or between resource sets).
public struct OrderConstraint: Equatable, Sendable {
  public var id: ConstraintID
  public var first: ResourceID?
  public var then: ResourceID?
  /// Raw `kind` text; `kind` is the typed reading.
  public var kindText: String?
  public var scoreText: String?
  public var symmetrical: String?
  public var firstAction: String?
  public var thenAction: String?
  /// Raw `require-all` text: false lets `then` start after any one instance of a clone `first` started.
  public var requireAll: String?
  public var resourceSets: [ResourceSet]
  public var source: CIBElement

  public enum Kind: String, Sendable, CaseIterable { case optional = "Optional", mandatory = "Mandatory", serialize = "Serialize" }

  /// Actions an order may name (`first-action`, `then-action`, set `action`).
  public static let actions: Set<String> = ["start", "stop", "promote", "demote"]

  public init(id: ConstraintID, first: ResourceID, then: ResourceID) {
    self.init(decoding: CIBElement("rsc_order"))
    self.id = id
    self.first = first
    self.then = then
  }

  static let attributes = AttributeMap<OrderConstraint>([
    .text("first", \.first), .text("then", \.then), .text("kind", \.kindText), .text("score", \.scoreText),
    .text("symmetrical", \.symmetrical), .text("first-action", \.firstAction), .text("then-action", \.thenAction),
    .text("require-all", \.requireAll),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = ConstraintID(e[attribute: "id"] ?? "")
    resourceSets = e.decodeChildren(named: "resource_set", ResourceSet.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  /// `kind` read case-insensitively as Pacemaker does; nil when absent or unknown.
  public var kind: Kind? {
    get { kindText.flatMap { t in Kind.allCases.first { $0.rawValue.lowercased() == t.lowercased() } } }
    set { kindText = newValue?.rawValue }
  }
  public var score: Score? {
    get { scoreText.map { Score(lenient: $0) } }
    set { scoreText = newValue?.description }
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    Self.attributes.write(self, into: &e)
    e.mergeChildren([ChildSlots("resource_set", resourceSets.map { $0.encoded() })])
    return e
  }
}

/// An `rsc_ticket`: a resource depends on a cluster ticket.
public struct TicketConstraint: Equatable, Sendable {
  public var id: ConstraintID
  public var rsc: ResourceID?
  public var rscRoleText: String?
  public var ticket: TicketID?
  public var lossPolicy: String?
  public var resourceSets: [ResourceSet]
  public var source: CIBElement

  public static let lossPolicyValues: Set<String> = ["stop", "demote", "fence", "freeze"]

  static let attributes = AttributeMap<TicketConstraint>([
    .text("rsc", \.rsc), .text("rsc-role", \.rscRoleText), .text("ticket", \.ticket),
    .text("loss-policy", \.lossPolicy),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = ConstraintID(e[attribute: "id"] ?? "")
    resourceSets = e.decodeChildren(named: "resource_set", ResourceSet.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  public var rscRole: Role? {
    get { rscRoleText.flatMap(Role.init(parsing:)) }
    set { rscRoleText = newValue?.text }
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    Self.attributes.write(self, into: &e)
    e.mergeChildren([ChildSlots("resource_set", resourceSets.map { $0.encoded() })])
    return e
  }
}
