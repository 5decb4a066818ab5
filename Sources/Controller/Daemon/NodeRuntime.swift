import CIB
import Foundation
import LRM
import Logging
import Membership
import PolicyEngine

/// The shell of one node's `ControllerCore`: everything clusterd does with each input, touched only by the
/// daemon's event loop.
///
/// The decisions (DC election, transitions, the lease, fencing gating, recording results, the timeline) are the
/// core's; this shell feeds it facts and performs its effects: it runs actions on the local LRM (or sends them to
/// their node over the ordered broadcast), fences through the LRM's fencer, replicates and persists the DC's CIB,
/// runs alerts. Its own jobs are the ones the core does not own: CIB synchronization after a view change (hello,
/// then the newest CIB from whoever holds it), local control requests, and a graceful leave.
final class NodeRuntime {
  let options: DaemonOptions
  let config: CorosyncConfig
  let me: Membership.NodeID
  let myName: String
  let logger: Logger
  let executor: LocalExecutor<ContinuousClock>
  let enqueue: @Sendable (DaemonInput) -> Void
  var backend: (any MembershipBackend)?
  let persister: CIBPersister
  let clock = ContinuousClock()
  let origin: ContinuousClock.Instant
  /// The membership's failure timeout (corosync's token).
  let tokenMs: Int64
  var core: ControllerCore
  let effectsHandler: EffectsHandler
  /// The watchdog device and its feeding decision (NodeRuntime+Watchdog.swift); set by ClusterdService.
  var watchdog: WatchdogShell?

  // View and CIB synchronization.
  var view: View?
  var viewInstalledAtMs: Int64 = 0
  var quorate = false
  var synced = false
  var hellos: [UInt32: CIBVersion] = [:]
  var assembler = WireFraming.Assembler()
  var messageNumber: UInt64 = 0
  /// What the core was last told about membership.
  var fedMembers: [UInt32]?
  var fedQuorate = false
  var shuttingDownNodes: Set<UInt32> = []
  /// The version of the CIB this node last broadcast as DC.
  var broadcastVersion: CIBVersion?

  // The local LRM.
  /// Requests waiting for their LRM report, oldest first per key: two DCs (the old one's last transition and the new
  /// one's first) may ask for the same one-shot (a probe) before either is answered, and each needs its answer.
  var pendingOps: [OperationKey: [ActionRequest]] = [:]
  /// Resources this node's LRM runs (start or probe succeeded, no stop since), with the request that started them,
  /// in start order: what a leaving node stops when no DC can move them.
  var localActive: [(resource: String, request: ActionRequest)] = []
  var timersAsked: Set<Int64> = []
  /// Requests to the LRM, in the order this loop made them: one task hands them over one by one (a task per request
  /// could reorder them, and the LRM's per-resource order is what makes a probe see an earlier stop's result).
  let lrmRequests: AsyncStream<LRMRequest>.Continuation
  let lrmRequestsMax = 10_000
  enum LRMRequest: Sendable {
    case run(AgentCall)
    case cancel(OperationKey)
  }

  // Control.
  var nextRequestID: UInt64 = 1
  var pendingReplies: [UInt64: (reply: @Sendable (ControlResponse) -> Void, deadline: ContinuousClock.Instant)] = [:]
  static let pendingRepliesMax = 256
  static let requestTimeout = Duration.seconds(30)
  var deferred: [(request: ControlRequest, reply: @Sendable (ControlResponse) -> Void, deadline: ContinuousClock.Instant)] = []
  static let deferredMax = 64

  // Shutdown.
  var shutdownDeadline: ContinuousClock.Instant?
  var leaveWhenStopped = false
  var finished = false

  init(
    options: DaemonOptions, config: CorosyncConfig, me: NodeEntry, logger: Logger,
    executor: LocalExecutor<ContinuousClock>, effectsHandler: EffectsHandler,
    enqueue: @escaping @Sendable (DaemonInput) -> Void
  ) throws {
    self.options = options
    self.config = config
    self.me = me.nodeID
    self.myName = me.displayName
    self.logger = logger
    self.executor = executor
    self.effectsHandler = effectsHandler
    self.enqueue = enqueue
    self.origin = clock.now
    let (requests, continuation) = AsyncStream<LRMRequest>.makeStream(bufferingPolicy: .bufferingOldest(lrmRequestsMax))
    self.lrmRequests = continuation
    Task { [executor] in
      for await r in requests {
        switch r {
        case .run(let call): await executor.request(call)
        case .cancel(let key): await executor.cancel(key)
        }
      }
    }
    let store = CIBStore(directory: options.stateDir + "/cib")
    self.persister = CIBPersister(store: store, logger: logger)
    let token = Int64(config.totem.tokenMs ?? 400)
    self.tokenMs = token
    var cib: CIBElement
    do {
      if let loaded = try store.load() {
        cib = loaded.root
        for w in loaded.warnings { logger.warning("\(w)") }
      } else {
        cib = NodeRuntime.emptyCIB()
      }
    } catch {
      throw DaemonError.state("cannot read the CIB in \(options.stateDir)/cib: \(error)")
    }
    NodeRuntime.ensureNodesAndProperties(&cib, config: config)
    let lease = options.leaseMs.map { LeaseTiming(leaseMs: Int64($0)) } ?? .forToken(token)
    var cc = ControllerConfig(
      localNode: ControllerNode(id: me.nodeID.rawValue, name: me.displayName),
      controllerUUID: UUID().uuidString.lowercased(), lease: lease)
    cc.dcVersion = "2.1.5-vigil"
    cc.watchdog = options.watchdogDevice == nil ? nil : WatchdogTiming(timeoutS: options.watchdogTimeoutS, tokenMs: token)
    self.core = ControllerCore(config: cc, cib: cib)
  }

  static func emptyCIB() -> CIBElement {
    CIBElement(
      "cib",
      [
        "admin_epoch": "0", "epoch": "0", "num_updates": "0", "validate-with": "pacemaker-3.1",
        "crm_feature_set": "3.16.2",
      ],
      children: [
        CIBElement(
          "configuration", [:],
          children: [
            CIBElement("crm_config"), CIBElement("nodes"), CIBElement("resources"), CIBElement("constraints"),
          ]),
        CIBElement("status"),
      ])
  }

  func name(of id: UInt32) -> String { config.node(Membership.NodeID(id))?.displayName ?? String(id) }
  func node(_ id: UInt32) -> ControllerNode { ControllerNode(id: id, name: name(of: id)) }
  var cib: CIBElement { core.cib }
  var version: CIBVersion { (try? CIBVersion(of: core.cib)) ?? CIBVersion() }
  var members: [Membership.NodeID] { view?.nodeIDs.sorted() ?? [] }
  func nowMs() -> Int64 { Int64((clock.now - origin) / .milliseconds(1)) }
  func nowS() -> Int64 { Int64(Date().timeIntervalSince1970) }
  func now() -> ControllerTime { ControllerTime(monotonicMs: nowMs(), wallSeconds: nowS()) }

  // MARK: inputs

  func handle(_ input: DaemonInput) async {
    watchdogTurn()
    switch input {
    case .membership(let event): membership(event)
    case .lrm(let report): lrmReport(report)
    case .control(let request, let reply): await control(request, reply: reply)
    case .tick:
      tick()
      if synced && core.dc != nil && !deferred.isEmpty { await replayDeferred() }
    case .timer(let atMs):
      timersAsked.remove(atMs)
      feed(.tick(now()))
    case .fenced(let node, let success):
      feed(.fencingCompleted(node: node, success: success, at: now()))
    case .shutdownRequested: beginShutdown()
    case .stopOrphans: stopOrphans()
    }
    broadcastCIBIfNewer()
  }

  /// Hands one fact to the core and performs what it asks, in order.
  func feed(_ input: ControllerInput) {
    let wasDC = core.isDC
    let effects = core.handle(input)
    perform(effects)
    if core.isDC && !wasDC { tookOverAsDC() }
  }

  func perform(_ effects: [ControllerEffect]) {
    for effect in effects {
      switch effect {
      case .execute(let request):
        logger.info("execute \(request.operationKey) on \(request.node.name) (\(request.transitionKey))")
        if request.node.id == me.rawValue { runLocally(request) } else { send(.execute(WireRequest(request))) }
      case .cancel(let node, let resource, let task, let intervalMs):
        if node.id == me.rawValue {
          cancelLocally(resource: resource, task: task, intervalMs: intervalMs)
        } else {
          send(.cancel(node: node.id, resource: resource, task: task, intervalMs: intervalMs))
        }
      case .fence(let node, let action):
        logger.warning("fencing \(node.name) (\(action))")
        effectsHandler.fence(node: node.name, action: action, cib: core.cib)
      case .updateCIB:
        broadcastCIB()
      case .scheduleTimer(let atMs):
        guard timersAsked.insert(atMs).inserted else { break }
        let delayMs = max(0, atMs - nowMs())
        let enqueue = self.enqueue
        Task {
          try? await Task.sleep(for: .milliseconds(delayMs))
          enqueue(.timer(atMs: atMs))
        }
      case .dcChanged(let dc):
        logger.info("DC is now \(dc?.name ?? "none")")
      case .transitionStarted(let id, let actions):
        logger.info("transition \(id) started with \(actions) action(s)")
      case .transitionComplete(let id, let aborted):
        logger.info("transition \(id) \(aborted ? "aborted" : "complete")")
      case .leaseExpired(let resources):
        logger.critical("the lease ran out with \(resources.joined(separator: " ")) still stopping: they may run on both sides")
      case .shutdownNode(let node):
        send(.shutdownReady(node: node.id))
      }
    }
  }

  /// Stops what this node's previous life left running (see `ControllerCore.orphanStops`), before it joins.
  func stopOrphans() {
    let stops = core.orphanStops(at: now())
    guard !stops.isEmpty else { return }
    logger.notice("stopping what this node ran before it restarted: \(stops.count) resource(s)")
    perform(stops)
  }

  /// The core just became DC: nodes that announced their shutdown are asked again (the old DC may have died).
  func tookOverAsDC() {
    for id in shuttingDownNodes.sorted() where members.contains(Membership.NodeID(id)) {
      perform(core.requestShutdown(of: node(id), at: now()))
    }
  }

  func send(_ message: ClusterMessage) {
    messageNumber += 1
    let payloads = WireFraming.encode(message, number: messageNumber)
    for p in payloads { backend?.broadcast(p) }
  }

  /// The DC replicates and persists its CIB (the core stamped the versions).
  func broadcastCIB() {
    guard core.isDC, synced else { return }
    let v = version
    guard v != broadcastVersion else { return }
    broadcastVersion = v
    send(.cib(xml: CIBXML.serialize(core.cib), sync: false, viewEpoch: view?.id.epoch ?? 0))
    persist()
  }

  func broadcastCIBIfNewer() {
    if core.isDC && synced { broadcastCIB() }
  }

  func persist() {
    let snapshot = core.cib
    let p = persister
    Task {
      await p.offer(snapshot)
      await p.flush()
    }
  }

  // MARK: membership

  func membership(_ event: MembershipEvent) {
    switch event {
    case .viewInstalled(let v):
      view = v
      viewInstalledAtMs = nowMs()
      synced = false
      hellos = [:]
      assembler.forget(except: Set(v.members.map(\.description)))
      let vv = version
      send(
        .hello(
          node: me.rawValue, adminEpoch: vv.adminEpoch, epoch: vv.epoch, numUpdates: vv.numUpdates,
          shuttingDown: shutdownDeadline != nil))
      // Without quorum the core must hear of it now (it stops what runs here): no synchronization first.
      if !quorate { feedMembership(newestCIB: nil) }
    case .quorumChanged(let status):
      quorate = status.quorate
      if !quorate || synced { feedMembership(newestCIB: nil) }
    case .delivered(let d):
      switch assembler.add(d.payload, sender: d.sender.description) {
      case .message(let m): deliver(m, sender: d.sender.id, inView: d.view == view?.id)
      case .incomplete: break
      case .dropped(let reason): logger.warning("dropped a message from \(d.sender): \(reason)")
      }
    case .broadcastRejected(let reason):
      logger.error("broadcast rejected: \(reason)")
    case .left:
      break
    }
  }

  /// Tells the core the current view, if it changed since it was last told.
  ///
  /// Last heard: the membership drops a peer once it has not heard it for the token timeout T (or the peer
  /// stopped hearing this side), so a peer lost from a view installed at V was last heard at most V - T; the
  /// core's lease counts from there (docs/ARCHITECTURE.md, "clusterd: when a node was last heard").
  func feedMembership(newestCIB: CIBElement?) {
    guard let view else { return }
    let ids = view.nodeIDs.map(\.rawValue).sorted()
    guard newestCIB != nil || ids != fedMembers || quorate != fedQuorate else { return }
    let lostIDs = (fedMembers ?? []).filter { !ids.contains($0) }
    let left = lostIDs.filter { shuttingDownNodes.contains($0) }
    var heard: [UInt32: Int64] = [:]
    for id in lostIDs where !left.contains(id) { heard[id] = min(nowMs(), viewInstalledAtMs - tokenMs) }
    let joinedIDs = fedMembers.map { old in ids.filter { !old.contains($0) } } ?? []
    fedMembers = ids
    fedQuorate = quorate
    if !lostIDs.isEmpty { logger.info("lost \(lostIDs.map { name(of: $0) }.joined(separator: " ")), left \(left.map { name(of: $0) })") }
    feed(.membershipChanged(
      members: ids.map { node($0) }, quorate: quorate, left: left, lastHeardMs: heard, cib: newestCIB, at: now()))
    if core.isDC {
      for id in lostIDs { effectsHandler.alertNode(name: name(of: id), id: id, state: "lost", cib: core.cib) }
      for id in joinedIDs { effectsHandler.alertNode(name: name(of: id), id: id, state: "member", cib: core.cib) }
    }
  }

  func deliver(_ m: ClusterMessage, sender: Membership.NodeID, inView: Bool) {
    switch m {
    case .hello(let node, let a, let e, let n, let down):
      guard inView, let view else { return }
      hellos[node] = CIBVersion(adminEpoch: a, epoch: e, numUpdates: n)
      if down { shuttingDownNodes.insert(node) } else { shuttingDownNodes.remove(node) }
      if view.nodeIDs.allSatisfy({ hellos[$0.rawValue] != nil }) {
        // The holder of the newest CIB (ties: lowest id) sends it to everyone.
        let best = hellos.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.first!.key
        if best == me.rawValue { send(.cib(xml: CIBXML.serialize(core.cib), sync: true, viewEpoch: view.id.epoch)) }
      }
    case .cib(let xml, let sync, let epoch):
      if sync {
        guard inView, epoch == view?.id.epoch, !synced else { return }
        var newest: CIBElement?
        if sender != me, let parsed = parse(xml), parsed != core.cib {
          newest = parsed
        }
        synced = true
        broadcastVersion = nil
        feedMembership(newestCIB: newest)
        if newest != nil { persist() }
      } else {
        guard sender != me, sender.rawValue == core.dc?.id, let parsed = parse(xml) else { return }
        feed(.cibReplaced(parsed, at: now()))
        persist()
      }
    case .replaceRequest(let origin, let id, let xml, let baseAdmin, let baseEpoch):
      guard core.isDC else { return }
      let error = applyReplace(origin: origin, xml: xml, baseAdminEpoch: baseAdmin, baseEpoch: baseEpoch)
      broadcastCIBIfNewer()
      send(.replaceDone(origin: origin, requestID: id, error: error))
    case .cleanupRequest(let origin, let id, let resource, let node, let refresh):
      guard core.isDC else { return }
      var error: String?
      if let node, !config.nodes.contains(where: { $0.displayName == node }) { error = "Unable to find a node: \(node)" }
      if error == nil {
        let next = refresh
          ? PolicyEngine.StatusRecorder.refresh(resource: resource, node: node, in: core.cib)
          : PolicyEngine.StatusRecorder.cleanup(resource: resource, node: node, in: core.cib)
        if next != core.cib { feed(.cibReplaced(next, at: now())) }
      }
      broadcastCIBIfNewer()
      send(.replaceDone(origin: origin, requestID: id, error: error))
    case .replaceDone(let origin, let id, let error):
      guard origin == me.rawValue, let pending = pendingReplies.removeValue(forKey: id) else { return }
      pending.reply(ControlResponse(error: error))
    case .execute(let wire):
      guard wire.nodeID == me.rawValue else { return }
      guard let request = wire.request else {
        logger.error("an execute request with a bad transition key: \(wire.transitionKey)")
        return
      }
      runLocally(request)
    case .cancel(let node, let resource, let task, let interval):
      guard node == me.rawValue else { return }
      cancelLocally(resource: resource, task: task, intervalMs: interval)
    case .result(let wire):
      if core.isDC {
        logger.info("result \(wire.resource)_\(wire.task)_\(wire.intervalMs) on \(wire.node): rc=\(wire.rc) op-status=\(wire.opStatus)\(wire.exitReason.isEmpty ? "" : " " + wire.exitReason)")
      }
      feed(.operationCompleted(wire.completion, at: now()))
    case .shuttingDown(let node):
      shuttingDownNodes.insert(node)
      if core.isDC { perform(core.requestShutdown(of: self.node(node), at: now())) }
    case .stopRequest(let nodes):
      if nodes.isEmpty || nodes.contains(me.rawValue) { beginShutdown() }
    case .shutdownReady(let node):
      guard node == me.rawValue, shutdownDeadline != nil else { return }
      finishShutdown()
    }
  }

  func parse(_ xml: String) -> CIBElement? {
    do { return try CIBXML.parse(xml) } catch {
      logger.error("received a CIB that does not parse: \(error)")
      return nil
    }
  }

  /// The nodelist and the cluster's name in the CIB (each node writes them into its own copy at start; every
  /// node writes the same, so the copies agree).
  static func ensureNodesAndProperties(_ cib: inout CIBElement, config: CorosyncConfig) {
    guard let ci = cib.childIndex(named: "configuration"), case .element(var conf) = cib.children[ci] else { return }
    var nodes = conf.firstElement(named: "nodes") ?? CIBElement("nodes")
    for n in config.nodes {
      let id = String(n.nodeID.rawValue)
      if !nodes.elements.contains(where: { $0.id == id }) {
        nodes.append(CIBElement("node", ["id": id, "uname": n.displayName]))
      }
    }
    StatusTree.replaceOrAppend(&conf, nodes)
    var crm = conf.firstElement(named: "crm_config") ?? CIBElement("crm_config")
    var set = crm.elements.first { $0.id == "cib-bootstrap-options" }
      ?? CIBElement("cluster_property_set", ["id": "cib-bootstrap-options"])
    let wanted: [(String, String)] = [
      ("have-watchdog", "false"), ("cluster-name", config.totem.clusterName ?? "vigil"),
    ]
    for (k, v) in wanted where !set.children.contains(where: {
      if case .element(let e) = $0 { e[attribute: "name"] == k } else { false }
    }) {
      set.append(CIBElement("nvpair", ["id": "cib-bootstrap-options-\(k)", "name": k, "value": v]))
    }
    StatusTree.replaceOrAppend(&crm, set)
    StatusTree.replaceOrAppend(&conf, crm)
    cib.children[ci] = .element(conf)
  }

  /// ctime(3)'s layout, as crm_mon prints "Last change".
  static func ctime(_ seconds: Int64) -> String {
    var t = time_t(seconds)
    var tm = tm()
    localtime_r(&t, &tm)
    var buffer = [Int8](repeating: 0, count: 64)
    let n = strftime(&buffer, buffer.count, "%a %b %e %H:%M:%S %Y", &tm)
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// A configuration replacement from pcs/cibadmin (on the DC): checked, then handed to the core as a CIB edit.
  func applyReplace(origin: UInt32, xml: String, baseAdminEpoch: UInt64, baseEpoch: UInt64) -> String? {
    let proposed: CIBElement
    do { proposed = try CIBXML.parse(xml) } catch { return "the new CIB is not valid XML: \(error)" }
    guard proposed.name == "cib", let newConf = proposed.firstElement(named: "configuration") else {
      return "the new CIB has no <cib><configuration> element"
    }
    let v = version
    guard v.adminEpoch == baseAdminEpoch && v.epoch == baseEpoch else {
      return "the CIB changed while this command ran (epoch \(baseAdminEpoch).\(baseEpoch), now \(v.adminEpoch).\(v.epoch)); nothing was changed, run the command again"
    }
    var next = core.cib
    guard let ci = next.childIndex(named: "configuration") else { return "the live CIB has no configuration" }
    next.children[ci] = .element(newConf)
    if next == core.cib { return nil }
    next[attribute: "cib-last-written"] = Self.ctime(nowS())
    next[attribute: "update-origin"] = name(of: origin)
    next[attribute: "update-client"] = "cibadmin"
    next[attribute: "update-user"] = "root"
    do { _ = try CIBReader.read(next, now: nowS()) } catch { return "the new CIB cannot be scheduled: \(error)" }
    feed(.cibReplaced(next, at: now()))
    return nil
  }

  // MARK: the local LRM

  func runLocally(_ request: ActionRequest) {
    let agentText = [request.agentClass, request.agentProvider, request.agentType].compactMap { $0 }
      .filter { !$0.isEmpty }.joined(separator: ":")
    guard let agent = try? ResourceAgentName.parse(agentText), let verb = AgentAction(rawValue: request.task) else {
      report(OperationCompletion(request, rc: 3, status: .error, exitReason: "unknown agent \(agentText) or action \(request.task)"))
      return
    }
    var call = AgentCall(
      resource: request.resource, agent: agent, action: verb,
      parameters: request.parameters.sorted { $0.key < $1.key }.map { AgentCall.Parameter($0.key, $0.value) },
      meta: [AgentCall.Parameter("on_node", myName)],
      interval: .milliseconds(request.intervalMs), timeout: .milliseconds(max(1, request.timeoutMs)))
    call.meta.sort { $0.name < $1.name }
    let key = OperationKey(call)
    if request.intervalMs > 0 { pendingOps[key] = [request] } else { pendingOps[key, default: []].append(request) }
    if case .dropped = lrmRequests.yield(.run(call)) { logger.error("LRM request queue full: \(key) dropped") }
  }

  func cancelLocally(resource: String, task: String, intervalMs: Int) {
    guard let verb = AgentAction(rawValue: task) else { return }
    let key = OperationKey(resource: resource, action: verb, interval: .milliseconds(intervalMs))
    pendingOps[key] = nil
    if case .dropped = lrmRequests.yield(.cancel(key)) { logger.error("LRM request queue full: cancel of \(key) dropped") }
  }

  func lrmReport(_ r: OperationReport) {
    let key = r.key
    guard let request = pendingOps[key]?.first else { return }
    if case .cancelled = r.result.status { return }
    if key.intervalMs == 0 {
      pendingOps[key]!.removeFirst()
      if pendingOps[key]!.isEmpty { pendingOps[key] = nil }
    }
    let status: ExecStatus
    switch r.result.status {
    case .done: status = .done
    case .timedOut: status = .timeout
    case .notInstalled: status = .notInstalled
    case .signaled, .spawnFailed: status = .error
    case .cancelled: status = .cancelled
    case .pending: status = .pending
    }
    let ms = Int(r.result.runtime / .milliseconds(1))
    effectsHandler.alertResource(
      ResourceOperationAlert(node: myName, call: r.call, result: r.result, targetRC: Int32(request.transitionKey.targetRC)),
      cib: core.cib)
    report(OperationCompletion(request, rc: Int(r.result.ocf.exitCode), status: status,
                               exitReason: r.result.exitReason ?? "", execTimeMs: ms))
  }

  /// A local result: noted for a graceful leave, then broadcast to every core of the partition.
  func report(_ c: OperationCompletion) {
    let ok = c.status == .done && (c.rc == 0 || c.rc == 8)
    if ok && ["start", "promote", "migrate_from"].contains(c.task) || ok && c.task == "monitor" && c.intervalMs == 0 {
      if !localActive.contains(where: { $0.resource == c.resource }), let req = requestFor(c) {
        localActive.append((c.resource, req))
      }
    } else if c.task == "stop" && c.status == .done && c.rc == 0 {
      localActive.removeAll { $0.resource == c.resource }
    }
    send(.result(WireCompletion(c)))
  }

  func requestFor(_ c: OperationCompletion) -> ActionRequest? {
    guard let input = try? CIBReader.read(core.cib, now: nowS()),
          let def = OperationDefinition(input: input, resource: c.resource, task: "stop", intervalMs: 0) else { return nil }
    return ActionRequest(
      node: node(me.rawValue), resource: c.resource, agentClass: def.agentClass, agentProvider: def.agentProvider,
      agentType: def.agentType, task: "stop", intervalMs: 0, parameters: def.parameters, timeoutMs: def.timeoutMs,
      transitionKey: TransitionKey(actionID: 0, transitionID: -1, targetRC: 0, uuid: core.config.controllerUUID))
  }

  /// Stops every resource this node runs, newest first, without a DC (a leave no DC could arrange).
  func stopAllLocal() {
    for entry in localActive.reversed() {
      for key in pendingOps.keys.sorted() where key.resource == entry.resource && key.intervalMs > 0 {
        cancelLocally(resource: key.resource, task: key.action.rawValue, intervalMs: Int(key.intervalMs))
      }
      runLocally(entry.request)
    }
  }

  // MARK: shutdown

  func beginShutdown() {
    guard shutdownDeadline == nil else { return }
    shutdownDeadline = clock.now + .seconds(30)
    shuttingDownNodes.insert(me.rawValue)
    if synced && quorate && members.count > 1 {
      send(.shuttingDown(node: me.rawValue))
    } else {
      stopAllLocal()
      shutdownDeadline = clock.now + .seconds(10)
      leaveWhenStopped = true
    }
  }

  func finishShutdown() {
    stopAllLocal()
    leaveWhenStopped = true
  }

  // MARK: ticks

  func tick() {
    let now = clock.now
    let expired = deferred.filter { $0.deadline < now }
    deferred.removeAll { $0.deadline < now }
    for d in expired { d.reply(.failure("no DC was elected within \(Self.requestTimeout); nothing was changed")) }
    for (id, p) in pendingReplies where p.deadline < now {
      pendingReplies[id] = nil
      p.reply(.failure("no answer from the DC within \(Self.requestTimeout); the change may not have been applied"))
    }
    if let deadline = shutdownDeadline {
      if leaveWhenStopped && (localActive.isEmpty || deadline < now) && !finished {
        finished = true
        if let backend { Task { try? await backend.leaveCluster() } }
      } else if deadline < now && !leaveWhenStopped {
        logger.warning("shutdown: the DC did not move resources away in time; stopping them here")
        finishShutdown()
        shutdownDeadline = now + .seconds(10)
      }
    }
  }

  // MARK: control requests

  func control(_ request: ControlRequest, reply: @escaping @Sendable (ControlResponse) -> Void) async {
    switch request {
    case .getCIB:
      reply(ControlResponse(cib: CIBXML.serialize(core.cib)))
    case .status:
      reply(ControlResponse(status: statusInfo()))
    case .replaceCIB(let xml, let a, let e):
      guard pendingReplies.count < Self.pendingRepliesMax else { return reply(.failure("too many requests in progress")) }
      guard synced, core.dc != nil else { return deferUntilSynced(request, reply) }
      let id = nextRequestID
      nextRequestID += 1
      pendingReplies[id] = (reply, clock.now + Self.requestTimeout)
      send(.replaceRequest(origin: me.rawValue, requestID: id, xml: xml, baseAdminEpoch: a, baseEpoch: e))
    case .cleanup(let resource, let node, let refresh):
      guard pendingReplies.count < Self.pendingRepliesMax else { return reply(.failure("too many requests in progress")) }
      guard synced, core.dc != nil else { return deferUntilSynced(request, reply) }
      let id = nextRequestID
      nextRequestID += 1
      pendingReplies[id] = (reply, clock.now + Self.requestTimeout)
      send(.cleanupRequest(origin: me.rawValue, requestID: id, resource: resource, node: node, refresh: refresh))
    case .quorum:
      guard let backend else { return reply(.failure("membership is not running")) }
      do {
        let q = try await backend.currentQuorumStatus()
        let info = LiveQuorumInfo(
          status: q, quorumtoolText: QuorumStatusText.quorumtool(q, nodes: config.nodes, date: Self.ctime(nowS())),
          membershipText: QuorumStatusText.membership(q, nodes: config.nodes))
        reply(ControlResponse(quorum: info))
      } catch {
        reply(.failure("cannot read quorum status: \(error)"))
      }
    case .timeline:
      reply(ControlResponse(timeline: core.timeline))
    case .stopNodes(let names):
      var ids: [UInt32] = []
      for n in names {
        guard let entry = config.nodes.first(where: { $0.displayName == n }) else {
          return reply(.failure("Node '\(n)' does not appear to exist in configuration"))
        }
        ids.append(entry.nodeID.rawValue)
      }
      guard view != nil else { return reply(.failure("membership is not running")) }
      send(.stopRequest(nodes: ids))
      reply(ControlResponse())
    case .shutdown:
      reply(ControlResponse())
      beginShutdown()
    case .setIsolated(let on):
      guard let shell = backend as? MembershipShell else { return reply(.failure("this membership backend has no fault switch")) }
      shell.setIsolated(on)
      reply(ControlResponse())
    }
  }

  /// Writes wait while the view synchronizes (a DC is being chosen), at most `requestTimeout`.
  func deferUntilSynced(_ request: ControlRequest, _ reply: @escaping @Sendable (ControlResponse) -> Void) {
    guard deferred.count < Self.deferredMax else { return reply(.failure("no DC elected yet and too many waiting requests; try again")) }
    deferred.append((request, reply, clock.now + Self.requestTimeout))
  }

  func replayDeferred() async {
    let waiting = deferred
    deferred.removeAll()
    for d in waiting { await control(d.request, reply: d.reply) }
  }

  func statusInfo() -> LiveStatusInfo {
    var info = LiveStatusInfo(
      clusterName: config.totem.clusterName ?? "", localNode: myName, dcName: core.dc?.name,
      dcID: core.dc.map { String($0.id) }, quorate: quorate, members: members.map { name(of: $0.rawValue) },
      membershipBackend: backend?.backendName ?? "native", cib: CIBXML.serialize(core.cib))
    info.watchdog = watchdog?.summary(wait: core.survivorWait, leaseMs: core.config.lease.leaseMs)
    info.watchdogWarning = core.survivorWait.warning
    return info
  }
}
