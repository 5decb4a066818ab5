import CIB
import Foundation
import LRM
import Logging
import Membership
import PolicyEngine

/// The state of one clusterd and what it does with each input. Touched only by the daemon's event loop.
///
/// Roles: every node keeps a replica of the CIB (applied in delivery order), runs the operations the DC sends
/// it and reports their results. The DC (lowest node id of the synchronized view) is the only CIB writer: it
/// records results, runs the scheduler, and walks the plan one operation at a time.
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
  let leaseMs: Int
  let clock = ContinuousClock()

  // Replica and view.
  var cib: CIBElement
  var view: View?
  var quorate = false
  var synced = false
  var hellos: [UInt32: CIBVersion] = [:]
  var previousMembers: Set<Member> = []
  var assembler = WireFraming.Assembler()
  var messageNumber: UInt64 = 0
  /// Results delivered while no DC was synchronized; the next DC records them (bounded).
  var unrecordedResults: [(UInt32, UInt64, Int, WireResult)] = []
  static let unrecordedResultsMax = 4096

  // DC.
  var transitionNumber: UInt64 = 0
  var step: InFlight?
  var needsRound = true
  var leaseUntil: ContinuousClock.Instant?
  var cibDirty = false
  var shuttingDownNodes: Set<UInt32> = []

  // Local executor.
  var pendingOps: [OperationKey: (transition: UInt64, action: Int, op: WireOperation)] = [:]
  var callID = 0
  /// Resources this node runs (start succeeded, no stop since), in start order.
  var localActive: [String: WireOperation] = [:]
  var localOrder: [String] = []
  var recurring: [String: Set<Int64>] = [:]

  // Control.
  var nextRequestID: UInt64 = 1
  var pendingReplies: [UInt64: (reply: @Sendable (ControlResponse) -> Void, deadline: ContinuousClock.Instant)] = [:]
  static let pendingRepliesMax = 256
  static let requestTimeout = Duration.seconds(30)

  // Shutdown.
  var shutdownDeadline: ContinuousClock.Instant?
  var finished = false

  // Timeline.
  var timeline: [TimelineIncident] = []
  static let timelineIncidentsMax = 64

  struct InFlight {
    var transition: UInt64
    var kind: String
    var remaining: [PlannedOperation]
    /// Action numbers sent and not yet answered, with their deadlines.
    var waiting: [Int: ContinuousClock.Instant]
    /// The node each waiting action runs on: an action on a node that left the view is given up at once.
    var waitingNode: [Int: UInt32] = [:]
    var nextAction: Int
    var aborted = false
  }

  init(
    options: DaemonOptions, config: CorosyncConfig, me: NodeEntry, logger: Logger,
    executor: LocalExecutor<ContinuousClock>, enqueue: @escaping @Sendable (DaemonInput) -> Void
  ) throws {
    self.options = options
    self.config = config
    self.me = me.nodeID
    self.myName = me.displayName
    self.logger = logger
    self.executor = executor
    self.enqueue = enqueue
    let store = CIBStore(directory: options.stateDir + "/cib")
    self.persister = CIBPersister(store: store, logger: logger)
    let token = config.totem.tokenMs ?? 400
    self.leaseMs = options.leaseMs ?? (token / 4 + 250)
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
  var version: CIBVersion { (try? CIBVersion(of: cib)) ?? CIBVersion() }
  var members: [Membership.NodeID] { view?.nodeIDs.sorted() ?? [] }
  /// The DC: the lowest node id of the synchronized view.
  var dc: Membership.NodeID? { synced ? members.first : nil }
  var isDC: Bool { dc == me }
  func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
  func nowS() -> Int64 { Int64(Date().timeIntervalSince1970) }

  // MARK: inputs

  func handle(_ input: DaemonInput) async {
    switch input {
    case .membership(let event): membership(event)
    case .lrm(let report): lrmReport(report)
    case .control(let request, let reply): await control(request, reply: reply)
    case .tick:
      tick()
      if synced && dc != nil && !deferred.isEmpty { await replayDeferred() }
    case .shutdownRequested: beginShutdown()
    }
    if isDC { dcRound() }
    flushCIB()
  }

  func send(_ message: ClusterMessage) {
    messageNumber += 1
    let payloads = WireFraming.encode(message, number: messageNumber)
    for p in payloads { backend?.broadcast(p) }
  }

  /// The DC broadcasts its CIB once per input it handled, if it changed.
  func flushCIB() {
    guard cibDirty else { return }
    cibDirty = false
    guard isDC else { return }
    send(.cib(xml: CIBXML.serialize(cib), sync: false, viewEpoch: view?.id.epoch ?? 0))
    persist()
  }

  func persist() {
    let snapshot = cib
    let p = persister
    Task {
      await p.offer(snapshot)
      await p.flush()
    }
  }

  /// Changes the CIB as the DC: `kind` decides the version bump (Pacemaker's rules).
  func write(_ edit: (inout CIBElement) -> Void) {
    var next = cib
    edit(&next)
    do {
      if try CIBVersion.stamp(&next, after: cib) == .none { return }
    } catch {
      logger.error("cannot version the CIB: \(error)")
      return
    }
    cib = next
    cibDirty = true
    needsRound = true
  }

  // MARK: membership

  func membership(_ event: MembershipEvent) {
    switch event {
    case .viewInstalled(let v):
      let lost = (view?.members ?? []).filter { !v.contains($0) }
      view = v
      synced = false
      hellos = [:]
      assembler.forget(except: Set(v.members.map(\.description)))
      if let step, !step.waiting.isEmpty { self.step?.aborted = true }
      if !lost.isEmpty {
        openIncident(cause: "node \(lost.map { name(of: $0.id.rawValue) }.joined(separator: ", ")) lost")
        addStep("detected", "membership lost \(lost.map { name(of: $0.id.rawValue) }.joined(separator: ", "))")
      }
      addStepIfOpen("new-view", "members \(v.nodeIDs.map { name(of: $0.rawValue) }.joined(separator: " "))")
      let vv = version
      send(
        .hello(
          node: me.rawValue, adminEpoch: vv.adminEpoch, epoch: vv.epoch, numUpdates: vv.numUpdates,
          shuttingDown: shutdownDeadline != nil))
    case .quorumChanged(let status):
      let was = quorate
      quorate = status.quorate
      if was && !quorate {
        logger.warning("quorum lost: stopping local resources (lease)")
        openIncident(cause: "quorum lost on \(myName)")
        addStep("lease-stop", "stopping \(localOrder.count) local resource(s)")
        stopAllLocal()
      }
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

  func deliver(_ m: ClusterMessage, sender: Membership.NodeID, inView: Bool) {
    switch m {
    case .hello(let node, let a, let e, let n, let down):
      guard inView, let view else { return }
      hellos[node] = CIBVersion(adminEpoch: a, epoch: e, numUpdates: n)
      if down { shuttingDownNodes.insert(node) } else { shuttingDownNodes.remove(node) }
      if view.nodeIDs.allSatisfy({ hellos[$0.rawValue] != nil }) {
        // The holder of the newest CIB (ties: lowest id) sends it to everyone.
        let best = hellos.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.first!.key
        if best == me.rawValue { send(.cib(xml: CIBXML.serialize(cib), sync: true, viewEpoch: view.id.epoch)) }
      }
    case .cib(let xml, let sync, let epoch):
      if sync {
        guard inView, epoch == view?.id.epoch, !synced else { return }
        if sender != me { adopt(xml) }
        synced = true
        addStepIfOpen("cib-synced", "CIB \(version) from \(name(of: sender.rawValue))")
        if isDC { becomeDCForView() }
        for (origin, t, a, r) in unrecordedResults where isDC { record(origin: origin, transition: t, action: a, r) }
        unrecordedResults.removeAll()
        previousMembers = Set(view?.members ?? [])
      } else {
        guard sender != me, sender == dc else { return }
        adopt(xml)
      }
    case .replaceRequest(let origin, let id, let xml, let baseAdmin, let baseEpoch):
      guard isDC else { return }
      let error = applyReplace(origin: origin, xml: xml, baseAdminEpoch: baseAdmin, baseEpoch: baseEpoch)
      flushCIB()
      send(.replaceDone(origin: origin, requestID: id, error: error))
    case .cleanupRequest(let origin, let id, let resource, let node, let refresh):
      guard isDC else { return }
      var error: String?
      var nodeID: String?
      if let node {
        if let n = config.nodes.first(where: { $0.displayName == node }) { nodeID = String(n.nodeID.rawValue) } else {
          error = "Unable to find a node: \(node)"
        }
      }
      if error == nil {
        _ = nodeID
        write { cib in
          cib = refresh
            ? PolicyEngine.StatusRecorder.refresh(resource: resource, node: node, in: cib)
            : PolicyEngine.StatusRecorder.cleanup(resource: resource, node: node, in: cib)
        }
      }
      flushCIB()
      send(.replaceDone(origin: origin, requestID: id, error: error))
    case .replaceDone(let origin, let id, let error):
      guard origin == me.rawValue, let pending = pendingReplies.removeValue(forKey: id) else { return }
      pending.reply(ControlResponse(error: error))
    case .execute(let node, let transition, let action, let op):
      guard node == me.rawValue else { return }
      execute(transition: transition, action: action, op: op)
    case .cancel(let node, let resource, let interval):
      guard node == me.rawValue else { return }
      Task { [executor] in await executor.cancel(OperationKey(resource: resource, action: .monitor, interval: .milliseconds(interval))) }
    case .result(let node, let transition, let action, let result):
      noteResultInTimeline(node: node, result)
      if isDC {
        record(origin: node, transition: transition, action: action, result)
      } else if !synced {
        if unrecordedResults.count < Self.unrecordedResultsMax { unrecordedResults.append((node, transition, action, result)) }
      }
    case .shuttingDown(let node):
      shuttingDownNodes.insert(node)
      if isDC {
        write {
          $0 = PolicyEngine.StatusRecorder.setTransientAttribute(
            "shutdown", value: String(nowS()), nodeID: String(node), uname: name(of: node), in: $0)
        }
      }
    case .stopRequest(let nodes):
      if nodes.isEmpty || nodes.contains(me.rawValue) { beginShutdown() }
    case .shutdownReady(let node):
      guard node == me.rawValue, shutdownDeadline != nil else { return }
      finishShutdown()
    }
  }

  func adopt(_ xml: String) {
    do {
      cib = try CIBXML.parse(xml)
      persist()
    } catch {
      logger.error("received a CIB that does not parse: \(error)")
    }
  }

  /// The DC's view of membership written into the CIB: node entries, node_state, DC attributes.
  func becomeDCForView() {
    guard let view else { return }
    let current = Set(view.members)
    let lost = previousMembers.filter { !current.contains($0) }
    if !lost.isEmpty && quorate {
      leaseUntil = clock.now + .milliseconds(leaseMs)
      addStepIfOpen("lease-wait", "\(leaseMs) ms before recovering resources of lost nodes")
    }
    write { cib in
      cib[attribute: "dc-uuid"] = String(me.rawValue)
      cib[attribute: "have-quorum"] = quorate ? "1" : "0"
      ensureNodesAndProperties(&cib)
      for n in config.nodes {
        let id = String(n.nodeID.rawValue)
        let member = view.members.first { $0.id == n.nodeID }
        if let member {
          if !previousMembers.contains(member) {
            // A node that (re)joins is probed afresh: its history may be stale.
            cib = PolicyEngine.StatusRecorder.forgetHistory(nodeID: id, in: cib)
            StatusTree.clearTransientAttributes(&cib, nodeID: id)
          }
          cib = PolicyEngine.StatusRecorder.recordMembership(.joined, nodeID: id, uname: n.displayName, in: cib)
          if shuttingDownNodes.contains(n.nodeID.rawValue) {
            cib = PolicyEngine.StatusRecorder.setTransientAttribute(
              "shutdown", value: String(nowS()), nodeID: id, uname: n.displayName, in: cib)
          }
        } else {
          // Without fencing, a node out of the view runs nothing we may count on (the lease stopped it): its
          // history and transient attributes go, as after fencing.
          cib = PolicyEngine.StatusRecorder.forgetHistory(nodeID: id, in: cib)
          StatusTree.clearTransientAttributes(&cib, nodeID: id)
          let gone: NodeMembershipChange = shuttingDownNodes.contains(n.nodeID.rawValue) ? .left : .lost
          cib = PolicyEngine.StatusRecorder.recordMembership(gone, nodeID: id, uname: n.displayName, in: cib)
        }
      }
    }
    needsRound = true
  }

  func ensureNodesAndProperties(_ cib: inout CIBElement) {
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
      ("have-watchdog", "false"), ("dc-version", "2.1.5-vigil"), ("cluster-infrastructure", "corosync"),
      ("cluster-name", config.totem.clusterName ?? "vigil"),
    ]
    for (k, v) in wanted {
      if let i = set.children.firstIndex(where: { if case .element(let e) = $0 { e[attribute: "name"] == k } else { false } }) {
        if case .element(var e) = set.children[i], e[attribute: "value"] != v {
          e[attribute: "value"] = v
          set.children[i] = .element(e)
        }
      } else {
        set.append(CIBElement("nvpair", ["id": "cib-bootstrap-options-\(k)", "name": k, "value": v]))
      }
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
    var next = cib
    guard let ci = next.childIndex(named: "configuration") else { return "the live CIB has no configuration" }
    next.children[ci] = .element(newConf)
    if next == cib { return nil }
    next[attribute: "cib-last-written"] = Self.ctime(nowS())
    next[attribute: "update-origin"] = name(of: origin)
    next[attribute: "update-client"] = "cibadmin"
    next[attribute: "update-user"] = "root"
    do { _ = try CIBReader.read(next, now: nowS()) } catch { return "the new CIB cannot be scheduled: \(error)" }
    write { $0 = next }
    return nil
  }

  // MARK: the DC's work

  func record(origin: UInt32, transition: UInt64, action: Int, _ r: WireResult) {
    // A probe that finds the resource running (or promoted) found a fact, not a failure: record the rc it
    // found as the expected one, so no reader lists it under Failed Resource Actions.
    let probeFound = r.op.action == "monitor" && r.op.intervalMs == 0 && r.opStatus == 0 && [0, 7, 8].contains(r.rc)
    let key = "\(action):\(transition):\(probeFound ? r.rc : r.op.targetRC):vigil-\(origin)"
    let fatal = !isFalse(property("start-failure-is-fatal"))
    let parts = r.op.agent.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    var params: [String: String] = [:]
    for p in r.op.parameters where p.count == 2 { params[p[0]] = p[1] }
    let op = RecordedOperation(
      resource: r.op.resource, agentClass: parts.first ?? "ocf", agentProvider: parts.count == 3 ? parts[1] : nil,
      agentType: parts.last ?? "", task: r.op.action, intervalMs: Int(r.op.intervalMs), node: name(of: origin),
      nodeID: String(origin), callID: r.callID, rc: r.rc, status: ExecStatus(rawValue: r.opStatus) ?? .error,
      exitReason: r.exitReason, transitionKey: TransitionKey(parsing: key), lastRCChange: r.finishedAt,
      execTimeMs: Int(r.execMs), parameters: params, timeoutMs: Int(r.op.timeoutMs))
    write {
      $0 = PolicyEngine.StatusRecorder.record(
        op, into: $0, failurePolicy: PolicyEngine.StatusRecorder.FailurePolicy(startFailureIsFatal: fatal))
    }
    guard var s = step, s.transition == transition, s.waiting.removeValue(forKey: action) != nil else { return }
    let ok = r.opStatus == 0 && (r.rc == r.op.targetRC || (r.op.action == "monitor" && r.op.intervalMs == 0))
    if !ok && s.kind == "transition" {
      s.aborted = true
      addStepIfOpen("failed", "\(r.op.resource) \(r.op.action) on \(name(of: origin)) rc=\(r.rc)")
    }
    step = s
  }

  func property(_ name: String) -> String? {
    guard let conf = cib.firstElement(named: "configuration"), let crm = conf.firstElement(named: "crm_config") else { return nil }
    for set in crm.elements(named: "cluster_property_set") {
      for nv in set.elements(named: "nvpair") where nv[attribute: "name"] == name { return nv[attribute: "value"] }
    }
    return nil
  }

  func isFalse(_ v: String?) -> Bool { ["false", "no", "0", "off", "n"].contains((v ?? "").lowercased()) }

  /// Sends the next operation(s) or, when nothing is in flight, asks the planner what to do next.
  func dcRound() {
    guard synced else { return }
    if var s = step {
      let present = Set(members.map(\.rawValue))
      for (action, node) in s.waitingNode where !present.contains(node) && s.waiting[action] != nil {
        s.waiting[action] = nil
        s.aborted = true
      }
      if !s.waiting.isEmpty {
        // A node that does not answer within the operation's timeout (plus a margin) aborts the step.
        if s.waiting.values.contains(where: { $0 < clock.now }) {
          s.waiting.removeAll()
          s.aborted = true
          step = s
        } else {
          return
        }
      }
      if s.aborted || s.remaining.isEmpty {
        step = nil
        needsRound = true
      } else {
        let next = s.remaining.removeFirst()
        dispatch(next, step: &s)
        step = s
        return
      }
    }
    guard needsRound else { return }
    if !quorate && quorumPolicyStops() { return }  // the lease stop already ran; nothing may start here
    if let until = leaseUntil {
      if clock.now < until { return }
      leaseUntil = nil
      addStepIfOpen("lease-expired", "recovering")
    }
    needsRound = false
    let memberIDs = Set(members.map { String($0.rawValue) })
    switch TransitionPlanner.next(cib: cib, members: memberIDs, now: nowS()) {
    case .probe(let ops):
      transitionNumber += 1
      var s = InFlight(transition: transitionNumber, kind: "probe", remaining: [], waiting: [:], nextAction: 0)
      for op in ops { dispatch(op, step: &s) }
      step = s
    case .monitors(let ops):
      transitionNumber += 1
      var s = InFlight(transition: transitionNumber, kind: "monitor", remaining: [], waiting: [:], nextAction: 0)
      for op in ops { dispatch(op, step: &s) }
      step = s
    case .transition(let ops, let summary, let fencing):
      transitionNumber += 1
      addStepIfOpen("transition-computed", summary.joined(separator: "; "))
      if !fencing.isEmpty {
        // No fencer is wired into this build yet: an unclean node's resources stay where they are.
        addStepIfOpen("fence", "fencing \(fencing.joined(separator: " ")) needed; no fencer available")
        logger.error("fencing of \(fencing.joined(separator: " ")) required but no fencer is available")
        if ops.isEmpty { return }
      }
      var s = InFlight(transition: transitionNumber, kind: "transition", remaining: ops, waiting: [:], nextAction: 0)
      let first = s.remaining.removeFirst()
      dispatch(first, step: &s)
      step = s
    case .idle:
      closeIncident()
      announceShutdownReady()
    }
  }

  func quorumPolicyStops() -> Bool {
    (property("no-quorum-policy") ?? "stop").lowercased() != "ignore"
  }

  func dispatch(_ p: PlannedOperation, step s: inout InFlight) {
    s.nextAction += 1
    let margin = Duration.seconds(5)
    s.waiting[s.nextAction] = clock.now + .milliseconds(p.op.timeoutMs) + margin
    guard let node = UInt32(p.nodeID) else { return }
    s.waitingNode[s.nextAction] = node
    send(.execute(node: node, transition: s.transition, action: s.nextAction, op: p.op))
  }

  /// Nodes shutting down whose resources are all stopped may leave now.
  func announceShutdownReady() {
    guard !shuttingDownNodes.isEmpty else { return }
    let active = activeNodes()
    for node in shuttingDownNodes.sorted() where members.contains(Membership.NodeID(node)) && !active.contains(String(node)) {
      send(.shutdownReady(node: node))
    }
  }

  func activeNodes() -> Set<String> {
    guard let input = try? CIBReader.read(cib, now: nowS()) else { return [] }
    let state = interpretStatus(input)
    var out: Set<String> = []
    for r in state.resources where r.isPrimitive { for n in r.runningOn { out.insert(state.nodes[n].id) } }
    return out
  }

  // MARK: the local executor

  func execute(transition: UInt64, action: Int, op: WireOperation) {
    guard let agent = try? ResourceAgentName.parse(op.agent), let verb = AgentAction(rawValue: op.action) else {
      sendResult(transition: transition, action: action, op: op, rc: 3, opStatus: 4, reason: "unknown agent or action", execMs: 0)
      return
    }
    var call = AgentCall(
      resource: op.resource, agent: agent, action: verb,
      parameters: op.parameters.compactMap { $0.count == 2 ? AgentCall.Parameter($0[0], $0[1]) : nil },
      meta: op.meta.compactMap { $0.count == 2 ? AgentCall.Parameter($0[0], $0[1]) : nil },
      interval: .milliseconds(op.intervalMs), timeout: .milliseconds(max(1, op.timeoutMs)))
    call.meta.append(AgentCall.Parameter("on_node", myName))
    let key = OperationKey(call)
    if verb == .stop {
      // Pacemaker's executor cancels a resource's recurring operations before stopping it.
      for interval in (recurring[op.resource] ?? []).sorted() {
        let k = OperationKey(resource: op.resource, action: .monitor, interval: .milliseconds(interval))
        pendingOps[k] = nil
        Task { [executor] in await executor.cancel(k) }
      }
      recurring[op.resource] = nil
    }
    if op.intervalMs > 0 { recurring[op.resource, default: []].insert(op.intervalMs) }
    pendingOps[key] = (transition, action, op)
    Task { [executor] in await executor.request(call) }
  }

  func lrmReport(_ report: OperationReport) {
    let key = report.key
    guard let pending = pendingOps[key] else { return }
    if case .cancelled = report.result.status { return }
    if key.intervalMs == 0 { pendingOps[key] = nil } else { pendingOps[key] = (0, 0, pending.op) }
    let r = report.result
    var opStatus = 0
    switch r.status {
    case .done: opStatus = 0
    case .timedOut: opStatus = 2
    case .notInstalled: opStatus = 7
    case .signaled, .spawnFailed: opStatus = 4
    case .cancelled: opStatus = 1
    case .pending: opStatus = -1  // Pacemaker's PCMK_EXEC_PENDING: still in transition
    }
    let ms = Int64(r.runtime.components.seconds * 1000 + r.runtime.components.attoseconds / 1_000_000_000_000_000)
    sendResult(
      transition: pending.transition, action: pending.action, op: pending.op, rc: Int(r.ocf.exitCode),
      opStatus: opStatus, reason: r.exitReason ?? "", execMs: ms)
  }

  func sendResult(transition: UInt64, action: Int, op: WireOperation, rc: Int, opStatus: Int, reason: String, execMs: Int64) {
    callID += 1
    let ok = opStatus == 0 && rc == 0
    switch op.action {
    case "start" where ok, "promote" where ok, "demote" where ok:
      if localActive[op.resource] == nil { localOrder.append(op.resource) }
      localActive[op.resource] = op
    case "monitor" where op.intervalMs == 0 && ok:
      if localActive[op.resource] == nil { localOrder.append(op.resource) }
      localActive[op.resource] = op
    case "stop" where ok:
      localActive[op.resource] = nil
      localOrder.removeAll { $0 == op.resource }
    default: break
    }
    let result = WireResult(
      op: op, rc: rc, opStatus: opStatus, exitReason: reason, callID: callID, finishedAt: nowS(), execMs: execMs)
    send(.result(node: me.rawValue, transition: transition, action: action, result: result))
  }

  /// Stops every resource this node runs, newest first, without asking the DC (lost quorum, or leaving).
  func stopAllLocal() {
    for resource in localOrder.reversed() {
      guard var op = localActive[resource] else { continue }
      op.action = "stop"
      op.intervalMs = 0
      op.targetRC = 0
      op.opDigest = nil
      execute(transition: 0, action: 0, op: op)
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

  var leaveWhenStopped = false

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
    needsRound = needsRound || leaseUntil != nil
  }

  // MARK: control requests

  func control(_ request: ControlRequest, reply: @escaping @Sendable (ControlResponse) -> Void) async {
    switch request {
    case .getCIB:
      reply(ControlResponse(cib: CIBXML.serialize(cib)))
    case .status:
      reply(ControlResponse(status: statusInfo()))
    case .replaceCIB(let xml, let a, let e):
      guard pendingReplies.count < Self.pendingRepliesMax else { return reply(.failure("too many requests in progress")) }
      guard synced, dc != nil else { return deferUntilSynced(request, reply) }
      let id = nextRequestID
      nextRequestID += 1
      pendingReplies[id] = (reply, clock.now + Self.requestTimeout)
      send(.replaceRequest(origin: me.rawValue, requestID: id, xml: xml, baseAdminEpoch: a, baseEpoch: e))
    case .cleanup(let resource, let node, let refresh):
      guard pendingReplies.count < Self.pendingRepliesMax else { return reply(.failure("too many requests in progress")) }
      guard synced, dc != nil else { return deferUntilSynced(request, reply) }
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
      reply(ControlResponse(timeline: timeline))
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
  var deferred: [(request: ControlRequest, reply: @Sendable (ControlResponse) -> Void, deadline: ContinuousClock.Instant)] = []
  static let deferredMax = 64

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
    LiveStatusInfo(
      clusterName: config.totem.clusterName ?? "", localNode: myName, dcName: dc.map { name(of: $0.rawValue) },
      dcID: dc.map { String($0.rawValue) }, quorate: quorate, members: members.map { name(of: $0.rawValue) },
      membershipBackend: backend?.backendName ?? "native", cib: CIBXML.serialize(cib))
  }

  // MARK: timeline

  var openIncidentIndex: Int?

  func openIncident(cause: String) {
    let id = (timeline.last?.id ?? 0) + 1
    timeline.append(TimelineIncident(id: id, cause: cause, steps: []))
    if timeline.count > Self.timelineIncidentsMax { timeline.removeFirst(timeline.count - Self.timelineIncidentsMax) }
    openIncidentIndex = timeline.count - 1
  }

  func addStep(_ kind: String, _ detail: String) {
    guard let i = openIncidentIndex, i < timeline.count, timeline[i].steps.count < 256 else { return }
    timeline[i].steps.append(.init(atMs: nowMs(), kind: kind, detail: detail))
  }

  func addStepIfOpen(_ kind: String, _ detail: String) { addStep(kind, detail) }

  func closeIncident() {
    guard openIncidentIndex != nil else { return }
    addStep("done", "cluster idle")
    openIncidentIndex = nil
  }

  func noteResultInTimeline(node: UInt32, _ r: WireResult) {
    let failed = !(r.opStatus == 0 && (r.rc == r.op.targetRC || (r.op.action == "monitor" && r.op.intervalMs == 0)))
    if failed && r.op.intervalMs > 0 {
      openIncident(cause: "\(r.op.resource) monitor failed on \(name(of: node))")
    }
    guard r.op.action == "start" || r.op.action == "stop" || failed else { return }
    addStep(r.op.action, "\(r.op.resource) on \(name(of: node)) rc=\(r.rc)")
  }
}
