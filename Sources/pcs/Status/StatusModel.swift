import CIB

/// What `pcs status` shows, as plain values: the cluster summary, nodes, the resource tree with where each
/// instance runs, failed operations, fail counts and node attributes. Filled by `StatusReader`; printed by
/// `StatusText` (crm_mon 2.1.5's text layout) and `StatusJSON`.
struct StatusModel: Sendable {
  struct Node: Sendable {
    enum State: Sendable, Equatable { case online, offline, uncleanOffline, pending }
    var name: String
    var id: String
    var state: State
    var standby: Bool
    var maintenance: Bool
    var hasActiveResources: Bool
    var featureSetKnown: Bool
    /// Transient attributes shown by `--full` (internal and fail-count ones removed), sorted by name.
    var attributes: [(name: String, value: String)]
    /// (resource, fail count, last failure epoch) for the Migration Summary, sorted by resource.
    var failCounts: [(resource: String, count: Int, lastFailure: Int64?, migrationThreshold: String)]
    var online: Bool { state == .online }
  }

  /// Where one primitive instance is active.
  struct Placement: Sendable {
    var node: String
    var role: Role
    var failed: Bool
  }

  indirect enum Resource: Sendable {
    case primitive(Primitive)
    case group(id: String, members: [Resource], disabled: Bool)
    case clone(id: String, child: Resource, promotable: Bool, instancesMax: Int, disabled: Bool)
  }

  struct Primitive: Sendable {
    var id: String
    var agent: String
    var stonith: Bool
    var placements: [Placement]
    var disabled: Bool
    var managed: Bool
    var orphan: Bool
  }

  struct FailedOperation: Sendable {
    var resource: String
    var operationKey: String
    var task: String
    var intervalMs: Int
    var node: String
    var rc: Int
    var opStatus: Int
    var exitReason: String
    var callId: String
    var lastRCChange: Int64?
    var queueMs: String
    var execMs: String
  }

  var stack: String
  var dcName: String?
  var dcId: String?
  var dcVersion: String
  var haveQuorum: Bool
  var lastChange: String
  var nodesConfigured: Int
  var instancesConfigured: Int
  var instancesDisabled: Int
  var nodes: [Node]
  var resources: [Resource]
  var failedOperations: [FailedOperation]
  /// pcs's WARNINGS block.
  var warnings: [String]
}
