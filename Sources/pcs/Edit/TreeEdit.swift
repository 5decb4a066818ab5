import CIB

/// A position in a CIB tree: the indices into `children` from the root down to an element.
typealias ElementPath = [Int]

/// Editing helpers over the lossless tree. pcs edits the configuration by moving and rewriting elements in
/// place, so that everything a command does not touch (order, ids, unknown content) is kept as it was.
extension CIBElement {
  subscript(path path: ElementPath) -> CIBElement {
    get {
      var e = self
      for i in path {
        guard case .element(let c) = e.children[i] else { preconditionFailure("path \(path) crosses a non-element") }
        e = c
      }
      return e
    }
    set {
      if path.isEmpty {
        self = newValue
        return
      }
      guard case .element(var c) = children[path[0]] else { preconditionFailure("path \(path) crosses a non-element") }
      c[path: Array(path.dropFirst())] = newValue
      children[path[0]] = .element(c)
    }
  }

  /// Depth-first, document-order search (the element itself included) for the first match.
  func firstPath(where match: (CIBElement) -> Bool) -> ElementPath? {
    if match(self) { return [] }
    for (i, child) in children.enumerated() {
      if case .element(let c) = child, let sub = c.firstPath(where: match) { return [i] + sub }
    }
    return nil
  }

  /// Every matching element in document order (a match's descendants are searched too).
  func allPaths(where match: (CIBElement) -> Bool) -> [ElementPath] {
    var result: [ElementPath] = []
    collect(prefix: [], match, into: &result)
    return result
  }

  private func collect(prefix: ElementPath, _ match: (CIBElement) -> Bool, into result: inout [ElementPath]) {
    if match(self) { result.append(prefix) }
    for (i, child) in children.enumerated() {
      if case .element(let c) = child { c.collect(prefix: prefix + [i], match, into: &result) }
    }
  }

  /// Removes the element at `path` (not the root) and returns it.
  @discardableResult
  mutating func removeElement(at path: ElementPath) -> CIBElement {
    precondition(!path.isEmpty, "cannot remove the root")
    let removed = self[path: path]
    var parent = self[path: Array(path.dropLast())]
    parent.children.remove(at: path.last!)
    self[path: Array(path.dropLast())] = parent
    return removed
  }

  /// Inserts `element` as child number `index` (of `children`) of the element at `path`.
  mutating func insert(_ element: CIBElement, into path: ElementPath, at index: Int? = nil) {
    var parent = self[path: path]
    parent.children.insert(.element(element), at: index ?? parent.children.count)
    self[path: path] = parent
  }

  /// Path of the first direct child named `name`, creating it (appended, or at `index`) if missing.
  mutating func ensureChild(named name: String, under path: ElementPath, at index: Int? = nil) -> ElementPath {
    let parent = self[path: path]
    if let i = parent.childIndex(named: name) { return path + [i] }
    let position = index ?? parent.children.count
    insert(CIBElement(name), into: path, at: position)
    return path + [position]
  }

  /// Path of the first direct child element named `name`, if any.
  func childPath(named name: String, under path: ElementPath) -> ElementPath? {
    self[path: path].childIndex(named: name).map { path + [$0] }
  }

  /// Direct child elements with their index into `children`.
  var indexedElements: [(index: Int, element: CIBElement)] {
    children.enumerated().compactMap { i, c in
      if case .element(let e) = c { (i, e) } else { nil }
    }
  }
}

/// Paths to the well-known sections of a CIB (`/cib/configuration/...`, `/cib/status`).
enum Section {
  /// `/cib/configuration`, created if missing.
  static func configuration(_ cib: inout CIBElement) -> ElementPath {
    cib.ensureChild(named: "configuration", under: [], at: 0)
  }

  /// A child of `configuration` (crm_config, nodes, resources, constraints, rsc_defaults, op_defaults),
  /// created at pcs's position if missing.
  static func path(_ name: String, _ cib: inout CIBElement) -> ElementPath {
    let conf = configuration(&cib)
    if let p = cib.childPath(named: name, under: conf) { return p }
    // Pacemaker's schema order; a new section goes after the last existing section that precedes it.
    let order = ["crm_config", "nodes", "resources", "constraints", "fencing-topology", "op_defaults", "rsc_defaults", "acls", "tags", "alerts"]
    let rank = order.firstIndex(of: name) ?? order.count
    var position = 0
    for (i, e) in cib[path: conf].indexedElements {
      if let r = order.firstIndex(of: e.name), r < rank { position = i + 1 }
    }
    if name == "rsc_defaults" || name == "op_defaults" {
      // pcs appends defaults sections at the end of configuration.
      position = cib[path: conf].children.count
    }
    cib.insert(CIBElement(name), into: conf, at: position)
    return conf + [position]
  }

  static func find(_ name: String, in cib: CIBElement) -> CIBElement? {
    cib.firstElement(named: "configuration")?.firstElement(named: name)
  }
}
