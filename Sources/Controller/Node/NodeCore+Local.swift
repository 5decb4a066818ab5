import CIB
import ControlProtocol
import LRM
import Membership
import PolicyEngine

/// The local parts of a node: its LRM's bookkeeping, control requests, a graceful leave.
extension NodeCore {
  // MARK: the local LRM

  mutating func runLocally(_ request: ActionRequest) {
    let agentText = [request.agentClass, request.agentProvider, request.agentType].compactMap { $0 }
      .filter { !$0.isEmpty }.joined(separator: ":")
    guard let agent = try? ResourceAgentName.parse(agentText), let verb = AgentAction(rawValue: request.task) else {
      report(OperationCompletion(request, rc: 3, status: .error, exitReason: "unknown agent \(agentText) or action \(request.task)"))
      return
    }
    var call = AgentCall(
      resource: request.resource, agent: agent, action: verb,
      parameters: request.parameters.sorted { $0.key < $1.key }.map { AgentCall.Parameter($0.key, $0.value) },
      meta: [AgentCall.Parameter("on_node", config.localNode.name)],
      interval: .milliseconds(request.intervalMs), timeout: .milliseconds(max(1, request.timeoutMs)))
    call.meta.sort { $0.name < $1.name }
    let key = OperationKey(call)
    if verb == .stop {
      // The LRM ends the resource's recurring operations before a stop (cancelled or not): none reports any more.
      pendingOps = pendingOps.filter { !($0.key.resource == request.resource && $0.key.intervalMs > 0) }
    }
    if request.intervalMs > 0 { pendingOps[key] = [request] } else { pendingOps[key, default: []].append(request) }
    if Self.makesItRun.contains(request.task) { recordMayRun(request.resource) }
    out.append(.runLocally(call))
  }

  /// The operations after which a resource may run here (recorded for a restart's clean-up before they run).
  static let makesItRun: Set<String> = ["start", "promote", "migrate_from"]

  mutating func cancelLocally(resource: String, task: String, intervalMs: Int) {
    guard let verb = AgentAction(rawValue: task) else { return }
    let key = OperationKey(resource: resource, action: verb, interval: .milliseconds(intervalMs))
    pendingOps[key] = nil
    out.append(.cancelLocally(key))
  }

  mutating func lrmReport(_ r: OperationReport) {
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
    if key.action == .monitor && key.intervalMs == 0 && status == .done && r.result.ocf == .notRunning {
      endRecurringOfStopped(key.resource)
    }
    let ms = Int(r.result.runtime / .milliseconds(1))
    out.append(.alert(
      .resource(ResourceOperationAlert(
        node: config.localNode.name, call: r.call, result: r.result, targetRC: Int32(request.transitionKey.targetRC))),
      cib: controller.cib))
    report(OperationCompletion(request, rc: Int(r.result.ocf.exitCode), status: status,
                               exitReason: r.result.exitReason ?? "", execTimeMs: ms))
  }

  /// A probe found `resource` not running here: any recurring operation of it this LRM still runs is ended. One can
  /// outlive its resource when its request was queued behind a stop this node decided alone (the lease's stop
  /// while the DC's transition still asked for a monitor): the stop ends only the operations registered before it;
  /// or when a DC change cut the failed resource's recovery stop that would have ended it. No DC can cancel it later: a rejoining node's history is rebuilt from probes, which do not show it, and the LRM
  /// reports a recurring result only when it changes, so its steady "not running" is never heard.
  mutating func endRecurringOfStopped(_ resource: String) {
    for key in pendingOps.keys.sorted() where key.resource == resource && key.intervalMs > 0 {
      log(.notice, "\(key) runs for \(resource), which a probe found not running here: cancelled")
      cancelLocally(resource: key.resource, task: key.action.rawValue, intervalMs: Int(key.intervalMs))
    }
  }

  /// A local result: noted for a graceful leave, then broadcast to every controller of the partition.
  mutating func report(_ c: OperationCompletion) {
    let ok = c.status == .done && (c.rc == 0 || c.rc == 8)
    // Found running here (a probe, or a monitor of something this life did not start): a restart must stop it too.
    if ok && c.task == "monitor" { recordMayRun(c.resource) }
    if ok && ["start", "promote", "migrate_from"].contains(c.task) || ok && c.task == "monitor" && c.intervalMs == 0 {
      if !localActive.contains(where: { $0.resource == c.resource }), let stop = stopRequest(for: c) {
        localActive.append(LocalResource(resource: c.resource, stop: stop))
      }
    } else if c.task == "stop" && c.status == .done && c.rc == 0 {
      localActive.removeAll { $0.resource == c.resource }
    }
    if c.task == "stop" && c.transitionKey?.transitionID == -1 {
      startUpStopDone(c.resource, rc: c.rc, done: c.status == .done)
    }
    send(.result(WireCompletion(c)))
  }

  func stopRequest(for c: OperationCompletion) -> ActionRequest? {
    guard let input = try? CIBReader.read(controller.cib, now: now.wallSeconds),
          let def = OperationDefinition(input: input, resource: c.resource, task: "stop", intervalMs: 0) else { return nil }
    return ActionRequest(
      node: config.localNode, resource: c.resource, agentClass: def.agentClass, agentProvider: def.agentProvider,
      agentType: def.agentType, task: "stop", intervalMs: 0, parameters: def.parameters, timeoutMs: def.timeoutMs,
      transitionKey: TransitionKey(actionID: 0, transitionID: -1, targetRC: 0, uuid: controller.config.controllerUUID))
  }

  /// Under the lease without quorum the controller stops what its CIB shows running here; the LRM may run more (a
  /// start whose result no DC recorded before the view was lost). Those are stopped too, or the lease's bound would
  /// not hold for them (the survivors may start them once it runs out).
  mutating func stopLocalNotInCIB() {
    guard controller.localLease != nil else { return }
    for entry in localActive.reversed()
    where !pendingOps.keys.contains(where: { $0.resource == entry.resource && $0.action == .stop }) {
      log(.warning, "no quorum: stopping \(entry.resource), which runs here but is not in this node's CIB status")
      for key in pendingOps.keys.sorted() where key.resource == entry.resource && key.intervalMs > 0 {
        cancelLocally(resource: key.resource, task: key.action.rawValue, intervalMs: Int(key.intervalMs))
      }
      runLocally(entry.stop)
    }
  }

  /// Stops every resource this node runs, newest first, without a DC (a leave no DC could arrange).
  mutating func stopAllLocal() {
    for entry in localActive.reversed() {
      for key in pendingOps.keys.sorted() where key.resource == entry.resource && key.intervalMs > 0 {
        cancelLocally(resource: key.resource, task: key.action.rawValue, intervalMs: Int(key.intervalMs))
      }
      runLocally(entry.stop)
    }
  }

  // MARK: shutdown

  mutating func beginShutdown() {
    guard shutdownDeadlineMs == nil else { return }
    shutdownDeadlineMs = now.monotonicMs + config.shutdownWaitMs
    shuttingDownNodes.insert(me)
    if synced && quorate && members.count > 1 {
      send(.shuttingDown(node: me))
    } else {
      stopAllLocal()
      shutdownDeadlineMs = now.monotonicMs + config.leaveWaitMs
      leaveWhenStopped = true
    }
  }

  mutating func finishShutdown() {
    stopAllLocal()
    leaveWhenStopped = true
  }

  // MARK: ticks

  mutating func tick() {
    let nowMs = now.monotonicMs
    expireRequests()
    if let deadline = shutdownDeadlineMs {
      if leaveWhenStopped && (localActive.isEmpty || deadline < nowMs) && !finished {
        finished = true
        out.append(.leaveCluster)
      } else if deadline < nowMs && !leaveWhenStopped {
        log(.warning, "shutdown: the DC did not move resources away in time; stopping them here")
        finishShutdown()
        shutdownDeadlineMs = nowMs + config.leaveWaitMs
      }
    }
  }

  // MARK: control requests

  mutating func control(_ id: ControlRequestID, _ request: ControlRequest) {
    switch request {
    case .getCIB:
      // Read what the view agrees on: before the join completes this node's CIB may be older than the DC's, and an
      // edit based on it would be refused.
      guard synced else { return deferUntilSynced(id, request) }
      out.append(.reply(id, ControlResponse(cib: CIBXML.serialize(controller.cib))))
    case .status:
      out.append(.reply(id, ControlResponse(status: statusInfo())))
    case .replaceCIB, .cleanup:
      submitWrite(id, request, deadlineMs: now.monotonicMs + config.requestTimeoutMs, resent: false)
    case .timeline:
      out.append(.reply(id, ControlResponse(timeline: controller.timeline)))
    case .stopNodes(let names):
      var ids: [UInt32] = []
      for n in names {
        guard let entry = config.nodes.first(where: { $0.name == n }) else {
          return out.append(.reply(id, .failure("Node '\(n)' does not appear to exist in configuration")))
        }
        ids.append(entry.id)
      }
      guard view != nil else { return out.append(.reply(id, .failure("membership is not running"))) }
      send(.stopRequest(nodes: ids))
      out.append(.reply(id, ControlResponse()))
    case .shutdown:
      out.append(.reply(id, ControlResponse()))
      beginShutdown()
    case .updateAttribute(let update):
      attributeUpdateRequested(id, update)
    case .queryAttribute(let name, let node, let all):
      attributeQueried(id, name: name, node: node, all: all)
    case .quorum, .setIsolated:
      // Questions to the membership backend: the shell answers them without the core.
      out.append(.reply(id, .failure("this request is answered by the membership backend, not the node core")))
    }
  }

  func statusInfo() -> LiveStatusInfo {
    // A DC without quorum writes nothing, so its CIB still says what the last quorate DC wrote: the copy shown
    // carries this node's own view of the DC and quorum.
    var shown = controller.cib
    if let dc = controller.dc {
      shown = PolicyEngine.StatusRecorder.recordDC(dc.cibID, haveQuorum: quorate, in: shown)
    }
    var info = LiveStatusInfo(
      clusterName: config.clusterName, localNode: config.localNode.name, dcName: controller.dc?.name,
      dcID: controller.dc.map { String($0.id) }, quorate: quorate, members: members.map { name(of: $0.rawValue) },
      membershipBackend: config.membershipBackend, cib: CIBXML.serialize(shown))
    info.watchdog = controller.watchdogSummary
    info.watchdogWarning = controller.survivorWait.warning
    return info
  }
}
