/// A cluster `node` in the configuration: its id, name, type and attributes (standby lives in
/// instance_attributes, capacity in utilization).
public struct Node: Equatable, Sendable {
  public var id: NodeUUID
  public var uname: NodeName
  /// `type`: member (default), remote, ping; old CIBs say "normal".
  public var type: String?
  public var description: String?
  public var scoreText: String?
  public var instanceAttributes: [AttributeSet]
  public var utilization: [AttributeSet]
  public var source: CIBElement

  public init(id: NodeUUID, uname: NodeName) {
    self.init(decoding: CIBElement("node"))
    self.id = id
    self.uname = uname
  }

  static let attributes = AttributeMap<Node>([
    .text("type", \.type), .text("description", \.description), .text("score", \.scoreText),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = NodeUUID(e[attribute: "id"] ?? "")
    uname = NodeName(e[attribute: "uname"] ?? "")
    instanceAttributes = e.decodeChildren(named: "instance_attributes", AttributeSet.init(decoding:))
    utilization = e.decodeChildren(named: "utilization", AttributeSet.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  /// The first instance attribute `name` across the node's sets, rules not evaluated.
  public func attribute(_ name: String) -> String? {
    for set in instanceAttributes { if let v = set[name] { return v } }
    return nil
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    e.writeRequired("uname", uname.rawValue)
    Self.attributes.write(self, into: &e)
    e.mergeChildren([
      ChildSlots("instance_attributes", instanceAttributes.map { $0.encoded() }),
      ChildSlots("utilization", utilization.map { $0.encoded() }),
    ])
    return e
  }
}

/// A `fencing-level`: at `index`, fence `target` (a node name, `target-pattern` regex or
/// `target-attribute`/`target-value`) with all of `devices` (comma-separated stonith resource ids).
public struct FencingLevel: Equatable, Sendable {
  public var id: String?
  public var target: String?
  public var targetPattern: String?
  public var targetAttribute: String?
  public var targetValue: String?
  public var index: String?
  public var devices: String?
  public var source: CIBElement

  static let attributes = AttributeMap<FencingLevel>([
    .text("id", \.id), .text("target", \.target), .text("target-pattern", \.targetPattern),
    .text("target-attribute", \.targetAttribute), .text("target-value", \.targetValue), .text("index", \.index),
    .text("devices", \.devices),
  ])

  public init(decoding e: CIBElement) {
    source = e
    Self.attributes.read(e, into: &self)
  }

  public var indexValue: Int? { parseInteger(index) }
  /// The device ids, in order.
  public var deviceIDs: [ResourceID] {
    (devices ?? "").split(separator: ",").map { ResourceID(String($0.trimmingCharacters())) }
  }

  public func encoded() -> CIBElement {
    var e = source
    Self.attributes.write(self, into: &e)
    return e
  }
}

extension Substring {
  func trimmingCharacters() -> Substring {
    var s = self
    while let f = s.first, f == " " { s.removeFirst() }
    while let l = s.last, l == " " { s.removeLast() }
    return s
  }
}

/// A `tag`: a name for a list of ids (`obj_ref`), usable where constraints name resources.
public struct Tag: Equatable, Sendable {
  public var id: String
  public var references: [String]
  public var source: CIBElement

  public init(decoding e: CIBElement) {
    source = e
    id = e[attribute: "id"] ?? ""
    references = e.decodeChildren(named: "obj_ref") { $0[attribute: "id"] ?? "" }
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id)
    let old = source.elements(named: "obj_ref")
    let refs = references.enumerated().map { i, r in
      if i < old.count, old[i][attribute: "id"] == r { return old[i] }
      return CIBElement("obj_ref", ["id": r])
    }
    e.mergeChildren([ChildSlots("obj_ref", refs)])
    return e
  }
}

/// An `alert`: an agent `path` run on cluster events, with its `recipient`s.
public struct Alert: Equatable, Sendable {
  public var id: String
  public var path: String?
  public var description: String?
  public var recipients: [Recipient]
  public var metaAttributes: [AttributeSet]
  public var instanceAttributes: [AttributeSet]
  public var source: CIBElement

  /// A `recipient` of an alert: `value` is passed to the agent (an address, a file...).
  public struct Recipient: Equatable, Sendable {
    public var id: String
    public var value: String?
    public var description: String?
    public var metaAttributes: [AttributeSet]
    public var instanceAttributes: [AttributeSet]
    public var source: CIBElement

    static let attributes = AttributeMap<Recipient>([
      .text("value", \.value), .text("description", \.description),
    ])

    public init(decoding e: CIBElement) {
      source = e
      id = e[attribute: "id"] ?? ""
      metaAttributes = e.decodeChildren(named: "meta_attributes", AttributeSet.init(decoding:))
      instanceAttributes = e.decodeChildren(named: "instance_attributes", AttributeSet.init(decoding:))
      Self.attributes.read(e, into: &self)
    }

    public func encoded() -> CIBElement {
      var e = source
      e.writeRequired("id", id)
      Self.attributes.write(self, into: &e)
      e.mergeChildren([
        ChildSlots("meta_attributes", metaAttributes.map { $0.encoded() }),
        ChildSlots("instance_attributes", instanceAttributes.map { $0.encoded() }),
      ])
      return e
    }
  }

  static let attributes = AttributeMap<Alert>([
    .text("path", \.path), .text("description", \.description),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = e[attribute: "id"] ?? ""
    recipients = e.decodeChildren(named: "recipient", Recipient.init(decoding:))
    metaAttributes = e.decodeChildren(named: "meta_attributes", AttributeSet.init(decoding:))
    instanceAttributes = e.decodeChildren(named: "instance_attributes", AttributeSet.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id)
    Self.attributes.write(self, into: &e)
    e.mergeChildren([
      ChildSlots("recipient", recipients.map { $0.encoded() }),
      ChildSlots("meta_attributes", metaAttributes.map { $0.encoded() }),
      ChildSlots("instance_attributes", instanceAttributes.map { $0.encoded() }),
    ])
    return e
  }
}
