/// A configured resource: the tree under `<resources>`. `master` is the pre-2.0 name of a promotable
/// clone and decodes as a `Clone` with `isLegacyMaster`.
public indirect enum Resource: Equatable, Sendable {
  case primitive(Primitive)
  case group(Group)
  case clone(Clone)
  case bundle(Bundle)

  static let elementNames: Set<String> = ["primitive", "group", "clone", "master", "bundle"]

  public init?(decoding e: CIBElement) {
    switch e.name {
    case "primitive": self = .primitive(Primitive(decoding: e))
    case "group": self = .group(Group(decoding: e))
    case "clone", "master": self = .clone(Clone(decoding: e))
    case "bundle": self = .bundle(Bundle(decoding: e))
    default: return nil
    }
  }

  public var id: ResourceID {
    switch self {
    case .primitive(let r): r.id
    case .group(let r): r.id
    case .clone(let r): r.id
    case .bundle(let r): r.id
    }
  }

  public var metaAttributes: [AttributeSet] {
    switch self {
    case .primitive(let r): r.metaAttributes
    case .group(let r): r.metaAttributes
    case .clone(let r): r.metaAttributes
    case .bundle(let r): r.metaAttributes
    }
  }

  /// This resource and everything inside it, parents before children, in document order.
  public var flattened: [Resource] {
    var out: [Resource] = []
    appendFlattened(to: &out)
    return out
  }

  func appendFlattened(to out: inout [Resource]) {
    out.append(self)
    switch self {
    case .primitive: break
    case .group(let g): for m in g.members { out.append(.primitive(m)) }
    case .clone(let c): c.child?.appendFlattened(to: &out)
    case .bundle(let b): if let p = b.primitive { out.append(.primitive(p)) }
    }
  }

  public func encoded() -> CIBElement {
    switch self {
    case .primitive(let r): r.encoded()
    case .group(let r): r.encoded()
    case .clone(let r): r.encoded()
    case .bundle(let r): r.encoded()
    }
  }
}

/// A `primitive`: one agent instance (`class`, `provider`, `type`), or one built from a `template`.
public struct Primitive: Equatable, Sendable {
  public var id: ResourceID
  /// `class`: ocf, lsb, systemd, service, stonith, nagios, upstart (validation checks the list).
  public var resourceClass: String?
  public var provider: String?
  public var type: String?
  /// `template`: the id of an rsc_template this primitive inherits from.
  public var template: String?
  public var description: String?
  public var instanceAttributes: [AttributeSet]
  public var metaAttributes: [AttributeSet]
  public var utilization: [AttributeSet]
  public var operations: [Operation]
  public var source: CIBElement

  public init(id: ResourceID, resourceClass: String?, provider: String?, type: String?) {
    self.init(decoding: CIBElement("primitive"))
    self.id = id
    self.resourceClass = resourceClass
    self.provider = provider
    self.type = type
  }

  static let attributes = AttributeMap<Primitive>([
    .text("class", \.resourceClass), .text("provider", \.provider), .text("type", \.type),
    .text("template", \.template), .text("description", \.description),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = ResourceID(e[attribute: "id"] ?? "")
    instanceAttributes = e.decodeChildren(named: "instance_attributes", AttributeSet.init(decoding:))
    metaAttributes = e.decodeChildren(named: "meta_attributes", AttributeSet.init(decoding:))
    utilization = e.decodeChildren(named: "utilization", AttributeSet.init(decoding:))
    operations = e.firstElement(named: "operations")?.decodeChildren(named: "op", Operation.init(decoding:)) ?? []
    Self.attributes.read(e, into: &self)
  }

  /// "class:provider:type" or "class:type", as crm_mon prints the agent.
  public var agentName: String {
    [resourceClass, provider, type].compactMap { $0 }.joined(separator: ":")
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    Self.attributes.write(self, into: &e)
    e.mergeChildren([
      ChildSlots("instance_attributes", instanceAttributes.map { $0.encoded() }),
      ChildSlots("meta_attributes", metaAttributes.map { $0.encoded() }),
      ChildSlots("utilization", utilization.map { $0.encoded() }),
    ])
    let ops = operations.map { $0.encoded() }
    e.updateChild(named: "operations", create: !ops.isEmpty) { $0.mergeChildren([ChildSlots("op", ops)]) }
    return e
  }
}

/// A `template` (resource template): a primitive's class/provider/type, attributes
/// and operations, shared by primitives that name it in their `template` attribute.
public struct Template: Equatable, Sendable {
  public var id: ResourceID
  public var resourceClass: String?
  public var provider: String?
  public var type: String?
  public var instanceAttributes: [AttributeSet]
  public var metaAttributes: [AttributeSet]
  public var utilization: [AttributeSet]
  public var operations: [Operation]
  public var source: CIBElement

  public init(decoding e: CIBElement) {
    let p = Primitive(decoding: e)
    source = e
    id = p.id
    resourceClass = p.resourceClass
    provider = p.provider
    type = p.type
    instanceAttributes = p.instanceAttributes
    metaAttributes = p.metaAttributes
    utilization = p.utilization
    operations = p.operations
  }

  public func encoded() -> CIBElement {
    var p = Primitive(decoding: source)
    p.id = id
    p.resourceClass = resourceClass
    p.provider = provider
    p.type = type
    p.instanceAttributes = instanceAttributes
    p.metaAttributes = metaAttributes
    p.utilization = utilization
    p.operations = operations
    return p.encoded()
  }
}

/// A `group`: primitives started in order and kept together. Non-primitive children (invalid) are
/// not members; they stay in the document and validation reports them.
public struct Group: Equatable, Sendable {
  public var id: ResourceID
  public var description: String?
  public var members: [Primitive]
  public var metaAttributes: [AttributeSet]
  public var instanceAttributes: [AttributeSet]
  public var source: CIBElement

  public init(id: ResourceID, members: [Primitive]) {
    self.init(decoding: CIBElement("group"))
    self.id = id
    self.members = members
  }

  public init(decoding e: CIBElement) {
    source = e
    id = ResourceID(e[attribute: "id"] ?? "")
    description = e[attribute: "description"]
    members = e.decodeChildren(named: "primitive", Primitive.init(decoding:))
    metaAttributes = e.decodeChildren(named: "meta_attributes", AttributeSet.init(decoding:))
    instanceAttributes = e.decodeChildren(named: "instance_attributes", AttributeSet.init(decoding:))
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    e.write("description", description)
    e.mergeChildren([
      ChildSlots("meta_attributes", metaAttributes.map { $0.encoded() }),
      ChildSlots("instance_attributes", instanceAttributes.map { $0.encoded() }),
      ChildSlots("primitive", members.map { $0.encoded() }),
    ])
    return e
  }
}

/// A `clone` (or legacy `master`): copies of one primitive or group on many nodes. Promotable when
/// `isLegacyMaster` or meta `promotable=true`. `child` is nil only in an invalid document.
public struct Clone: Equatable, Sendable {
  public var id: ResourceID
  public var description: String?
  /// Decoded from `<master>`: written back under that name, and always promotable.
  public var isLegacyMaster: Bool
  public var child: Resource?
  public var metaAttributes: [AttributeSet]
  public var instanceAttributes: [AttributeSet]
  public var source: CIBElement

  public init(id: ResourceID, child: Resource) {
    self.init(decoding: CIBElement("clone"))
    self.id = id
    self.child = child
  }

  public init(decoding e: CIBElement) {
    source = e
    id = ResourceID(e[attribute: "id"] ?? "")
    description = e[attribute: "description"]
    isLegacyMaster = e.name == "master"
    var child: Resource?
    for c in e.children {
      if case .element(let x) = c, x.name == "primitive" || x.name == "group" {
        child = Resource(decoding: x)
        break
      }
    }
    self.child = child
    metaAttributes = e.decodeChildren(named: "meta_attributes", AttributeSet.init(decoding:))
    instanceAttributes = e.decodeChildren(named: "instance_attributes", AttributeSet.init(decoding:))
  }

  /// The first meta attribute `name` across the clone's meta sets, rules not evaluated.
  public func meta(_ name: String) -> String? {
    for set in metaAttributes { if let v = set[name] { return v } }
    return nil
  }

  /// Legacy `master`, or meta promotable=true.
  public var isPromotable: Bool { isLegacyMaster || parseBoolean(meta("promotable")) == true }

  public func encoded() -> CIBElement {
    var e = source
    e.name = isLegacyMaster ? "master" : "clone"
    e.writeRequired("id", id.rawValue)
    e.write("description", description)
    // Only the first primitive/group is the child; later ones (invalid) keep their slots untouched.
    if let index = e.children.firstIndex(where: {
      if case .element(let x) = $0 { x.name == "primitive" || x.name == "group" } else { false }
    }) {
      if let child { e.children[index] = .element(child.encoded()) } else { e.children.remove(at: index) }
    } else if let child {
      e.append(child.encoded())
    }
    e.mergeChildren([
      ChildSlots("meta_attributes", metaAttributes.map { $0.encoded() }),
      ChildSlots("instance_attributes", instanceAttributes.map { $0.encoded() }),
    ])
    return e
  }
}

/// A `bundle`: a container image (docker, podman, rkt) run `replicas` times, optionally with one
/// primitive inside. Network and storage are kept as they are (`network`, `storage` opaque).
public struct Bundle: Equatable, Sendable {
  public var id: ResourceID
  public var description: String?
  /// The container element: its name (docker/podman/rkt) and attributes (image, replicas, ...).
  public var container: OpaqueElement?
  public var network: OpaqueElement?
  public var storage: OpaqueElement?
  public var primitive: Primitive?
  public var metaAttributes: [AttributeSet]
  public var source: CIBElement

  static let containerNames: Set<String> = ["docker", "podman", "rkt"]

  public init(decoding e: CIBElement) {
    source = e
    id = ResourceID(e[attribute: "id"] ?? "")
    description = e[attribute: "description"]
    container = e.elements.first { Bundle.containerNames.contains($0.name) }.map(OpaqueElement.init)
    network = e.firstElement(named: "network").map(OpaqueElement.init)
    storage = e.firstElement(named: "storage").map(OpaqueElement.init)
    primitive = e.firstElement(named: "primitive").map(Primitive.init(decoding:))
    metaAttributes = e.decodeChildren(named: "meta_attributes", AttributeSet.init(decoding:))
  }

  /// docker, podman or rkt.
  public var containerKind: String? { container?.element.name }
  public var replicas: Int? { parseInteger(container?["replicas"]) }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    e.write("description", description)
    e.mergeChildren([
      ChildSlots(Bundle.containerNames, container.map { [$0.element] } ?? []),
      ChildSlots("network", network.map { [$0.element] } ?? []),
      ChildSlots("storage", storage.map { [$0.element] } ?? []),
      ChildSlots("primitive", primitive.map { [$0.encoded()] } ?? []),
      ChildSlots("meta_attributes", metaAttributes.map { $0.encoded() }),
    ])
    return e
  }
}

/// An `op`: a resource action with its interval, timeout and options.
public struct Operation: Equatable, Sendable {
  public var id: String?
  public var idRef: String?
  public var name: String?
  /// Raw `interval` text; `intervalMs` reads it as Pacemaker does.
  public var interval: String?
  public var timeout: String?
  public var roleText: String?
  public var onFail: String?
  public var enabled: String?
  public var startDelay: String?
  public var intervalOrigin: String?
  public var recordPending: String?
  public var description: String?
  public var requires: String?
  public var metaAttributes: [AttributeSet]
  public var instanceAttributes: [AttributeSet]
  public var source: CIBElement

  /// Values Pacemaker accepts for `on-fail`.
  public static let onFailValues: Set<String> = [
    "ignore", "block", "stop", "restart", "standby", "fence", "restart-container", "demote",
  ]

  public init(id: String, name: String, interval: String, timeout: String? = nil) {
    self.init(decoding: CIBElement("op"))
    self.id = id
    self.name = name
    self.interval = interval
    self.timeout = timeout
  }

  static let attributes = AttributeMap<Operation>([
    .text("id", \.id), .text("id-ref", \.idRef), .text("name", \.name), .text("interval", \.interval),
    .text("timeout", \.timeout), .text("role", \.roleText), .text("on-fail", \.onFail), .text("enabled", \.enabled),
    .text("start-delay", \.startDelay), .text("interval-origin", \.intervalOrigin),
    .text("record-pending", \.recordPending), .text("description", \.description), .text("requires", \.requires),
  ])

  public init(decoding e: CIBElement) {
    source = e
    metaAttributes = e.decodeChildren(named: "meta_attributes", AttributeSet.init(decoding:))
    instanceAttributes = e.decodeChildren(named: "instance_attributes", AttributeSet.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  /// The interval in ms (absent means 0, a one-shot action); nil when the text is invalid.
  public var intervalMs: Milliseconds? {
    guard let interval else { return .zero }
    return try? Milliseconds(interval: interval)
  }
  /// The timeout in ms, nil when absent or invalid.
  public var timeoutMs: Milliseconds? { timeout.flatMap { try? Milliseconds(time: $0) } }
  public var startDelayMs: Milliseconds? { startDelay.flatMap { try? Milliseconds(time: $0) } }
  public var role: Role? {
    get { roleText.flatMap(Role.init(parsing:)) }
    set { roleText = newValue?.text }
  }
  /// `enabled`, true when absent.
  public var isEnabled: Bool { parseBoolean(enabled) ?? true }

  public func encoded() -> CIBElement {
    var e = source
    Self.attributes.write(self, into: &e)
    e.mergeChildren([
      ChildSlots("meta_attributes", metaAttributes.map { $0.encoded() }),
      ChildSlots("instance_attributes", instanceAttributes.map { $0.encoded() }),
    ])
    return e
  }
}
