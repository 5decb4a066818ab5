/// The `status` section: what each node reported (membership, attributes, operation history) and
/// ticket states. Written by the controller, read by the scheduler.
public struct CIBStatus: Equatable, Sendable {
  public var nodeStates: [NodeState]
  public var tickets: [TicketState]
  public var source: CIBElement

  public init(decoding e: CIBElement) {
    source = e
    nodeStates = e.decodeChildren(named: "node_state", NodeState.init(decoding:))
    tickets = e.firstElement(named: "tickets")?.decodeChildren(named: "ticket_state", TicketState.init(decoding:)) ?? []
  }

  public func encoded() -> CIBElement {
    var e = source
    e.mergeChildren([ChildSlots("node_state", nodeStates.map { $0.encoded() })])
    let t = tickets.map { $0.encoded() }
    e.updateChild(named: "tickets", create: !t.isEmpty) { $0.mergeChildren([ChildSlots("ticket_state", t)]) }
    return e
  }
}

/// A `ticket_state`: whether a ticket is granted (and standby) as the cluster last knew it.
public struct TicketState: Equatable, Sendable {
  public var id: TicketID
  public var granted: String?
  public var standby: String?
  public var lastGranted: String?
  public var source: CIBElement

  static let attributes = AttributeMap<TicketState>([
    .text("granted", \.granted), .text("standby", \.standby), .text("last-granted", \.lastGranted),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = TicketID(e[attribute: "id"] ?? "")
    Self.attributes.read(e, into: &self)
  }

  public var isGranted: Bool { parseBoolean(granted) ?? false }
  public var isStandby: Bool { parseBoolean(standby) ?? false }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    Self.attributes.write(self, into: &e)
    return e
  }
}

/// A `node_state`: one node's membership as the controller saw it, its transient attributes (fail
/// counts, promotion scores...) and its resource operation history.
public struct NodeState: Equatable, Sendable {
  public var id: NodeUUID
  public var uname: NodeName?
  /// `in_ccm`: "true"/"false", or since 2.1.? a timestamp of joining the membership.
  public var inCCM: String?
  /// `crmd`: "online"/"offline", or a timestamp of the controller joining.
  public var crmd: String?
  /// `join`: down, pending, member, banned.
  public var join: String?
  /// `expected`: down, pending, member (what the DC expects).
  public var expected: String?
  public var crmDebugOrigin: String?
  public var shutdown: String?
  public var clearShutdown: String?
  public var remoteNode: String?
  public var nodeFenced: String?
  public var nodeInMaintenance: String?
  public var ha: String?
  /// The `transient_attributes` element's id (usually the node id), nil when absent.
  public var transientAttributesID: String?
  /// The instance_attributes sets inside `transient_attributes`.
  public var transientAttributes: [AttributeSet]
  /// lrm > lrm_resources > lrm_resource, in document order.
  public var lrmResources: [LRMResource]
  public var source: CIBElement

  public init(id: NodeUUID, uname: NodeName) {
    self.init(decoding: CIBElement("node_state"))
    self.id = id
    self.uname = uname
  }

  static let attributes = AttributeMap<NodeState>([
    .text("uname", \.uname), .text("in_ccm", \.inCCM), .text("crmd", \.crmd), .text("join", \.join),
    .text("expected", \.expected), .text("crm-debug-origin", \.crmDebugOrigin), .text("shutdown", \.shutdown),
    .text("clear_shutdown", \.clearShutdown), .text("remote_node", \.remoteNode), .text("node_fenced", \.nodeFenced),
    .text("node_in_maintenance", \.nodeInMaintenance), .text("ha", \.ha),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = NodeUUID(e[attribute: "id"] ?? "")
    let transient = e.firstElement(named: "transient_attributes")
    transientAttributesID = transient?[attribute: "id"]
    transientAttributes = transient?.decodeChildren(named: "instance_attributes", AttributeSet.init(decoding:)) ?? []
    lrmResources =
      e.firstElement(named: "lrm")?.firstElement(named: "lrm_resources")?
      .decodeChildren(named: "lrm_resource", LRMResource.init(decoding:)) ?? []
    Self.attributes.read(e, into: &self)
  }

  /// The first transient attribute `name` across the sets.
  public func transientAttribute(_ name: String) -> String? {
    for set in transientAttributes { if let v = set[name] { return v } }
    return nil
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    Self.attributes.write(self, into: &e)
    let sets = transientAttributes.map { $0.encoded() }
    e.updateChild(named: "transient_attributes", create: !sets.isEmpty, id: transientAttributesID ?? id.rawValue) {
      $0.write("id", transientAttributesID ?? $0[attribute: "id"])
      $0.mergeChildren([ChildSlots("instance_attributes", sets)])
    }
    let resources = lrmResources.map { $0.encoded() }
    e.updateChild(named: "lrm", create: !resources.isEmpty, id: id.rawValue) { lrm in
      lrm.updateChild(named: "lrm_resources", create: !resources.isEmpty) {
        $0.mergeChildren([ChildSlots("lrm_resource", resources)])
      }
    }
    return e
  }
}

/// An `lrm_resource`: the operation history of one resource on one node.
public struct LRMResource: Equatable, Sendable {
  public var id: ResourceID
  public var resourceClass: String?
  public var provider: String?
  public var type: String?
  public var container: String?
  public var operations: [LRMResourceOperation]
  public var source: CIBElement

  public init(id: ResourceID, resourceClass: String?, provider: String?, type: String?) {
    self.init(decoding: CIBElement("lrm_resource"))
    self.id = id
    self.resourceClass = resourceClass
    self.provider = provider
    self.type = type
  }

  static let attributes = AttributeMap<LRMResource>([
    .text("class", \.resourceClass), .text("provider", \.provider), .text("type", \.type),
    .text("container", \.container),
  ])

  public init(decoding e: CIBElement) {
    source = e
    id = ResourceID(e[attribute: "id"] ?? "")
    operations = e.decodeChildren(named: "lrm_rsc_op", LRMResourceOperation.init(decoding:))
    Self.attributes.read(e, into: &self)
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    Self.attributes.write(self, into: &e)
    e.mergeChildren([ChildSlots("lrm_rsc_op", operations.map { $0.encoded() })])
    return e
  }
}

/// An `lrm_rsc_op`: one recorded operation result (the last of its kind, the last failure, or a
/// recurring monitor). The most numerous element of a large CIB, so it is a typed view over its element:
/// decoding is free, every attribute is read from (and written to) the element, and encoding returns it.
public struct LRMResourceOperation: Equatable, Sendable {
  public var source: CIBElement

  public init(id: String) {
    self.init(decoding: CIBElement("lrm_rsc_op", ["id": id]))
  }

  public init(decoding e: CIBElement) { source = e }

  public var id: String {
    get { source[attribute: "id"] ?? "" }
    set { source.writeRequired("id", newValue) }
  }
  public var operationKey: String? {
    get { source[attribute: "operation_key"] }
    set { source.write("operation_key", newValue) }
  }
  public var operation: String? {
    get { source[attribute: "operation"] }
    set { source.write("operation", newValue) }
  }
  public var crmDebugOrigin: String? {
    get { source[attribute: "crm-debug-origin"] }
    set { source.write("crm-debug-origin", newValue) }
  }
  /// `crm_feature_set` (written with an underscore on lrm_rsc_op).
  public var crmFeatureSet: String? {
    get { source[attribute: "crm_feature_set"] }
    set { source.write("crm_feature_set", newValue) }
  }
  public var transitionKey: String? {
    get { source[attribute: "transition-key"] }
    set { source.write("transition-key", newValue) }
  }
  public var transitionMagic: String? {
    get { source[attribute: "transition-magic"] }
    set { source.write("transition-magic", newValue) }
  }
  public var exitReason: String? {
    get { source[attribute: "exit-reason"] }
    set { source.write("exit-reason", newValue) }
  }
  public var onNode: String? {
    get { source[attribute: "on_node"] }
    set { source.write("on_node", newValue) }
  }
  public var callID: String? {
    get { source[attribute: "call-id"] }
    set { source.write("call-id", newValue) }
  }
  public var rcCode: String? {
    get { source[attribute: "rc-code"] }
    set { source.write("rc-code", newValue) }
  }
  public var opStatus: String? {
    get { source[attribute: "op-status"] }
    set { source.write("op-status", newValue) }
  }
  public var interval: String? {
    get { source[attribute: "interval"] }
    set { source.write("interval", newValue) }
  }
  public var lastRCChange: String? {
    get { source[attribute: "last-rc-change"] }
    set { source.write("last-rc-change", newValue) }
  }
  public var lastRun: String? {
    get { source[attribute: "last-run"] }
    set { source.write("last-run", newValue) }
  }
  public var execTime: String? {
    get { source[attribute: "exec-time"] }
    set { source.write("exec-time", newValue) }
  }
  public var queueTime: String? {
    get { source[attribute: "queue-time"] }
    set { source.write("queue-time", newValue) }
  }
  public var opDigest: String? {
    get { source[attribute: "op-digest"] }
    set { source.write("op-digest", newValue) }
  }
  public var opForceRestart: String? {
    get { source[attribute: "op-force-restart"] }
    set { source.write("op-force-restart", newValue) }
  }
  public var opRestartDigest: String? {
    get { source[attribute: "op-restart-digest"] }
    set { source.write("op-restart-digest", newValue) }
  }
  public var opSecureParams: String? {
    get { source[attribute: "op-secure-params"] }
    set { source.write("op-secure-params", newValue) }
  }
  public var opSecureDigest: String? {
    get { source[attribute: "op-secure-digest"] }
    set { source.write("op-secure-digest", newValue) }
  }
  public var migrateSource: String? {
    get { source[attribute: "migrate_source"] }
    set { source.write("migrate_source", newValue) }
  }
  public var migrateTarget: String? {
    get { source[attribute: "migrate_target"] }
    set { source.write("migrate_target", newValue) }
  }

  public var callIDValue: Int? { parseInteger(callID) }
  public var rcCodeValue: Int? { parseInteger(rcCode) }
  public var opStatusValue: Int? { parseInteger(opStatus) }
  /// The interval in ms: lrm_rsc_op records it as plain milliseconds.
  public var intervalMs: Milliseconds? {
    guard let interval else { return .zero }
    guard let v = Int64(interval.trimmingASCIISpaces), v >= 0 else { return nil }
    return Milliseconds(v)
  }
  /// Seconds since the epoch.
  public var lastRCChangeValue: Int? { parseInteger(lastRCChange) }
  public var lastRunValue: Int? { parseInteger(lastRun) }
  public var execTimeMs: Int? { parseInteger(execTime) }
  public var queueTimeMs: Int? { parseInteger(queueTime) }

  public func encoded() -> CIBElement { source }
}
