/// One `nvpair`: a name and a value inside an attribute set. `value` may be absent (Pacemaker then
/// treats the pair as unset), and an nvpair may be an `id-ref` to another. A typed view over its element
/// (there are many of them): decoding is free and encoding returns the element.
public struct NVPair: Equatable, Sendable {
  public var source: CIBElement

  public init(id: String?, name: String, value: String?) {
    self.init(decoding: CIBElement("nvpair"))
    self.id = id
    self.name = name
    self.value = value
  }

  public init(decoding e: CIBElement) { source = e }

  public var id: String? {
    get { source[attribute: "id"] }
    set { source.write("id", newValue) }
  }
  public var name: String? {
    get { source[attribute: "name"] }
    set { source.write("name", newValue) }
  }
  public var value: String? {
    get { source[attribute: "value"] }
    set { source.write("value", newValue) }
  }
  public var idRef: String? {
    get { source[attribute: "id-ref"] }
    set { source.write("id-ref", newValue) }
  }

  public func encoded() -> CIBElement { source }
}

/// A block of name/value pairs: `meta_attributes`, `instance_attributes`, `utilization` or
/// `cluster_property_set` (the element name is `kind`), optionally conditional on rules and ordered by
/// score, or an `id-ref` to a set defined elsewhere (resolve it with `ReferenceIndex`).
public struct AttributeSet: Equatable, Sendable {
  /// The element name: "meta_attributes", "instance_attributes", "utilization", "cluster_property_set".
  public var kind: String
  public var id: String?
  public var idRef: String?
  /// Raw `score` text; `score` reads it as Pacemaker does (sets with higher scores are applied first).
  public var scoreText: String?
  public var rules: [Rule]
  public var pairs: [NVPair]
  public var source: CIBElement

  public init(kind: String, id: String?, pairs: [NVPair] = [], rules: [Rule] = []) {
    self.init(decoding: CIBElement(kind))
    self.id = id
    self.pairs = pairs
    self.rules = rules
  }

  static let attributes = AttributeMap<AttributeSet>([
    .text("id", \.id), .text("id-ref", \.idRef), .text("score", \.scoreText),
  ])

  public init(decoding e: CIBElement) {
    source = e
    kind = e.name
    rules = e.decodeChildren(named: "rule", Rule.init(decoding:))
    pairs = e.decodeChildren(named: "nvpair", NVPair.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  public var score: Score? {
    get { scoreText.map { Score(lenient: $0) } }
    set { scoreText = newValue?.description }
  }

  /// The value of the first pair named `name` (Pacemaker's first-wins within one set).
  public subscript(name: String) -> String? {
    pairs.first { $0.name == name }?.value
  }

  /// Sets (or with nil removes) the pair `name`; a new pair gets the id `<set id>-<name>` as pcs does.
  public mutating func set(_ name: String, _ value: String?) {
    if let index = pairs.firstIndex(where: { $0.name == name }) {
      if let value { pairs[index].value = value } else { pairs.remove(at: index) }
    } else if let value {
      pairs.append(NVPair(id: id.map { "\($0)-\(name)" }, name: name, value: value))
    }
  }

  public func encoded() -> CIBElement {
    var e = source
    e.name = kind
    Self.attributes.write(self, into: &e)
    e.mergeChildren([
      ChildSlots("rule", rules.map { $0.encoded() }),
      ChildSlots("nvpair", pairs.map { $0.encoded() }),
    ])
    return e
  }
}

/// A resource's role, in Pacemaker's order (Unknown < Stopped < Started < Unpromoted < Promoted): the role a
/// constraint, operation or `target-role` names and the role the scheduler gives an instance. Old names (Master,
/// Slave) are read as their new ones.
public enum Role: Int, Comparable, Sendable, CaseIterable {
  case unknown = 0, stopped, started, unpromoted, promoted

  public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }

  /// Reads a role the way `text2role` does (case-insensitive, legacy Master/Slave accepted); "Unknown" is no
  /// role a configuration may name.
  public init?(parsing text: String) {
    switch text.lowercased() {
    case "stopped": self = .stopped
    case "started": self = .started
    case "unpromoted", "slave": self = .unpromoted
    case "promoted", "master": self = .promoted
    default: return nil
    }
  }

  /// The name Pacemaker prints and writes.
  public var text: String {
    switch self {
    case .unknown: "Unknown"
    case .stopped: "Stopped"
    case .started: "Started"
    case .unpromoted: "Unpromoted"
    case .promoted: "Promoted"
    }
  }
}

/// A `rule`: a boolean combination of conditions, used by location constraints (with a score) and
/// by attribute sets (to apply them conditionally). May be an `id-ref` to another rule.
public struct Rule: Equatable, Sendable {
  public var id: String?
  public var idRef: String?
  public var scoreText: String?
  public var scoreAttribute: String?
  /// Raw `boolean-op` text ("and" when absent); `booleanOp` is the typed reading.
  public var booleanOpText: String?
  public var roleText: String?
  public var conditions: [RuleCondition]
  public var source: CIBElement

  public enum BooleanOp: String, Sendable { case and, or }

  static let attributes = AttributeMap<Rule>([
    .text("id", \.id), .text("id-ref", \.idRef), .text("score", \.scoreText),
    .text("score-attribute", \.scoreAttribute), .text("boolean-op", \.booleanOpText), .text("role", \.roleText),
  ])

  public init(decoding e: CIBElement) {
    source = e
    var conditions: [RuleCondition] = []
    for child in e.children {
      guard case .element(let c) = child, let condition = RuleCondition(decoding: c) else { continue }
      conditions.append(condition)
    }
    self.conditions = conditions
    Self.attributes.read(e, into: &self)
  }

  public var score: Score? {
    get { scoreText.map { Score(lenient: $0) } }
    set { scoreText = newValue?.description }
  }
  /// nil when the text is not "and"/"or" (validation reports it); absent means `.and`.
  public var booleanOp: BooleanOp? {
    get { booleanOpText.map { BooleanOp(rawValue: $0.lowercased()) } ?? .and }
    set { booleanOpText = newValue?.rawValue }
  }
  public var role: Role? {
    get { roleText.flatMap(Role.init(parsing:)) }
    set { roleText = newValue?.text }
  }

  public func encoded() -> CIBElement {
    var e = source
    Self.attributes.write(self, into: &e)
    e.mergeChildren([ChildSlots(RuleCondition.elementNames, conditions.map { $0.encoded() })])
    return e
  }
}

/// One condition inside a rule.
public indirect enum RuleCondition: Equatable, Sendable {
  case expression(Expression)
  case dateExpression(DateExpression)
  case rule(Rule)
  /// `rsc_expression` / `op_expression` (rsc_defaults and op_defaults rules): kept with their text.
  case resourceExpression(OpaqueElement)
  case operationExpression(OpaqueElement)

  static let elementNames: Set<String> = [
    "expression", "date_expression", "rule", "rsc_expression", "op_expression",
  ]

  init?(decoding e: CIBElement) {
    switch e.name {
    case "expression": self = .expression(Expression(decoding: e))
    case "date_expression": self = .dateExpression(DateExpression(decoding: e))
    case "rule": self = .rule(Rule(decoding: e))
    case "rsc_expression": self = .resourceExpression(OpaqueElement(e))
    case "op_expression": self = .operationExpression(OpaqueElement(e))
    default: return nil
    }
  }

  public func encoded() -> CIBElement {
    switch self {
    case .expression(let x): x.encoded()
    case .dateExpression(let x): x.encoded()
    case .rule(let x): x.encoded()
    case .resourceExpression(let x), .operationExpression(let x): x.element
    }
  }
}

/// An element the model carries as is (ACLs, bundle storage, rsc/op expressions): its attributes are
/// readable, and it is written back exactly.
public struct OpaqueElement: Equatable, Sendable {
  public var element: CIBElement
  public init(_ element: CIBElement) { self.element = element }
  public var id: String? { element.id }
  public subscript(name: String) -> String? { element[attribute: name] }
}

/// An `expression`: compares a node attribute (or #uname, #id, #kind...) with a value.
public struct Expression: Equatable, Sendable {
  public var id: String?
  public var idRef: String?
  public var attribute: String?
  /// lt, gt, lte, gte, eq, ne, defined, not_defined.
  public var operation: String?
  public var value: String?
  /// string, integer, number, version.
  public var type: String?
  /// literal, param, meta.
  public var valueSource: String?
  public var source: CIBElement

  public static let operations: Set<String> = ["lt", "gt", "lte", "gte", "eq", "ne", "defined", "not_defined"]
  public static let types: Set<String> = ["string", "integer", "number", "version"]

  static let attributes = AttributeMap<Expression>([
    .text("id", \.id), .text("id-ref", \.idRef), .text("attribute", \.attribute), .text("operation", \.operation),
    .text("value", \.value), .text("type", \.type), .text("value-source", \.valueSource),
  ])

  public init(decoding e: CIBElement) {
    source = e
    Self.attributes.read(e, into: &self)
  }

  public func encoded() -> CIBElement {
    var e = source
    Self.attributes.write(self, into: &e)
    return e
  }
}

/// A `date_expression`: `operation` is in_range (start/end or start + duration), gt, lt or date_spec.
public struct DateExpression: Equatable, Sendable {
  public var id: String?
  public var operation: String?
  public var start: String?
  public var end: String?
  public var dateSpec: DateSpec?
  public var duration: DateSpec?
  public var source: CIBElement

  public static let operations: Set<String> = ["in_range", "gt", "lt", "date_spec"]

  static let attributes = AttributeMap<DateExpression>([
    .text("id", \.id), .text("operation", \.operation), .text("start", \.start), .text("end", \.end),
  ])

  public init(decoding e: CIBElement) {
    source = e
    dateSpec = e.firstElement(named: "date_spec").map(DateSpec.init(decoding:))
    duration = e.firstElement(named: "duration").map(DateSpec.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  public func encoded() -> CIBElement {
    var e = source
    Self.attributes.write(self, into: &e)
    e.mergeChildren([
      ChildSlots("date_spec", dateSpec.map { [$0.encoded()] } ?? []),
      ChildSlots("duration", duration.map { [$0.encoded()] } ?? []),
    ])
    return e
  }
}

/// A `date_spec` or `duration` element: each field is Pacemaker's text, a number or a range "1-5".
public struct DateSpec: Equatable, Sendable {
  public var kind: String
  public var id: String?
  public var seconds: String?
  public var minutes: String?
  public var hours: String?
  /// `duration` only (a date_spec names days as monthdays, weekdays or yeardays).
  public var days: String?
  public var monthdays: String?
  public var weekdays: String?
  public var yeardays: String?
  public var months: String?
  public var weeks: String?
  public var years: String?
  public var weekyears: String?
  public var moon: String?
  public var source: CIBElement

  static let attributes = AttributeMap<DateSpec>([
    .text("id", \.id), .text("seconds", \.seconds), .text("minutes", \.minutes), .text("hours", \.hours),
    .text("days", \.days), .text("monthdays", \.monthdays), .text("weekdays", \.weekdays), .text("yeardays", \.yeardays),
    .text("months", \.months), .text("weeks", \.weeks), .text("years", \.years), .text("weekyears", \.weekyears),
    .text("moon", \.moon),
  ])

  public init(decoding e: CIBElement) {
    source = e
    kind = e.name
    Self.attributes.read(e, into: &self)
  }

  public func encoded() -> CIBElement {
    var e = source
    e.name = kind
    Self.attributes.write(self, into: &e)
    return e
  }
}
