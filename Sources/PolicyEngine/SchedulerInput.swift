import CIB

/// The scheduler's working input: the CIB's configuration and status, read once into plain values.
///
/// Why it exists: every later stage (status interpretation, scores, assignment, actions) reads only this,
/// so the stages never see XML and can be fed hand-built inputs in tests. It keeps document order
/// everywhere (resources, constraints, node_state entries), because Pacemaker's tie-breaking depends on it.
public struct SchedulerInput: Sendable, Equatable {
  /// cluster_property_set name/value pairs, first set wins on duplicates (as Pacemaker's unpack does).
  public var clusterOptions: [String: String] = [:]
  public var haveQuorum: Bool = true
  /// `no-quorum-panic` on the cib element.
  public var quorumPanic: Bool = false
  public var dcUUID: String?
  public var nodes: [NodeConfig] = []
  public var resources: [ResourceConfig] = []
  public var locations: [ExpandedLocation] = []
  public var colocations: [ExpandedColocation] = []
  public var orders: [ExpandedOrder] = []
  public var rscDefaults: [String: String] = [:]
  public var opDefaults: [String: String] = [:]
  public var nodeStates: [NodeStateRecord] = []
  public var fencingLevels: Int = 0
  /// Tickets granted in the status section (ticket id -> granted).
  public var tickets: [String: Bool] = [:]
  /// Granted tickets in standby (ticket_state standby=true): treated as not granted by the resources needing them.
  public var standbyTickets: Set<String> = []
  /// `rsc_ticket` constraints, resource sets expanded into one entry per resource.
  public var ticketConstraints: [ExpandedTicket] = []
  /// Evaluation time for date rules and failure timeouts, seconds since the epoch.
  public var now: Int64 = 0

  public init() {}
}

/// One `<node>` of the configuration.
public struct NodeConfig: Sendable, Equatable {
  public var id: String
  public var uname: String
  public var type: String
  /// instance_attributes of the node (standby, custom attributes for rules).
  public var attributes: [String: String]
  public var utilization: [String: String]
  public init(id: String, uname: String, type: String = "member", attributes: [String: String] = [:],
              utilization: [String: String] = [:]) {
    self.id = id; self.uname = uname; self.type = type; self.attributes = attributes; self.utilization = utilization
  }
}

/// What kind of resource a configuration entry is.
public enum ResourceVariant: String, Sendable, Equatable {
  case primitive, group, clone, bundle
}

/// One resource of the configuration (primitive, group, clone or promotable clone), with its children.
public struct ResourceConfig: Sendable, Equatable {
  public var id: String
  public var variant: ResourceVariant
  public var agentClass: String = ""
  public var agentProvider: String?
  public var agentType: String = ""
  /// meta_attributes (without rsc_defaults; those are applied when the working set is built).
  public var meta: [String: String] = [:]
  public var instanceAttributes: [String: String] = [:]
  public var utilization: [String: String] = [:]
  public var operations: [OperationConfig] = []
  public var children: [ResourceConfig] = []
  /// `<master>` or clone with promotable=true.
  public var promotable: Bool = false

  public init(id: String, variant: ResourceVariant) { self.id = id; self.variant = variant }

  /// "ocf:heartbeat:IPaddr2" as Pacemaker prints it.
  public var agentText: String {
    if let p = agentProvider { return "\(agentClass):\(p):\(agentType)" }
    return "\(agentClass):\(agentType)"
  }
}

/// One `<op>` of a resource.
public struct OperationConfig: Sendable, Equatable {
  public var name: String
  public var intervalMs: Int
  public var role: String?
  public var onFail: String?
  public var enabled: Bool = true
  public var meta: [String: String] = [:]
  public init(name: String, intervalMs: Int, role: String? = nil, onFail: String? = nil) {
    self.name = name; self.intervalMs = intervalMs; self.role = role; self.onFail = onFail
  }
}

/// A location rule with its score (or score-attribute) and role.
public struct LocationRule: Sendable, Equatable {
  public var score: Int?
  public var scoreAttribute: String?
  public var role: String?
  public var condition: ResolvedRule
  public init(score: Int?, scoreAttribute: String?, role: String?, condition: ResolvedRule) {
    self.score = score; self.scoreAttribute = scoreAttribute; self.role = role; self.condition = condition
  }
}

/// One `rsc_location` (the CIB model's `LocationConstraint`) as the scheduler applies it: one resource (or
/// pattern) per entry, resource sets expanded, scores parsed, rules resolved.
public struct ExpandedLocation: Sendable, Equatable {
  public var id: String
  public var resource: String?
  public var resourcePattern: String?
  public var role: String?
  public var node: String?
  public var score: Int
  public var rules: [LocationRule]
  public var discovery: String?
  public init(id: String, resource: String?, resourcePattern: String? = nil, role: String? = nil, node: String?,
              score: Int, rules: [LocationRule] = [], discovery: String? = nil) {
    self.id = id; self.resource = resource; self.resourcePattern = resourcePattern; self.role = role
    self.node = node; self.score = score; self.rules = rules; self.discovery = discovery
  }
}

/// One pair of an `rsc_colocation` (the CIB model's `ColocationConstraint`, resource sets expanded into pairs):
/// the dependent follows the primary.
public struct ExpandedColocation: Sendable, Equatable {
  public var id: String
  public var dependent: String
  public var primary: String
  public var score: Int
  public var dependentRole: String?
  public var primaryRole: String?
  public var nodeAttribute: String?
  public var influence: Bool
  public init(id: String, dependent: String, primary: String, score: Int, dependentRole: String? = nil,
              primaryRole: String? = nil, nodeAttribute: String? = nil, influence: Bool = true) {
    self.id = id; self.dependent = dependent; self.primary = primary; self.score = score
    self.dependentRole = dependentRole; self.primaryRole = primaryRole; self.nodeAttribute = nodeAttribute
    self.influence = influence
  }
}

/// One resource of an `rsc_ticket` (the CIB model's `TicketConstraint`): it may only run (or, with a role,
/// only take that role) while the ticket is granted and not in standby.
public struct ExpandedTicket: Sendable, Equatable {
  public var id: String
  public var resource: String
  public var ticket: String
  /// rsc-role; nil means any role (Started).
  public var role: String?
  /// loss-policy as configured (stop, demote, fence, freeze), nil when not set.
  public var lossPolicy: String?
  public init(id: String, resource: String, ticket: String, role: String?, lossPolicy: String?) {
    self.id = id; self.resource = resource; self.ticket = ticket; self.role = role; self.lossPolicy = lossPolicy
  }
}

/// How strongly an order constraint binds.
public enum OrderKind: String, Sendable, Equatable { case mandatory, optional, serialize }

/// One pair of an `rsc_order` (the CIB model's `OrderConstraint`, resource sets expanded into pairs).
public struct ExpandedOrder: Sendable, Equatable {
  public var id: String
  public var first: String
  public var firstAction: String
  public var then: String
  public var thenAction: String
  public var kind: OrderKind
  public var symmetrical: Bool
  /// require-all=false: 'then' needs only one runnable 'first' instance.
  public var requireAll: Bool = true
  public init(id: String, first: String, firstAction: String = "start", then: String, thenAction: String = "start",
              kind: OrderKind = .mandatory, symmetrical: Bool = true) {
    self.id = id; self.first = first; self.firstAction = firstAction; self.then = then
    self.thenAction = thenAction; self.kind = kind; self.symmetrical = symmetrical
  }
}

/// One `<node_state>` of the status section.
public struct NodeStateRecord: Sendable, Equatable {
  public var id: String
  public var uname: String?
  public var inCCM: String?
  public var crmd: String?
  public var join: String?
  public var expected: String?
  public var transientAttributes: [String: String] = [:]
  public var resources: [ResourceHistory] = []
  public init(id: String, uname: String?) { self.id = id; self.uname = uname }
}

/// One `<lrm_resource>`: the operation history of one resource on one node.
public struct ResourceHistory: Sendable, Equatable {
  public var id: String
  public var agentClass: String?
  public var agentProvider: String?
  public var agentType: String?
  public var operations: [OperationRecord] = []
  public init(id: String) { self.id = id }
}

/// One `<lrm_rsc_op>`.
public struct OperationRecord: Sendable, Equatable {
  public var id: String
  public var task: String
  public var intervalMs: Int
  public var callID: Int
  public var rc: Int
  public var opStatus: Int
  public var targetRC: Int
  public var lastRCChange: Int64?
  public var migrateSource: String?
  public var migrateTarget: String?
  /// `on_node`: the node the operation ran on (compares operations recorded on different nodes).
  public var onNode: String?
  public var operationKey: String?
  public var opDigest: String?
  public var restartDigest: String?
  /// Parameters that force a restart (op-force-restart); the others can be reloaded.
  public var forceRestart: String?
  public var secureParams: String?
  public var secureDigest: String?
  public init(id: String, task: String, intervalMs: Int = 0, callID: Int = 0, rc: Int = 0, opStatus: Int = 0,
              targetRC: Int = 0) {
    self.id = id; self.task = task; self.intervalMs = intervalMs; self.callID = callID; self.rc = rc
    self.opStatus = opStatus; self.targetRC = targetRC
  }
}
