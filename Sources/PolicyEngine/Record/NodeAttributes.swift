import CIB

/// Where a node attribute or cluster property lives in the CIB, by Pacemaker's names (crm_attribute `-t`).
///
/// `status`: a transient node attribute (lifetime `reboot`), in the node's `transient_attributes`, written by the
/// attribute manager; `nodes`: a permanent one (lifetime `forever`), in the node's `instance_attributes` in the
/// configuration; `crmConfig`: a cluster property in `cib-bootstrap-options` (no node).
public enum AttributeSection: String, Codable, Sendable, Equatable, CaseIterable {
  case status
  case nodes
  case crmConfig = "crm_config"

  /// `-l`/`--lifetime` as crm_attribute reads it: reboot -> status, forever -> nodes; nil for anything else.
  public init?(lifetime: String) {
    switch lifetime {
    case "reboot", "status": self = .status
    case "forever", "nodes": self = .nodes
    default: return nil
    }
  }
}

/// Why an attribute edit was refused (crm_attribute's messages name the same things).
public enum NodeAttributeError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The node is not in the CIB's `<nodes>` (crm_attribute: "Could not map name=X to a UUID").
  case unknownNode(String)
  /// A node attribute without a node, or a cluster property with one.
  case nodeRequired(AttributeSection)
  case emptyName
  public var description: String {
    switch self {
    case .unknownNode(let n): "Could not map name=\(n) to a UUID"
    case .nodeRequired(let s): "a \(s.rawValue) attribute needs a node (-N NODE)"
    case .emptyName: "an attribute needs a name (-n NAME)"
    }
  }
}

/// Reads and writes node attributes and cluster properties in a CIB, as Pacemaker's attribute manager and
/// crm_attribute lay them out, so the scheduler's rules, crm_mon and Pacemaker's own crm_attribute read them back.
///
/// Pure: a CIB in, a CIB out. Set ids are Pacemaker's defaults: `status-NODEID` for transient attributes,
/// `nodes-NODEID` for permanent ones, `cib-bootstrap-options` for properties; a new nvpair's id is `SETID-NAME`.
/// Where a set other than the default already holds the name, that nvpair is updated in place (crm_attribute finds
/// the attribute wherever it is unless `-s SET` names another set).
public enum NodeAttributes {
  /// The node id of `uname` in `<configuration><nodes>`.
  public static func nodeID(of uname: String, in cib: CIBElement) -> String? {
    cib.firstElement(named: "configuration")?.firstElement(named: "nodes")?.elements
      .first { $0.name == "node" && ($0[attribute: "uname"] == uname || $0.id == uname) }?.id
  }

  /// The value of attribute `name` (nil: not set).
  public static func value(_ name: String, section: AttributeSection, node: String?, setID: String? = nil,
                           in cib: CIBElement) throws(NodeAttributeError) -> String? {
    let sets = try attributeSets(section: section, node: node, in: cib)
    for set in sets where setID == nil || set.id == setID {
      if let nv = set.elements.first(where: { $0.name == "nvpair" && $0[attribute: "name"] == name }) {
        return nv[attribute: "value"]
      }
    }
    return nil
  }

  /// Every node's value of a transient attribute, by node name, sorted by name.
  public static func transientValues(_ name: String, in cib: CIBElement) -> [(node: String, value: String)] {
    var out: [(node: String, value: String)] = []
    for ns in cib.firstElement(named: "status")?.elements ?? [] where ns.name == "node_state" {
      guard let uname = ns[attribute: "uname"] ?? ns.id,
            let v = try? value(name, section: .status, node: uname, in: cib) else { continue }
      out.append((uname, v))
    }
    return out.sorted { $0.node < $1.node }
  }

  /// Sets (value) or removes (nil) attribute `name`. `value` may use Pacemaker's expansions `NAME++` and
  /// `NAME+=N` (added to the current value with score arithmetic).
  public static func set(_ name: String, value: String?, section: AttributeSection, node: String?,
                         setID: String? = nil, in cib: CIBElement) throws(NodeAttributeError) -> CIBElement {
    guard !name.isEmpty else { throw .emptyName }
    var resolved = value
    if let v = value {
      let current = try Self.value(name, section: section, node: node, setID: setID, in: cib)
      resolved = expand(v, name: name, current: current)
    }
    var root = cib
    switch section {
    case .status:
      guard let node else { throw .nodeRequired(section) }
      guard let id = nodeID(of: node, in: cib) else { throw .unknownNode(node) }
      let uname = uname(of: id, in: cib) ?? node
      StatusRecorder.updateNodeState(&root, nodeID: id, uname: uname) { ns in
        StatusRecorder.updateTransientAttributes(&ns, nodeID: id) { set in
          if let setID, set.id != setID { return }
          apply(name, resolved, to: &set)
        }
      }
    case .nodes:
      guard let node else { throw .nodeRequired(section) }
      guard let id = nodeID(of: node, in: cib) else { throw .unknownNode(node) }
      editConfiguration(&root) { conf in
        StatusRecorder.updateChild(of: &conf, name: "nodes", id: nil, make: { CIBElement("nodes") }) { nodes in
          StatusRecorder.updateChild(of: &nodes, name: "node", id: id, make: { CIBElement("node", ["id": id]) }) { n in
            editSet(of: &n, setName: "instance_attributes", setID: setID ?? "nodes-\(id)", name, resolved)
          }
        }
      }
    case .crmConfig:
      guard node == nil else { throw .nodeRequired(section) }
      editConfiguration(&root) { conf in
        StatusRecorder.updateChild(of: &conf, name: "crm_config", id: nil, make: { CIBElement("crm_config") }) { cc in
          editSet(of: &cc, setName: "cluster_property_set", setID: setID ?? "cib-bootstrap-options", name, resolved)
        }
      }
    }
    return root
  }

  /// Pacemaker's value expansion (attrd and crm_attribute): `NAME++` adds 1, `NAME+=N` adds N, to the current value
  /// read as a score (missing or not a number: 0), saturating at INFINITY. Anything else is taken literally.
  public static func expand(_ value: String, name: String, current: String?) -> String {
    guard value.hasPrefix(name), value.count > name.count else { return value }
    let rest = value.dropFirst(name.count)
    let base = current.flatMap { try? Score(validating: $0) } ?? .zero
    if rest == "++" { return (base + Score(clamping: 1)).description }
    if rest.hasPrefix("+="), let add = try? Score(validating: String(rest.dropFirst(2))) {
      return (base + add).description
    }
    return value
  }

  // MARK: helpers

  static func uname(of id: String, in cib: CIBElement) -> String? {
    cib.firstElement(named: "configuration")?.firstElement(named: "nodes")?.elements
      .first { $0.name == "node" && $0.id == id }?[attribute: "uname"]
  }

  static func attributeSets(section: AttributeSection, node: String?, in cib: CIBElement)
    throws(NodeAttributeError) -> [CIBElement]
  {
    switch section {
    case .status:
      guard let node else { throw .nodeRequired(section) }
      guard let id = nodeID(of: node, in: cib) else { throw .unknownNode(node) }
      let ns = cib.firstElement(named: "status")?.elements.first { $0.name == "node_state" && $0.id == id }
      return ns?.firstElement(named: "transient_attributes")?.elements.filter { $0.name == "instance_attributes" } ?? []
    case .nodes:
      guard let node else { throw .nodeRequired(section) }
      guard let id = nodeID(of: node, in: cib) else { throw .unknownNode(node) }
      let n = cib.firstElement(named: "configuration")?.firstElement(named: "nodes")?.elements
        .first { $0.name == "node" && $0.id == id }
      return n?.elements.filter { $0.name == "instance_attributes" } ?? []
    case .crmConfig:
      guard node == nil else { throw .nodeRequired(section) }
      return cib.firstElement(named: "configuration")?.firstElement(named: "crm_config")?.elements
        .filter { $0.name == "cluster_property_set" } ?? []
    }
  }

  static func editConfiguration(_ root: inout CIBElement, _ body: (inout CIBElement) -> Void) {
    StatusRecorder.updateChild(of: &root, name: "configuration", id: nil, make: { CIBElement("configuration") }, body)
  }

  /// Updates the nvpair wherever a set of `parent` holds `name`; else sets it in (or removes it from) `setID`.
  static func editSet(of parent: inout CIBElement, setName: String, setID: String, _ name: String, _ value: String?) {
    let holder = parent.elements.first { set in
      set.name == setName && set.elements.contains { $0.name == "nvpair" && $0[attribute: "name"] == name }
    }
    let target = holder?.id ?? setID
    if value == nil && holder == nil { return }
    StatusRecorder.updateChild(of: &parent, name: setName, id: target, make: { CIBElement(setName, ["id": target]) }) {
      apply(name, value, to: &$0)
    }
  }

  static func apply(_ name: String, _ value: String?, to set: inout CIBElement) {
    if let value {
      StatusRecorder.setNVPair(&set, name: name, value: value)
    } else {
      StatusRecorder.removeChildren(of: &set) { $0.name == "nvpair" && $0[attribute: "name"] == name }
    }
  }
}
