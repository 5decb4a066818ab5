import CIB
import Controller
import Membership

/// One unit of work inside a clusterd process step: an input for its membership core or for its node logic.
enum Work {
  case membership(MembershipInput)
  case logic(NodeInput)
}

extension ClusterSimulator {
  /// One input of node `i`'s clusterd process, and everything it causes inside that process.
  mutating func processEvent(_ i: Int, _ ev: ProcessEvent) {
    switch ev {
    case .membershipTick:
      run(i, [.membership(.tick(now: membershipNow(i)))])
    case .packet(let p):
      run(i, [.membership(.packetReceived(p, now: membershipNow(i)))])
    case .controllerTimer(let atMs):
      run(i, [.logic(.timer(atMs: atMs, time(i)))])
    case .lrmDone(let agentRun, let rc):
      guard let completion = lrmFinished(i, agentRun, rc: rc) else { return }
      run(i, [.logic(.operationCompleted(completion, time(i)))])
    case .recurringDue(let key):
      recurringDue(i, key)
    case .diskWriteDone(let cib):
      nodes[i].disk = cib
    case .replace(let id, let xml, let a, let e):
      run(i, [.logic(.replaceRequested(requestID: id, xml: xml, baseAdminEpoch: a, baseEpoch: e, time(i)))])
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
      case .logic(let input):
        let fx = nodes[i].process!.logic.handle(input)
        for e in fx { logicEffect(i, e, &work) }
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
      work.append(.logic(.viewInstalled(v, time(i))))
    case .quorumChanged(let s):
      log("n\(i + 1) quorate=\(s.quorate)")
      work.append(.logic(.quorumChanged(s.quorate, time(i))))
    case .deliver(let d):
      guard d.payload.count == 8 else { return }
      var index = 0
      for b in d.payload.reversed() { index = index << 8 | Int(b) }
      let inView = d.view == nodes[i].process!.logic.view?.id
      work.append(.logic(.delivered(messages[index], sender: d.sender.id, inView: inView, time(i))))
    case .scheduleTick(let after):
      let us = Int64(after.components.seconds) * 1_000_000 + Int64(after.components.attoseconds / 1_000_000_000_000)
      schedule(atUs: nowUs + max(1, us), .process(node: i, incarnation: nodes[i].incarnation, .membershipTick))
    case .broadcastRejected(let reason):
      log("n\(i + 1) broadcast rejected: \(reason)")
    case .left:
      log("n\(i + 1) left the membership")
    }
  }

  mutating func logicEffect(_ i: Int, _ e: NodeEffect, _ work: inout [Work]) {
    switch e {
    case .broadcast(let m):
      let index = messages.count
      messages.append(m)
      if options.trace { traceMessage(i, m) }
      var payload = [UInt8](repeating: 0, count: 8)
      for k in 0..<8 { payload[k] = UInt8(truncatingIfNeeded: index >> (8 * k)) }
      work.append(.membership(.broadcastRequested(payload: payload, now: membershipNow(i))))
    case .run(let request):
      lrmRequest(i, request)
    case .cancel(let resource, let task, let intervalMs):
      lrmCancel(i, key: "\(resource)_\(task)_\(intervalMs)")
    case .persist(let cib):
      // The daemon writes in the background (atomic file + fsync): a crash before it completes loses it.
      after(ms: Int64.random(in: 1...15, using: &rng),
            .process(node: i, incarnation: nodes[i].incarnation, .diskWriteDone(cib)))
    case .scheduleTimer(let atMs):
      let started = nodes[i].process!.startedAtUs
      schedule(atUs: max(nowUs, started + atMs * 1000),
               .process(node: i, incarnation: nodes[i].incarnation, .controllerTimer(atMs: atMs)))
    case .reply(let id, let error):
      clientReply(id, error: error)
    case .observed(let effect):
      observe(i, effect)
    }
  }

  mutating func observe(_ i: Int, _ effect: ControllerEffect) {
    switch effect {
    case .dcChanged(let dc):
      log("n\(i + 1) sees DC \(dc?.name ?? "none")")
      mark(4, Int64(i), Int64(dc?.id ?? 0))
    case .transitionStarted(let id, let actions):
      result.transitions += 1
      log("n\(i + 1) transition \(id) started with \(actions) action(s)")
    case .transitionComplete(let id, let aborted):
      log("n\(i + 1) transition \(id) \(aborted ? "aborted" : "complete")")
    case .leaseExpired(let resources):
      log("n\(i + 1) LEASE EXPIRED still stopping \(resources.joined(separator: " "))")
    case .fence(let node, _):
      log("n\(i + 1) asks to fence \(node.name) (no fencing configured)")
    default:
      break
    }
  }

  func traceMessageText(_ m: ClusterMessage) -> String {
    switch m {
    case .hello(let node, let a, let e, let u, _): "hello from \(node) CIB \(a).\(e).\(u)"
    case .cib(_, let sync, let epoch): sync ? "cib sync for view epoch \(epoch)" : "cib update"
    case .replaceRequest(let origin, let id, _, let a, let e): "replace request \(id) from \(origin) base \(a).\(e)"
    case .replaceDone(let origin, let id, let error): "replace done \(id) for \(origin): \(error ?? "ok")"
    case .execute(let r): "execute \(r.resource)_\(r.task)_\(r.intervalMs) on \(r.nodeName)"
    case .cancel(let node, let r, let t, let iv): "cancel \(r)_\(t)_\(iv) on \(node)"
    case .result(let c): "result \(c.resource)_\(c.task)_\(c.intervalMs) on \(c.node) rc=\(c.rc)"
    default: "\(m)"
    }
  }

  mutating func traceMessage(_ i: Int, _ m: ClusterMessage) {
    log("n\(i + 1) broadcasts \(traceMessageText(m))")
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
