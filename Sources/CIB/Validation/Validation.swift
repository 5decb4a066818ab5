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
