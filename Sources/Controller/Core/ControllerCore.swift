import CIB
import ControlProtocol
import PolicyEngine

/// The controller of one node, as a value: DC election, the DC's transition engine, the lease, fencing gating,
/// result recording and the failover timeline. No I/O, no clock: the shell (clusterd) feeds `ControllerInput`s
/// and performs the returned `ControllerEffect`s in order.
///
/// Rules it keeps (docs/ARCHITECTURE.md, "Controller"):
/// - DC: the member of the current view with the lowest node id. Only the DC computes transitions and writes the
///   CIB (`.updateCIB`); the other cores take the DC's CIB through `.cibReplaced`.
/// - The DC recomputes after every change it sees (membership, CIB edit, unexpected result), never while a
///   transition has actions in flight: a change aborts the transition (in-flight actions finish, nothing new fires).
/// - Without quorum (and no-quorum-policy stop, the default) every node stops its own resources at once and no DC
///   computes; the quorate side starts a lost node's resources only once its lease has run out, or, with fencing
///   configured, once the node is fenced.
public struct ControllerCore: Sendable {
  public let config: ControllerConfig
  /// The newest CIB this node knows (the DC's own writes, or the last `.cibReplaced`).
  public internal(set) var cib: CIBElement
  public private(set) var members: [ControllerNode] = []
  public private(set) var quorate = false
  public private(set) var dc: ControllerNode?
  public private(set) var transition: Transition?
  /// Lost nodes whose lease has not run out yet, by node name.
  public internal(set) var leases: [String: Lease] = [:]
  /// Set on a node that lost quorum while its own resources are being stopped.
  public private(set) var localLease: LocalLease?
  public internal(set) var timeline = FailoverTimeline()

  var transitionCounter = 0
  var dirty = false
  var fenceAttempts: [String: Int] = [:]
  var timersAsked: Set<Int64> = []
  var shutdownAnnounced: Set<String> = []
  /// On the DC: when the scheduler's answer may change by the clock alone (`RecheckTimer`), monotonic ms.
  public internal(set) var recheckAtMs: Int64?
  /// Results this node saw while another node was DC that no CIB from that DC carries yet, oldest first. If that
  /// DC dies between a result's delivery and its CIB update, the next DC records them, so it never schedules a
  /// start of something that already runs (or forgets a failure).
  public internal(set) var unrecorded: [OperationCompletion] = []
  static let unrecordedMax = 256

  /// A lost node's resources may not start elsewhere before `untilMs`.
  public struct Lease: Sendable, Equatable {
    public var node: String
    public var untilMs: Int64
    /// History ids of the resources that were active on it.
    public var resources: [String]
    var incident: Int?
  }

  /// This node lost quorum: its resources are being stopped and must be by `deadlineMs`.
  public struct LocalLease: Sendable, Equatable {
    public var deadlineMs: Int64
    public var pending: [String]
    var expiredReported = false
    var incident: Int?
  }

  public init(config: ControllerConfig, cib: CIBElement) {
    self.config = config
    self.cib = cib
  }

  public var isDC: Bool { dc == config.localNode }

  /// The one entry point. Effects come in the order the shell must perform them.
  public mutating func handle(_ input: ControllerInput) -> [ControllerEffect] {
    let before = cib
    var effects: [ControllerEffect] = []
    let now: ControllerTime
    switch input {
    case .membershipChanged(let newMembers, let q, let left, let lastHeard, let newestCIB, let restarted, let at):
      now = at
      if let newestCIB {
        cib = newestCIB
        pruneUnrecorded()
      }
      effects += onMembership(newMembers, quorate: q, left: Set(left), lastHeard: lastHeard, restarted: Set(restarted),
                              adoptedCIB: newestCIB != nil, at: at)
    case .cibReplaced(let newCIB, let at):
      now = at
      cib = newCIB
      pruneUnrecorded()
      if isDC { markChanged() }
    case .operationCompleted(let c, let at):
      now = at
      onCompletion(c, at: at, effects: &effects)
    case .fencingCompleted(let node, let success, let at):
      now = at
      onFencing(node, success: success, at: at)
    case .tick(let at):
      now = at
      onTick(at, effects: &effects)
      recheckIfDue(at)
    }
    timersAsked = timersAsked.filter { $0 > now.monotonicMs }
    if canCompute { step(at: now, effects: &effects) }
    if isDC && cib != before {
      var stamped = cib
      if (try? CIBVersion.stamp(&stamped, after: before)) != nil { cib = stamped }
      // The update goes before anything that depends on it having been written.
      let firstExecute = effects.firstIndex { if case .execute = $0 { true } else if case .fence = $0 { true } else { false } }
      effects.insert(.updateCIB(cib), at: firstExecute ?? effects.count)
    }
    return effects
  }

  // MARK: membership and election

  mutating func onMembership(_ newMembers: [ControllerNode], quorate q: Bool, left: Set<UInt32>,
                             lastHeard: [UInt32: Int64], restarted: Set<UInt32> = [], adoptedCIB: Bool = false,
                             at: ControllerTime) -> [ControllerEffect] {
    var effects: [ControllerEffect] = []
    let old = members
    let oldDC = dc
    let wasQuorate = quorate
    members = newMembers.sorted()
    quorate = q
    // A node this one had in no view but that the CIB shows online was in another member's view until now: at a
    // merge the membership may first install a view that leaves out a node still running its resources in a view
    // of its own (it kept hearing the member that moved, so it noticed nothing). It counts as lost here, its lease
    // from now: when it was last heard is unknown to this node, and not later than now.
    let unseen = configuredNodes().filter { n in
      !members.contains { $0.id == n.id } && !old.contains { $0.id == n.id } && !left.contains(n.id)
        && (nodeStateValue(n.cibID, "in_ccm") == "true" || nodeStateValue(n.cibID, "crmd") == "online")
    }
    let lost = old.filter { o in !members.contains { $0.id == o.id } && !left.contains(o.id) } + unseen
    let latestHeard = lost.compactMap { lastHeard[$0.id] }.max() ?? at.monotonicMs

    // The lease, on this node: no quorum -> stop what runs here, now, whoever is DC.
    if !q && (wasQuorate || old.isEmpty) && noQuorumStops(cib) && localLease == nil {
      effects += startLocalLease(since: lost.isEmpty ? at.monotonicMs : latestHeard, at: at)
    } else if q {
      if let l = localLease, let inc = l.incident { closeIncident(inc, at.monotonicMs, "quorum regained") }
      localLease = nil
    }

    // Election: lowest node id among the view's members.
    let newDC = members.contains(config.localNode) ? members.first : nil
    if newDC != dc {
      dc = newDC
      effects.append(.dcChanged(newDC))
      if !isDC { transition = nil }
    }
    // Nodes that joined this node's view (all of them after a view without quorum, or at the first view): their
    // history may have been written by another partition or an earlier life, so it is forgotten and they are
    // probed again (Pacemaker's DC likewise replaces a joining node's history with what its executor reports).
    // So is everyone's when this view adopted another node's CIB (a merge): its status was written where this
    // node's own resources were not seen, and a copy running here that it does not show would never be stopped.
    let rejoined = old.isEmpty || !wasQuorate || adoptedCIB
      ? members : members.filter { m in !old.contains { $0.id == m.id } || restarted.contains(m.id) }
    // Results of those nodes that no DC recorded are older than the probes they get now: kept, a later DC would
    // write them over newer history (a start-up stop recorded after the start that followed it).
    unrecorded.removeAll { c in rejoined.contains { $0.name == c.node } }
    guard canCompute else {
      // A DC without quorum writes nothing (its CIB would fork from the quorate side's, and the next
      // synchronization might prefer it) and fires nothing new; it records what it saw once quorate again.
      transition?.aborted = true
      return effects
    }

    // Results the previous DC saw (or may have seen) but never wrote: recorded first, they describe the past.
    for c in unrecorded where !isRecorded(c) && isCurrentRecurring(c) { record(c, request: nil, at: at) }
    unrecorded.removeAll()

    // Actions in flight are given up at once, not after their timeout plus cluster-delay (an aborted transition
    // waits for its in-flight actions before the DC may recompute): a node that left will never answer, one that
    // stayed may have answered in a view this DC was not in (it flapped through a view without this node; each view
    // change is one such chance), where the answer was delivered and so lost here, and a view change may cut any
    // broadcast still undelivered, this node's own results included (delivered to nobody).
    // An operation that changes what runs may have done so: its resource's history on that node is forgotten, so
    // the next transition probes it there before starting it anywhere (the probe runs after the operation in that
    // node's LRM, so it reports the outcome). A probe or monitor changes nothing: it is simply asked again.
    var reprobe: [(resource: String, nodeID: String)] = []
    if var t = transition {
      for i in t.actions.indices {
        guard case .inFlight = t.actions[i].state, case .operation(let r) = t.actions[i].kind else { continue }
        t.actions[i].state = .failed
        t.aborted = true
        if r.task != "monitor" && members.contains(where: { $0.id == r.node.id }) {
          reprobe.append((r.resource, r.node.cibID))
        }
      }
      transition = t
    }

    // The DC records the view: who joined, who left, who was lost (with their leases or fencing).
    let input = try? CIBReader.read(cib, now: at.wallSeconds)
    let preState = input.map { interpretStatus($0) }
    let fencing = preState.map { $0.options.stonithEnabled && $0.options.haveStonithResource } ?? false
    // A partition without quorum (no-quorum-policy stop) starts nothing: no lease or incident for whom it lost.
    for n in lost where canCompute {
      let kind: Incident.Kind = n == oldDC ? .dcLost : .nodeLost
      var inc = openIncident(kind, subject: n.name)
      if let h = lastHeard[n.id] { inc.add("last-heard", h) }
      inc.add("new-view", at.monotonicMs, "members " + members.map(\.name).joined(separator: " "))
      if !fencing {
        let active = preState.map { activeResources(on: n.name, $0) } ?? []
        // An unseen node that a member had in its view within the wait counts from now: the member's "it left my
        // view at V, so I last heard it at most V - T" assumes it left by silence, but at a merge it was left out
        // while still heard (and still running). One out of every view for longer than the wait is trusted.
        let reported = lastHeard[n.id]
        let recent = reported.map { $0 > at.monotonicMs - survivorWait.waitMs } ?? true
        let heard = unseen.contains(n) && recent ? at.monotonicMs : reported ?? at.monotonicMs
        let until = heard + survivorWait.waitMs
        leases[n.name] = Lease(node: n.name, untilMs: until, resources: active, incident: inc.id)
        inc.add("lease-started", at.monotonicMs, "until +\(until - inc.startMsOr(at.monotonicMs)) ms, holds "
                  + (active.isEmpty ? "nothing" : active.joined(separator: " ")))
        askTimer(until, &effects)
      }
      store(inc)
    }
    if !fencing { leaseNodesHeardElsewhere(lastHeard, lost: lost, left: left, state: preState, at: at, &effects) }
    var c = cib
    for m in rejoined {
      c = PolicyEngine.StatusRecorder.forgetHistory(nodeID: m.cibID, in: c)
      // A node that (re)joins is not shutting down (its clusterd asks again if it still is): a `shutdown` left from
      // its last life (pcs cluster stop --all) would keep everything stopped after a whole-cluster restart.
      if hasTransientAttribute("shutdown", nodeID: m.cibID) {
        c = PolicyEngine.StatusRecorder.setTransientAttribute("shutdown", value: nil, nodeID: m.cibID, uname: m.name, in: c)
      }
    }
    for (resource, nodeID) in reprobe {
      c = PolicyEngine.StatusRecorder.forgetHistory(resource: resource, nodeID: nodeID, in: c)
    }
    for m in members where nodeStateValue(m.cibID, "join") != "member" || nodeStateValue(m.cibID, "crmd") != "online"
      || nodeStateValue(m.cibID, "in_ccm") != "true" {
      c = PolicyEngine.StatusRecorder.recordMembership(.joined, nodeID: m.cibID, uname: m.name, in: c)
    }
    for n in configuredNodes() where !members.contains(where: { $0.cibID == n.cibID }) {
      let gone = left.contains(n.id)
      if gone {
        if nodeStateValue(n.cibID, "expected") != "down" || nodeStateValue(n.cibID, "in_ccm") != "false" {
          c = PolicyEngine.StatusRecorder.recordMembership(.left, nodeID: n.cibID, uname: n.name, in: c)
        }
      } else if nodeStateValue(n.cibID, "in_ccm") == "true" || nodeStateValue(n.cibID, "crmd") == "online" {
        c = PolicyEngine.StatusRecorder.recordMembership(.lost, nodeID: n.cibID, uname: n.name, in: c)
      }
    }
    c = PolicyEngine.StatusRecorder.recordDC(config.localNode.cibID, haveQuorum: q, in: c)
    if let v = config.dcVersion {
      c = setBootstrapOption("dc-version", v, in: c)
      c = setBootstrapOption("cluster-infrastructure", config.clusterInfrastructure, in: c)
      c = setBootstrapOption("have-watchdog", config.watchdog == nil ? "false" : "true", in: c)
    }
    cib = c
    markChanged()
    return effects
  }

  /// Stops everything this node runs (the lease of a node without quorum).
  mutating func startLocalLease(since heardMs: Int64, at: ControllerTime) -> [ControllerEffect] {
    var effects: [ControllerEffect] = []
    guard let input = try? CIBReader.read(cib, now: at.wallSeconds) else { return effects }
    let state = interpretStatus(input)
    var active = activeResources(on: config.localNode.name, state)
    // Starts this node's transition has in flight here are about to make more resources active: stop those too.
    for a in transition?.actions ?? [] {
      guard case .inFlight = a.state, case .operation(let r) = a.kind, r.node == config.localNode,
            ["start", "promote", "migrate_from"].contains(r.task), !active.contains(r.resource) else { continue }
      active.append(r.resource)
    }
    active.sort()
    var inc = openIncident(.quorumLost, subject: config.localNode.name)
    inc.add("new-view", at.monotonicMs, "no quorum: members " + members.map(\.name).joined(separator: " "))
    let deadline = heardMs + config.lease.leaseMs
    for rid in active { effects += leaseStop(rid, input: input) }
    // The lease stops cancel those resources' recurring operations here, and a cancelled one never reports: this
    // node's transition gives them up now, or, quorate again in the same view, it would wait for their timeout.
    if var t = transition {
      for i in t.actions.indices {
        guard case .inFlight = t.actions[i].state, case .operation(let r) = t.actions[i].kind, r.node == config.localNode,
              r.intervalMs > 0, active.contains(r.resource) else { continue }
        t.actions[i].state = .failed
        t.aborted = true
      }
      transition = t
    }
    inc.add("lease-stop", at.monotonicMs, active.isEmpty ? "nothing runs here" : "stopping " + active.joined(separator: " "))
    if active.isEmpty { inc.add("stop-complete", at.monotonicMs) }
    localLease = LocalLease(deadlineMs: deadline, pending: active, incident: inc.id)
    store(inc)
    askTimer(deadline, &effects)
    return effects
  }

  /// What this node's previous life left running, by its own CIB: a clusterd killed with -9 leaves its resources'
  /// processes behind, and once it rejoins, the DC's probe would find them active next to the copy the cluster
  /// started meanwhile (a real double run until the DC's multiple-active recovery). The shell performs these stops
  /// before it joins; the LRM runs a resource's operations in order, so any later probe sees the stop's result.
  public func orphanStops(at: ControllerTime) -> [ControllerEffect] {
    guard let input = try? CIBReader.read(cib, now: at.wallSeconds) else { return [] }
    let active = activeResources(on: config.localNode.name, interpretStatus(input))
    return active.reversed().flatMap { rid -> [ControllerEffect] in
      var stops = leaseStop(rid, input: input)
      // Recurring ops of an earlier life are unknown to this LRM: nothing to cancel.
      stops.removeAll { if case .cancel = $0 { true } else { false } }
      return stops
    }
  }

  /// The stop of one local resource under the lease (after cancelling its recurring operations).
  func leaseStop(_ rid: String, at: ControllerTime) -> [ControllerEffect] {
    leaseStop(rid, input: try? CIBReader.read(cib, now: at.wallSeconds))
  }

  /// The same from the CIB as read once by the caller: reading the CIB costs as much as the CIB is large, so a
  /// read per resource made stopping N resources cost N^2 (a start-up with 300 configured primitives kept the
  /// daemon loop from turning for over a second, and the watchdog reset the node before it had stopped anything).
  func leaseStop(_ rid: String, input: SchedulerInput?) -> [ControllerEffect] {
    let def = input.flatMap { OperationDefinition(input: $0, resource: rid, task: "stop") }
    let req = ActionRequest(
      node: config.localNode, resource: rid, agentClass: def?.agentClass ?? "", agentProvider: def?.agentProvider,
      agentType: def?.agentType ?? "", task: "stop", intervalMs: 0, parameters: def?.parameters ?? [:],
      // The stop's own timeout, not the lease's deadline: killing a slow stop at the deadline would leave the
      // resource no more stopped and record a failed stop (fail-count INFINITY on this node). Past the deadline the
      // core reports `.leaseExpired` instead.
      timeoutMs: def?.timeoutMs ?? 20_000,
      transitionKey: TransitionKey(actionID: 0, transitionID: -1, targetRC: 0, uuid: config.controllerUUID))
    return cancelRecurring(rid, on: config.localNode) + [.execute(req)]
  }

  // MARK: results

  mutating func onCompletion(_ c: OperationCompletion, at: ControllerTime, effects: inout [ControllerEffect]) {
    // The lease bookkeeping of this node.
    if c.node == config.localNode.name, c.task == "stop", var l = localLease, let i = l.pending.firstIndex(of: c.resource) {
      l.pending.remove(at: i)
      if l.pending.isEmpty, let inc = l.incident { addEvent(inc, "stop-complete", at.monotonicMs) }
      localLease = l
    }
    // Without quorum, anything that still completes a start here (sent before the loss) is stopped at once.
    if c.node == config.localNode.name, var l = localLease, ["start", "promote", "migrate_from"].contains(c.task),
       c.status == .done, c.rc == 0 || c.rc == 8 {
      if !l.pending.contains(c.resource) {
        l.pending.append(c.resource)
        l.pending.sort()
        if let inc = l.incident { addEvent(inc, "lease-stop", at.monotonicMs, "stopping late start " + c.resource) }
      }
      localLease = l
      effects.append(contentsOf: leaseStop(c.resource, at: at))
    }
    // A stop ends every recurring operation of its resource on that node before it runs (the LRM's rule), whoever
    // asked for it: the transition's in-flight ones there never report (a stop the node's lease decided alone
    // cancels them), so they are given up now rather than at their timeout, which would hold the transition.
    if c.task == "stop", var t = transition {
      for i in t.actions.indices {
        guard case .inFlight = t.actions[i].state, case .operation(let r) = t.actions[i].kind, r.node.name == c.node,
              r.resource == c.resource, r.intervalMs > 0 else { continue }
        t.actions[i].state = .failed
        t.aborted = true
      }
      transition = t
    }
    guard canCompute else {
      // A DC without quorum keeps its transition's bookkeeping (so it can complete) but writes nothing.
      if isDC, var t = transition, let i = t.match(c), case .operation(let req) = t.actions[i].kind {
        t.actions[i].state = c.status == .done && c.rc == req.transitionKey.targetRC ? .done : .failed
        t.aborted = true
        transition = t
      }
      if !isRecorded(c) {
        unrecorded.append(c)
        if unrecorded.count > Self.unrecordedMax { unrecorded.removeFirst(unrecorded.count - Self.unrecordedMax) }
      }
      return
    }
    if var t = transition, let i = t.match(c), case .operation(let req) = t.actions[i].kind {
      record(c, request: req, at: at)
      let ok = c.status == .done && c.rc == req.transitionKey.targetRC
      t.actions[i].state = ok ? .done : .failed
      if !ok {
        t.aborted = true
        dirty = true
        if c.task == "monitor" && c.intervalMs > 0 {
          var inc = openIncident(.resourceFailed, subject: "\(c.resource) on \(c.node)")
          inc.add("detected", at.monotonicMs, "\(c.task)_\(c.intervalMs) rc=\(c.rc)")
          store(inc)
        }
      } else if c.task == "start" || c.task == "promote" {
        noteStarted(c.resource, on: c.node, at.monotonicMs)
      }
      transition = t
      return
    }
    // A result nobody waits for: a recurring monitor that changed, or an action of an older transition.
    if c.intervalMs > 0 && (!isCurrentRecurring(c) || c.status != .cancelled && unchangedRecurring(c)) { return }
    record(c, request: nil, at: at)
    let failed = c.status != .done && c.status != .cancelled || (c.status == .done && c.rc != (c.transitionKey?.targetRC ?? 0))
    if failed && c.task == "monitor" {
      var inc = openIncident(.resourceFailed, subject: "\(c.resource) on \(c.node)")
      inc.add("detected", at.monotonicMs, "\(c.task)_\(c.intervalMs) rc=\(c.rc)\(c.exitReason.isEmpty ? "" : " " + c.exitReason)")
      store(inc)
    }
    markChanged()
  }

  mutating func onFencing(_ node: String, success: Bool, at: ControllerTime) {
    guard isDC else { return }
    if success {
      if let n = configuredNodes().first(where: { $0.name == node }) ?? members.first(where: { $0.name == node }) {
        cib = PolicyEngine.StatusRecorder.recordMembership(.fenced, nodeID: n.cibID, uname: n.name, in: cib)
      }
      fenceAttempts[node] = nil
      for i in timeline.incidents.indices where !timeline.incidents[i].closed && timeline.incidents[i].subject == node {
        timeline.incidents[i].add("fenced", at.monotonicMs)
      }
    } else {
      fenceAttempts[node, default: 0] += 1
    }
    if var t = transition, let i = t.matchFence(node) {
      t.actions[i].state = success ? .done : .failed
      if !success { t.aborted = true }
      transition = t
    }
    if success || (fenceAttempts[node] ?? 0) < config.fenceAttemptsMax { markChanged() }
  }

  mutating func onTick(_ at: ControllerTime, effects: inout [ControllerEffect]) {
    if var l = localLease, at.monotonicMs >= l.deadlineMs, !l.pending.isEmpty, !l.expiredReported {
      l.expiredReported = true
      if let inc = l.incident { addEvent(inc, "lease-expired", at.monotonicMs, "still stopping " + l.pending.joined(separator: " ")) }
      effects.append(.leaseExpired(resources: l.pending))
      localLease = l
    }
    for name in leases.keys.sorted() where leases[name]!.untilMs <= at.monotonicMs {
      if let inc = leases[name]!.incident { addEvent(inc, "lease-expired", at.monotonicMs) }
      leases[name] = nil
    }
  }

  /// Writes a result into the CIB (call ids continue each node's history).
  mutating func record(_ c: OperationCompletion, request: ActionRequest?, at: ControllerTime) {
    guard let nodeID = nodeID(for: c.node) else { return }
    let input = try? CIBReader.read(cib, now: at.wallSeconds)
    let def = input.flatMap { OperationDefinition(input: $0, resource: c.resource, task: c.task, intervalMs: c.intervalMs) }
    var agent = (request?.agentClass ?? def?.agentClass, request?.agentProvider ?? def?.agentProvider,
                 request?.agentType ?? def?.agentType)
    if agent.0 == nil || agent.0 == "" { agent = historyAgent(c.resource, nodeID: nodeID) }
    let rec = RecordedOperation(
      resource: c.resource, agentClass: agent.0 ?? "", agentProvider: agent.1, agentType: agent.2 ?? "",
      task: c.task, intervalMs: c.intervalMs, node: c.node, nodeID: nodeID, callID: maxCallID(nodeID) + 1, rc: c.rc,
      status: c.status, exitReason: c.exitReason, transitionKey: c.transitionKey, lastRCChange: at.wallSeconds,
      execTimeMs: c.execTimeMs, queueTimeMs: c.queueTimeMs, parameters: request?.parameters ?? def?.parameters ?? [:],
      timeoutMs: request?.timeoutMs ?? def?.timeoutMs, restartParameters: c.restartParameters,
      secureParameters: c.secureParameters)
    let fatal = input.map { ($0.clusterOptions["start-failure-is-fatal"] ?? "true").lowercased() } ?? "true"
    cib = PolicyEngine.StatusRecorder.record(rec, into: cib, failurePolicy: .init(
      startFailureIsFatal: ["true", "yes", "on", "y", "1"].contains(fatal)))
  }

  // MARK: the transition engine (DC)

  mutating func markChanged() {
    dirty = true
    transition?.aborted = true
  }

  var canCompute: Bool { isDC && (quorate || !noQuorumStops(cib)) }

  mutating func step(at: ControllerTime, effects: inout [ControllerEffect]) {
    for _ in 0..<4 {
      if var t = transition {
        for i in t.expired(nowMs: at.monotonicMs) {
          switch t.actions[i].kind {
          case .operation(let req):
            // The DC records the timeout on the node's behalf, as Pacemaker's transition engine does.
            record(OperationCompletion(req, rc: 1, status: .timeout, exitReason: "action timed out on the DC"),
                   request: req, at: at)
          case .fence(let n, _):
            fenceAttempts[n.name, default: 0] += 1
          case .pseudo: break
          }
          t.actions[i].state = .failed
          t.aborted = true
          dirty = true
        }
        for a in t.fireReady(nowMs: at.monotonicMs) {
          switch a.kind {
          case .operation(let req):
            if ["stop", "demote", "promote"].contains(req.task) {
              effects += cancelRecurringOperations(req.resource, on: req.node)
            }
            effects.append(.execute(req))
          case .fence(let n, let action): effects.append(.fence(node: n, action: action))
          case .pseudo: break
          }
        }
        if t.isComplete {
          transition = nil
          effects.append(.transitionComplete(id: t.id, aborted: t.aborted))
          reconcileRecurring(at: at, requestMissing: true, effects: &effects)
          if !t.aborted && !dirty { closeRecoveredIncidents(at.monotonicMs) }
          effects += announceShutdowns(at)
          continue
        }
        transition = t
        if let d = t.nextDeadlineMs, d > at.monotonicMs { askTimer(d, &effects) }
        if let h = t.nextHoldMs, h > at.monotonicMs { askTimer(h, &effects) }
        return
      }
      guard dirty, canCompute else { return }
      dirty = false
      reconcileRecurring(at: at, requestMissing: false, effects: &effects)
      guard let input = try? CIBReader.read(cib, now: at.wallSeconds) else { return }
      let result = schedule(input)
      armRecheck(input, at: at, effects: &effects)
      transitionCounter += 1
      // While any lease runs, every start waits for it: the lost node may have been starting something this DC
      // never heard of (an action of a DC that was itself lost), so knowing what was active there is not enough.
      var holds: [String: Int64] = [:]
      let pendingLeases = leases.values.filter { $0.untilMs > at.monotonicMs }
      if let until = pendingLeases.map(\.untilMs).max() { holds[TransitionBuilder.everyResource] = until }
      var nodes: [String: ControllerNode] = [:]
      for n in configuredNodes() { nodes[n.name] = n }
      for n in members { nodes[n.name] = n }
      let opts = input.clusterOptions
      let batch = opts["batch-limit"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } ?? config.batchLimitDefault
      let t = TransitionBuilder(result: result, nodes: nodes, uuid: config.controllerUUID,
                                transitionID: transitionCounter, holds: holds).build(batchLimit: batch)
      for i in timeline.incidents.indices where !timeline.incidents[i].closed
        && timeline.incidents[i].offset(of: "transition-computed") == nil {
        timeline.incidents[i].add("transition-computed", at.monotonicMs, "transition \(t.id), \(t.actions.count) actions")
      }
      if t.actions.isEmpty {
        closeRecoveredIncidents(at.monotonicMs)
        effects += announceShutdowns(at)
        return
      }
      effects.append(.transitionStarted(id: t.id, actions: t.actions.count))
      transition = t
    }
  }

  /// Nodes with the shutdown attribute set and nothing left running there.
  mutating func announceShutdowns(_ at: ControllerTime) -> [ControllerEffect] {
    guard let input = try? CIBReader.read(cib, now: at.wallSeconds) else { return [] }
    let state = interpretStatus(input)
    var out: [ControllerEffect] = []
    for n in state.nodes where n.shutdown && !shutdownAnnounced.contains(n.name) {
      guard activeResources(on: n.name, state).isEmpty,
            let node = members.first(where: { $0.name == n.name }) else { continue }
      shutdownAnnounced.insert(n.name)
      out.append(.shutdownNode(node))
    }
    return out
  }

  /// Asks the DC to move everything off `node` and then let it leave (pcs cluster stop): sets the node's
  /// `shutdown` transient attribute as Pacemaker does; `.shutdownNode` follows once nothing runs there.
  public mutating func requestShutdown(of node: ControllerNode, at: ControllerTime) -> [ControllerEffect] {
    guard canCompute else { return [] }
    let before = cib
    cib = PolicyEngine.StatusRecorder.setTransientAttribute("shutdown", value: String(at.wallSeconds), nodeID: node.cibID,
                                               uname: node.name, in: cib)
    shutdownAnnounced.remove(node.name)
    markChanged()
    var effects: [ControllerEffect] = []
    step(at: at, effects: &effects)
    var stamped = cib
    if (try? CIBVersion.stamp(&stamped, after: before)) != nil { cib = stamped }
    return [.updateCIB(cib)] + effects
  }

  /// Whether a DC would find nothing to do for `cib` (the transition it would build is empty): what
  /// `pcs ... --wait` polls for, decided by the same code the DC runs.
  public static func isSettled(_ cib: CIBElement, now: Int64) -> Bool {
    guard let input = try? CIBReader.read(cib, now: now) else { return false }
    var nodes: [String: ControllerNode] = [:]
    for n in cib.firstElement(named: "configuration")?.firstElement(named: "nodes")?.elements(named: "node") ?? [] {
      if let id = n.id.flatMap({ UInt32($0) }), let name = n[attribute: "uname"] { nodes[name] = ControllerNode(id: id, name: name) }
    }
    let t = TransitionBuilder(result: schedule(input), nodes: nodes, uuid: "settled", transitionID: 0, holds: [:])
      .build(batchLimit: 16)
    return t.actions.isEmpty
  }
}


extension Incident {
  func startMsOr(_ fallback: Int64) -> Int64 { events.isEmpty ? fallback : startMs }
}
