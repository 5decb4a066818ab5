/// One problem found in a CIB, phrased so that a person can fix it: which element (kind and id),
/// what is wrong, and what to write instead.
///
/// Why it exists: Pacemaker's checks are spread over the schema, the scheduler's unpacking and
/// crm_verify; Vigil's writers (pcs, cibadmin) and readers (crm_verify, the scheduler) share this one list.
public struct CIBValidationIssue: Equatable, Hashable, Sendable, CustomStringConvertible {
  public enum Severity: String, Sendable, Comparable {
    /// The configuration is not valid: Pacemaker would reject it or refuse to run something.
    case error
    /// Accepted, but probably not what was meant (Pacemaker warns or silently ignores it).
    case warning

    public static func < (a: Severity, b: Severity) -> Bool { a == .error && b == .warning }
  }

  /// What kind of problem; stable names for tests and `--output-as json`.
  public enum Kind: String, Sendable, CaseIterable {
    case notACIB
    case missingID
    case duplicateID
    case unknownReference
    case unknownTemplate
    case danglingIDRef
    case invalidScore
    case invalidInterval
    case invalidDuration
    case invalidInteger
    case invalidBoolean
    case unknownResourceClass
    case missingProvider
    case unexpectedProvider
    case missingAttribute
    case conflictingAttributes
    case invalidGroupMember
    case invalidCloneChild
    case invalidEnumValue
    case emptyConstraint
    case unknownNode
    case duplicateOperation
    /// target-role Promoted/Unpromoted on a resource that is not (inside) a promotable clone.
    case roleNeedsPromotable
    /// on-fail not allowed for the operation (stop cannot on-fail=stop; demote only for promote/promoted monitor).
    case onFailNotAllowed
    /// stonith-enabled (default true) without any stonith resource: crm_verify's start-up error.
    case fencingNotConfigured

    /// Whether `requireValidCIB` refuses a document with this error. Pacemaker and pcs accept writes
    /// of a CIB without fencing devices (one adds them later); the scheduler refuses to start resources.
    public var blocksWrites: Bool { self != .fencingNotConfigured }
  }

  public var severity: Severity
  public var kind: Kind
  /// The element's name, e.g. "rsc_order", "primitive", "op".
  public var element: String
  /// The element's id, when it has one.
  public var id: String?
  /// What is wrong and what to change.
  public var message: String

  public init(severity: Severity, kind: Kind, element: String, id: String?, message: String) {
    self.severity = severity
    self.kind = kind
    self.element = element
    self.id = id
    self.message = message
  }

  /// "error: rsc_order 'o1': ..." (the id is omitted when the element has none).
  public var description: String {
    let subject = id.map { "\(element) '\($0)'" } ?? element
    return "\(severity.rawValue): \(subject): \(message)"
  }
}

/// Thrown by `requireValidCIB` when the document has at least one error-severity issue.
public struct CIBValidationError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Every issue found (warnings included), in document order.
  public var issues: [CIBValidationIssue]
  public var errors: [CIBValidationIssue] { issues.filter { $0.severity == .error } }
  public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Checks a whole CIB document and returns every issue in document order (errors and warnings).
/// Pure and single-pass over an id index built once, so it stays linear in the document's size.
public func validateCIB(_ root: CIBElement) -> [CIBValidationIssue] {
  var validator = Validator()
  validator.run(root)
  return validator.issues
}

/// For writers (pcs, cibadmin): throws when the document has an error that makes it invalid to store
/// (every error except `fencingNotConfigured`, see `Kind.blocksWrites`), so nothing invalid is saved.
public func requireValidCIB(_ root: CIBElement) throws(CIBValidationError) {
  let issues = validateCIB(root)
  if issues.contains(where: { $0.severity == .error && $0.kind.blocksWrites }) {
    throw CIBValidationError(issues: issues)
  }
}

/// Resource classes Pacemaker 2.1.5 knows (`crm_resource --list-standards` plus the legacy ones).
public let knownResourceClasses: Set<String> = [
  "ocf", "lsb", "systemd", "service", "stonith", "nagios", "upstart", "heartbeat",
]

/// Cluster options with a fixed set of values.
let clusterEnumOptions: [String: Set<String>] = [
  "no-quorum-policy": ["stop", "freeze", "ignore", "demote", "suicide"],
  "placement-strategy": ["default", "utilization", "minimal", "balanced"],
  "stonith-action": ["reboot", "off", "poweroff"],
  "node-health-strategy": ["none", "migrate-on-red", "only-green", "progressive", "custom"],
]
let clusterBooleanOptions: Set<String> = [
  "stonith-enabled", "symmetric-cluster", "maintenance-mode", "start-failure-is-fatal",
  "enable-startup-probes", "stop-orphan-resources", "stop-orphan-actions", "stop-all-resources",
  "startup-fencing", "concurrent-fencing", "remove-after-stop", "enable-acl", "is-managed-default",
  "have-watchdog", "stonith-watchdog-timeout-enabled", "priority-fencing-delay-enabled",
]
let clusterTimeOptions: Set<String> = [
  "cluster-recheck-interval", "dc-deadtime", "election-timeout", "shutdown-escalation",
  "join-integration-timeout", "join-finalization-timeout", "transition-delay", "stonith-timeout",
  "priority-fencing-delay", "cluster-ipc-limit-timeout", "shutdown-lock-limit",
]
let clusterIntegerOptions: Set<String> = [
  "batch-limit", "migration-limit", "pe-error-series-max", "pe-warn-series-max", "pe-input-series-max",
  "stonith-max-attempts", "node-action-limit", "cluster-ipc-limit",
]
/// Resource meta attributes with a fixed reading.
let metaScoreAttributes: Set<String> = ["resource-stickiness", "migration-threshold", "priority"]
let metaBooleanAttributes: Set<String> = [
  "is-managed", "maintenance", "globally-unique", "notify", "interleave", "ordered", "promotable",
  "allow-migrate", "critical", "remote-allow-migrate",
]
let metaTimeAttributes: Set<String> = ["failure-timeout"]
let metaEnumAttributes: [String: Set<String>] = [
  "target-role": ["stopped", "started", "unpromoted", "promoted", "slave", "master"],
  "multiple-active": ["block", "stop_only", "stop_start", "stop_unexpected"],
  "requires": ["nothing", "quorum", "fencing", "unfencing"],
]

struct Validator {
  var issues: [CIBValidationIssue] = []
  /// id -> element name of its first definition (configuration section only).
  var definitions: [String: String] = [:]
  var resourceIDs: Set<String> = []
  var primitiveClassByID: [String: String] = [:]
  var templateIDs: Set<String> = []
  var tagIDs: Set<String> = []
  var nodeNames: Set<String> = []
  var nodeIDsSeen: Set<String> = []
  /// While checking a resource tree: whether its top-level resource is promotable (nil outside resources).
  var topIsPromotable: Bool?

  mutating func report(
    _ severity: CIBValidationIssue.Severity, _ kind: CIBValidationIssue.Kind, _ e: CIBElement, _ message: String
  ) {
    issues.append(CIBValidationIssue(severity: severity, kind: kind, element: e.name, id: e.id, message: message))
  }

  mutating func run(_ root: CIBElement) {
    guard root.name == "cib" else {
      report(.error, .notACIB, root, "the document's root is <\(root.name)>, not <cib>: give a CIB (cibadmin --query prints one)")
      return
    }
    for name in ["admin_epoch", "epoch", "num_updates"] {
      if let v = root[attribute: name], parseInteger(v).map({ $0 >= 0 }) != true {
        report(.error, .invalidInteger, root, "\(name) is '\(v)': use a non-negative integer")
      }
    }
    guard let configuration = root.firstElement(named: "configuration") else {
      report(.error, .missingAttribute, root, "the cib has no <configuration> section: add one (it may be empty)")
      return
    }
    index(configuration)
    for state in root.firstElement(named: "status")?.elements(named: "node_state") ?? [] {
      if let uname = state[attribute: "uname"] { nodeNames.insert(uname) }
    }
    check(configuration)
    checkFencingConfigured(configuration)
  }

  /// Pacemaker's unpack_resources check: with stonith-enabled true (the default) and no stonith
  /// primitive anywhere, no resource is started. Wording follows crm_verify's three error lines.
  mutating func checkFencingConfigured(_ configuration: CIBElement) {
    func option(_ name: String) -> String? {
      for set in configuration.firstElement(named: "crm_config")?.elements(named: "cluster_property_set") ?? [] {
        if let v = set.elements(named: "nvpair").first(where: { $0[attribute: "name"] == name })?[attribute: "value"] {
          return v
        }
      }
      return nil
    }
    let stonithEnabled = option("stonith-enabled").flatMap(parseBoolean) ?? true
    // have-watchdog=true means SBD watchdog self-fencing, which counts as a fencing device.
    let watchdog = option("have-watchdog").flatMap(parseBoolean) ?? false
    guard stonithEnabled, !watchdog, !primitiveClassByID.values.contains("stonith") else { return }
    issues.append(CIBValidationIssue(
      severity: .error, kind: .fencingNotConfigured, element: "crm_config", id: nil,
      message: "Resource start-up disabled since no STONITH resources have been defined. Either configure some "
        + "or disable STONITH with the stonith-enabled option (NOTE: clusters with shared data need STONITH "
        + "to ensure data integrity)"))
  }

  // MARK: - Pass 1: every id, once.

  mutating func index(_ configuration: CIBElement) {
    configuration.forEachDescendant { e in
      switch e.name {
      case "primitive", "group", "clone", "master", "bundle":
        if let id = e.id { resourceIDs.insert(id) }
        if e.name == "primitive", let id = e.id {
          primitiveClassByID[id] = e[attribute: "class"] ?? ""
          // A Pacemaker Remote connection names a node after itself.
          if e[attribute: "type"] == "remote", e[attribute: "provider"] == "pacemaker" { nodeNames.insert(id) }
        }
        // Each bundle replica is a guest node named <bundle>-<n>.
        if e.name == "bundle", let id = e.id {
          let replicas = e.elements.first { Bundle.containerNames.contains($0.name) }
            .flatMap { parseInteger($0[attribute: "replicas"]) } ?? 1
          for n in 0..<max(0, min(replicas, 1000)) { nodeNames.insert("\(id)-\(n)") }
        }
      case "template": if let id = e.id { templateIDs.insert(id) }
      case "tag": if let id = e.id { tagIDs.insert(id) }
      case "node": if let uname = e[attribute: "uname"] { nodeNames.insert(uname) }
      case "nvpair":
        // A guest node is named by its resource's remote-node meta attribute.
        if e[attribute: "name"] == "remote-node", let v = e[attribute: "value"] { nodeNames.insert(v) }
      default: break
      }
    }
  }

  // MARK: - Pass 2: checks, in document order.

  mutating func check(_ configuration: CIBElement) {
    var seen: [String: String] = [:]
    checkDuplicates(configuration, &seen)
    definitions = seen
    for section in configuration.elements {
      switch section.name {
      case "crm_config":
        for set in section.elements(named: "cluster_property_set") { checkClusterProperties(set) }
      case "nodes":
        for node in section.elements(named: "node") { checkNode(node) }
      case "resources":
        for r in section.elements {
          topIsPromotable = isPromotable(r)
          checkResource(r, parent: nil)
          topIsPromotable = nil
        }
      case "constraints":
        for c in section.elements { checkConstraint(c) }
      case "rsc_defaults", "op_defaults":
        for set in section.elements(named: "meta_attributes") { checkAttributeSet(set, meta: section.name == "rsc_defaults") }
      case "fencing-topology":
        for level in section.elements(named: "fencing-level") { checkFencingLevel(level) }
      case "tags":
        for tag in section.elements(named: "tag") {
          for ref in tag.elements(named: "obj_ref") {
            if let id = ref.id, definitions[id] == nil {
              report(.error, .unknownReference, tag,
                     "obj_ref references an unknown ID \"\(id)\": create that element or remove the reference")
            }
          }
        }
      default: break
      }
    }
  }

  /// Ids must be unique across the configuration (the schema declares them xsd:ID). Elements that
  /// only point elsewhere (`id-ref`, resource_ref, obj_ref, role) do not define an id.
  mutating func checkDuplicates(_ e: CIBElement, _ seen: inout [String: String]) {
    for child in e.children {
      guard case .element(let c) = child else { continue }
      if let id = c.id, !CIBElementKinds.referencing.contains(c.name), !CIBElementKinds.textIDs.contains(c.name),
        c[attribute: "id-ref"] == nil
      {
        if id.isEmpty {
          report(.error, .missingID, c, "the id is empty: give this \(c.name) a unique, non-empty id")
        } else if let first = seen[id] {
          report(.error, .duplicateID, c,
                 "id \"\(id)\" is already used by a \(first): ids must be unique in the CIB, rename one of them")
        } else {
          seen[id] = c.name
        }
      } else if c.id == nil, CIBElementKinds.requiringID.contains(c.name), c[attribute: "id-ref"] == nil {
        report(.error, .missingID, c, "this \(c.name) has no id: add a unique id attribute")
      }
      checkDuplicates(c, &seen)
    }
  }

  // MARK: Attribute sets, rules

  mutating func checkAttributeSet(_ set: CIBElement, meta: Bool) {
    if let ref = set[attribute: "id-ref"] { checkIDRef(set, ref) }
    checkScoreAttribute(set, "score")
    for rule in set.elements(named: "rule") { checkRule(rule, inLocation: false) }
    for pair in set.elements(named: "nvpair") {
      if let ref = pair[attribute: "id-ref"] {
        checkIDRef(pair, ref)
        continue
      }
      guard let name = pair[attribute: "name"] else {
        report(.error, .missingAttribute, pair, "nvpair has no name: add name=\"...\"")
        continue
      }
      guard meta, let value = pair[attribute: "value"] else { continue }
      checkMetaValue(pair, name: name, value: value)
    }
  }

  mutating func checkMetaValue(_ pair: CIBElement, name: String, value: String) {
    if metaScoreAttributes.contains(name), Score(parsing: value) == nil {
      // Pacemaker reads meta scores with char2score: "1.0" counts as 1 (a warning), "lots" as 0 (an error here).
      do throws(ScoreParseError) { _ = try Score(validating: value) } catch {
        if case .trailingCharacters = error {
          report(.warning, .invalidScore, pair,
                 "\(name)=\"\(value)\" is read as \(Score(lenient: value)): write a plain integer, INFINITY or -INFINITY")
        } else {
          report(.error, .invalidScore, pair,
                 "\(name)=\"\(value)\" is not a score: use an integer, INFINITY or -INFINITY")
        }
      }
    } else if value == "#default" {
      return  // Pacemaker's "use the default" marker
    } else if metaBooleanAttributes.contains(name), parseBoolean(value) == nil {
      report(.error, .invalidBoolean, pair, "\(name)=\"\(value)\" is not a boolean: use true or false")
    } else if metaTimeAttributes.contains(name) {
      do throws(DurationParseError) { _ = try Milliseconds(interval: value) } catch {
        report(.error, .invalidDuration, pair, "\(name): \(error.message)")
      }
    } else if let allowed = metaEnumAttributes[name], value != "#default", !allowed.contains(value.lowercased()) {
      report(.error, .invalidEnumValue, pair,
             "\(name)=\"\(value)\" is not one of \(allowed.sorted().joined(separator: ", "))")
    } else if name == "target-role", topIsPromotable == false,
      ["promoted", "unpromoted", "master", "slave"].contains(value.lowercased())
    {
      report(.error, .roleNeedsPromotable, pair,
             "target-role=\"\(value)\" only makes sense for promotable clones (Pacemaker ignores it): use Started or Stopped, or make the clone promotable")
    }
  }

  mutating func checkRule(_ rule: CIBElement, inLocation: Bool) {
    if let ref = rule[attribute: "id-ref"] {
      checkIDRef(rule, ref)
      return
    }
    checkScoreAttribute(rule, "score")
    if inLocation, rule[attribute: "score"] == nil, rule[attribute: "score-attribute"] == nil {
      report(.warning, .missingAttribute, rule,
             "a location rule without score or score-attribute scores 0: add score=\"INFINITY\" (or another score)")
    }
    if let op = rule[attribute: "boolean-op"], !["and", "or"].contains(op.lowercased()) {
      report(.error, .invalidEnumValue, rule, "boolean-op=\"\(op)\" is not valid: use and or or")
    }
    checkRole(rule, "role")
    for c in rule.elements {
      switch c.name {
      case "rule": checkRule(c, inLocation: inLocation)
      case "expression":
        if let ref = c[attribute: "id-ref"] {
          checkIDRef(c, ref)
          continue
        }
        if c[attribute: "attribute"] == nil {
          report(.error, .missingAttribute, c, "expression has no attribute: name the node attribute to test, e.g. attribute=\"#uname\"")
        }
        let op = c[attribute: "operation"]
        if let op, !Expression.operations.contains(op) {
          report(.error, .invalidEnumValue, c,
                 "operation=\"\(op)\" is not valid: use one of \(Expression.operations.sorted().joined(separator: ", "))")
        } else if op == nil {
          report(.error, .missingAttribute, c, "expression has no operation: add e.g. operation=\"eq\"")
        } else if let op, !["defined", "not_defined"].contains(op), c[attribute: "value"] == nil {
          report(.error, .missingAttribute, c, "operation \"\(op)\" needs a value: add value=\"...\"")
        }
        if let t = c[attribute: "type"], !Expression.types.contains(t) {
          report(.error, .invalidEnumValue, c,
                 "type=\"\(t)\" is not valid: use one of \(Expression.types.sorted().joined(separator: ", "))")
        }
      case "date_expression":
        let op = c[attribute: "operation"] ?? "in_range"
        if !DateExpression.operations.contains(op) {
          report(.error, .invalidEnumValue, c,
                 "operation=\"\(op)\" is not valid: use one of \(DateExpression.operations.sorted().joined(separator: ", "))")
        } else if op == "date_spec", c.firstElement(named: "date_spec") == nil {
          report(.error, .missingAttribute, c, "operation date_spec needs a <date_spec> child")
        } else if op == "in_range", c[attribute: "start"] == nil, c[attribute: "end"] == nil {
          report(.error, .missingAttribute, c, "operation in_range needs start and/or end (or a duration)")
        } else if op == "gt", c[attribute: "start"] == nil {
          report(.error, .missingAttribute, c, "operation gt needs start=\"...\"")
        } else if op == "lt", c[attribute: "end"] == nil {
          report(.error, .missingAttribute, c, "operation lt needs end=\"...\"")
        }
      default: break
      }
    }
  }

  mutating func checkIDRef(_ e: CIBElement, _ ref: String) {
    if definitions[ref] == nil {
      report(.error, .danglingIDRef, e,
             "id-ref=\"\(ref)\" references an unknown ID: define an element with id \"\(ref)\" or fix the reference")
    } else if let target = definitions[ref], target != e.name {
      report(.error, .danglingIDRef, e,
             "id-ref=\"\(ref)\" points to a \(target), not a \(e.name): reference an element of the same kind")
    }
  }

  /// The schema's score type: an integer, INFINITY, +INFINITY or -INFINITY (the health names red,
  /// yellow and green are for node-health options only).
  mutating func checkScoreAttribute(_ e: CIBElement, _ name: String) {
    guard let v = e[attribute: name] else { return }
    do throws(ScoreParseError) {
      _ = try Score(validating: v)
      if ["red", "yellow", "green"].contains(v.lowercased()) { throw .notANumber(v) }
    } catch {
      report(.error, .invalidScore, e,
             "\(name)=\"\(v)\" is not a score: use an integer, INFINITY or -INFINITY")
    }
  }

  /// Roles as the schema spells them (case matters; Master and Slave are still accepted).
  static let schemaRoles: Set<String> = ["Stopped", "Started", "Promoted", "Unpromoted", "Master", "Slave"]

  mutating func checkRole(_ e: CIBElement, _ name: String) {
    guard let v = e[attribute: name] else { return }
    if !Validator.schemaRoles.contains(v) {
      report(.error, .invalidEnumValue, e,
             "\(name)=\"\(v)\" is not a role: use Stopped, Started, Unpromoted or Promoted (case matters)")
    }
  }

  mutating func checkBoolean(_ e: CIBElement, _ name: String) {
    guard let v = e[attribute: name] else { return }
    if parseBoolean(v) == nil {
      report(.error, .invalidBoolean, e, "\(name)=\"\(v)\" is not a boolean: use true or false")
    }
  }

  mutating func checkEnum(_ e: CIBElement, _ name: String, _ allowed: Set<String>, caseInsensitive: Bool = false) {
    guard let v = e[attribute: name] else { return }
    let ok = caseInsensitive ? allowed.contains { $0.lowercased() == v.lowercased() } : allowed.contains(v)
    if !ok {
      let reset = e.name == "rsc_order" && name == "kind" ? " (Pacemaker resets it to Mandatory)" : ""
      report(.error, .invalidEnumValue, e,
             "\(name)=\"\(v)\" is not valid\(reset): use one of \(allowed.sorted().joined(separator: ", "))")
    }
  }

  // MARK: Cluster options, nodes

  mutating func checkClusterProperties(_ set: CIBElement) {
    checkAttributeSet(set, meta: false)
    for pair in set.elements(named: "nvpair") {
      guard let name = pair[attribute: "name"], let value = pair[attribute: "value"] else { continue }
      if let allowed = clusterEnumOptions[name], !allowed.contains(value) {
        report(.error, .invalidEnumValue, pair,
               "cluster option \(name)=\"\(value)\" is not valid: use one of \(allowed.sorted().joined(separator: ", "))")
      } else if clusterBooleanOptions.contains(name), parseBoolean(value) == nil {
        report(.error, .invalidBoolean, pair, "cluster option \(name)=\"\(value)\" is not a boolean: use true or false")
      } else if clusterTimeOptions.contains(name) {
        do throws(DurationParseError) { _ = try Milliseconds(interval: value) } catch {
          report(.error, .invalidDuration, pair, "cluster option \(name): \(error.message)")
        }
      } else if clusterIntegerOptions.contains(name), parseInteger(value) == nil {
        report(.error, .invalidInteger, pair, "cluster option \(name)=\"\(value)\" is not an integer")
      } else if name.hasPrefix("node-health-"), ["node-health-red", "node-health-yellow", "node-health-green",
                                                    "node-health-base"].contains(name), Score(parsing: value) == nil {
        report(.error, .invalidScore, pair, "cluster option \(name)=\"\(value)\" is not a score: use an integer, INFINITY or -INFINITY")
      }
    }
  }

  mutating func checkNode(_ node: CIBElement) {
    if let id = node.id {
      if nodeIDsSeen.contains(id) {
        report(.error, .duplicateID, node, "node id \"\(id)\" is used by another node: give each node its own id")
      }
      nodeIDsSeen.insert(id)
    }
    if node[attribute: "uname"] == nil {
      report(.error, .missingAttribute, node, "node has no uname: add uname=\"<node name>\"")
    }
    checkEnum(node, "type", ["member", "remote", "ping", "normal"])
    checkScoreAttribute(node, "score")
    for set in node.elements where set.name == "instance_attributes" || set.name == "utilization" {
      checkAttributeSet(set, meta: false)
    }
  }

  // MARK: Resources

  mutating func checkResource(_ r: CIBElement, parent: CIBElement?) {
    switch r.name {
    case "primitive": checkPrimitive(r)
    case "template": checkPrimitive(r)
    case "group":
      for child in r.elements where child.name != "meta_attributes" && child.name != "instance_attributes" {
        if child.name == "primitive" {
          checkPrimitive(child)
        } else if Resource.elementNames.contains(child.name) {
          report(.error, .invalidGroupMember, r,
                 "member \(child.id.map { "'\($0)'" } ?? "") is a \(child.name): a group may contain only primitives; move it out of the group")
          checkResource(child, parent: r)
        }
      }
      if r.elements(named: "primitive").isEmpty {
        report(.warning, .invalidGroupMember, r, "the group has no members: add a primitive or delete the group")
      }
      checkMetaSets(r)
    case "clone", "master":
      let children = r.elements.filter { Resource.elementNames.contains($0.name) }
      if children.isEmpty {
        report(.error, .invalidCloneChild, r, "the \(r.name) has nothing to clone: put one primitive or group inside it")
      } else if children.count > 1 {
        report(.error, .invalidCloneChild, r,
               "the \(r.name) has \(children.count) children (\(children.compactMap(\.id).joined(separator: ", "))): a clone holds exactly one primitive or group; make a clone for each")
      }
      for child in children {
        if child.name == "clone" || child.name == "master" || child.name == "bundle" {
          report(.error, .invalidCloneChild, r,
                 "'\(child.id ?? "")' is a \(child.name): a clone may contain only a primitive or a group")
        }
        checkResource(child, parent: r)
      }
      checkMetaSets(r)
    case "bundle":
      if !r.elements.contains(where: { Bundle.containerNames.contains($0.name) }) {
        report(.error, .missingAttribute, r, "the bundle has no container: add a <docker>, <podman> or <rkt> element with an image")
      }
      for p in r.elements(named: "primitive") { checkPrimitive(p) }
      checkMetaSets(r)
    default: break
    }
  }

  /// A legacy master, a clone with meta promotable=true, or a bundle with promoted-max > 0.
  func isPromotable(_ r: CIBElement) -> Bool {
    switch r.name {
    case "master": return true
    case "clone":
      return r.elements(named: "meta_attributes").contains { set in
        set.elements(named: "nvpair").contains { $0[attribute: "name"] == "promotable" && parseBoolean($0[attribute: "value"]) == true }
      }
    case "bundle":
      let container = r.elements.first { Bundle.containerNames.contains($0.name) }
      let max = parseInteger(container?[attribute: "promoted-max"]) ?? parseInteger(container?[attribute: "masters"]) ?? 0
      return max > 0
    default: return false
    }
  }

  mutating func checkMetaSets(_ r: CIBElement) {
    for set in r.elements {
      if set.name == "meta_attributes" { checkAttributeSet(set, meta: true) }
      if set.name == "instance_attributes" || set.name == "utilization" { checkAttributeSet(set, meta: false) }
    }
  }

  mutating func checkPrimitive(_ p: CIBElement) {
    let what = p.name == "template" ? "template" : "primitive"
    if let template = p[attribute: "template"], p.name == "primitive" {
      if !templateIDs.contains(template) {
        report(.error, .unknownTemplate, p,
               "template=\"\(template)\" references an unknown template: create <template id=\"\(template)\"> or remove the attribute")
      }
    } else {
      let cls = p[attribute: "class"]
      if cls == nil {
        report(.error, .missingAttribute, p, "\(what) has no class: add class=\"ocf\" (or lsb, systemd, stonith...)")
      }
      if p[attribute: "type"] == nil {
        report(.error, .missingAttribute, p, "\(what) has no type: add the agent name, e.g. type=\"Dummy\"")
      }
      if let cls {
        if !knownResourceClasses.contains(cls) {
          report(.error, .unknownResourceClass, p,
                 "class=\"\(cls)\" is not a resource class: use one of \(knownResourceClasses.sorted().joined(separator: ", "))")
        } else if cls == "ocf", p[attribute: "provider"] == nil {
          report(.error, .missingProvider, p, "class ocf needs a provider: add provider=\"heartbeat\" (or pacemaker, ...)")
        } else if cls != "ocf", let provider = p[attribute: "provider"] {
          report(.warning, .unexpectedProvider, p,
                 "provider=\"\(provider)\" is ignored for class \(cls): only ocf agents have a provider; remove it")
        }
      }
    }
    checkMetaSets(p)
    // Pacemaker's is_op_dup: one name+interval combination per resource.
    var seenOps: [String: String] = [:]
    for op in p.firstElement(named: "operations")?.elements(named: "op") ?? [] {
      checkOperation(op)
      guard let name = op[attribute: "name"], op[attribute: "id-ref"] == nil,
        let interval = try? Milliseconds(interval: op[attribute: "interval"] ?? "0"), interval > .zero
      else { continue }  // Pacemaker only checks recurring operations
      let key = "\(name)_\(interval.value)"
      if let first = seenOps[key] {
        report(.error, .duplicateOperation, op,
               "operation \(op.id ?? "") is duplicate of \(first) (do not use same name and interval combination more than once per resource): remove one or change its interval")
      } else {
        seenOps[key] = op.id ?? ""
      }
    }
  }

  mutating func checkOperation(_ op: CIBElement) {
    if let ref = op[attribute: "id-ref"] {
      checkIDRef(op, ref)
      return
    }
    if op[attribute: "name"] == nil {
      report(.error, .missingAttribute, op, "op has no name: add name=\"monitor\" (or start, stop, ...)")
    }
    if let interval = op[attribute: "interval"] {
      do throws(DurationParseError) { _ = try Milliseconds(interval: interval) } catch {
        report(.error, .invalidInterval, op, "interval: \(error.message)")
      }
    } else {
      report(.error, .missingAttribute, op, "op has no interval: add interval=\"0s\" for a one-shot action or e.g. \"10s\" for a monitor")
    }
    for name in ["timeout", "start-delay"] {
      guard let v = op[attribute: name] else { continue }
      do throws(DurationParseError) { _ = try Milliseconds(time: v) } catch {
        report(.error, .invalidDuration, op, "\(name): \(error.message)")
      }
    }
    checkRole(op, "role")
    checkEnum(op, "on-fail", Operation.onFailValues)
    if let onFail = op[attribute: "on-fail"], let name = op[attribute: "name"] {
      let promotedMonitor = name == "monitor" && ["Promoted", "Master"].contains(op[attribute: "role"] ?? "")
      if name == "stop", onFail == "stop" {
        report(.error, .onFailNotAllowed, op,
               "on-fail=\"stop\" is not allowed for stop (Pacemaker resets it to the default): remove it, or use block or fence")
      } else if onFail == "demote", name != "promote", !promotedMonitor {
        report(.error, .onFailNotAllowed, op,
               "on-fail=\"demote\" is only allowed for promote and for monitors with role=\"Promoted\" (Pacemaker resets it to the default)")
      }
    }
    checkBoolean(op, "enabled")
    checkBoolean(op, "record-pending")
    for set in op.elements where set.name == "meta_attributes" || set.name == "instance_attributes" {
      checkAttributeSet(set, meta: false)
    }
  }

  // MARK: Constraints

  /// A constraint may name a resource, a template (standing for the primitives built from it) or a tag.
  func isResourceOrTag(_ id: String) -> Bool {
    resourceIDs.contains(id) || templateIDs.contains(id) || tagIDs.contains(id)
  }

  mutating func checkResourceReference(_ c: CIBElement, _ attribute: String, required: Bool) {
    guard let v = c[attribute: attribute] else {
      if required {
        report(.error, .missingAttribute, c, "\(attribute) is missing: name the resource (or use resource sets)")
      }
      return
    }
    if !isResourceOrTag(v) {
      report(.error, .unknownReference, c,
             "IDREF attribute \(attribute) references an unknown ID \"\(v)\": no resource has that id; create it or correct the name")
    }
  }

  mutating func checkSets(_ c: CIBElement) -> Bool {
    let sets = c.elements(named: "resource_set")
    for set in sets {
      if let ref = set[attribute: "id-ref"] {
        checkIDRef(set, ref)
        continue
      }
      checkBoolean(set, "sequential")
      checkBoolean(set, "require-all")
      checkRole(set, "role")
      checkScoreAttribute(set, "score")
      checkEnum(set, "action", OrderConstraint.actions)
      checkEnum(set, "kind", Set(OrderConstraint.Kind.allCases.map(\.rawValue)))
      let refs = set.elements(named: "resource_ref")
      if refs.isEmpty {
        report(.error, .emptyConstraint, set, "the resource set is empty: add <resource_ref id=\"...\"/> elements")
      }
      for ref in refs {
        if let id = ref.id, !isResourceOrTag(id) {
          report(.error, .unknownReference, set,
                 "resource_ref references an unknown ID \"\(id)\": no resource has that id; create it or correct the name")
        }
      }
    }
    return !sets.isEmpty
  }

  mutating func checkConstraint(_ c: CIBElement) {
    let hasSets = checkSets(c)
    switch c.name {
    case "rsc_location":
      if c[attribute: "rsc"] != nil, c[attribute: "rsc-pattern"] != nil {
        report(.error, .conflictingAttributes, c, "both rsc and rsc-pattern are set: keep only one")
      }
      if c[attribute: "rsc-pattern"] == nil, !hasSets { checkResourceReference(c, "rsc", required: true) }
      checkScoreAttribute(c, "score")
      checkRole(c, "role")
      checkEnum(c, "resource-discovery", LocationConstraint.resourceDiscoveryValues)
      let rules = c.elements(named: "rule")
      if c[attribute: "node"] != nil, !rules.isEmpty {
        report(.error, .conflictingAttributes, c, "node and rules are both given: use either node+score or rules")
      } else if let node = c[attribute: "node"] {
        if c[attribute: "score"] == nil, c[attribute: "score-attribute"] == nil {
          report(.error, .missingAttribute, c, "a location with node=\"\(node)\" needs a score: add score=\"INFINITY\" (or another score)")
        }
        if !nodeNames.contains(node) {
          report(.warning, .unknownNode, c, "node \"\(node)\" is not a configured node: the constraint has no effect until it joins")
        }
      } else if rules.isEmpty {
        report(.error, .emptyConstraint, c, "the location has neither node nor rule: add node=\"...\" with a score, or a <rule>")
      }
      for rule in rules { checkRule(rule, inLocation: true) }
    case "rsc_colocation":
      if !hasSets {
        checkResourceReference(c, "rsc", required: true)
        checkResourceReference(c, "with-rsc", required: true)
      }
      if c[attribute: "score"] == nil {
        report(.error, .missingAttribute, c, "the colocation has no score: add score=\"INFINITY\" (or another score)")
      }
      checkScoreAttribute(c, "score")
      if let a = c[attribute: "rsc"], let b = c[attribute: "with-rsc"],
        templateIDs.contains(a) || tagIDs.contains(a), templateIDs.contains(b) || tagIDs.contains(b)
      {
        report(.error, .conflictingAttributes, c,
               "rsc \"\(a)\" and with-rsc \"\(b)\" are both templates or tags, and two templates or tags cannot be colocated (Pacemaker ignores the constraint): name a resource on one side")
      }
      checkRole(c, "rsc-role")
      checkRole(c, "with-rsc-role")
      if let v = c[attribute: "influence"], parseBoolean(v) == nil {
        report(.error, .invalidBoolean, c,
               "influence=\"\(v)\" is an invalid value for influence (Pacemaker uses the default): use true or false")
      }
    case "rsc_order":
      if !hasSets {
        checkResourceReference(c, "first", required: true)
        checkResourceReference(c, "then", required: true)
      }
      checkScoreAttribute(c, "score")
      checkEnum(c, "kind", Set(OrderConstraint.Kind.allCases.map(\.rawValue)))
      checkEnum(c, "first-action", OrderConstraint.actions)
      checkEnum(c, "then-action", OrderConstraint.actions)
      checkBoolean(c, "symmetrical")
    case "rsc_ticket":
      if !hasSets { checkResourceReference(c, "rsc", required: true) }
      if c[attribute: "ticket"] == nil {
        report(.error, .missingAttribute, c, "the rsc_ticket has no ticket: add ticket=\"<ticket name>\"")
      }
      checkRole(c, "rsc-role")
      checkEnum(c, "loss-policy", TicketConstraint.lossPolicyValues)
    default: break
    }
  }

  // MARK: Fencing topology

  mutating func checkFencingLevel(_ level: CIBElement) {
    let targets = ["target", "target-pattern", "target-attribute"].filter { level[attribute: $0] != nil }
    if targets.isEmpty {
      report(.error, .missingAttribute, level, "fencing-level has no target: add target=\"<node>\" (or target-pattern, target-attribute)")
    } else if targets.count > 1 {
      report(.error, .conflictingAttributes, level, "fencing-level sets \(targets.joined(separator: " and ")): keep only one kind of target")
    }
    if let t = level[attribute: "target"], !nodeNames.contains(t) {
      report(.warning, .unknownNode, level, "target \"\(t)\" is not a configured node: check the node name")
    }
    if let index = level[attribute: "index"] {
      if let n = parseInteger(index), n >= 1, n <= 9 {
      } else {
        report(.error, .invalidInteger, level, "index=\"\(index)\" is not valid: use an integer from 1 to 9")
      }
    } else {
      report(.error, .missingAttribute, level, "fencing-level has no index: add index=\"1\"")
    }
    guard let devices = level[attribute: "devices"], !devices.isEmpty else {
      report(.error, .missingAttribute, level, "fencing-level has no devices: add devices=\"<stonith resource id>[,...]\"")
      return
    }
    for device in devices.split(separator: ",").map({ String($0.trimmingCharacters()) }) {
      if let cls = primitiveClassByID[device] {
        if cls != "stonith" {
          report(.error, .unknownReference, level,
                 "device \"\(device)\" is a \(cls) resource, not a stonith device: list stonith resources only")
        }
      } else {
        report(.error, .unknownReference, level,
               "device \"\(device)\" references an unknown ID: create the stonith resource or correct the name")
      }
    }
  }
}

/// Element kinds that matter to id checks.
enum CIBElementKinds {
  /// Elements whose `id` attribute points at another element instead of defining one.
  static let referencing: Set<String> = ["resource_ref", "obj_ref", "role"]
  /// Elements whose id is plain text in the schema, not an XML ID: a node's id may equal a resource's
  /// (a remote node is named after its connection resource). Node ids are checked among nodes only.
  static let textIDs: Set<String> = ["node", "acl_target", "acl_user", "acl_group"]
  /// Elements the schema requires an id on.
  static let requiringID: Set<String> = [
    "primitive", "group", "clone", "master", "bundle", "template", "rsc_location", "rsc_colocation",
    "rsc_order", "rsc_ticket", "op", "nvpair", "meta_attributes", "instance_attributes", "utilization",
    "cluster_property_set", "rule", "expression", "date_expression", "resource_set", "node", "fencing-level",
    "tag", "alert", "recipient",
  ]
}
