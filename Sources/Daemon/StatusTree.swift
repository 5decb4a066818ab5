import CIB

/// A small CIB tree helper of the daemon (the status-section rules are `PolicyEngine.StatusRecorder`'s, the
/// decisions the controller core's).
enum StatusTree {
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
