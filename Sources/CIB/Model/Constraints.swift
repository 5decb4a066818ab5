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

  public init(decoding e: CIBElement) {
    source = e
    id = e[attribute: "id"]
    idRef = e[attribute: "id-ref"]
    sequential = e[attribute: "sequential"]
    requireAll = e[attribute: "require-all"]
    action = e[attribute: "action"]
    roleText = e[attribute: "role"]
    scoreText = e[attribute: "score"]
    kind = e[attribute: "kind"]
    ordering = e[attribute: "ordering"]
    resources = e.decodeChildren(named: "resource_ref") { ResourceID($0[attribute: "id"] ?? "") }
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
    e.write("id", id)
    e.write("id-ref", idRef)
    e.write("sequential", sequential)
    e.write("require-all", requireAll)
    e.write("action", action)
    e.write("role", roleText)
    e.write("score", scoreText)
    e.write("kind", kind)
    e.write("ordering", ordering)
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

  public init(decoding e: CIBElement) {
    source = e
    id = ConstraintID(e[attribute: "id"] ?? "")
    rsc = e[attribute: "rsc"].map { ResourceID($0) }
    rscPattern = e[attribute: "rsc-pattern"]
    roleText = e[attribute: "role"]
    scoreText = e[attribute: "score"]
    node = e[attribute: "node"].map { NodeName($0) }
    resourceDiscovery = e[attribute: "resource-discovery"]
    rules = e.decodeChildren(named: "rule", Rule.init(decoding:))
    resourceSets = e.decodeChildren(named: "resource_set", ResourceSet.init(decoding:))
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
    e.write("rsc", rsc?.rawValue)
    e.write("rsc-pattern", rscPattern)
    e.write("role", roleText)
    e.write("score", scoreText)
    e.write("node", node?.rawValue)
    e.write("resource-discovery", resourceDiscovery)
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

  public init(decoding e: CIBElement) {
    source = e
    id = ConstraintID(e[attribute: "id"] ?? "")
    rsc = e[attribute: "rsc"].map { ResourceID($0) }
    withRsc = e[attribute: "with-rsc"].map { ResourceID($0) }
    scoreText = e[attribute: "score"]
    rscRoleText = e[attribute: "rsc-role"]
    withRscRoleText = e[attribute: "with-rsc-role"]
    nodeAttribute = e[attribute: "node-attribute"]
    influence = e[attribute: "influence"]
    resourceSets = e.decodeChildren(named: "resource_set", ResourceSet.init(decoding:))
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
    e.write("rsc", rsc?.rawValue)
    e.write("with-rsc", withRsc?.rawValue)
    e.write("score", scoreText)
    e.write("rsc-role", rscRoleText)
    e.write("with-rsc-role", withRscRoleText)
    e.write("node-attribute", nodeAttribute)
    e.write("influence", influence)
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

  public init(decoding e: CIBElement) {
    source = e
    id = ConstraintID(e[attribute: "id"] ?? "")
    first = e[attribute: "first"].map { ResourceID($0) }
    then = e[attribute: "then"].map { ResourceID($0) }
    kindText = e[attribute: "kind"]
    scoreText = e[attribute: "score"]
    symmetrical = e[attribute: "symmetrical"]
    firstAction = e[attribute: "first-action"]
    thenAction = e[attribute: "then-action"]
    requireAll = e[attribute: "require-all"]
    resourceSets = e.decodeChildren(named: "resource_set", ResourceSet.init(decoding:))
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
    e.write("first", first?.rawValue)
    e.write("then", then?.rawValue)
    e.write("kind", kindText)
    e.write("score", scoreText)
    e.write("symmetrical", symmetrical)
    e.write("first-action", firstAction)
    e.write("then-action", thenAction)
    e.write("require-all", requireAll)
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

  public init(decoding e: CIBElement) {
    source = e
    id = ConstraintID(e[attribute: "id"] ?? "")
    rsc = e[attribute: "rsc"].map { ResourceID($0) }
    rscRoleText = e[attribute: "rsc-role"]
    ticket = e[attribute: "ticket"].map { TicketID($0) }
    lossPolicy = e[attribute: "loss-policy"]
    resourceSets = e.decodeChildren(named: "resource_set", ResourceSet.init(decoding:))
  }

  public var rscRole: Role? {
    get { rscRoleText.flatMap(Role.init(parsing:)) }
    set { rscRoleText = newValue?.text }
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    e.write("rsc", rsc?.rawValue)
    e.write("rsc-role", rscRoleText)
    e.write("ticket", ticket?.rawValue)
    e.write("loss-policy", lossPolicy)
    e.mergeChildren([ChildSlots("resource_set", resourceSets.map { $0.encoded() })])
    return e
  }
}
