import CIB

/// `CIBDiff` on the wire: the DC replicates each new CIB version as the diff from the version it replicated before.
///
/// Content that a diff creates or replaces travels as XML text (one reading of the CIB's XML); paths are lists of
/// keys. `source` and `target` are the versions (admin_epoch, epoch, num_updates) the diff goes from and to.
public struct WireCIBDiff: Codable, Sendable, Equatable {
  public var source: [UInt64]
  public var target: [UInt64]
  public var operations: [Operation]

  public struct Key: Codable, Sendable, Equatable {
    /// `CIBDiff.NodeKey.Kind` raw value.
    public var k: UInt8
    public var n: String
    public var i: String?
    public var o: Int
  }

  /// One operation; `op` is "attrs", "create", "delete", "move" or "root", and only its fields are set.
  public struct Operation: Codable, Sendable, Equatable {
    public var op: String
    public var path: [Key]
    public var key: Key?
    public var position: Int?
    /// Attribute name/value pairs, in order ("attrs").
    public var attributes: [[String]]?
    /// The created content wrapped in `<w>...</w>`, or the new root ("root").
    public var xml: String?
  }

  public enum DecodeError: Error, CustomStringConvertible {
    case malformed(String)
    public var description: String {
      switch self { case .malformed(let why): return "malformed CIB diff: \(why)" }
    }
  }

  public init(_ diff: CIBDiff, source: CIBVersion, target: CIBVersion) {
    self.source = [source.adminEpoch, source.epoch, source.numUpdates]
    self.target = [target.adminEpoch, target.epoch, target.numUpdates]
    operations = diff.operations.map { op in
      switch op {
      case .setAttributes(let path, let attributes):
        return Operation(op: "attrs", path: path.map(Self.key), attributes: attributes.map { [$0.name, $0.value] })
      case .create(let parent, let position, let content):
        let wrapped = CIBXML.serialize(CIBElement("w", children: [content]))
        return Operation(op: "create", path: parent.map(Self.key), position: position, xml: wrapped)
      case .delete(let parent, let key):
        return Operation(op: "delete", path: parent.map(Self.key), key: Self.key(key))
      case .move(let parent, let key, let position):
        return Operation(op: "move", path: parent.map(Self.key), key: Self.key(key), position: position)
      case .replaceRoot(let root):
        return Operation(op: "root", path: [], xml: CIBXML.serialize(root))
      }
    }
  }

  public var sourceVersion: CIBVersion? { Self.version(source) }
  public var targetVersion: CIBVersion? { Self.version(target) }

  public func diff() throws(DecodeError) -> CIBDiff {
    var ops: [CIBDiff.Operation] = []
    ops.reserveCapacity(operations.count)
    for o in operations {
      let path = try o.path.map(Self.nodeKey)
      switch o.op {
      case "attrs":
        guard let a = o.attributes, a.allSatisfy({ $0.count == 2 }) else { throw .malformed("attrs without pairs") }
        ops.append(.setAttributes(path: path, attributes: a.map { CIBAttribute(name: $0[0], value: $0[1]) }))
      case "create":
        guard let position = o.position, let xml = o.xml else { throw .malformed("create without position or content") }
        let wrapper = try Self.parse(xml)
        guard wrapper.name == "w", wrapper.children.count == 1 else { throw .malformed("create content is not one node") }
        ops.append(.create(parent: path, position: position, content: wrapper.children[0]))
      case "delete":
        guard let key = o.key else { throw .malformed("delete without key") }
        ops.append(.delete(parent: path, key: try Self.nodeKey(key)))
      case "move":
        guard let key = o.key, let position = o.position else { throw .malformed("move without key or position") }
        ops.append(.move(parent: path, key: try Self.nodeKey(key), position: position))
      case "root":
        guard let xml = o.xml else { throw .malformed("root without content") }
        ops.append(.replaceRoot(try Self.parse(xml)))
      default:
        throw .malformed("unknown operation \(o.op)")
      }
    }
    return CIBDiff(source: sourceVersion, target: targetVersion, operations: ops)
  }

  static func key(_ k: CIBDiff.NodeKey) -> Key { Key(k: k.kind.rawValue, n: k.name, i: k.id, o: k.ordinal) }

  static func nodeKey(_ k: Key) throws(DecodeError) -> CIBDiff.NodeKey {
    guard let kind = CIBDiff.NodeKey.Kind(rawValue: k.k), k.o >= 0 else { throw .malformed("bad key \(k.n)") }
    return CIBDiff.NodeKey(kind: kind, name: k.n, id: k.i, ordinal: k.o)
  }

  static func parse(_ xml: String) throws(DecodeError) -> CIBElement {
    do { return try CIBXML.parse(xml) } catch { throw .malformed("content does not parse: \(error)") }
  }

  static func version(_ v: [UInt64]) -> CIBVersion? {
    v.count == 3 ? CIBVersion(adminEpoch: v[0], epoch: v[1], numUpdates: v[2]) : nil
  }
}
