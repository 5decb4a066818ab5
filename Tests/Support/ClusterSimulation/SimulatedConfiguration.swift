import CIB
import Controller

/// The cluster every seed runs: N nodes, a group `grp` of two primitives (ip, web) and one or two standalone
/// primitives (db1, db2), each with a recurring monitor; no fencing (the lease applies), quorum defaults.
enum SimulatedConfiguration {
  static let clientSetID = "vopr-client"

  static func cib(nodeCount: Int, resources: [ResourcePlan]) -> CIBElement {
    func primitive(_ r: ResourcePlan) -> CIBElement {
      CIBElement("primitive", ["id": r.id, "class": "ocf", "provider": "heartbeat", "type": "Dummy"], children: [
        CIBElement("operations", [:], children: [
          CIBElement("op", ["id": "\(r.id)-monitor-interval-\(r.intervalMs / 1000)s", "name": "monitor",
                            "interval": "\(r.intervalMs / 1000)s", "timeout": "20s"]),
        ]),
      ])
    }
    let group = CIBElement("group", ["id": "grp"], children: resources.filter { $0.id == "ip" || $0.id == "web" }
      .map(primitive))
    let standalone = resources.filter { $0.id != "ip" && $0.id != "web" }.map(primitive)
    var root = emptyCIB(nodeCount: nodeCount)
    root[attribute: "epoch"] = "1"
    guard let ci = root.childIndex(named: "configuration"), case .element(var conf) = root.children[ci],
          let ri = conf.childIndex(named: "resources"), case .element(var rs) = conf.children[ri] else { return root }
    rs.append(group)
    for p in standalone { rs.append(p) }
    conf.children[ri] = .element(rs)
    root.children[ci] = .element(conf)
    return root
  }

  /// What a node starts with when it has no CIB on disk (clusterd's empty CIB plus the nodelist).
  static func emptyCIB(nodeCount: Int) -> CIBElement {
    var root = NodeCore.emptyCIB()
    let noFencing = CIBElement(
      "cluster_property_set", ["id": "cib-bootstrap-options"],
      children: [
        CIBElement(
          "nvpair", ["id": "cib-bootstrap-options-stonith-enabled", "name": "stonith-enabled", "value": "false"])
      ])
    if let ci = root.childIndex(named: "configuration"), case .element(var conf) = root.children[ci],
      let ki = conf.childIndex(named: "crm_config"), case .element(var crm) = conf.children[ki]
    {
      crm.append(noFencing)
      conf.children[ki] = .element(crm)
      root.children[ci] = .element(conf)
    }
    ensureNodes(&root, nodeCount: nodeCount)
    return root
  }

  /// The nodelist in the configuration, as clusterd writes it at start.
  static func ensureNodes(_ root: inout CIBElement, nodeCount: Int) {
    guard let ci = root.childIndex(named: "configuration"), case .element(var conf) = root.children[ci] else { return }
    if conf.childIndex(named: "nodes") == nil { conf.append(CIBElement("nodes")) }
    guard let ni = conf.childIndex(named: "nodes"), case .element(var nodes) = conf.children[ni] else { return }
    for k in 1...nodeCount where !nodes.elements.contains(where: { $0.id == String(k) }) {
      nodes.append(CIBElement("node", ["id": String(k), "uname": "node\(k)"]))
    }
    conf.children[ni] = .element(nodes)
    root.children[ci] = .element(conf)
  }

  /// The client's write: one more cluster property in its own set (harmless to placement).
  static func addingClientProperty(_ key: String, to base: CIBElement) -> CIBElement {
    var root = base
    guard let ci = root.childIndex(named: "configuration"), case .element(var conf) = root.children[ci] else { return root }
    if conf.childIndex(named: "crm_config") == nil { conf.children.insert(.element(CIBElement("crm_config")), at: 0) }
    guard let ki = conf.childIndex(named: "crm_config"), case .element(var crm) = conf.children[ki] else { return root }
    if crm.childIndex(id: clientSetID) == nil { crm.append(CIBElement("cluster_property_set", ["id": clientSetID])) }
    guard let si = crm.childIndex(id: clientSetID), case .element(var set) = crm.children[si] else { return root }
    set.append(CIBElement("nvpair", ["id": "\(clientSetID)-\(key)", "name": key, "value": "1"]))
    crm.children[si] = .element(set)
    conf.children[ki] = .element(crm)
    root.children[ci] = .element(conf)
    return root
  }

  /// The client properties present in a CIB.
  static func clientProperties(in cib: CIBElement) -> Set<String> {
    guard let set = cib.firstElement(named: "configuration")?.firstElement(named: "crm_config")?
      .elements.first(where: { $0.id == clientSetID }) else { return [] }
    return Set(set.elements(named: "nvpair").compactMap { $0[attribute: "name"] })
  }

  /// Configured recurring monitors per resource: operation keys "rsc_monitor_ms".
  static func configuredMonitors(_ resources: [ResourcePlan]) -> [String: String] {
    var out: [String: String] = [:]
    for r in resources { out[r.id] = "\(r.id)_monitor_\(r.intervalMs)" }
    return out
  }
}
