extension CIBDiff {
  /// The operations that turn `old` into `new`. Versions are recorded when both roots carry readable ones.
  public init(from old: CIBElement, to new: CIBElement) {
    var operations: [Operation] = []
    if old.name != new.name {
      // A different root element cannot be reached by edits below it: replace the whole document.
      operations.append(.replaceRoot(new))
    } else {
      Self.diffElement(old, new, path: [], into: &operations)
    }
    self.init(
      source: old.name == "cib" ? try? CIBVersion(of: old) : nil,
      target: new.name == "cib" ? try? CIBVersion(of: new) : nil,
      operations: operations)
  }

  /// Diffs two elements known to be the same element (same key at the same path).
  private static func diffElement(_ old: CIBElement, _ new: CIBElement, path: [NodeKey], into ops: inout [Operation]) {
    if old.attributes != new.attributes {
      ops.append(.setAttributes(path: path, attributes: new.attributes))
    }
    if old.children == new.children { return }

    let oldKeys = NodeKey.keys(of: old.children)
    let newKeys = NodeKey.keys(of: new.children)
    // Pair children by key: same kind, tag, id and rank among those.
    var newIndexByKey: [NodeKey: Int] = [:]
    newIndexByKey.reserveCapacity(newKeys.count)
    for (i, k) in newKeys.enumerated() { newIndexByKey[k] = i }
    var matchOfOld = [Int?](repeating: nil, count: old.children.count)
    for (i, k) in oldKeys.enumerated() {
      guard let j = newIndexByKey[k] else { continue }
      // Text-like content only matches when equal; otherwise it is deleted and created again.
      if case .element = old.children[i] {
        matchOfOld[i] = j
      } else if old.children[i] == new.children[j] {
        matchOfOld[i] = j
      }
    }

    // 1. Changes inside matched child elements, while this level still has its old shape.
    for (i, j) in matchOfOld.enumerated() {
      guard let j, case .element(let o) = old.children[i], case .element(let n) = new.children[j], o != n else {
        continue
      }
      diffElement(o, n, path: path + [oldKeys[i]], into: &ops)
    }

    // 2. Deletes, last first. `current` simulates this level as the patch will see it, tagged by new index.
    var current: [(content: CIBContent, newIndex: Int?)] = zip(old.children, matchOfOld).map { ($0, $1) }
    for i in stride(from: current.count - 1, through: 0, by: -1) where current[i].newIndex == nil {
      ops.append(.delete(parent: path, key: NodeKey.key(of: current.map(\.content), at: i)))
      current.remove(at: i)
    }

    // 3. Creates and moves, in the new order. After step j, current[0...j] equals new.children[0...j].
    for j in 0..<new.children.count {
      if let p = current[j...].firstIndex(where: { $0.newIndex == j }) {
        if p != j {
          ops.append(.move(parent: path, key: NodeKey.key(of: current.map(\.content), at: p), position: j))
          let moved = current.remove(at: p)
          current.insert(moved, at: j)
        }
      } else {
        ops.append(.create(parent: path, position: j, content: new.children[j]))
        current.insert((new.children[j], j), at: j)
      }
    }
  }

  /// Applies the operations in order to `document`. Throws when an operation does not fit (an element on a
  /// path is missing, a position is out of range), naming the path; the input is never partly changed.
  public func apply(to document: CIBElement) throws(CIBError) -> CIBElement {
    var result = document
    for op in operations {
      switch op {
      case .replaceRoot(let element):
        result = element
      case .setAttributes(let path, let attributes):
        try Self.withElement(at: path, in: &result) { (e: inout CIBElement) throws(CIBError) in
          e.attributes = attributes
        }
      case .create(let parent, let position, let content):
        try Self.withElement(at: parent, in: &result) { (e: inout CIBElement) throws(CIBError) in
          guard position >= 0, position <= e.children.count else {
            throw .patchDoesNotApply(
              path: Self.render(parent),
              reason: "cannot create child at position \(position); the element has \(e.children.count) children")
          }
          e.children.insert(content, at: position)
        }
      case .delete(let parent, let key):
        try Self.withElement(at: parent, in: &result) { (e: inout CIBElement) throws(CIBError) in
          guard let i = key.index(in: e.children) else {
            throw .patchDoesNotApply(path: Self.render(parent + [key]), reason: "no such child to delete")
          }
          e.children.remove(at: i)
        }
      case .move(let parent, let key, let position):
        try Self.withElement(at: parent, in: &result) { (e: inout CIBElement) throws(CIBError) in
          guard let i = key.index(in: e.children) else {
            throw .patchDoesNotApply(path: Self.render(parent + [key]), reason: "no such child to move")
          }
          let moved = e.children.remove(at: i)
          guard position >= 0, position <= e.children.count else {
            throw .patchDoesNotApply(
              path: Self.render(parent + [key]), reason: "cannot move to position \(position)")
          }
          e.children.insert(moved, at: position)
        }
      }
    }
    return result
  }

  /// Runs `body` on the element at `path`, in place (no copy of the untouched parts of the tree).
  private static func withElement(
    at path: [NodeKey], in root: inout CIBElement, depth: Int = 0,
    _ body: (inout CIBElement) throws(CIBError) -> Void
  ) throws(CIBError) {
    if depth == path.count { return try body(&root) }
    let key = path[depth]
    guard key.kind == .element, let i = key.index(in: root.children),
      case .element(var child) = root.children[i]
    else {
      throw .patchDoesNotApply(path: render(Array(path[...depth])), reason: "no such element")
    }
    // Take the child out so it is uniquely referenced and mutated without copying.
    root.children[i] = .text("")
    defer { root.children[i] = .element(child) }
    try withElement(at: path, in: &child, depth: depth + 1, body)
  }

  /// "/configuration[1]/resources[1]/primitive[@id='x']": a readable path for error messages.
  static func render(_ path: [NodeKey]) -> String {
    path.isEmpty ? "/" : path.map { "/" + $0.description }.joined()
  }
}
