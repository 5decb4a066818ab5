/// The difference between two CIB documents, as a list of operations that turn the old one into the new one.
///
/// Why it exists: it is the unit of replication (the DC sends diffs, peers apply them) and what `cibadmin`
/// and `pcs` show a person. Identity of an element is its kind, tag and `id`; elements without `id` (and text,
/// comments) are told apart by position among their siblings of the same tag, as Pacemaker's patchsets do.
/// Invariant: `try diff.apply(to: old) == new` for `diff = CIBDiff(from: old, to: new)`.
public struct CIBDiff: Equatable, Sendable {
  /// Version of the document the diff applies to, and of the document it produces (when both were CIBs).
  public var source: CIBVersion?
  public var target: CIBVersion?
  public var operations: [Operation]

  public init(source: CIBVersion? = nil, target: CIBVersion? = nil, operations: [Operation]) {
    self.source = source
    self.target = target
    self.operations = operations
  }

  public var isEmpty: Bool { operations.isEmpty }

  /// One step of a diff. Paths lead from the root to the element (empty path = the root); keys are resolved
  /// against the document as it is when the operation runs, so operations apply in order.
  public enum Operation: Equatable, Sendable {
    /// Replace the attribute list of the element at `path` (order included).
    case setAttributes(path: [NodeKey], attributes: [CIBAttribute])
    /// Insert `content` as child number `position` of the element at `parent`.
    case create(parent: [NodeKey], position: Int, content: CIBContent)
    /// Remove the child `key` of the element at `parent`.
    case delete(parent: [NodeKey], key: NodeKey)
    /// Move the child `key` of the element at `parent` so it becomes child number `position`.
    case move(parent: [NodeKey], key: NodeKey, position: Int)
    /// Replace the whole document (only when the root element's tag changed).
    case replaceRoot(CIBElement)
  }

  /// Names one child among its siblings: what it is, its tag and id, and its rank among siblings that share
  /// all three (0 for the usual uniquely identified element).
  public struct NodeKey: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: UInt8, Hashable, Sendable { case element, text, cdata, comment, processingInstruction }
    public var kind: Kind
    public var name: String
    public var id: String?
    public var ordinal: Int

    public init(kind: Kind, name: String, id: String?, ordinal: Int) {
      self.kind = kind
      self.name = name
      self.id = id
      self.ordinal = ordinal
    }

    public var description: String {
      let base: String
      switch kind {
      case .element: base = name
      case .text: base = "text()"
      case .cdata: base = "cdata()"
      case .comment: base = "comment()"
      case .processingInstruction: base = "processing-instruction(\(name))"
      }
      if let id { return "\(base)[@id='\(id)']" + (ordinal > 0 ? "[\(ordinal + 1)]" : "") }
      return "\(base)[\(ordinal + 1)]"
    }
  }
}

extension CIBDiff.NodeKey {
  /// Kind, tag and id of one piece of content: the part of the key that does not depend on its siblings.
  struct Identity: Hashable {
    var kind: Kind
    var name: String
    var id: String?
  }

  static func identity(of content: CIBContent) -> Identity {
    switch content {
    case .element(let e): Identity(kind: .element, name: e.name, id: e.id)
    case .text: Identity(kind: .text, name: "", id: nil)
    case .cdata: Identity(kind: .cdata, name: "", id: nil)
    case .comment: Identity(kind: .comment, name: "", id: nil)
    case .processingInstruction(let target, _): Identity(kind: .processingInstruction, name: target, id: nil)
    }
  }

  /// Keys of all of `children`, in order.
  static func keys(of children: [CIBContent]) -> [CIBDiff.NodeKey] {
    var seen: [Identity: Int] = [:]
    return children.map { c in
      let identity = identity(of: c)
      let ordinal = seen[identity, default: 0]
      seen[identity] = ordinal + 1
      return CIBDiff.NodeKey(kind: identity.kind, name: identity.name, id: identity.id, ordinal: ordinal)
    }
  }

  /// Key of child `index` of `children`.
  static func key(of children: [CIBContent], at index: Int) -> CIBDiff.NodeKey {
    let target = identity(of: children[index])
    var ordinal = 0
    for i in 0..<index where identity(of: children[i]) == target { ordinal += 1 }
    return CIBDiff.NodeKey(kind: target.kind, name: target.name, id: target.id, ordinal: ordinal)
  }

  /// Index in `children` of the child with this key, if any.
  func index(in children: [CIBContent]) -> Int? {
    let target = Identity(kind: kind, name: name, id: id)
    var ordinal = 0
    for (i, c) in children.enumerated() where Self.identity(of: c) == target {
      if ordinal == self.ordinal { return i }
      ordinal += 1
    }
    return nil
  }
}
