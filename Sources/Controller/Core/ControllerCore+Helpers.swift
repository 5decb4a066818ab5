import CIB
import ControlProtocol
import PolicyEngine

/// The controller's bookkeeping helpers: the failover timeline's incidents and reading the CIB it holds.
extension ControllerCore {
  // MARK: incidents

  mutating func openIncident(_ kind: Incident.Kind, subject: String) -> Incident {
    let inc = Incident(id: timeline.nextID, kind: kind, subject: subject, recordedBy: config.localNode.name)
    timeline.nextID += 1
    return inc
  }

  mutating func store(_ inc: Incident) {
    if let i = timeline.incidents.firstIndex(where: { $0.id == inc.id }) {
      timeline.incidents[i] = inc
    } else {
      timeline.incidents.append(inc)
      if timeline.incidents.count > config.incidentsMax { timeline.incidents.removeFirst() }
    }
  }

  mutating func addEvent(_ id: Int, _ name: String, _ atMs: Int64, _ detail: String = "") {
    if let i = timeline.incidents.firstIndex(where: { $0.id == id }) { timeline.incidents[i].add(name, atMs, detail) }
  }

  mutating func closeIncident(_ id: Int, _ atMs: Int64, _ detail: String) {
    if let i = timeline.incidents.firstIndex(where: { $0.id == id }), !timeline.incidents[i].closed {
      timeline.incidents[i].add("closed", atMs, detail)
      timeline.incidents[i].closed = true
    }
  }

  mutating func noteStarted(_ resource: String, on node: String, _ atMs: Int64) {
    for i in timeline.incidents.indices where !timeline.incidents[i].closed
      && timeline.incidents[i].kind != .quorumLost {
      timeline.incidents[i].add("start-complete", atMs, "\(resource) on \(node)")
    }
  }

  /// A transition finished without surprises and no lease is pending: the incidents it answered are over.
  mutating func closeRecoveredIncidents(_ atMs: Int64) {
    for i in timeline.incidents.indices where !timeline.incidents[i].closed
      && timeline.incidents[i].kind != .quorumLost
      && timeline.incidents[i].offset(of: "transition-computed") != nil {
      if let lease = leases.values.first(where: { $0.incident == timeline.incidents[i].id }), lease.untilMs > atMs { continue }
      timeline.incidents[i].add("recovered", atMs)
      timeline.incidents[i].closed = true
    }
  }

  // MARK: CIB reading helpers

  /// Sets a cluster option in the `cib-bootstrap-options` set (created when absent); unchanged when equal.
  func setBootstrapOption(_ name: String, _ value: String, in root0: CIBElement) -> CIBElement {
    guard clusterOption(root0, name) != value else { return root0 }
    var root = root0
    guard let ci = root.childIndex(named: "configuration"), case .element(var conf) = root.children[ci] else { return root }
    if conf.childIndex(named: "crm_config") == nil { conf.children.insert(.element(CIBElement("crm_config")), at: 0) }
    guard let ki = conf.childIndex(named: "crm_config"), case .element(var crm) = conf.children[ki] else { return root }
    if crm.childIndex(id: "cib-bootstrap-options") == nil {
      crm.append(CIBElement("cluster_property_set", ["id": "cib-bootstrap-options"]))
    }
    guard let si = crm.childIndex(id: "cib-bootstrap-options"), case .element(var set) = crm.children[si] else { return root }
    if let ni = set.children.firstIndex(where: { if case .element(let e) = $0 { e[attribute: "name"] == name } else { false } }),
       case .element(var nv) = set.children[ni] {
      nv[attribute: "value"] = value
      set.children[ni] = .element(nv)
    } else {
      set.append(CIBElement("nvpair", ["id": "cib-bootstrap-options-\(name)", "name": name, "value": value]))
    }
    crm.children[si] = .element(set)
    conf.children[ki] = .element(crm)
    root.children[ci] = .element(conf)
    return root
  }

  func noQuorumStops(_ c: CIBElement) -> Bool {
    let policy = clusterOption(c, "no-quorum-policy")?.lowercased() ?? "stop"
    return policy != "ignore" && policy != "freeze"
  }

  func clusterOption(_ c: CIBElement, _ name: String) -> String? {
    var value: String?
    c.firstElement(named: "configuration")?.firstElement(named: "crm_config")?.forEachDescendant { e in
      if value == nil, e.name == "nvpair", e[attribute: "name"] == name { value = e[attribute: "value"] }
    }
    return value
  }

  func configuredNodes() -> [ControllerNode] {
    let list = cib.firstElement(named: "configuration")?.firstElement(named: "nodes")?.elements(named: "node") ?? []
    return list.compactMap { n in
      guard let id = n.id.flatMap({ UInt32($0) }), let name = n[attribute: "uname"] else { return nil }
      return ControllerNode(id: id, name: name)
    }.sorted()
  }

  func nodeID(for name: String) -> String? {
    if let m = members.first(where: { $0.name == name }) { return m.cibID }
    if let n = configuredNodes().first(where: { $0.name == name }) { return n.cibID }
    return nil
  }

  func nodeState(_ id: String) -> CIBElement? {
    cib.firstElement(named: "status")?.elements(named: "node_state").first { $0.id == id }
  }

  func nodeStateValue(_ id: String, _ attr: String) -> String? { nodeState(id)?[attribute: attr] }

  func hasTransientAttribute(_ name: String, nodeID: String) -> Bool {
    var found = false
    nodeState(nodeID)?.firstElement(named: "transient_attributes")?.forEachDescendant { e in
      if e.name == "nvpair", e[attribute: "name"] == name { found = true }
    }
    return found
  }

  func historyResource(_ resource: String, nodeID: String) -> CIBElement? {
    nodeState(nodeID)?.firstElement(named: "lrm")?.firstElement(named: "lrm_resources")?
      .elements(named: "lrm_resource").first { $0.id == resource }
  }

  func historyOps(_ resource: String, nodeID: String) -> [CIBElement] {
    historyResource(resource, nodeID: nodeID)?.elements(named: "lrm_rsc_op") ?? []
  }

  func historyAgent(_ resource: String, nodeID: String) -> (String?, String?, String?) {
    let r = historyResource(resource, nodeID: nodeID)
    return (r?[attribute: "class"], r?[attribute: "provider"], r?[attribute: "type"])
  }

  func maxCallID(_ nodeID: String) -> Int {
    var m = 0
    nodeState(nodeID)?.forEachDescendant { e in
      if e.name == "lrm_rsc_op", let c = e[attribute: "call-id"].flatMap({ Int($0) }) { m = max(m, c) }
    }
    return m
  }

  mutating func pruneUnrecorded() {
    let kept = unrecorded.filter { !isRecorded($0) }
    unrecorded = kept
  }

  /// Whether this exact result (same transition key, op-status and rc) is in `c.node`'s history already.
  func isRecorded(_ c: OperationCompletion) -> Bool {
    guard let key = c.transitionKey else { return c.intervalMs > 0 && unchangedRecurring(c) }
    guard let nodeID = nodeID(for: c.node) else { return true }
    let magic = "\(c.status.rawValue):\(c.rc);\(key)"
    return historyOps(c.resource, nodeID: nodeID).contains {
      $0[attribute: "transition-magic"] == magic && $0[attribute: "operation_key"] == "\(c.resource)_\(c.task)_\(c.intervalMs)"
    }
  }

  /// History ids of the primitives active on `node` in `state`, sorted.
  func activeResources(on node: String, _ state: ClusterState) -> [String] {
    guard let n = state.node(named: node) else { return [] }
    var out: [String] = []
    for r in state.resources where r.isPrimitive && (r.runningOn.contains(n) || r.pendingNode == n) {
      var id = r.id
      if let clone = state.isInClone(r.index), !state.resources[clone].unique { id = r.baseID }
      if !out.contains(id) { out.append(id) }
    }
    return out.sorted()
  }

  mutating func askTimer(_ atMs: Int64, _ effects: inout [ControllerEffect]) {
    guard !timersAsked.contains(atMs) else { return }
    timersAsked.insert(atMs)
    effects.append(.scheduleTimer(atMs: atMs))
  }
}
