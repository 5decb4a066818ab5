import CIB
import Controller
import Membership

extension ClusterSimulator {
  mutating func injectFault() {
    result.faults += 1
    let kind = plan.pick(&rng)
    let v = Int.random(in: 0..<n, using: &rng)
    mark(7, Int64(kind.hashValueStable), Int64(v))
    switch kind {
    case .isolate:
      group = (0..<n).map { $0 == v ? 1 : 0 }
      log("fault: isolate n\(v + 1)")
    case .halves:
      var ids = Array(0..<n)
      ids.shuffle(using: &rng)
      group = Array(repeating: 0, count: n)
      for k in ids.prefix(n / 2) { group[k] = 1 }
      log("fault: partition \(group)")
    case .randomPartition:
      group = (0..<n).map { _ in Int.random(in: 0..<3, using: &rng) }
      log("fault: partition \(group)")
    case .oneWayCut:
      var to = Int.random(in: 0..<n - 1, using: &rng)
      if to >= v { to += 1 }
      cuts.insert(v * 16 + to)
      log("fault: one-way cut n\(v + 1) -> n\(to + 1)")
    case .healNetwork:
      group = Array(repeating: 0, count: n)
      cuts = []
      log("fault: network healed")
    case .killClusterd:
      guard nodes[v].process != nil else { return }
      killProcess(v, "kill -9 of clusterd (agents keep running)")
      let withDisk = Int.random(in: 0..<10, using: &rng) != 0
      after(ms: Int64.random(in: 200...3000, using: &rng), .restart(node: v, withDisk: withDisk))
    case .crashNode:
      guard nodes[v].machineUp else { return }
      crashMachine(v, "machine crash (agents die)")
      let withDisk = Int.random(in: 0..<5, using: &rng) != 0
      after(ms: Int64.random(in: 500...4000, using: &rng), .boot(node: v, withDisk: withDisk))
    case .freeze:
      guard nodes[v].process != nil, !nodes[v].frozen else { return }
      nodes[v].frozen = true
      nodes[v].frozenEndMs = Int64.max
      let ms = Int64.random(in: 300...6000, using: &rng)
      log("fault: freeze n\(v + 1) (SIGSTOP) for \(ms) ms")
      after(ms: ms, .resume(node: v))
    case .clockJump:
      let jump = Int64.random(in: -3600...3600, using: &rng)
      nodes[v].wallOffsetS += jump
      log("fault: n\(v + 1) wall clock jumps \(jump) s")
    }
  }

  mutating func crashMachine(_ v: Int, _ why: String) {
    if nodes[v].process != nil { killProcess(v, why) } else { log("fault: n\(v + 1) \(why)") }
    nodes[v].machineUp = false
    nodes[v].boot += 1
    nodes[v].agents = [:]
    nodes[v].mayRun = []
    agentsChanged = true
    nodes[v].watchdogDeadlineMs = nil
  }

  /// The watchdog was not fed in time: the machine resets (what sbd's watchdog does) and boots again.
  mutating func watchdogReset(_ v: Int) {
    crashMachine(v, "watchdog reset (the device was not fed for \(watchdogTiming?.timeoutMs ?? 0) ms)")
    mark(10, Int64(v))
    after(ms: Int64.random(in: 1000...3000, using: &rng), .boot(node: v, withDisk: true))
  }

  mutating func killProcess(_ i: Int, _ why: String) {
    nodes[i].process = nil
    nodes[i].frozen = false
    nodes[i].held = []
    nodes[i].heldPackets = 0
    if nodes[i].frozenEndMs == Int64.max { nodes[i].frozenEndMs = nowMs }
    nodes[i].downEndMs = Int64.max
    for (id, w) in pendingWrites.sorted(by: { $0.key < $1.key }) where w.node == i {
      pendingWrites[id] = nil
      log("client: write \(w.key) through n\(i + 1) gets no answer (connection reset)")
    }
    log("fault: n\(i + 1) \(why)")
  }

  /// Undoes every fault: the network heals, frozen nodes resume, dead clusterds and machines start again (with
  /// their disks).
  mutating func heal() {
    healed = true
    group = Array(repeating: 0, count: n)
    cuts = []
    log("heal: network healed, every node resumed or restarted")
    for i in 0..<n {
      if nodes[i].frozen { resume(i) }
      if !nodes[i].machineUp {
        nodes[i].machineUp = true
        log("n\(i + 1) machine boots")
        startProcess(i)
      } else if nodes[i].process == nil {
        startProcess(i)
      }
    }
  }

  // MARK: the client

  /// pcs on a random running node: read the CIB there, add one cluster property, ask to replace the CIB.
  mutating func clientWrite() {
    let candidates = (0..<n).filter { nodes[$0].process != nil && !nodes[$0].frozen }
    guard let i = candidates.randomElement(using: &rng) else { return }
    writeCounter += 1
    nextRequestID += 1
    let key = "w\(writeCounter)"
    let base = nodes[i].process!.core.cib
    let v = (try? CIBVersion(of: base)) ?? CIBVersion()
    let next = SimulatedConfiguration.addingClientProperty(key, to: base)
    pendingWrites[nextRequestID] = PendingWrite(key: key, node: i, sentMs: nowMs)
    log("client: write \(key) through n\(i + 1) (base \(v.adminEpoch).\(v.epoch))")
    mark(8, Int64(i), Int64(writeCounter))
    after(ms: Self.clientTimeoutMs, .clientTimeout(requestID: nextRequestID))
    processEvent(i, .control(nextRequestID, .replaceCIB(xml: CIBXML.serialize(next), baseAdminEpoch: v.adminEpoch,
                                                          baseEpoch: v.epoch, baseDigest: ConfigurationDigest.of(base))))
  }

  mutating func clientReply(_ id: UInt64, error: String?) {
    guard let w = pendingWrites.removeValue(forKey: id) else { return }
    if let error {
      result.writesRefused += 1
      log("client: write \(w.key) refused: \(error)")
    } else {
      result.writesAcked += 1
      acked.append(AckedWrite(key: w.key, ackedMs: nowMs))
      log("client: write \(w.key) acknowledged")
      mark(9, Int64(w.node), Int64(acked.count))
    }
  }
}

extension FaultKind {
  /// A stable number for fingerprints (Swift's hashValue differs per process).
  var hashValueStable: Int { FaultKind.allCases.firstIndex(of: self)! }
}
