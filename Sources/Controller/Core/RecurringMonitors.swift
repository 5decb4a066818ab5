import CIB
import PolicyEngine

/// One recurring operation of one resource on one node, named as the history names it (`web_monitor_10000`).
public struct RecurringOperation: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var node: String
  /// History id: the primitive, or "rsc:N" for an instance of a globally-unique clone.
  public var resource: String
  public var task: String
  public var intervalMs: Int

  public init(node: String, resource: String, task: String, intervalMs: Int) {
    self.node = node; self.resource = resource; self.task = task; self.intervalMs = intervalMs
  }

  public var operationKey: String { "\(resource)_\(task)_\(intervalMs)" }
  public var description: String { "\(operationKey) on \(node)" }
  public static func < (a: RecurringOperation, b: RecurringOperation) -> Bool {
    (a.node, a.resource, a.task, a.intervalMs) < (b.node, b.resource, b.task, b.intervalMs)
  }
}

/// The recurring operations that should run, compared with those the status section records.
///
/// Should run: on every online node, for every primitive active there, each enabled recurring operation configured
/// for its role (promoted-role ones when promoted). Records: the history entry `RSC_TASK_INTERVAL`, or a
/// `RSC_last_failure_0` of that operation newer than the resource's last one-shot operation (a recurring operation
/// whose result so far is a failure still runs). Resources that are failed, blocked, unmanaged, orphaned or on a
/// node in maintenance are left alone either way: their recovery (or the administrator) decides.
///
/// Pacemaker's scheduler creates the recurring operations on every run; Vigil's DC adds them after each start and
/// promote, so one that never fired (a transition aborted between a start and its monitor, a monitor given up with a
/// view change) or one left from an earlier role would otherwise stay missing, or running, for good.
public struct RecurringMonitorCheck: Sendable, Equatable {
  /// Should run, not recorded.
  public var missing: [RecurringOperation]
  /// Recorded, not wanted: the resource is not active there, or the operation is no longer configured for its role.
  public var extra: [RecurringOperation]
  /// The subset of `missing` that belongs to the promoted role (its target rc is 8).
  public var promoted: Set<RecurringOperation>

  public var isConsistent: Bool { missing.isEmpty && extra.isEmpty }

  public init(_ state: ClusterState) {
    let input = state.input
    var wanted: [RecurringOperation: Bool] = [:]
    var leftAlone: Set<String> = []  // "node resource"
    for r in state.resources where r.isPrimitive {
      var rid = r.id
      if let clone = state.isInClone(r.index), !state.resources[clone].unique { rid = r.baseID }
      for n in r.runningOn {
        let node = state.nodes[n]
        guard node.online, !node.unclean else { continue }
        guard r.managed, !r.failed, !r.blocked, !r.isOrphan, !node.maintenance, r.pendingNode == nil else {
          leftAlone.insert("\(node.name) \(rid)")
          continue
        }
        let promoted = r.role == .promoted
        for op in OperationDefinition.recurringOperations(input: input, resource: rid, promoted: promoted) {
          wanted[RecurringOperation(node: node.name, resource: rid, task: op.task, intervalMs: op.intervalMs)] = promoted
        }
      }
    }
    for r in state.resources where r.isPrimitive && (r.failed || r.blocked) {
      var rid = r.id
      if let clone = state.isInClone(r.index), !state.resources[clone].unique { rid = r.baseID }
      for n in state.nodes where n.online { leftAlone.insert("\(n.name) \(rid)") }
    }

    var recorded: Set<RecurringOperation> = []
    var stillFailing: Set<RecurringOperation> = []
    for ns in input.nodeStates {
      guard let n = state.nodes.first(where: { $0.id == ns.id }), n.online, !n.unclean else { continue }
      for h in ns.resources where !leftAlone.contains("\(n.name) \(h.id)") {
        let lastOneShot = h.operations.first { $0.id == "\(h.id)_last_0" }?.callID ?? 0
        for op in h.operations where op.intervalMs > 0 {
          let entry = RecurringOperation(node: n.name, resource: h.id, task: op.task, intervalMs: op.intervalMs)
          if op.id == entry.operationKey {
            recorded.insert(entry)
          } else if op.id == "\(h.id)_last_failure_0" && op.callID > lastOneShot {
            stillFailing.insert(entry)
          }
        }
      }
    }
    missing = wanted.keys.filter { !recorded.contains($0) && !stillFailing.contains($0) }.sorted()
    extra = recorded.filter { wanted[$0] == nil }.sorted()
    promoted = Set(missing.filter { wanted[$0] == true })
  }
}

extension ControllerCore {
  /// The recurring operations the DC's CIB asks for against those it records (nil when the CIB cannot be read).
  /// The DC acts on it after every transition (`reconcileRecurring`); tests assert it is consistent once settled.
  public func recurringMonitorCheck(at: ControllerTime) -> RecurringMonitorCheck? {
    guard let input = try? CIBReader.read(cib, now: at.wallSeconds) else { return nil }
    return RecurringMonitorCheck(interpretStatus(input))
  }

  /// After a transition (and before computing one): cancels the recurring operations that should not run and, with
  /// `requestMissing`, asks for a transition when some that should run are missing (`TransitionBuilder` adds them
  /// to every transition it builds).
  mutating func reconcileRecurring(at: ControllerTime, requestMissing: Bool, effects: inout [ControllerEffect]) {
    guard let check = recurringMonitorCheck(at: at), !check.isConsistent else { return }
    for op in check.extra {
      guard let node = members.first(where: { $0.name == op.node }) else { continue }
      effects.append(.cancel(node: node, resource: op.resource, task: op.task, intervalMs: op.intervalMs))
      cib = PolicyEngine.StatusRecorder.removeRecurring(op.operationKey, resource: op.resource, nodeID: node.cibID, in: cib)
    }
    if requestMissing && !check.missing.isEmpty { dirty = true }
  }

  /// A `.cancel` for each recurring operation of a resource on a node that its recorded history shows.
  func cancelRecurring(_ resource: String, on node: ControllerNode) -> [ControllerEffect] {
    var out: [ControllerEffect] = []
    for op in historyOps(resource, nodeID: node.cibID) {
      guard let interval = op[attribute: "interval"].flatMap({ Int($0) }), interval > 0,
            op.id != "\(resource)_last_failure_0", let task = op[attribute: "operation"] else { continue }
      out.append(.cancel(node: node, resource: resource, task: task, intervalMs: interval))
    }
    return out
  }

  /// A recurring monitor reporting what is already recorded (the LRM may repeat itself): nothing to write.
  func unchangedRecurring(_ c: OperationCompletion) -> Bool {
    guard let nodeID = nodeID(for: c.node) else { return false }
    let ops = historyOps(c.resource, nodeID: nodeID)
    guard let entry = ops.first(where: { $0.id == "\(c.resource)_\(c.task)_\(c.intervalMs)" }) else { return false }
    let failedLater = ops.contains { $0.id == "\(c.resource)_last_failure_0"
      && $0[attribute: "operation_key"] == "\(c.resource)_\(c.task)_\(c.intervalMs)"
      && (Int($0[attribute: "call-id"] ?? "0") ?? 0) > (Int(entry[attribute: "call-id"] ?? "0") ?? 0) }
    return !failedLater && entry[attribute: "rc-code"] == String(c.rc)
      && entry[attribute: "op-status"] == String(c.status.rawValue)
  }

  /// Cancels a resource's recurring operations on a node (before its stop, demote or promote) and drops their
  /// history entries, as the cancellation's result would: a result the LRM still sends for one of them is then
  /// recognised as stale (`isCurrentRecurring`) instead of being recorded as a failure.
  mutating func cancelRecurringOperations(_ resource: String, on node: ControllerNode) -> [ControllerEffect] {
    let cancels = cancelRecurring(resource, on: node)
    for case .cancel(_, _, let task, let interval) in cancels {
      cib = PolicyEngine.StatusRecorder.removeRecurring("\(resource)_\(task)_\(interval)", resource: resource,
                                                        nodeID: node.cibID, in: cib)
    }
    return cancels
  }

  /// Whether a recurring operation's result (one no transition action waits for) comes from the operation the
  /// history says runs: the same transition key as its entry `RSC_TASK_INTERVAL`, or as a `RSC_last_failure_0` of
  /// it newer than the last one-shot operation. A result of a cancelled or replaced operation, or of one whose
  /// resource was stopped since (a successful stop deletes the entries), is not: recording it would count a
  /// failure of something that no longer runs and restart it.
  func isCurrentRecurring(_ c: OperationCompletion) -> Bool {
    guard c.intervalMs > 0, let nodeID = nodeID(for: c.node) else { return true }
    let ops = historyOps(c.resource, nodeID: nodeID)
    let key = "\(c.resource)_\(c.task)_\(c.intervalMs)"
    let lastOneShot = ops.first { $0.id == "\(c.resource)_last_0" }.flatMap { Int($0[attribute: "call-id"] ?? "") } ?? 0
    return ops.contains { e in
      let current = e.id == key || (e.id == "\(c.resource)_last_failure_0" && e[attribute: "operation_key"] == key
        && (Int(e[attribute: "call-id"] ?? "") ?? 0) > lastOneShot)
      return current && (c.transitionKey.map { e[attribute: "transition-key"] == $0.description } ?? true)
    }
  }
}
