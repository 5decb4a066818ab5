/// The whole CIB as typed values: the `cib` root's attributes, the configuration and the status.
///
/// Why it exists: the scheduler, pcs and the controller work on values with typed ids, not XML.
/// Invariant (tested over the whole corpus): `CIBDocument(decoding: x).encoded() == x` for every
/// document; anything the model does not know is carried in `source` and written back in place.
/// Decoding never fails: a document with problems decodes as far as it goes, and `validateCIB`
/// says what is wrong.
public struct CIBDocument: Equatable, Sendable {
  public var adminEpoch: String?
  public var epoch: String?
  public var numUpdates: String?
  public var validateWith: String?
  public var crmFeatureSet: String?
  /// `have-quorum`: "1"/"0" (or true/false); `hasQuorum` is the typed reading.
  public var haveQuorum: String?
  public var dcUUID: NodeUUID?
  public var cibLastWritten: String?
  public var updateOrigin: String?
  public var updateClient: String?
  public var updateUser: String?
  /// `execution-date`: the time (seconds since the epoch) crm_simulate should treat as "now".
  public var executionDate: String?
  public var noQuorumPanic: String?
  public var configuration: CIBConfiguration
  public var status: CIBStatus
  public var source: CIBElement

  public init(decoding root: CIBElement) {
    source = root
    adminEpoch = root[attribute: "admin_epoch"]
    epoch = root[attribute: "epoch"]
    numUpdates = root[attribute: "num_updates"]
    validateWith = root[attribute: "validate-with"]
    crmFeatureSet = root[attribute: "crm_feature_set"]
    haveQuorum = root[attribute: "have-quorum"]
    dcUUID = root[attribute: "dc-uuid"].map { NodeUUID($0) }
    cibLastWritten = root[attribute: "cib-last-written"]
    updateOrigin = root[attribute: "update-origin"]
    updateClient = root[attribute: "update-client"]
    updateUser = root[attribute: "update-user"]
    executionDate = root[attribute: "execution-date"]
    noQuorumPanic = root[attribute: "no-quorum-panic"]
    configuration = CIBConfiguration(decoding: root.firstElement(named: "configuration") ?? CIBElement("configuration"))
    status = CIBStatus(decoding: root.firstElement(named: "status") ?? CIBElement("status"))
  }

  public var adminEpochValue: Int? { parseInteger(adminEpoch) }
  public var epochValue: Int? { parseInteger(epoch) }
  public var numUpdatesValue: Int? { parseInteger(numUpdates) }
  /// have-quorum read as Pacemaker does (absent means no quorum).
  public var hasQuorum: Bool { parseBoolean(haveQuorum) ?? false }

  public func encoded() -> CIBElement {
    var e = source
    e.write("admin_epoch", adminEpoch)
    e.write("epoch", epoch)
    e.write("num_updates", numUpdates)
    e.write("validate-with", validateWith)
    e.write("crm_feature_set", crmFeatureSet)
    e.write("have-quorum", haveQuorum)
    e.write("dc-uuid", dcUUID?.rawValue)
    e.write("cib-last-written", cibLastWritten)
    e.write("update-origin", updateOrigin)
    e.write("update-client", updateClient)
    e.write("update-user", updateUser)
    e.write("execution-date", executionDate)
    e.write("no-quorum-panic", noQuorumPanic)
    // An absent section stays absent unless something was put in it.
    let config = configuration.encoded()
    if e.childIndex(named: "configuration") != nil || config != CIBElement("configuration") {
      e.mergeChildren([ChildSlots("configuration", [config])])
    }
    let status = status.encoded()
    if e.childIndex(named: "status") != nil || status != CIBElement("status") {
      e.mergeChildren([ChildSlots("status", [status])])
    }
    return e
  }
}

/// The `configuration` section.
public struct CIBConfiguration: Equatable, Sendable {
  /// `cluster_property_set`s under `crm_config`, in order.
  public var clusterPropertySets: [AttributeSet]
  public var nodes: [Node]
  /// Top-level resources (primitive, group, clone/master, bundle), in document order.
  public var resources: [Resource]
  /// `template`s under `resources`.
  public var templates: [Template]
  public var constraints: [Constraint]
  /// meta_attributes sets under `rsc_defaults`.
  public var rscDefaults: [AttributeSet]
  /// meta_attributes sets under `op_defaults`.
  public var opDefaults: [AttributeSet]
  public var fencingLevels: [FencingLevel]
  public var tags: [Tag]
  public var alerts: [Alert]
  /// `acls`, kept as is.
  public var acls: OpaqueElement?
  public var source: CIBElement

  public init(decoding e: CIBElement) {
    source = e
    clusterPropertySets =
      e.firstElement(named: "crm_config")?.decodeChildren(named: "cluster_property_set", AttributeSet.init(decoding:)) ?? []
    nodes = e.firstElement(named: "nodes")?.decodeChildren(named: "node", Node.init(decoding:)) ?? []
    var resources: [Resource] = []
    var templates: [Template] = []
    if let section = e.firstElement(named: "resources") {
      for child in section.children {
        guard case .element(let r) = child else { continue }
        if r.name == "template" {
          templates.append(Template(decoding: r))
        } else if let resource = Resource(decoding: r) {
          resources.append(resource)
        }
      }
    }
    self.resources = resources
    self.templates = templates
    var constraints: [Constraint] = []
    for child in e.firstElement(named: "constraints")?.children ?? [] {
      if case .element(let c) = child, let constraint = Constraint(decoding: c) { constraints.append(constraint) }
    }
    self.constraints = constraints
    rscDefaults = e.firstElement(named: "rsc_defaults")?.decodeChildren(named: "meta_attributes", AttributeSet.init(decoding:)) ?? []
    opDefaults = e.firstElement(named: "op_defaults")?.decodeChildren(named: "meta_attributes", AttributeSet.init(decoding:)) ?? []
    fencingLevels =
      e.firstElement(named: "fencing-topology")?.decodeChildren(named: "fencing-level", FencingLevel.init(decoding:)) ?? []
    tags = e.firstElement(named: "tags")?.decodeChildren(named: "tag", Tag.init(decoding:)) ?? []
    alerts = e.firstElement(named: "alerts")?.decodeChildren(named: "alert", Alert.init(decoding:)) ?? []
    acls = e.firstElement(named: "acls").map(OpaqueElement.init)
  }

  /// The value of cluster property `name`: the first occurrence across the property sets in document
  /// order (rules not evaluated; use the sets directly for rule-based properties).
  public func clusterProperty(_ name: String) -> String? {
    for set in clusterPropertySets { if let v = set[name] { return v } }
    return nil
  }

  /// Every resource at any depth (parents before children), in document order.
  public var allResources: [Resource] {
    var out: [Resource] = []
    for r in resources { r.appendFlattened(to: &out) }
    return out
  }

  /// Every primitive at any depth (inside groups, clones and bundles too), in document order.
  public var allPrimitives: [Primitive] {
    allResources.compactMap { if case .primitive(let p) = $0 { p } else { nil } }
  }

  /// Resources at any depth by id, built in one pass; on duplicate ids the first one wins
  /// (validation reports duplicates).
  public func resourcesByID() -> [ResourceID: Resource] {
    var index: [ResourceID: Resource] = [:]
    for r in allResources where index[r.id] == nil { index[r.id] = r }
    return index
  }

  /// The parent of each nested resource (group member -> group, clone child -> clone, bundle primitive
  /// -> bundle).
  public func parentByID() -> [ResourceID: ResourceID] {
    var parents: [ResourceID: ResourceID] = [:]
    for r in allResources {
      switch r {
      case .primitive: break
      case .group(let g): for m in g.members { parents[m.id] = g.id }
      case .clone(let c): if let child = c.child { parents[child.id] = c.id }
      case .bundle(let b): if let p = b.primitive { parents[p.id] = b.id }
      }
    }
    return parents
  }

  public var locationConstraints: [LocationConstraint] {
    constraints.compactMap { if case .location(let c) = $0 { c } else { nil } }
  }
  public var colocationConstraints: [ColocationConstraint] {
    constraints.compactMap { if case .colocation(let c) = $0 { c } else { nil } }
  }
  public var orderConstraints: [OrderConstraint] {
    constraints.compactMap { if case .order(let c) = $0 { c } else { nil } }
  }
  public var ticketConstraints: [TicketConstraint] {
    constraints.compactMap { if case .ticket(let c) = $0 { c } else { nil } }
  }

  public func encoded() -> CIBElement {
    var e = source
    func section(_ name: String, _ lists: [ChildSlots]) {
      let needed = lists.contains { !$0.elements.isEmpty }
      e.updateChild(named: name, create: needed) { $0.mergeChildren(lists) }
    }
    section("crm_config", [ChildSlots("cluster_property_set", clusterPropertySets.map { $0.encoded() })])
    section("nodes", [ChildSlots("node", nodes.map { $0.encoded() })])
    section("resources", [
      ChildSlots(Resource.elementNames, resources.map { $0.encoded() }),
      ChildSlots("template", templates.map { $0.encoded() }),
    ])
    section("constraints", [ChildSlots(Constraint.elementNames, constraints.map { $0.encoded() })])
    section("rsc_defaults", [ChildSlots("meta_attributes", rscDefaults.map { $0.encoded() })])
    section("op_defaults", [ChildSlots("meta_attributes", opDefaults.map { $0.encoded() })])
    section("fencing-topology", [ChildSlots("fencing-level", fencingLevels.map { $0.encoded() })])
    section("tags", [ChildSlots("tag", tags.map { $0.encoded() })])
    section("alerts", [ChildSlots("alert", alerts.map { $0.encoded() })])
    e.mergeChildren([ChildSlots("acls", acls.map { [$0.element] } ?? [])])
    return e
  }
}

/// Everything in the configuration that can be the target of an `id-ref` (attribute sets, rules,
/// nvpairs, ops, expressions), by id, built once in one walk so lookups are O(1).
public struct ReferenceIndex: Sendable {
  public private(set) var attributeSets: [String: AttributeSet] = [:]
  public private(set) var rules: [String: Rule] = [:]
  public private(set) var nvpairs: [String: NVPair] = [:]
  public private(set) var operations: [String: Operation] = [:]
  public private(set) var expressions: [String: Expression] = [:]

  public init(_ configuration: CIBConfiguration) {
    configuration.source.forEachDescendant { e in
      guard let id = e.id, e[attribute: "id-ref"] == nil else { return }
      switch e.name {
      case "meta_attributes", "instance_attributes", "utilization", "cluster_property_set":
        if attributeSets[id] == nil { attributeSets[id] = AttributeSet(decoding: e) }
      case "rule": if rules[id] == nil { rules[id] = Rule(decoding: e) }
      case "nvpair": if nvpairs[id] == nil { nvpairs[id] = NVPair(decoding: e) }
      case "op": if operations[id] == nil { operations[id] = Operation(decoding: e) }
      case "expression": if expressions[id] == nil { expressions[id] = Expression(decoding: e) }
      default: break
      }
    }
  }

  /// The set itself, or the set its `id-ref` names (nil when the reference is dangling).
  public func resolve(_ set: AttributeSet) -> AttributeSet? {
    guard let ref = set.idRef else { return set }
    return attributeSets[ref]
  }

  /// The rule itself, or the rule its `id-ref` names (nil when the reference is dangling).
  public func resolve(_ rule: Rule) -> Rule? {
    guard let ref = rule.idRef else { return rule }
    return rules[ref]
  }
}
