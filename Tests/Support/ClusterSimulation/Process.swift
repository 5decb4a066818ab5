import CIB
import ControlProtocol
import Controller
import LRM
import Membership

/// One unit of work inside a clusterd process step: an input for its membership core, its node core or its LRM.
enum Work {
  case membership(MembershipInput)
  case node(NodeInput)
  case lrm(ExecutorInput)
}

extension ClusterSimulator {
  /// One input of node `i`'s clusterd process, and everything it causes inside that process.
  mutating func processEvent(_ i: Int, _ ev: ProcessEvent) {
    watchdogTurn(i)
    guard nodes[i].process != nil else { return }
    switch ev {
    case .membershipTick:
      run(i, [.membership(.tick(now: membershipNow(i)))])
    case .packet(let p):
      run(i, [.membership(.packetReceived(p, now: membershipNow(i)))])
    case .nodeTick:
      after(ms: Self.nodeTickMs, .process(node: i, incarnation: nodes[i].incarnation, .nodeTick))
      run(i, [.node(.tick(at: time(i)))])
    case .timerFired(let atMs):
      run(i, [.node(.timerFired(atMs: atMs, at: time(i)))])
    case .agentRunDone(let agentRun, let result):
      run(i, [.lrm(.operationCompleted(agentRun.id, result))])
    case .lrmTimer(let key, let generation):
      guard nodes[i].process!.lrm.timerGeneration[key] == generation else { return }
      nodes[i].process!.lrm.timerGeneration[key] = nil
      run(i, [.lrm(.timerFired(key))])
    case .control(let id, let request):
      run(i, [.node(.controlRequested(id, request, at: time(i)))])
    }
    checkWrites(i)
  }

  /// Runs work items in order until none is left (the daemon's event loop, one input at a time).
  mutating func run(_ i: Int, _ initial: [Work]) {
    var work = initial
    var next = 0
    while next < work.count {
      guard nodes[i].process != nil else { return }
      let item = work[next]
      next += 1
      switch item {
      case .membership(let input):
        let fx = nodes[i].process!.membership.handle(input)
        for e in fx { membershipEffect(i, e, &work) }
        if nodes[i].process != nil { reportContact(i, force: false, &work) }
      case .node(let input):
        let p = nodes[i].process!
        let dcBefore = p.dcID
        let fx = p.handle(input)
        if p.dcID != dcBefore { mark(4, Int64(i), Int64(p.dcID ?? 0)) }
        for e in fx { nodeEffect(i, e, &work) }
      case .lrm(let input):
        lrm(i, input, &work)
      }
    }
  }

  mutating func membershipEffect(_ i: Int, _ e: MembershipEffect, _ work: inout [Work]) {
    switch e {
    case .send(let p, let targets):
      for t in targets { sendPacket(p, from: i, to: Int(t.rawValue) - 1) }
    case .installView(let v):
      log("n\(i + 1) installs view \(v)")
      mark(3, Int64(i), Int64(v.id.epoch), Int64(v.members.count))
      reportContact(i, force: true, &work)
      work.append(.node(.viewInstalled(v, at: time(i))))
    case .quorumChanged(let s):
      log("n\(i + 1) quorate=\(s.quorate)")
      work.append(.node(.quorumChanged(quorate: s.quorate, view: s.ringID, at: time(i))))
    case .deliver(let d):
      guard d.payload.count == 8 else { return }
      var index = 0
      for b in d.payload.reversed() { index = index << 8 | Int(b) }
      work.append(.node(.messageDelivered(messages[index], sender: d.sender.id, view: d.view, at: time(i))))
    case .scheduleTick(let after):
      schedule(atUs: nowUs + max(1, Self.microseconds(after)),
               .process(node: i, incarnation: nodes[i].incarnation, .membershipTick))
    case .broadcastRejected(let reason):
      log("n\(i + 1) broadcast rejected: \(reason)")
    case .broadcastAborted(_, let view):
      log("n\(i + 1) broadcast cut by the end of \(view)")
    case .left:
      log("n\(i + 1) left the membership")
    }
  }

  mutating func nodeEffect(_ i: Int, _ e: NodeEffect, _ work: inout [Work]) {
    switch e {
    case .broadcast(let m):
      // The message itself stays in the simulator; the broadcast carries its index (no JSON on the hot path).
      let index = messages.count
      messages.append(m)
      if options.trace { log("n\(i + 1) broadcasts \(traceMessageText(m))") }
      var payload = [UInt8](repeating: 0, count: 8)
      for k in 0..<8 { payload[k] = UInt8(truncatingIfNeeded: index >> (8 * k)) }
      work.append(.membership(.broadcastRequested(payload: payload, now: membershipNow(i))))
    case .runLocally(let call):
      work.append(.lrm(.operationRequested(call)))
    case .recordMayRun(let resource):
      if !nodes[i].mayRun.contains(resource) { nodes[i].mayRun.append(resource) }
    case .rewriteMayRun(let resources):
      nodes[i].mayRun = resources
    case .cancelLocally(let key):
      log("n\(i + 1) LRM cancels \(key)")
      work.append(.lrm(.cancelRequested(key)))
    case .persist(let cib, let term):
      // clusterd writes synchronously (atomic file + fsync) before it performs the next effect: what follows (a
      // `cibStored` to the DC) may only go out once this is durable.
      nodes[i].disk = cib
      nodes[i].diskTerm = term
    case .scheduleTimer(let atMs):
      let started = nodes[i].process!.startedAtUs
      schedule(atUs: max(nowUs, started + atMs * 1000),
               .process(node: i, incarnation: nodes[i].incarnation, .timerFired(atMs: atMs)))
    case .reply(let id, let response):
      clientReply(id, error: response.error)
    case .log(let level, let text):
      if level == .critical || text.hasPrefix("transition ") && text.contains("started") { countLog(text) }
      log("n\(i + 1) \(level.rawValue): \(text)")
    case .leaveCluster:
      log("n\(i + 1) leaves the cluster")
      work.append(.membership(.leaveRequested(now: membershipNow(i))))
    case .fence(let node, _, _):
      log("n\(i + 1) asks to fence \(node) (no fencing configured)")
    case .alert:
      break
    }
  }

  /// The membership's proof of contact, on the node core's clock, whenever it changed (and before each view), as
  /// clusterd's membership shell reports it.
  mutating func reportContact(_ i: Int, force: Bool, _ work: inout [Work]) {
    let p = nodes[i].process!
    let since = p.quorumContactSince()
    guard force || since != p.reportedContact else { return }
    p.reportedContact = since
    let nowMs = time(i).monotonicMs
    let memNow = membershipNow(i)
    func onNodeClock(_ d: Duration) -> Int64 { nowMs - Self.wholeMs(memNow - d) }
    var heard: [UInt32: Int64] = [:]
    for (id, d) in p.peerLastHeard() { heard[id.rawValue] = onNodeClock(d) }
    let contact = MembershipContact(quorumSinceMs: since.map(onNodeClock), peerHeardMs: heard)
    work.append(.node(.membershipContact(contact, at: time(i))))
  }

  static func wholeMs(_ d: Duration) -> Int64 {
    let (s, atto) = d.components
    return s * 1000 + atto / 1_000_000_000_000_000
  }

  /// clusterd's daemon loop turns (every input): the real `WatchdogCore` decides whether to feed the device.
  mutating func watchdogTurn(_ i: Int) {
    let p = nodes[i].process!
    let fx = p.watchdog.handle(.loopTurned(p.leaseFacts, atMs: time(i).monotonicMs))
    for e in fx {
      switch e {
      case .feedWatchdog:
        let deadline = nowMs + (watchdogTiming?.timeoutMs ?? 0)
        nodes[i].watchdogDeadlineMs = deadline
        schedule(atUs: deadline * 1000, .watchdogExpiry(node: i, deadlineMs: deadline))
      case .stopFeeding(let reason):
        log("n\(i + 1) watchdog: no more keepalives (\(reason))")
      case .resumeFeeding:
        log("n\(i + 1) watchdog: keepalives resume")
      case .resumedAfterFreeze(let gapMs):
        let freezeGapMs = nodes[i].process!.watchdog.freezeGapMs
        let effects = nodes[i].process!.resumedAfterFreeze(gapMs: gapMs, freezeGapMs: freezeGapMs, at: time(i))
        var work: [Work] = []
        for e in effects { nodeEffect(i, e, &work) }
        run(i, work)
      case .disarmWatchdog:
        nodes[i].watchdogDeadlineMs = nil
      }
    }
  }

  mutating func countLog(_ text: String) {
    if text.hasPrefix("transition ") { result.transitions += 1 }
  }

  func traceMessageText(_ m: ClusterMessage) -> String {
    switch m {
    case .hello(let node, let a, let e, let u, let term, _, _, _): "hello from \(node) CIB \(a).\(e).\(u) term \(term)"
    case .cib(_, let sync, let epoch, let term): sync ? "cib sync for view epoch \(epoch) term \(term)" : "cib update term \(term)"
    case .replaceRequest(let origin, let id, _, let a, let e, _): "replace request \(id) from \(origin) base \(a).\(e)"
    case .replaceDone(let origin, let id, let error): "replace done \(id) for \(origin): \(error ?? "ok")"
    case .execute(let r): "execute \(r.resource)_\(r.task)_\(r.intervalMs) on \(r.nodeName)"
    case .cancel(let node, let r, let t, let iv): "cancel \(r)_\(t)_\(iv) on \(node)"
    case .result(let c): "result \(c.resource)_\(c.task)_\(c.intervalMs) on \(c.node) rc=\(c.rc)"
    default: "\(m)"
    }
  }

  // MARK: the network

  func canTalk(_ a: Int, _ b: Int) -> Bool { group[a] == group[b] && !cuts.contains(a * 16 + b) }

  mutating func sendPacket(_ p: Packet, from a: Int, to b: Int) {
    guard b >= 0 && b < n else { return }
    if b == a {
      schedule(atUs: nowUs, .process(node: b, incarnation: 0, .packet(p)))
      return
    }
    guard canTalk(a, b), Int.random(in: 0..<100, using: &rng) >= plan.lossPercent else { return }
    let delay = Int64.random(in: 50...plan.delayMaxUs, using: &rng)
    schedule(atUs: nowUs + delay, .process(node: b, incarnation: 0, .packet(p)))
    if Int.random(in: 0..<100, using: &rng) < plan.duplicatePercent {
      schedule(atUs: nowUs + Int64.random(in: 50...plan.delayMaxUs * 2, using: &rng),
               .process(node: b, incarnation: 0, .packet(p)))
    }
  }
}
