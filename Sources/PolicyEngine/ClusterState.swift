import CIB

/// What to do when an operation fails (`on-fail`), ordered by severity as Pacemaker compares them.
public enum FailureResponse: Int, Comparable, Sendable {
  case ignore = 0, demote, recover, migrate, block, stop, standby, fence, restartContainer, resetRemote
  public static func < (a: FailureResponse, b: FailureResponse) -> Bool { a.rawValue < b.rawValue }
}

/// `no-quorum-policy`.
public enum NoQuorumPolicy: String, Sendable { case stop, freeze, ignore, demote, suicide }

/// Cluster-wide options the scheduler reads (crm_config), with Pacemaker's defaults.
public struct ClusterOptions: Sendable, Equatable {
  public var stonithEnabled = true
  public var symmetricCluster = true
  public var noQuorumPolicy = NoQuorumPolicy.stop
  public var haveQuorum = true
  public var stopOrphanResources = true
  public var stopOrphanActions = true
  public var startFailureIsFatal = true
  public var maintenanceMode = false
  public var stopAllResources = false
  public var startupFencing = true
  public var stonithAction = "reboot"
  public var placementStrategy = "default"
  public var concurrentFencing = false
  public var haveStonithResource = false
  public var nodeScoreRed = 0
  public var nodeScoreYellow = 0
  public var nodeScoreGreen = 0
  public var nodeHealthStrategy = "none"
  public var clusterDefaultStickiness = 0
}

/// A cluster node as the scheduler sees it after reading the status section.
public struct SchedulerNode: Sendable, Equatable {
  public let index: Int
  public let id: String
  public let name: String
  public var type: String
  /// Configured + transient attributes plus #uname/#id/#kind/#is_dc, as rules see them.
  public var attributes: [String: String]
  public var utilization: [String: Int] = [:]
  public var online = false
  public var unclean = false
  public var standby = false
  public var standbyOnFail = false
  public var pending = false
  public var maintenance = false
  public var shutdown = false
  public var expectedUp = false
  public var seen = false
  /// Why the node must be fenced, when it must.
  public var fenceReason: String?

  /// Can this node run resources at all (Pacemaker's pcmk__node_available without the score test)?
  public var canRunResources: Bool { online && !unclean && !standby && !pending && !maintenance && !shutdown }
}

/// One resource of the flattened resource tree (clone instances expanded), with its current state.
public struct ResourceState: Sendable, Equatable {
  public enum Variant: Sendable, Equatable { case primitive, group, clone }

  public let index: Int
  /// Internal id: "rsc", or "rsc:2" for a clone instance (and "member:2" for members of cloned groups).
  public var id: String
  /// The configured id (no instance suffix); what status output prints for anonymous instances.
  public var baseID: String
  public var variant: Variant
  public var parent: Int?
  public var children: [Int] = []
  public var agentClass = ""
  public var agent = ""
  public var meta: [String: String] = [:]
  public var operations: [OperationConfig] = []
  public var utilization: [String: Int] = [:]

  public var managed = true
  public var stickiness = 0
  public var migrationThreshold = ScoreMath.infinity
  public var failureTimeoutS = 0
  public var priority = 0
  public var targetRole: Role?
  public var multipleActive = "stop_start"
  /// "fencing", "quorum", "nothing" or "unfencing".
  public var requires = "fencing"
  public var allowMigrate = false
  public var isOrphan = false

  // Clone settings (meaningful on clones; instances read them from their clone).
  public var cloneMax = 0
  public var cloneNodeMax = 1
  public var promotedMax = 1
  public var promotedNodeMax = 1
  public var unique = false
  public var interleave = false
  public var ordered = false
  public var promotable = false
  public var instanceNumber: Int?

  // Current state from the operation history.
  public var role = Role.stopped
  public var runningOn: [Int] = []
  public var failed = false
  public var stopOnFail = false
  /// Next role forced by the history (on-fail=stop, ...), or nil.
  public var nextRoleFromStatus: Role?
  public var blocked = false
  public var pendingTask: String?
  public var pendingNode: Int?
  public var knownOn: Set<Int> = []
  public var failureIgnored = false
  /// Location scores derived from the status section (hard errors, failed stops, masked probes in the history;
  /// revoked tickets); node nil = everywhere.
  public var historyLocations: [HistoryLocation] = []
  /// Fail count per node index.
  public var failCounts: [Int: Int] = [:]
  public var lastFailure: [Int: Int64] = [:]
  /// Node and role per node where the history shows it active (role may differ per node for promotable).
  public var rolePerNode: [Int: Role] = [:]
  public var partialMigrationSource: Int?
  public var partialMigrationTarget: Int?
  public var migrateFromDoneOn: Int?
  /// Sources of completed migrations whose stop was never recorded (Pacemaker's dangling migrations): the
  /// resource is stopped there without affecting the target.
  public var danglingMigrations: [Int] = []
  /// Nodes where the recorded definition digest no longer matches: true = reload suffices, false = restart.
  public var definitionChanged: [Int: Bool] = [:]
  /// instance_attributes, for definition digests.
  public var parameters: [String: String] = [:]

  public var isPrimitive: Bool { variant == .primitive }
}

/// A location score the history implies (e.g. -INFINITY after a failed stop).
public struct HistoryLocation: Sendable, Equatable {
  public var node: Int?
  public var score: Int
  public var onParent: Bool
}

/// The scheduler's view of the cluster: configuration plus interpreted status.
///
/// Why it exists: the first stage's output. Later stages only read it, so scores, assignment and actions can
/// each be computed and tested on their own. Invariant: `resources` lists every parent before its children;
/// `topLevel` is in configuration order, orphans last.
public struct ClusterState: Sendable {
  public var options: ClusterOptions
  public var nodes: [SchedulerNode]
  public var resources: [ResourceState]
  public var topLevel: [Int]
  public var input: SchedulerInput
  public var nodeByName: [String: Int]
  public var resourceByID: [String: Int]
  public var dcNode: Int?

  /// Fail counts below this many are ignored (migration-threshold applies per resource).
  public func node(named name: String) -> Int? { nodeByName[name] }

  public func allPrimitives(under r: Int) -> [Int] {
    let rsc = resources[r]
    if rsc.isPrimitive { return [r] }
    return rsc.children.flatMap { allPrimitives(under: $0) }
  }

  /// The top-most ancestor (the clone for an instance, the group for a member).
  public func topParent(_ r: Int) -> Int {
    var i = r
    while let p = resources[i].parent { i = p }
    return i
  }

  public func isInClone(_ r: Int) -> Int? {
    var i = resources[r].parent
    while let p = i {
      if resources[p].variant == .clone { return p }
      i = resources[p].parent
    }
    return nil
  }

  /// The node a resource is considered active on: the first clean one if any (pe__find_active_on).
  public func currentNode(_ r: Int) -> Int? {
    let on = resources[r].runningOn
    // A partially migrated resource is considered active on the migration's source.
    if let source = resources[r].partialMigrationSource, on.contains(source) { return source }
    return on.first { nodes[$0].online && !nodes[$0].unclean } ?? on.first
  }

  /// Nodes a resource is active on that are clean (not about to be fenced).
  public func cleanActiveCount(_ r: Int) -> Int {
    resources[r].runningOn.filter { !nodes[$0].unclean }.count
  }

  public func isPromotableInstance(_ r: Int) -> Bool {
    if let c = isInClone(r) { return resources[c].promotable }
    return false
  }
}
