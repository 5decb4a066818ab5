/// Which CIB section an attribute request is about (crm_attribute `-t`, `-l`): `status` holds transient node
/// attributes (lifetime reboot), `nodes` permanent ones (lifetime forever), `crm_config` cluster properties.
public enum AttributeScope: String, Codable, Sendable, Equatable {
  case status
  case nodes
  case crmConfig = "crm_config"
}

/// One attribute change asked of the cluster by attrd_updater, crm_attribute or pcs.
///
/// Why it exists: the DC is the CIB's only writer, so tools never edit the status section themselves; they name the
/// change and the DC applies it (`PolicyEngine.NodeAttributes`). `managed` means the request goes through the
/// node's attribute manager (attrd_updater): the change is written only once the value has been stable for the
/// attribute's dampening.
public struct AttributeUpdate: Codable, Sendable, Equatable {
  public var name: String
  /// nil removes the attribute.
  public var value: String?
  /// The node's name; nil for a cluster property.
  public var node: String?
  public var scope: AttributeScope
  /// The attribute set's id (nil: Pacemaker's default for the scope).
  public var setID: String?
  /// Through the node's attribute manager (attrd_updater), answered once it holds the value; false: written
  /// directly (crm_attribute, pcs), answered once stored on a quorum.
  public var managed: Bool
  /// The attribute's new dampening in the manager (nil: keep the one it has, 0 for a new attribute).
  public var dampenMs: Int64?

  /// `node` nil for a node attribute means the node whose clusterd receives the request.
  public init(name: String, value: String?, node: String?, scope: AttributeScope, setID: String? = nil,
              managed: Bool = false, dampenMs: Int64? = nil) {
    self.managed = managed
    self.name = name
    self.value = value
    self.node = node
    self.scope = scope
    self.setID = setID
    self.dampenMs = dampenMs
  }
}

/// One node's value of an attribute, as the attribute manager knows it (a dampened value not yet written included).
public struct AttributeValue: Codable, Sendable, Equatable {
  public var node: String
  public var name: String
  public var value: String
  public init(node: String, name: String, value: String) {
    self.node = node
    self.name = name
    self.value = value
  }
}
