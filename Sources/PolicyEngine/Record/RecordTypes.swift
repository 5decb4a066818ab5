/// What the controller writes into the CIB status section after an operation completes: the value form of
/// Pacemaker's executor event (lrmd_event_data) plus the transition it belonged to.
///
/// Why it exists: the status section is the cluster's memory of what ran where. The scheduler reads it back on
/// the next run (`interpretStatus`), and so do the real `crm_mon` and `crm_simulate`; everything that writes an
/// operation result (the controller, clusterd, `crm_simulate -i/-F`) builds one of these and calls
/// `StatusRecorder.record(_:into:)`, so there is one spelling of the history.
/// Invariant: `intervalMs >= 0`, `callID` increases per node (the scheduler replays history in call-id order).
public struct RecordedOperation: Sendable, Equatable {
  /// Resource id as the history names it (a clone instance is "rsc:0" for unique clones, "rsc" for anonymous).
  public var resource: String
  public var agentClass: String
  public var agentProvider: String?
  public var agentType: String
  /// start, stop, monitor, promote, demote, notify, migrate_to, migrate_from, reload, ...
  public var task: String
  public var intervalMs: Int
  /// Node name (uname) and node id as in the configuration's `<node id= uname=>`.
  public var node: String
  public var nodeID: String
  public var callID: Int
  /// The agent's exit code (OCF: 0 ok, 1 error, 7 not running, 8 promoted, ...).
  public var rc: Int
  public var status: ExecStatus
  public var exitReason: String
  /// The transition action this result answers; nil when none (a probe from a refresh, a simulated failure).
  public var transitionKey: TransitionKey?
  /// Seconds since the epoch when the rc last changed (Pacemaker writes the completion time).
  public var lastRCChange: Int64
  public var execTimeMs: Int
  public var queueTimeMs: Int
  /// The resource's parameters as given to the agent, without CRM_meta_* (they feed the digests).
  public var parameters: [String: String]
  /// The operation's timeout; recurring operation digests include it, as Pacemaker's do.
  public var timeoutMs: Int?
  /// Non-reloadable parameters, in agent meta-data order, when the agent supports reload: Pacemaker then
  /// writes op-force-restart and op-restart-digest. nil = the agent has no reload.
  public var restartParameters: [String]?
  /// Private parameters (meta-data `private="1"`), in meta-data order: Pacemaker then writes op-secure-params
  /// and op-secure-digest. nil = none.
  public var secureParameters: [String]?

  public init(resource: String, agentClass: String, agentProvider: String? = nil, agentType: String, task: String,
              intervalMs: Int = 0, node: String, nodeID: String, callID: Int, rc: Int, status: ExecStatus = .done,
              exitReason: String = "", transitionKey: TransitionKey? = nil, lastRCChange: Int64,
              execTimeMs: Int = 0, queueTimeMs: Int = 0, parameters: [String: String] = [:], timeoutMs: Int? = nil,
              restartParameters: [String]? = nil, secureParameters: [String]? = nil) {
    precondition(intervalMs >= 0, "negative interval for \(resource)_\(task)")
    self.resource = resource; self.agentClass = agentClass; self.agentProvider = agentProvider
    self.agentType = agentType; self.task = task; self.intervalMs = intervalMs; self.node = node
    self.nodeID = nodeID; self.callID = callID; self.rc = rc; self.status = status; self.exitReason = exitReason
    self.transitionKey = transitionKey; self.lastRCChange = lastRCChange; self.execTimeMs = execTimeMs
    self.queueTimeMs = queueTimeMs; self.parameters = parameters; self.timeoutMs = timeoutMs
    self.restartParameters = restartParameters; self.secureParameters = secureParameters
  }

  /// "RSC_TASK_INTERVAL", Pacemaker's operation key.
  public var operationKey: String { "\(resource)_\(task)_\(intervalMs)" }

  /// The rc the transition expected (7 for probes, 8 for promoted monitors); 0 when there was no transition.
  public var targetRC: Int { transitionKey?.targetRC ?? 0 }

  /// Pacemaker's did_rsc_op_fail: a result is a failure when it did not complete as expected.
  public var failed: Bool {
    switch status {
    case .cancelled, .pending: return false
    case .done: return rc != targetRC
    default: return true
    }
  }
}

/// Pacemaker's execution status (PCMK_EXEC_*), written as `op-status`.
public enum ExecStatus: Int, Sendable, Equatable, CaseIterable {
  case pending = -1
  case done = 0
  case cancelled = 1
  case timeout = 2
  case notSupported = 3
  case error = 4
  case errorHard = 5
  case errorFatal = 6
  case notInstalled = 7
  case notConnected = 8
  case invalid = 9
}

/// `action-id:transition-id:target-rc:controller-uuid`, the transition-key Pacemaker writes on every history
/// entry; the transition-magic is `op-status:rc;` followed by it.
public struct TransitionKey: Sendable, Equatable, CustomStringConvertible {
  public var actionID: Int
  public var transitionID: Int
  public var targetRC: Int
  public var uuid: String

  public init(actionID: Int, transitionID: Int, targetRC: Int, uuid: String) {
    self.actionID = actionID; self.transitionID = transitionID; self.targetRC = targetRC; self.uuid = uuid
  }

  /// Parses "6:5:7:b3d70708-..."; nil when malformed.
  public init?(parsing text: String) {
    let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
    guard parts.count == 4, let a = Int(parts[0]), let t = Int(parts[1]), let rc = Int(parts[2]) else { return nil }
    self.init(actionID: a, transitionID: t, targetRC: rc, uuid: String(parts[3]))
  }

  public var description: String { "\(actionID):\(transitionID):\(targetRC):\(uuid)" }
}

/// How a node's membership changed, as the controller records it in `node_state`.
public enum NodeMembershipChange: String, Sendable, Equatable, CaseIterable {
  /// The node's controller joined the DC: in_ccm=true crmd=online join=member expected=member.
  case joined
  /// The node left cleanly (pcs cluster stop): in_ccm=false crmd=offline join=down expected=down.
  case left
  /// The node vanished from the membership without saying goodbye: in_ccm=false crmd=offline join=down,
  /// expected stays member, so with fencing on the scheduler sees it unclean and fences it.
  case lost
  /// The node was fenced: as `left`, and its resource history and transient attributes are erased
  /// (what ran there is known to be stopped).
  case fenced
}
