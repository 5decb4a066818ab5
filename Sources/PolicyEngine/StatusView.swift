/// What a status display (`pcs status`, crm_mon's layout) reads from the scheduler's first stage.
///
/// Why it exists: the status section has one unpacker, `interpretStatus`. Displays must show the same facts
/// the scheduler acts on (which operations failed, how many failures count against a resource on a node,
/// which node attributes are set), so they read them here from `ClusterState` instead of re-reading the
/// XML. Everything is ordered explicitly (status order for operations, names for the rest).
public struct StatusSectionView: Sendable {
  /// One failed operation as recorded in a node's history.
  public struct FailedOperation: Sendable, Equatable {
    public var node: String
    /// The `lrm_resource` id as written (`rsc`, `rsc:1` for clone instances).
    public var resourceHistoryID: String
    public var operation: OperationRecord
  }

  /// The failures that count against one resource on one node (crm_mon's Migration Summary).
  public struct FailCount: Sendable, Equatable {
    /// The resource as displays name it: a clone instance of an anonymous clone by its base id.
    public var resource: String
    public var count: Int
    public var lastFailure: Int64?
    /// Failures before the resource is banned from the node (`ScoreMath.infinity` when unlimited).
    public var migrationThreshold: Int
  }

  public let state: ClusterState

  public init(_ state: ClusterState) { self.state = state }

  /// Failed operations in status order: node_state order, then history order, then call id.
  /// A failure is an operation that completed with an op-status other than done or an rc other than the
  /// one expected, except a probe that found the resource not running (that is how probes report "stopped") or,
  /// with op-status done, running or promoted: Pacemaker's unpack takes those as what the probe found, not a
  /// failure ("Probe found ... active"), and crm_mon lists no failed action for them.
  public var failedOperations: [FailedOperation] {
    var out: [FailedOperation] = []
    for ns in state.input.nodeStates {
      guard let node = ns.uname else { continue }
      for history in ns.resources {
        let ops = history.operations.enumerated().sorted { a, b in
          a.element.callID != b.element.callID ? a.element.callID < b.element.callID : a.offset < b.offset
        }.map(\.element)
        for op in ops where Self.isFailure(op) {
          out.append(FailedOperation(node: node, resourceHistoryID: history.id, operation: op))
        }
      }
    }
    return out
  }

  static func isFailure(_ op: OperationRecord) -> Bool {
    guard op.callID >= 0, op.opStatus != 0 || op.rc != op.targetRC else { return false }
    let probe = op.task == "monitor" && op.intervalMs == 0
    return !(probe && (op.rc == 7 || (op.opStatus == 0 && (op.rc == 0 || op.rc == 8))))
  }

  /// Fail counts on `node` that are above zero, sorted by resource name.
  public func failCounts(node: String) -> [FailCount] {
    guard let n = state.node(named: node) else { return [] }
    var byName: [String: FailCount] = [:]
    for r in state.resources where r.isPrimitive {
      guard let count = r.failCounts[n], count > 0 else { continue }
      let name = displayName(r)
      let entry = FailCount(
        resource: name, count: count, lastFailure: r.lastFailure[n], migrationThreshold: r.migrationThreshold)
      // Anonymous clone instances share the base id's fail count: keep one entry, not one per instance.
      if let seen = byName[name] {
        byName[name] = seen.count >= entry.count ? seen : entry
      } else {
        byName[name] = entry
      }
    }
    return byName.keys.sorted().map { byName[$0]! }
  }

  /// Transient attributes of `node` that a person set (not Pacemaker's internal `#...` ones, node state
  /// flags or fail-count bookkeeping), sorted by name.
  public func nodeAttributes(node: String) -> [(name: String, value: String)] {
    guard let ns = state.input.nodeStates.first(where: { $0.uname == node }) else { return [] }
    let hidden: Set<String> = ["standby", "maintenance", "shutdown", "terminate"]
    return ns.transientAttributes.keys.sorted().compactMap { name in
      if name.hasPrefix("#") || hidden.contains(name) || name.hasPrefix("fail-count-")
        || name.hasPrefix("last-failure-")
      {
        return nil
      }
      return (name: name, value: ns.transientAttributes[name]!)
    }
  }

  /// Whether the node's attribute writer has reported (`#feature-set` is set): crm_mon marks others.
  public func hasTransientAttribute(node: String, _ name: String) -> Bool {
    state.input.nodeStates.first { $0.uname == node }?.transientAttributes[name] != nil
  }

  private func displayName(_ r: ResourceState) -> String {
    if let clone = state.isInClone(r.index), !state.resources[clone].unique { return r.baseID }
    return r.id
  }
}
