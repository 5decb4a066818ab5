import CIB

/// Small CIB tree helpers of the daemon: the status-section rules themselves (history entries, fail counts,
/// membership, cleanup) are the controller's `PolicyEngine.StatusRecorder` (Sources/PolicyEngine/Record).
enum StatusTree {
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
