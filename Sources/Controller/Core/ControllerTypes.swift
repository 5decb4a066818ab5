import CIB
import PolicyEngine

/// A cluster node as the controller sees it: the corosync node id (also the CIB `<node id>`) and its name.
/// Ordered by id, which is what DC election uses.
public struct ControllerNode: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var id: UInt32
  public var name: String
  public init(id: UInt32, name: String) { self.id = id; self.name = name }
  public var cibID: String { String(id) }
  public static func < (a: ControllerNode, b: ControllerNode) -> Bool { (a.id, a.name) < (b.id, b.name) }
  public var description: String { "\(name)(\(id))" }
}

/// Time as the core sees it: a monotonic millisecond count for timers, leases and timelines, and the wall clock in
/// seconds for what Pacemaker writes into the CIB (last-rc-change, last-failure). Both come from the shell.
public struct ControllerTime: Sendable, Equatable {
  public var monotonicMs: Int64
  public var wallSeconds: Int64
  public init(monotonicMs: Int64, wallSeconds: Int64) { self.monotonicMs = monotonicMs; self.wallSeconds = wallSeconds }
}

/// The lease that keeps a partition from running a resource on both sides when there is no fencing.
///
/// Rule: a node that loses quorum stops every resource it runs at once (no transition, no DC needed) and must
/// have finished within `leaseMs` of the moment it last heard the quorate side; the quorate side starts the lost
/// node's resources no earlier than `leaseMs` after it last heard that node. See docs/ARCHITECTURE.md
/// ("Controller: the lease") for why 800 ms covers the membership's detection with token = 400 ms.
public struct LeaseTiming: Sendable, Equatable {
  public var leaseMs: Int64
  public init(leaseMs: Int64 = 800) {
    precondition(leaseMs > 0, "the lease must be positive")
    self.leaseMs = leaseMs
  }

  /// The lease for a membership token timeout: last-heard-to-detection on the isolated side is at most
  /// token + 2 heartbeat periods (heartbeats every token/4), plus `stopBudgetMs` to stop and a 50 ms margin; with a
  /// quorum device, plus how long a new view may wait for the arbiter (`quorumDeviceMs`) before reporting its
  /// quorum: the losing side keeps its previous quorum that long.
  public static func forToken(_ tokenMs: Int64, stopBudgetMs: Int64 = 150, quorumDeviceMs: Int64 = 0) -> LeaseTiming {
    LeaseTiming(leaseMs: tokenMs + tokenMs / 2 + quorumDeviceMs + stopBudgetMs + 50)
  }

  /// How recent a quorum's proof of contact must be for a node to hold its lease, where the membership gives one
  /// (heartbeats every T/4, each echoing the latest heartbeat received from each peer): an echo arrives at most about
  /// two heartbeat periods after the heartbeat it echoes, one lost heartbeat either way adds a period, and half a
  /// period covers delays and timer granularity: 3.5 periods = 7/8 T (350 ms for T = 400 ms).
  public static func quorumContactBound(forToken tokenMs: Int64) -> Int64 { tokenMs * 7 / 8 }
}

/// Fixed settings of one node's controller.
public struct ControllerConfig: Sendable {
  public var localNode: ControllerNode
  /// Goes into every transition-key this node writes as DC; the shell makes it unique per process start
  /// (Pacemaker uses a UUID).
  public var controllerUUID: String
  public var lease: LeaseTiming
  /// In-flight actions at most, when the CIB has no `batch-limit` (or 0).
  public var batchLimitDefault: Int
  /// Fence attempts per node before the DC stops retrying (Pacemaker's stonith-max-attempts).
  public var fenceAttemptsMax: Int
  /// Incidents kept in the timeline.
  public var incidentsMax: Int
  /// When set, the DC writes `dc-version` (this text) and `cluster-infrastructure` into cib-bootstrap-options on
  /// taking over, as Pacemaker's DC does; `crm_mon` prints them as "Current DC: node1 (version ...)" and "Stack:".
  public var dcVersion: String? = nil
  public var clusterInfrastructure: String = "corosync"
  /// This node's watchdog, when clusterd armed one: lost nodes' resources then wait out its bound (`SurvivorWait`).
  public var watchdog: WatchdogTiming? = nil

  public init(localNode: ControllerNode, controllerUUID: String, lease: LeaseTiming = LeaseTiming(),
              batchLimitDefault: Int = 16, fenceAttemptsMax: Int = 10, incidentsMax: Int = 32) {
    precondition(batchLimitDefault > 0 && fenceAttemptsMax > 0 && incidentsMax > 0)
    self.localNode = localNode; self.controllerUUID = controllerUUID; self.lease = lease
    self.batchLimitDefault = batchLimitDefault; self.fenceAttemptsMax = fenceAttemptsMax
    self.incidentsMax = incidentsMax
  }
}

/// One operation the controller asks a node's LRM to run.
public struct ActionRequest: Sendable, Equatable {
  public var node: ControllerNode
  /// History id: the primitive id, or "rsc:N" for an instance of a globally-unique clone.
  public var resource: String
  public var agentClass: String
  public var agentProvider: String?
  public var agentType: String
  public var task: String
  public var intervalMs: Int
  public var parameters: [String: String]
  public var timeoutMs: Int
  public var transitionKey: TransitionKey

  public init(
    node: ControllerNode, resource: String, agentClass: String, agentProvider: String? = nil, agentType: String,
    task: String, intervalMs: Int, parameters: [String: String], timeoutMs: Int, transitionKey: TransitionKey
  ) {
    self.node = node
    self.resource = resource
    self.agentClass = agentClass
    self.agentProvider = agentProvider
    self.agentType = agentType
    self.task = task
    self.intervalMs = intervalMs
    self.parameters = parameters
    self.timeoutMs = timeoutMs
    self.transitionKey = transitionKey
  }

  /// "rsc_task_interval" as Pacemaker names operations.
  public var operationKey: String { "\(resource)_\(task)_\(intervalMs)" }
}

/// What an LRM reports back for an `ActionRequest` (or later, for a recurring monitor that changed result).
public struct OperationCompletion: Sendable, Equatable {
  public var node: String
  public var resource: String
  public var task: String
  public var intervalMs: Int
  public var rc: Int
  public var status: ExecStatus
  public var exitReason: String
  public var execTimeMs: Int
  public var queueTimeMs: Int
  /// Echo of the request's key; nil for results nobody asked for.
  public var transitionKey: TransitionKey?
  /// From the agent's meta-data, when the shell knows it: non-reloadable parameters (agents with reload) and
  /// private ones; they make the recorded entry carry op-force-restart/op-restart-digest and
  /// op-secure-params/op-secure-digest as Pacemaker writes them.
  public var restartParameters: [String]? = nil
  public var secureParameters: [String]? = nil

  public init(node: String, resource: String, task: String, intervalMs: Int = 0, rc: Int, status: ExecStatus = .done,
              exitReason: String = "", execTimeMs: Int = 0, queueTimeMs: Int = 0, transitionKey: TransitionKey? = nil) {
    self.node = node; self.resource = resource; self.task = task; self.intervalMs = intervalMs; self.rc = rc
    self.status = status; self.exitReason = exitReason; self.execTimeMs = execTimeMs; self.queueTimeMs = queueTimeMs
    self.transitionKey = transitionKey
  }

  /// The completion of `request` with this rc.
  public init(_ request: ActionRequest, rc: Int, status: ExecStatus = .done, exitReason: String = "",
              execTimeMs: Int = 0) {
    self.init(node: request.node.name, resource: request.resource, task: request.task,
              intervalMs: request.intervalMs, rc: rc, status: status, exitReason: exitReason,
              execTimeMs: execTimeMs, transitionKey: request.transitionKey)
  }
}

/// Facts fed to the core (past tense), each with the time it is handled at.
public enum ControllerInput: Sendable {
  /// A new membership view. `members` run a controller (every member of the view does, in Vigil);
  /// `left` names nodes that left cleanly (the others that vanished are lost); `lastHeardMs` gives, per node id outside
  /// the view, the latest time (monotonic ms) this node or any member of the view last heard it; a lost node absent
  /// from it counts as heard now, which only makes the lease longer. A node outside the view that this node's
  /// previous view did not contain gets a lease too when it was heard within the survivor wait.
  /// `cib`: the newest CIB among the new view's members, when the shell synchronized one (clusterd's hello/sync);
  /// it replaces this core's CIB before the view is recorded.
  /// `restarted`: members whose process restarted since the last view (same id, new life): their history is
  /// forgotten and probed again, as for a node that joined.
  case membershipChanged(members: [ControllerNode], quorate: Bool, left: [UInt32] = [],
                         lastHeardMs: [UInt32: Int64] = [:], cib: CIBElement? = nil, restarted: [UInt32] = [],
                         at: ControllerTime)
  /// The CIB changed outside the core: a configuration edit applied by the shell, or (on non-DC nodes) the
  /// DC's update replicated. The DC recomputes.
  case cibReplaced(CIBElement, at: ControllerTime)
  /// An LRM finished an operation (on any node; the shell delivers every result to every core).
  case operationCompleted(OperationCompletion, at: ControllerTime)
  /// The fencer finished fencing `node`.
  case fencingCompleted(node: String, success: Bool, at: ControllerTime)
  /// A timer asked for with `.scheduleTimer` went off (or any periodic tick).
  case tick(ControllerTime)
}

/// What the core asks the shell to do (imperative), in the order given.
public enum ControllerEffect: Sendable, Equatable {
  /// Run this operation on `request.node`'s LRM and report the result with `.operationCompleted`.
  case execute(ActionRequest)
  /// Cancel a recurring operation on a node's LRM.
  case cancel(node: ControllerNode, resource: String, task: String, intervalMs: Int)
  /// Fence `node` (action: reboot or off) and report with `.fencingCompleted`.
  case fence(node: ControllerNode, action: String)
  /// The DC's new CIB (versions stamped): persist it and replicate it to every node.
  case updateCIB(CIBElement)
  /// Deliver `.tick` at this monotonic time.
  case scheduleTimer(atMs: Int64)
  /// The DC changed (nil: no DC, e.g. no view yet).
  case dcChanged(ControllerNode?)
  case transitionStarted(id: Int, actions: Int)
  case transitionComplete(id: Int, aborted: Bool)
  /// The lease ran out on this node with resources whose stop has not completed: the shell must make sure they
  /// are not running (self-fence through a watchdog where configured, else log loudly).
  case leaseExpired(resources: [String])
  /// A node that asked to shut down has no resources left: the shell may let it leave.
  case shutdownNode(ControllerNode)
}
