import CIB

/// Writes facts into the CIB's `<status>` section the way Pacemaker's controller does, so the scheduler, our
/// pcs and the real `crm_mon` read them alike: node_state per node, its transient attributes (fail counts),
/// and lrm_rsc_op per operation (RSC_last_0, RSC_last_failure_0, RSC_monitor_INTERVAL).
///
/// Pure functions on a CIB tree. clusterd's interim recorder until the controller's Record/ module takes over
/// (it follows the same rules; see INTERFACES.md).
public enum StatusRecorder {
  /// Membership facts of one node: in the view (`member`), and whether it is expected up.
  public static func setNodeState(_ cib: inout CIBElement, id: String, uname: String, member: Bool) {
    withNodeState(&cib, id: id, uname: uname) { ns in
      ns[attribute: "in_ccm"] = member ? "true" : "false"
      ns[attribute: "crmd"] = member ? "online" : "offline"
      ns[attribute: "join"] = member ? "member" : "down"
      ns[attribute: "expected"] = member ? "member" : "down"
      ns[attribute: "crm-debug-origin"] = "vigil_membership"
    }
  }

  /// Forgets the operation history of a node (it left, or it joins again and is probed afresh).
  public static func clearHistory(_ cib: inout CIBElement, nodeID: String) {
    withStatus(&cib) { status in
      for i in status.children.indices {
        guard case .element(var ns) = status.children[i], ns.name == "node_state", ns.id == nodeID else { continue }
        ns.children.removeAll { if case .element(let e) = $0 { e.name == "lrm" } else { false } }
        status.children[i] = .element(ns)
      }
    }
  }

  /// Removes transient attributes of a node (they do not survive the node leaving, as in Pacemaker).
  public static func clearTransientAttributes(_ cib: inout CIBElement, nodeID: String) {
    withStatus(&cib) { status in
      for i in status.children.indices {
        guard case .element(var ns) = status.children[i], ns.name == "node_state", ns.id == nodeID else { continue }
        ns.children.removeAll { if case .element(let e) = $0 { e.name == "transient_attributes" } else { false } }
        status.children[i] = .element(ns)
      }
    }
  }

  /// Sets (or with nil removes) a transient node attribute.
  public static func setTransientAttribute(
    _ cib: inout CIBElement, nodeID: String, uname: String, name: String, value: String?
  ) {
    withNodeState(&cib, id: nodeID, uname: uname) { ns in
      var ta = ns.firstElement(named: "transient_attributes") ?? CIBElement("transient_attributes", ["id": nodeID])
      var set = ta.firstElement(named: "instance_attributes") ?? CIBElement("instance_attributes", ["id": "status-\(nodeID)"])
      set.children.removeAll { if case .element(let e) = $0 { e[attribute: "name"] == name } else { false } }
      if let value {
        set.append(CIBElement("nvpair", ["id": "status-\(nodeID)-\(name)", "name": name, "value": value]))
      }
      replaceOrAppend(&ta, set)
      replaceOrAppend(&ns, ta)
    }
  }

  public static func transientAttribute(_ cib: CIBElement, nodeID: String, name: String) -> String? {
    guard let status = cib.firstElement(named: "status") else { return nil }
    for ns in status.elements(named: "node_state") where ns.id == nodeID {
      for ta in ns.elements(named: "transient_attributes") {
        for set in ta.elements(named: "instance_attributes") {
          for nv in set.elements(named: "nvpair") where nv[attribute: "name"] == name { return nv[attribute: "value"] }
        }
      }
    }
    return nil
  }

  /// Records one operation result of `nodeID` (Pacemaker's rules for ids, failures and fail counts).
  public static func record(
    _ cib: inout CIBElement, nodeID: String, uname: String, result r: WireResult, transitionKey: String,
    startFailureIsFatal: Bool = true
  ) {
    let op = r.op
    let parts = op.agent.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    let agentClass = parts.first ?? "ocf"
    let provider = parts.count == 3 ? parts[1] : nil
    let type = parts.last ?? ""
    let key = "\(op.resource)_\(op.action)_\(op.intervalMs)"
    let failed = !(r.opStatus == 0 && (r.rc == op.targetRC || (op.action == "monitor" && op.intervalMs == 0 && (r.rc == 0 || r.rc == 7 || r.rc == 8))))
    func opElement(id: String) -> CIBElement {
      var e = CIBElement(
        "lrm_rsc_op",
        [
          "id": id, "operation_key": key, "operation": op.action, "crm-debug-origin": "vigil_record",
          "crm_feature_set": "3.16.2", "transition-key": transitionKey,
          "transition-magic": "\(r.opStatus):\(r.rc);\(transitionKey)", "exit-reason": r.exitReason,
          "on_node": uname, "call-id": String(r.callID), "rc-code": String(r.rc), "op-status": String(r.opStatus),
          "interval": String(op.intervalMs), "last-rc-change": String(r.finishedAt), "exec-time": String(r.execMs),
          "queue-time": "0",
        ])
      if let d = op.opDigest { e[attribute: "op-digest"] = d }
      return e
    }
    withNodeState(&cib, id: nodeID, uname: uname) { ns in
      var lrm = ns.firstElement(named: "lrm") ?? CIBElement("lrm", ["id": nodeID])
      var resources = lrm.firstElement(named: "lrm_resources") ?? CIBElement("lrm_resources")
      var lr = resources.elements.first { $0.name == "lrm_resource" && $0.id == op.resource }
        ?? CIBElement("lrm_resource", ["id": op.resource, "type": type, "class": agentClass])
      if let provider { lr[attribute: "provider"] = provider }
      if op.intervalMs > 0 {
        replaceOrAppend(&lr, opElement(id: "\(op.resource)_monitor_\(op.intervalMs)"))
      } else {
        replaceOrAppend(&lr, opElement(id: "\(op.resource)_last_0"))
        if op.action == "stop" && !failed {
          // A stopped resource has no recurring monitors any more.
          lr.children.removeAll {
            guard case .element(let e) = $0, !(e.id ?? "").hasSuffix("_last_failure_0") else { return false }
            return (Int(e[attribute: "interval"] ?? "0") ?? 0) > 0
          }
        }
      }
      if failed { replaceOrAppend(&lr, opElement(id: "\(op.resource)_last_failure_0")) }
      replaceOrAppend(&resources, lr)
      replaceOrAppend(&lrm, resources)
      replaceOrAppend(&ns, lrm)
    }
    if failed && !(op.action == "monitor" && op.intervalMs == 0 && r.rc == 7) {
      let attr = "\(op.resource)#\(op.action)_\(op.intervalMs)"
      let old = Int(transientAttribute(cib, nodeID: nodeID, name: "fail-count-\(attr)") ?? "0") ?? 0
      let fatal = (op.action == "start" && startFailureIsFatal) || op.action == "stop"
      let count = fatal ? "INFINITY" : String(min(old + 1, 1_000_000))
      setTransientAttribute(&cib, nodeID: nodeID, uname: uname, name: "fail-count-\(attr)", value: count)
      setTransientAttribute(
        &cib, nodeID: nodeID, uname: uname, name: "last-failure-\(attr)", value: String(r.finishedAt))
    }
  }

  /// `crm_resource --cleanup` / `--refresh`: forgets failures (or the whole history) of `resource` (nil = all)
  /// on `nodeID` (nil = all nodes). Returns whether anything changed.
  @discardableResult
  public static func cleanup(_ cib: inout CIBElement, resource: String?, nodeID: String?, refresh: Bool) -> Bool {
    var changed = false
    withStatus(&cib) { status in
      for i in status.children.indices {
        guard case .element(var ns) = status.children[i], ns.name == "node_state" else { continue }
        if let nodeID, ns.id != nodeID { continue }
        for j in ns.children.indices {
          guard case .element(var e) = ns.children[j] else { continue }
          if e.name == "transient_attributes" {
            e = mapDescendants(e) { set in
              guard set.name == "instance_attributes" else { return set }
              var s = set
              s.children.removeAll {
                guard case .element(let nv) = $0, let n = nv[attribute: "name"] else { return false }
                guard n.hasPrefix("fail-count-") || n.hasPrefix("last-failure-") else { return false }
                let rest = n.drop { $0 != "-" }.dropFirst().drop { $0 != "-" }.dropFirst()
                let rid = String(rest.split(separator: "#").first ?? "")
                if let resource, rid != resource { return false }
                changed = true
                return true
              }
              return s
            }
          } else if e.name == "lrm" {
            e = mapDescendants(e) { lrs in
              guard lrs.name == "lrm_resources" else { return lrs }
              var out = lrs
              out.children.removeAll {
                guard case .element(let lr) = $0, lr.name == "lrm_resource" else { return false }
                if let resource, lr.id != resource { return false }
                let hasFailure = lr.elements(named: "lrm_rsc_op").contains { ($0.id ?? "").hasSuffix("_last_failure_0") }
                if refresh || hasFailure {
                  changed = true
                  return true
                }
                return false
              }
              return out
            }
          }
          ns.children[j] = .element(e)
        }
        status.children[i] = .element(ns)
      }
    }
    return changed
  }

  // MARK: tree helpers

  static func mapDescendants(_ e: CIBElement, _ f: (CIBElement) -> CIBElement) -> CIBElement {
    var out = f(e)
    for i in out.children.indices {
      if case .element(let c) = out.children[i] { out.children[i] = .element(mapDescendants(c, f)) }
    }
    return out
  }

  static func withStatus(_ cib: inout CIBElement, _ body: (inout CIBElement) -> Void) {
    var status = cib.firstElement(named: "status") ?? CIBElement("status")
    body(&status)
    replaceOrAppend(&cib, status)
  }

  static func withNodeState(_ cib: inout CIBElement, id: String, uname: String, _ body: (inout CIBElement) -> Void) {
    withStatus(&cib) { status in
      var ns = status.elements.first { $0.name == "node_state" && $0.id == id }
        ?? CIBElement("node_state", ["id": id, "uname": uname])
      body(&ns)
      replaceOrAppend(&status, ns)
    }
  }

  /// Replaces the child with the same name (and id, when it has one), or appends it.
  static func replaceOrAppend(_ parent: inout CIBElement, _ child: CIBElement) {
    for i in parent.children.indices {
      if case .element(let e) = parent.children[i], e.name == child.name, e.id == child.id {
        parent.children[i] = .element(child)
        return
      }
    }
    parent.append(child)
  }
}
