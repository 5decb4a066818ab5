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

  public init(decoding e: CIBElement) {
    source = e
    id = TicketID(e[attribute: "id"] ?? "")
    granted = e[attribute: "granted"]
    standby = e[attribute: "standby"]
    lastGranted = e[attribute: "last-granted"]
  }

  public var isGranted: Bool { parseBoolean(granted) ?? false }
  public var isStandby: Bool { parseBoolean(standby) ?? false }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    e.write("granted", granted)
    e.write("standby", standby)
    e.write("last-granted", lastGranted)
    return e
  }
}

/// A `node_state`: one node's membership as the controller saw it, its transient attributes (fail
/// counts, promotion scores...) and its resource operation history.
public struct NodeState: Equatable, Sendable {
  public var id: NodeID
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

  public init(id: NodeID, uname: NodeName) {
    self.init(decoding: CIBElement("node_state"))
    self.id = id
    self.uname = uname
  }

  public init(decoding e: CIBElement) {
    source = e
    id = NodeID(e[attribute: "id"] ?? "")
    uname = e[attribute: "uname"].map { NodeName($0) }
    inCCM = e[attribute: "in_ccm"]
    crmd = e[attribute: "crmd"]
    join = e[attribute: "join"]
    expected = e[attribute: "expected"]
    crmDebugOrigin = e[attribute: "crm-debug-origin"]
    shutdown = e[attribute: "shutdown"]
    clearShutdown = e[attribute: "clear_shutdown"]
    remoteNode = e[attribute: "remote_node"]
    nodeFenced = e[attribute: "node_fenced"]
    nodeInMaintenance = e[attribute: "node_in_maintenance"]
    ha = e[attribute: "ha"]
    let transient = e.firstElement(named: "transient_attributes")
    transientAttributesID = transient?[attribute: "id"]
    transientAttributes = transient?.decodeChildren(named: "instance_attributes", AttributeSet.init(decoding:)) ?? []
    lrmResources =
      e.firstElement(named: "lrm")?.firstElement(named: "lrm_resources")?
      .decodeChildren(named: "lrm_resource", LRMResource.init(decoding:)) ?? []
  }

  /// The first transient attribute `name` across the sets.
  public func transientAttribute(_ name: String) -> String? {
    for set in transientAttributes { if let v = set[name] { return v } }
    return nil
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    e.write("uname", uname?.rawValue)
    e.write("in_ccm", inCCM)
    e.write("crmd", crmd)
    e.write("join", join)
    e.write("expected", expected)
    e.write("crm-debug-origin", crmDebugOrigin)
    e.write("shutdown", shutdown)
    e.write("clear_shutdown", clearShutdown)
    e.write("remote_node", remoteNode)
    e.write("node_fenced", nodeFenced)
    e.write("node_in_maintenance", nodeInMaintenance)
    e.write("ha", ha)
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

  public init(decoding e: CIBElement) {
    source = e
    id = ResourceID(e[attribute: "id"] ?? "")
    resourceClass = e[attribute: "class"]
    provider = e[attribute: "provider"]
    type = e[attribute: "type"]
    container = e[attribute: "container"]
    operations = e.decodeChildren(named: "lrm_rsc_op", LRMResourceOperation.init(decoding:))
  }

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id.rawValue)
    e.write("class", resourceClass)
    e.write("provider", provider)
    e.write("type", type)
    e.write("container", container)
    e.mergeChildren([ChildSlots("lrm_rsc_op", operations.map { $0.encoded() })])
    return e
  }
}

/// An `lrm_rsc_op`: one recorded operation result (the last of its kind, the last failure, or a
/// recurring monitor). Every attribute is kept as text; typed readings are computed.
public struct LRMResourceOperation: Equatable, Sendable {
  public var id: String
  public var operationKey: String?
  public var operation: String?
  public var crmDebugOrigin: String?
  /// `crm_feature_set` (written with an underscore on lrm_rsc_op).
  public var crmFeatureSet: String?
  public var transitionKey: String?
  public var transitionMagic: String?
  public var exitReason: String?
  public var onNode: String?
  public var callID: String?
  public var rcCode: String?
  public var opStatus: String?
  public var interval: String?
  public var lastRCChange: String?
  public var lastRun: String?
  public var execTime: String?
  public var queueTime: String?
  public var opDigest: String?
  public var opForceRestart: String?
  public var opRestartDigest: String?
  public var opSecureParams: String?
  public var opSecureDigest: String?
  public var migrateSource: String?
  public var migrateTarget: String?
  public var source: CIBElement

  public init(id: String) {
    self.init(decoding: CIBElement("lrm_rsc_op"))
    self.id = id
  }

  public init(decoding e: CIBElement) {
    source = e
    var id = "", operationKey: String?, operation: String?, crmDebugOrigin: String?
    var crmFeatureSet: String?, transitionKey: String?, transitionMagic: String?, exitReason: String?
    var onNode: String?, callID: String?, rcCode: String?, opStatus: String?, interval: String?
    var lastRCChange: String?, lastRun: String?, execTime: String?, queueTime: String?
    var opDigest: String?, opForceRestart: String?, opRestartDigest: String?
    var opSecureParams: String?, opSecureDigest: String?, migrateSource: String?, migrateTarget: String?
    // One pass over the attributes: this is the most numerous element of a large CIB.
    for a in e.attributes {
      switch a.name {
      case "id": id = a.value
      case "operation_key": operationKey = a.value
      case "operation": operation = a.value
      case "crm-debug-origin": crmDebugOrigin = a.value
      case "crm_feature_set": crmFeatureSet = a.value
      case "transition-key": transitionKey = a.value
      case "transition-magic": transitionMagic = a.value
      case "exit-reason": exitReason = a.value
      case "on_node": onNode = a.value
      case "call-id": callID = a.value
      case "rc-code": rcCode = a.value
      case "op-status": opStatus = a.value
      case "interval": interval = a.value
      case "last-rc-change": lastRCChange = a.value
      case "last-run": lastRun = a.value
      case "exec-time": execTime = a.value
      case "queue-time": queueTime = a.value
      case "op-digest": opDigest = a.value
      case "op-force-restart": opForceRestart = a.value
      case "op-restart-digest": opRestartDigest = a.value
      case "op-secure-params": opSecureParams = a.value
      case "op-secure-digest": opSecureDigest = a.value
      case "migrate_source": migrateSource = a.value
      case "migrate_target": migrateTarget = a.value
      default: break
      }
    }
    self.id = id
    self.operationKey = operationKey
    self.operation = operation
    self.crmDebugOrigin = crmDebugOrigin
    self.crmFeatureSet = crmFeatureSet
    self.transitionKey = transitionKey
    self.transitionMagic = transitionMagic
    self.exitReason = exitReason
    self.onNode = onNode
    self.callID = callID
    self.rcCode = rcCode
    self.opStatus = opStatus
    self.interval = interval
    self.lastRCChange = lastRCChange
    self.lastRun = lastRun
    self.execTime = execTime
    self.queueTime = queueTime
    self.opDigest = opDigest
    self.opForceRestart = opForceRestart
    self.opRestartDigest = opRestartDigest
    self.opSecureParams = opSecureParams
    self.opSecureDigest = opSecureDigest
    self.migrateSource = migrateSource
    self.migrateTarget = migrateTarget
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

  public func encoded() -> CIBElement {
    var e = source
    e.writeRequired("id", id)
    e.write("operation_key", operationKey)
    e.write("operation", operation)
    e.write("crm-debug-origin", crmDebugOrigin)
    e.write("crm_feature_set", crmFeatureSet)
    e.write("transition-key", transitionKey)
    e.write("transition-magic", transitionMagic)
    e.write("exit-reason", exitReason)
    e.write("on_node", onNode)
    e.write("call-id", callID)
    e.write("rc-code", rcCode)
    e.write("op-status", opStatus)
    e.write("interval", interval)
    e.write("last-rc-change", lastRCChange)
    e.write("last-run", lastRun)
    e.write("exec-time", execTime)
    e.write("queue-time", queueTime)
    e.write("op-digest", opDigest)
    e.write("op-force-restart", opForceRestart)
    e.write("op-restart-digest", opRestartDigest)
    e.write("op-secure-params", opSecureParams)
    e.write("op-secure-digest", opSecureDigest)
    e.write("migrate_source", migrateSource)
    e.write("migrate_target", migrateTarget)
    return e
  }
}
