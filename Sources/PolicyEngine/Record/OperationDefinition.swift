/// What the configuration says about one operation of one primitive: the agent, the parameters passed to it
/// and the timeout. The controller builds the LRM call and the history entry from it, so both use exactly the
/// parameters the scheduler hashes in its digest check.
public struct OperationDefinition: Sendable, Equatable {
  public var resource: String
  public var agentClass: String
  public var agentProvider: String?
  public var agentType: String
  public var task: String
  public var intervalMs: Int
  /// The primitive's instance attributes (no CRM_meta_*).
  public var parameters: [String: String]
  /// The op's timeout (its `timeout`, else op_defaults, else 20 s as Pacemaker's default).
  public var timeoutMs: Int
  /// The op's on-fail, when configured.
  public var onFail: String?

  /// Looks up `resource` ("rsc", or a clone instance "rsc:2") in the configuration; nil when it is not a
  /// configured primitive.
  public init?(input: SchedulerInput, resource: String, task: String, intervalMs: Int = 0) {
    guard let p = Self.primitive(input: input, resource: resource) else { return nil }
    self.resource = resource
    agentClass = p.agentClass
    agentProvider = p.agentProvider
    agentType = p.agentType
    self.task = task
    self.intervalMs = intervalMs
    parameters = p.instanceAttributes
    let op = p.operations.first { $0.name == task && $0.intervalMs == intervalMs }
    let timeoutText = op?.meta["timeout"] ?? input.opDefaults["timeout"]
    timeoutMs = timeoutText.flatMap(timeMs).flatMap { $0 > 0 ? $0 : nil } ?? 20_000
    onFail = op?.onFail
  }

  /// The recurring operations configured for this primitive (enabled, interval > 0), for `role` (nil = the
  /// ops without a role or with role Started/Slave/Unpromoted), sorted by interval then name.
  public static func recurringOperations(input: SchedulerInput, resource: String, promoted: Bool = false)
    -> [OperationDefinition] {
    guard let any = OperationDefinition(input: input, resource: resource, task: "monitor"),
          let p = primitive(input: input, resource: resource) else { return [] }
    let ops = p.operations.filter { op in
      guard op.enabled, op.intervalMs > 0 else { return false }
      let role = (op.role ?? "").lowercased()
      return promoted ? (role == "master" || role == "promoted") : (role != "master" && role != "promoted")
    }.sorted { ($0.intervalMs, $0.name) < ($1.intervalMs, $1.name) }
    return ops.compactMap { op in
      var d = OperationDefinition(input: input, resource: resource, task: op.name, intervalMs: op.intervalMs)
      if d == nil { d = any }
      return d
    }
  }

  /// The configured primitive behind a history id ("rsc", or a clone instance "rsc:2"), searched depth first.
  static func primitive(input: SchedulerInput, resource: String) -> ResourceConfig? {
    var base = resource
    if let colon = resource.lastIndex(of: ":"), Int(resource[resource.index(after: colon)...]) != nil {
      base = String(resource[..<colon])
    }
    func find(_ list: [ResourceConfig]) -> ResourceConfig? {
      for r in list {
        if r.variant == .primitive && r.id == base { return r }
        if let f = find(r.children) { return f }
      }
      return nil
    }
    return find(input.resources)
  }

  /// A history record of this operation's result.
  public func result(node: String, nodeID: String, callID: Int, rc: Int, status: ExecStatus = .done,
                     exitReason: String = "", transitionKey: TransitionKey?, at lastRCChange: Int64,
                     execTimeMs: Int = 0, queueTimeMs: Int = 0) -> RecordedOperation {
    RecordedOperation(
      resource: resource, agentClass: agentClass, agentProvider: agentProvider, agentType: agentType, task: task,
      intervalMs: intervalMs, node: node, nodeID: nodeID, callID: callID, rc: rc, status: status,
      exitReason: exitReason, transitionKey: transitionKey, lastRCChange: lastRCChange, execTimeMs: execTimeMs,
      queueTimeMs: queueTimeMs, parameters: parameters, timeoutMs: timeoutMs)
  }
}
