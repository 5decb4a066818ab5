import CIB

/// Writes operation results, fail counts and membership changes into a CIB's status section, the way
/// Pacemaker 2.1's controller and attribute manager do, as pure functions from one CIB tree to the next.
///
/// Why it exists: our scheduler, `crm_mon` and `crm_simulate` must all read back what the controller recorded.
/// Layout written (Pacemaker's names and attribute order):
///
///     <status>
///       <node_state id=NODEID uname= in_ccm= crmd= crm-debug-origin= join= expected=>
///         <transient_attributes id=NODEID><instance_attributes id="status-NODEID">
///             <nvpair id="status-NODEID-fail-count-RSC.monitor_10000" name="fail-count-RSC#monitor_10000" .../>
///         <lrm id=NODEID><lrm_resources><lrm_resource id= type= class= provider=>
///             <lrm_rsc_op id="RSC_last_0" | "RSC_last_failure_0" | "RSC_monitor_10000" operation_key= .../>
///
/// History entry ids: a successful one-shot operation replaces `RSC_last_0`; a successful recurring one
/// replaces `RSC_OP_INTERVAL`; a failure (rc differs from the expected rc, or the execution failed) replaces
/// `RSC_last_failure_0` and, when one-shot, also `RSC_last_0`. A cancelled recurring operation's entry is
/// removed; a successful stop removes the resource's recurring entries (Pacemaker cancels them first).
/// The functions never touch the version attributes: the writer stamps them (`CIBChangeKind.stamp`).
/// crm_simulate's injections and simulated transitions (`StatusEditor`) write through the same tree, history and
/// attribute helpers, in crm_simulate's own spelling (origin "crm_simulate", no on_node, entries updated in place).
public enum StatusRecorder {
  /// The feature set Pacemaker 2.1.5 writes on history entries (what `cibadmin --empty` prints here).
  public static let featureSet = "3.16.1"

  /// Options that change how a failure is counted.
  public struct FailurePolicy: Sendable, Equatable {
    /// cluster option start-failure-is-fatal (default true): a failed start sets the fail count to INFINITY.
    public var startFailureIsFatal: Bool
    public init(startFailureIsFatal: Bool = true) { self.startFailureIsFatal = startFailureIsFatal }
  }

  // MARK: operation results

  /// Records one result: the history entries, and on failure the fail count and last-failure attributes.
  public static func record(_ op: RecordedOperation, into cib: CIBElement,
                            failurePolicy: FailurePolicy = FailurePolicy()) -> CIBElement {
    var root = cib
    updateNodeState(&root, nodeID: op.nodeID, uname: op.node) { ns in
      ns[attribute: "crm-debug-origin"] = "do_update_resource"
      updateResourceHistory(&ns, nodeID: op.nodeID, resource: op.resource) { lrmResource in
        lrmResource[attribute: "type"] = op.agentType
        lrmResource[attribute: "class"] = op.agentClass
        lrmResource[attribute: "provider"] = op.agentProvider
        recordHistory(op, into: &lrmResource)
      }
    }
    if op.failed && countsAsFailure(op) {
      root = recordFailCount(op, into: root, policy: failurePolicy)
    }
    return root
  }

  /// The lrm_rsc_op element Pacemaker writes for `op` under the given entry id.
  public static func historyEntry(_ op: RecordedOperation, id: String) -> CIBElement {
    var e = CIBElement("lrm_rsc_op")
    e[attribute: "id"] = id
    setHistoryFields(&e, op, origin: "do_update_resource", onNode: true)
    let digests = OperationDigests(op)
    e[attribute: "op-digest"] = digests.opDigest
    if let restart = digests.restart {
      e[attribute: "op-force-restart"] = restart.list
      e[attribute: "op-restart-digest"] = restart.digest
    }
    if let secure = digests.secure {
      e[attribute: "op-secure-params"] = secure.list
      e[attribute: "op-secure-digest"] = secure.digest
    }
    return e
  }

  /// The fields every history entry carries, set in place in Pacemaker's order (pcmk__create_history_xml, shared by
  /// the controller and crm_simulate). crm_simulate writes its own `origin` and no `on_node`.
  static func setHistoryFields(_ e: inout CIBElement, _ op: RecordedOperation, origin: String, onNode: Bool) {
    e[attribute: "operation_key"] = op.operationKey
    e[attribute: "operation"] = op.task
    e[attribute: "crm-debug-origin"] = origin
    e[attribute: "crm_feature_set"] = featureSet
    let key = op.transitionKey ?? TransitionKey(actionID: -1, transitionID: -1, targetRC: 0,
                                                uuid: "00000000-0000-0000-0000-000000000000")
    e[attribute: "transition-key"] = key.description
    e[attribute: "transition-magic"] = "\(op.status.rawValue):\(op.rc);\(key)"
    e[attribute: "exit-reason"] = op.exitReason
    if onNode { e[attribute: "on_node"] = op.node }
    e[attribute: "call-id"] = String(op.callID)
    e[attribute: "rc-code"] = String(op.rc)
    e[attribute: "op-status"] = String(op.status.rawValue)
    e[attribute: "interval"] = String(op.intervalMs)
    e[attribute: "last-rc-change"] = String(op.lastRCChange)
    e[attribute: "exec-time"] = String(op.execTimeMs)
    e[attribute: "queue-time"] = String(op.queueTimeMs)
  }

  static func recordHistory(_ op: RecordedOperation, into lrmResource: inout CIBElement) {
    if op.status == .cancelled {
      if op.intervalMs > 0 { removeChildren(of: &lrmResource) { $0.id == op.operationKey } }
      return
    }
    var ids: [String]
    if op.failed {
      ids = ["\(op.resource)_last_failure_0"]
      if op.intervalMs == 0 { ids.append("\(op.resource)_last_0") }
    } else if op.intervalMs > 0 {
      ids = [op.operationKey]
    } else {
      ids = ["\(op.resource)_last_0"]
    }
    if op.task == "stop" && !op.failed && op.status == .done {
      // The stop ran after every recurring operation was cancelled; their entries go with them.
      removeChildren(of: &lrmResource) { e in
        e.name == "lrm_rsc_op" && (e[attribute: "interval"].flatMap { Int($0) } ?? 0) > 0
          && e.id != "\(op.resource)_last_failure_0"
      }
    }
    for id in ids { setChild(of: &lrmResource, historyEntry(op, id: id)) }
  }

  /// Pacemaker does not count "found running/promoted" probes, or a probe reporting "not running".
  static func countsAsFailure(_ op: RecordedOperation) -> Bool {
    if op.task == "monitor" && op.intervalMs == 0 && op.status == .done && [0, 7, 8].contains(op.rc) { return false }
    if op.task == "notify" { return false }
    return true
  }

  // MARK: fail counts

  /// `fail-count-RSC#OP_INTERVAL` and `last-failure-RSC#OP_INTERVAL`, as Pacemaker 2.1's attrd names them.
  public static func failCountName(resource: String, task: String, intervalMs: Int) -> String {
    "fail-count-\(resource)#\(task)_\(intervalMs)"
  }

  public static func lastFailureName(resource: String, task: String, intervalMs: Int) -> String {
    "last-failure-\(resource)#\(task)_\(intervalMs)"
  }

  /// Adds one failure of `op` (INFINITY for a failed stop, or a failed start when start-failure-is-fatal).
  public static func recordFailCount(_ op: RecordedOperation, into cib: CIBElement,
                                     policy: FailurePolicy = FailurePolicy()) -> CIBElement {
    var root = cib
    updateNodeState(&root, nodeID: op.nodeID, uname: op.node) { ns in
      updateTransientAttributes(&ns, nodeID: op.nodeID) { set in
        countFailure(in: &set, resource: op.resource, task: op.task, intervalMs: op.intervalMs, at: op.lastRCChange,
                     fatal: op.task == "stop" || (op.task == "start" && policy.startFailureIsFatal))
      }
    }
    return root
  }

  /// Adds one to the fail count in a node's attribute set (INFINITY when `fatal`) and sets last-failure to `time`;
  /// crm_simulate's injected "value++" is the same addition.
  static func countFailure(in set: inout CIBElement, resource: String, task: String, intervalMs: Int, at time: Int64,
                           fatal: Bool) {
    let countName = failCountName(resource: resource, task: task, intervalMs: intervalMs)
    let old = set.elements.first { $0[attribute: "name"] == countName }?[attribute: "value"]
    let value = fatal ? "INFINITY" : ScoreMath.text(ScoreMath.add(old.flatMap(ScoreMath.parse) ?? 0, 1))
    setNVPair(&set, name: countName, value: value)
    setNVPair(&set, name: lastFailureName(resource: resource, task: task, intervalMs: intervalMs), value: String(time))
  }

  /// `pcs resource cleanup` (crm_resource --cleanup): for `resource` (nil = every resource) on `node` (nil = every
  /// node), delete the fail counts and last-failure attributes and, where the history holds a failure, the whole
  /// resource history, so the scheduler probes again. Resource ids match the history id exactly or as the base
  /// of a clone instance ("rsc" matches "rsc:1").
  public static func cleanup(resource: String?, node: String?, in cib: CIBElement) -> CIBElement {
    clearHistory(resource: resource, node: node, in: cib, onlyFailed: true)
  }

  /// `pcs resource refresh` (crm_resource --refresh): as cleanup, but the history goes whether it failed or not.
  public static func refresh(resource: String?, node: String?, in cib: CIBElement) -> CIBElement {
    clearHistory(resource: resource, node: node, in: cib, onlyFailed: false)
  }

  static func matches(_ id: String, _ resource: String?) -> Bool {
    guard let resource else { return true }
    if id == resource { return true }
    if let colon = id.lastIndex(of: ":"), id[..<colon] == resource, Int(id[id.index(after: colon)...]) != nil {
      return true
    }
    return false
  }

  static func clearHistory(resource: String?, node: String?, in cib: CIBElement, onlyFailed: Bool) -> CIBElement {
    var root = cib
    guard let statusIndex = root.childIndex(named: "status"),
          case .element(var status) = root.children[statusIndex] else { return root }
    for i in status.children.indices {
      guard case .element(var ns) = status.children[i], ns.name == "node_state" else { continue }
      if let node, ns[attribute: "uname"] != node && ns.id != node { continue }
      mapChildren(of: &ns, named: "transient_attributes") { ta in
        mapChildren(of: &ta, named: "instance_attributes") { set in
          removeChildren(of: &set) { nv in
            guard nv.name == "nvpair", let name = nv[attribute: "name"] else { return false }
            for prefix in ["fail-count-", "last-failure-"] where name.hasPrefix(prefix) {
              var rest = Substring(name.dropFirst(prefix.count))
              if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
              return matches(String(rest), resource)
            }
            return false
          }
        }
      }
      mapChildren(of: &ns, named: "lrm") { lrm in
        mapChildren(of: &lrm, named: "lrm_resources") { list in
          removeChildren(of: &list) { r in
            guard r.name == "lrm_resource", let id = r.id, matches(id, resource) else { return false }
            if !onlyFailed { return true }
            return r.elements(named: "lrm_rsc_op").contains { isFailureEntry($0) }
          }
        }
      }
      status.children[i] = .element(ns)
    }
    root.children[statusIndex] = .element(status)
    return root
  }

  /// A history entry that records a failure: a last_failure entry, or an rc/status that differs from the target.
  static func isFailureEntry(_ e: CIBElement) -> Bool {
    if e.id?.hasSuffix("_last_failure_0") == true { return true }
    let status = Int(e[attribute: "op-status"] ?? "0") ?? 0
    if status != 0 && status != -1 && status != 1 { return true }
    let rc = Int(e[attribute: "rc-code"] ?? "0") ?? 0
    let target = e[attribute: "transition-key"].flatMap(TransitionKey.init(parsing:))?.targetRC ?? 0
    return rc != target
  }

  // MARK: membership

  /// Records a membership change of one node in its node_state (created when absent).
  public static func recordMembership(_ change: NodeMembershipChange, nodeID: String, uname: String,
                                      in cib: CIBElement) -> CIBElement {
    var root = cib
    updateNodeState(&root, nodeID: nodeID, uname: uname) { ns in
      switch change {
      case .joined:
        setPeerState(&ns, inCCM: true, crmdOnline: true, join: "member", expected: "member", origin: "do_state_transition")
      case .left:
        setPeerState(&ns, inCCM: false, crmdOnline: false, join: "down", expected: "down", origin: "do_state_transition")
      case .lost:
        setPeerState(&ns, inCCM: false, crmdOnline: false, join: "down",
                     expected: ns[attribute: "expected"] == nil ? "member" : nil, origin: "peer_update_callback")
      case .fenced:
        markFenced(&ns, origin: "send_stonith_update")
      }
    }
    return root
  }

  /// A node_state's membership fields, in the order Pacemaker writes them (controld's create_node_state_update and
  /// crm_simulate's node injection): in_ccm, crmd, join, expected (nil leaves it as it is), crm-debug-origin.
  static func setPeerState(_ ns: inout CIBElement, inCCM: Bool, crmdOnline: Bool, join: String, expected: String?,
                           origin: String) {
    ns[attribute: "in_ccm"] = inCCM ? "true" : "false"
    ns[attribute: "crmd"] = crmdOnline ? "online" : "offline"
    ns[attribute: "join"] = join
    if let expected { ns[attribute: "expected"] = expected }
    ns[attribute: "crm-debug-origin"] = origin
  }

  /// A fenced node: out of the membership, and what ran there is known to be stopped, so its resource history and
  /// transient attributes go.
  static func markFenced(_ ns: inout CIBElement, origin: String) {
    setPeerState(&ns, inCCM: false, crmdOnline: false, join: "down", expected: "down", origin: origin)
    removeChildren(of: &ns) { $0.name == "lrm" || $0.name == "transient_attributes" }
  }

  /// Drops one recurring operation's history entry, as a recorded cancellation does, without the agent details a
  /// recorded result carries (the DC drops it when it cancels the operation). Creates nothing.
  public static func removeRecurring(_ operationKey: String, resource: String, nodeID: String,
                                     in cib: CIBElement) -> CIBElement {
    var root = cib
    guard let si = root.childIndex(named: "status"), case .element(var status) = root.children[si] else { return root }
    for i in status.children.indices {
      guard case .element(var ns) = status.children[i], ns.name == "node_state", ns.id == nodeID,
            ns.firstElement(named: "lrm")?.firstElement(named: "lrm_resources")?.elements(named: "lrm_resource")
              .first(where: { $0.id == resource })?.childIndex(id: operationKey) != nil else { continue }
      updateResourceHistory(&ns, nodeID: nodeID, resource: resource) { history in
        removeChildren(of: &history) { $0.id == operationKey }
      }
      status.children[i] = .element(ns)
    }
    root.children[si] = .element(status)
    return root
  }

  /// Forgets a node's whole resource history (its `lrm` section), keeping its transient attributes: what the DC does
  /// when a node joins, so that the node is probed afresh instead of trusting a history written elsewhere.
  /// Removes one resource's operation history on one node (not its fail counts): the next transition probes it
  /// there again.
  public static func forgetHistory(resource: String, nodeID: String, in cib: CIBElement) -> CIBElement {
    var root = cib
    guard let si = root.childIndex(named: "status"), case .element(var status) = root.children[si] else { return root }
    for i in status.children.indices {
      guard case .element(var ns) = status.children[i], ns.name == "node_state", ns.id == nodeID else { continue }
      mapChildren(of: &ns, named: "lrm") { lrm in
        mapChildren(of: &lrm, named: "lrm_resources") { list in
          removeChildren(of: &list) { $0.name == "lrm_resource" && $0.id == resource }
        }
      }
      status.children[i] = .element(ns)
    }
    root.children[si] = .element(status)
    return root
  }

  public static func forgetHistory(nodeID: String, in cib: CIBElement) -> CIBElement {
    var root = cib
    guard let si = root.childIndex(named: "status"), case .element(var status) = root.children[si] else { return root }
    for i in status.children.indices {
      guard case .element(var ns) = status.children[i], ns.name == "node_state", ns.id == nodeID else { continue }
      removeChildren(of: &ns) { $0.name == "lrm" }
      status.children[i] = .element(ns)
    }
    root.children[si] = .element(status)
    return root
  }

  /// Sets the `dc-uuid` and `have-quorum` attributes of the cib element (what crm_mon reads for "Current DC"
  /// and "partition with quorum").
  public static func recordDC(_ dcNodeID: String?, haveQuorum: Bool, in cib: CIBElement) -> CIBElement {
    var root = cib
    root[attribute: "have-quorum"] = haveQuorum ? "1" : "0"
    root[attribute: "dc-uuid"] = dcNodeID
    return root
  }

  /// Sets (or, with nil, removes) a transient node attribute, as `attrd_updater` does.
  public static func setTransientAttribute(_ name: String, value: String?, nodeID: String, uname: String,
                                           in cib: CIBElement) -> CIBElement {
    var root = cib
    updateNodeState(&root, nodeID: nodeID, uname: uname) { ns in
      updateTransientAttributes(&ns, nodeID: nodeID) { set in
        if let value {
          setNVPair(&set, name: name, value: value)
        } else {
          removeChildren(of: &set) { $0[attribute: "name"] == name }
        }
      }
    }
    return root
  }

  // MARK: tree helpers

  /// Runs `body` on the node_state of `nodeID` (crm_simulate: `matchingUname`, also one named `uname`), creating it and
  /// the status section when missing.
  static func updateNodeState(_ root: inout CIBElement, nodeID: String, uname: String, matchingUname: Bool = false,
                              _ body: (inout CIBElement) -> Void) {
    updateChild(of: &root, name: "status", id: nil, make: { CIBElement("status") }) { status in
      updateChild(of: &status, where: {
        $0.name == "node_state" && ($0.id == nodeID || (matchingUname && $0[attribute: "uname"] == uname))
      }, make: {
        var e = CIBElement("node_state")
        e[attribute: "id"] = nodeID
        e[attribute: "uname"] = uname
        return e
      }) { ns in
        if ns[attribute: "uname"] == nil { ns[attribute: "uname"] = uname }
        body(&ns)
      }
    }
  }

  /// Runs `body` on the lrm_resource `resource` of a node_state, creating it (with `newAttributes` after its id) and
  /// the lrm / lrm_resources levels when missing.
  static func updateResourceHistory(_ ns: inout CIBElement, nodeID: String, resource: String,
                                    newAttributes: [CIBAttribute] = [], _ body: (inout CIBElement) -> Void) {
    updateChild(of: &ns, name: "lrm", id: nil, make: { CIBElement("lrm", ["id": nodeID]) }) { lrm in
      updateChild(of: &lrm, name: "lrm_resources", id: nil, make: { CIBElement("lrm_resources") }) { list in
        updateChild(of: &list, name: "lrm_resource", id: resource, make: {
          CIBElement("lrm_resource", attributes: [CIBAttribute(name: "id", value: resource)] + newAttributes)
        }, body)
      }
    }
  }

  /// Runs `body` on a node's transient attribute set, creating it when missing: as attrd writes it (first child,
  /// set id "status-NODEID"), or as crm_simulate injects it (`simulated`: after lrm, set id NODEID).
  static func updateTransientAttributes(_ ns: inout CIBElement, nodeID: String, simulated: Bool = false,
                                        _ body: (inout CIBElement) -> Void) {
    // transient_attributes goes before lrm, where Pacemaker's readers expect nothing in particular but
    // crm_mon's output order is unaffected; keep it first as attrd writes it.
    if !simulated && ns.childIndex(named: "transient_attributes") == nil {
      ns.children.insert(.element(CIBElement("transient_attributes", ["id": nodeID])), at: 0)
    }
    updateChild(of: &ns, name: "transient_attributes", id: nil, make: {
      CIBElement("transient_attributes", ["id": nodeID])
    }) { ta in
      updateChild(of: &ta, name: "instance_attributes", id: nil, make: {
        CIBElement("instance_attributes", ["id": simulated ? nodeID : "status-\(nodeID)"])
      }, body)
    }
  }

  /// Sets the nvpair `name` of an attribute set; a new one gets Pacemaker's id, "SETID-NAME" sanitized
  /// (crm_create_nvpair_xml).
  static func setNVPair(_ set: inout CIBElement, name: String, value: String) {
    if let i = set.children.firstIndex(where: {
      if case .element(let e) = $0 { e.name == "nvpair" && e[attribute: "name"] == name } else { false }
    }), case .element(var nv) = set.children[i] {
      nv[attribute: "value"] = value
      set.children[i] = .element(nv)
    } else {
      set.append(CIBElement("nvpair", ["id": sanitizedID("\(set.id ?? "nvpair")-\(name)"), "name": name, "value": value]))
    }
  }

  /// Pacemaker's crm_xml_sanitize_id: characters not allowed in an XML ID become '.'.
  public static func sanitizedID(_ text: String) -> String {
    String(text.map { c -> Character in
      c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".") ? c : "."
    })
  }

  static func updateChild(of parent: inout CIBElement, name: String, id: String?, make: () -> CIBElement,
                          _ body: (inout CIBElement) -> Void) {
    updateChild(of: &parent, where: { $0.name == name && (id == nil || $0.id == id) }, make: make, body)
  }

  /// Runs `body` on the first child element matching `predicate`, or on `make()` appended when there is none.
  static func updateChild(of parent: inout CIBElement, where predicate: (CIBElement) -> Bool,
                          make: () -> CIBElement, _ body: (inout CIBElement) -> Void) {
    let index = parent.children.firstIndex {
      if case .element(let e) = $0 { predicate(e) } else { false }
    }
    var child: CIBElement
    if let index, case .element(let e) = parent.children[index] { child = e } else { child = make() }
    body(&child)
    if let index { parent.children[index] = .element(child) } else { parent.append(child) }
  }

  static func setChild(of parent: inout CIBElement, _ child: CIBElement) {
    if let id = child.id, let i = parent.childIndex(id: id) {
      parent.children[i] = .element(child)
    } else {
      parent.append(child)
    }
  }

  static func removeChildren(of parent: inout CIBElement, where predicate: (CIBElement) -> Bool) {
    parent.children.removeAll { if case .element(let e) = $0 { predicate(e) } else { false } }
  }

  static func mapChildren(of parent: inout CIBElement, named name: String, _ body: (inout CIBElement) -> Void) {
    for i in parent.children.indices {
      if case .element(var e) = parent.children[i], e.name == name {
        body(&e)
        parent.children[i] = .element(e)
      }
    }
  }
}
