import CIB

/// The CIB a node starts from.
extension NodeCore {
  /// The CIB of a node that has never stored one: empty configuration, version 0.0.0.
  public static func emptyCIB() -> CIBElement {
    CIBEdit.emptyCIB([
      "admin_epoch": "0", "epoch": "0", "num_updates": "0", "validate-with": "pacemaker-3.1", "crm_feature_set": "3.16.2",
    ])
  }

  /// The nodelist and the cluster's name in the CIB (each node writes them into its own copy at start; every
  /// node writes the same, so the copies agree).
  static func ensureNodesAndProperties(_ cib: inout CIBElement, nodes list: [ControllerNode], clusterName: String) {
    guard let ci = cib.childIndex(named: "configuration"), case .element(var conf) = cib.children[ci] else { return }
    var nodes = conf.firstElement(named: "nodes") ?? CIBElement("nodes")
    for n in list where !nodes.elements.contains(where: { $0.id == n.cibID }) {
      nodes.append(CIBElement("node", ["id": n.cibID, "uname": n.name]))
    }
    replaceOrAppend(&conf, nodes)
    var crm = conf.firstElement(named: "crm_config") ?? CIBElement("crm_config")
    var set = crm.elements.first { $0.id == "cib-bootstrap-options" }
      ?? CIBElement("cluster_property_set", ["id": "cib-bootstrap-options"])
    let wanted: [(String, String)] = [("have-watchdog", "false"), ("cluster-name", clusterName)]
    for (k, v) in wanted where !set.children.contains(where: {
      if case .element(let e) = $0 { e[attribute: "name"] == k } else { false }
    }) {
      set.append(CIBElement("nvpair", ["id": "cib-bootstrap-options-\(k)", "name": k, "value": v]))
    }
    replaceOrAppend(&crm, set)
    replaceOrAppend(&conf, crm)
    cib.children[ci] = .element(conf)
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
