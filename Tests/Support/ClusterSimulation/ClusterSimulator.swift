import CIB
import ControlProtocol
import Controller
import LRM
import Membership
import TestKit

/// TigerBeetle's VOPR shape for the whole cluster: N nodes, each a real `MembershipCore`, the daemon's `NodeCore`
/// around its `ControllerCore`, the LRM's `ExecutorCore` with simulated agents that keep their own state, and a
/// simulated disk; one
/// simulated clock and packet network; faults (partitions, one-way cuts, kill -9 of clusterd, machine crashes,
/// restarts with and without disk, freezes, clock jumps) and client writes, all drawn from one seed. Checkers run
/// after every step (docs/ARCHITECTURE.md, "The whole-cluster simulation").
public struct ClusterSimulator {
  struct SimNode {
    let id: Membership.NodeID
    let name: String
    var process: ClusterdProcess?
    /// The incarnation of the newest clusterd process (the membership's incarnation too).
    var incarnation: UInt64 = 0
    var machineUp = true
    /// Bumped when the machine crashes: agent runs of an earlier boot never finish.
    var boot = 0
    /// The agents' own state: resource -> active since (ms). What an independent probe would sample.
    var agents: [String: Int64] = [:]
    /// This boot's record of what may run here (clusterd's file under /run): kept across a process restart,
    /// emptied by a machine crash or watchdog reset.
    var mayRun: [String] = []
    /// The CIB the last completed background write left on disk.
    var disk: CIBElement?
    /// The term stored with it.
    var diskTerm: UInt64 = 0
    var frozen = false
    /// Inputs that reached the process while it was frozen, delivered in order when it resumes.
    var held: [ProcessEvent] = []
    var heldPackets = 0
    var wallOffsetS: Int64 = 0
    /// When the last freeze / the last clusterd outage ended (Int64.max while it lasts; -1 never).
    var frozenEndMs: Int64 = -1
    var downEndMs: Int64 = -1
    /// The watchdog device (machine level: it outlives clusterd): when it resets the machine unless fed again.
    var watchdogDeadlineMs: Int64?
  }

  /// A class: the simulator reaches into the running process on every event, and a value this large would be
  /// copied (every core's buffers retained and released) at each read of it.
  final class ClusterdProcess {
    var membership: MembershipCore
    /// Changed only through `handle` and `resumedAfterFreeze`, which refresh the cached facts.
    private(set) var core: NodeCore
    var lrm = SimulatedLRM()
    var watchdog: WatchdogCore
    let startedAtUs: Int64
    /// The membership's proof of contact last reported to the node core.
    var reportedContact: Duration?
    /// What the harness reads of the core on every event, kept current on each change of the core: its lease facts
    /// (the watchdog asks on every loop turn), the DC it knows, and whether it acts as DC of a quorate view (the
    /// role that writes the CIB and acknowledges writes) in which view.
    private(set) var leaseFacts: LeaseFacts
    private(set) var dcID: UInt32?
    private(set) var canWrite = false
    private(set) var viewID: ViewID?

    init(membership: MembershipCore, core: NodeCore, watchdog: WatchdogCore, startedAtUs: Int64) {
      self.membership = membership
      self.core = core
      self.watchdog = watchdog
      self.startedAtUs = startedAtUs
      self.leaseFacts = core.leaseFacts
      refreshFacts()
    }

    func handle(_ input: NodeInput) -> [NodeEffect] {
      let fx = core.handle(input)
      refreshFacts()
      return fx
    }

    func resumedAfterFreeze(gapMs: Int64, freezeGapMs: Int64, at time: ControllerTime) -> [NodeEffect] {
      let fx = core.resumedAfterFreeze(gapMs: gapMs, freezeGapMs: freezeGapMs, at: time)
      refreshFacts()
      return fx
    }

    /// The reads go through `inout` accesses: a plain read of a struct stored in a class copies it first (every
    /// buffer of the core retained and released), which on every event cost more than the reads themselves.
    private func refreshFacts() { Self.read(&core, into: self) }

    private static func read(_ core: inout NodeCore, into p: ClusterdProcess) {
      p.leaseFacts = core.leaseFacts
      p.dcID = core.controller.dc?.id
      p.canWrite = core.controller.isDC && core.controller.quorate && core.synced
      p.viewID = core.view?.id
    }

    /// The membership's proof of contact (see `refreshFacts` for the `inout`).
    func quorumContactSince() -> Duration? { Self.contactSince(&membership) }

    private static func contactSince(_ m: inout MembershipCore) -> Duration? { m.quorumContactSince }

    func peerLastHeard() -> [Membership.NodeID: Duration] { Self.peerLastHeard(&membership) }

    private static func peerLastHeard(_ m: inout MembershipCore) -> [Membership.NodeID: Duration] { m.peerLastHeard }
  }

  struct PendingWrite {
    var key: String
    var node: Int
    var sentMs: Int64
  }

  struct AckedWrite {
    var key: String
    var ackedMs: Int64
  }

  static let tokenMs: Int64 = 400
  /// clusterd ticks its node core this often.
  static let nodeTickMs: Int64 = 20
  static let heldPacketsMax = 256
  static let wallBaseS: Int64 = 1_765_000_000
  static let clientTimeoutMs: Int64 = 30_000

  let seed: UInt64
  let options: ClusterSimulationOptions
  var rng: SplitMix64
  let plan: FaultPlan
  let n: Int
  let baseCIB: CIBElement
  let membershipConfigs: [MembershipConfig]
  let leaseMs: Int64
  var queue = SimEventHeap()
  var order: UInt64 = 0
  var nowUs: Int64 = 0
  var nodes: [SimNode]
  /// Partition groups (nodes talk only within their group) and one-way cuts (from * 16 + to).
  var group: [Int]
  var cuts: Set<Int> = [] {
    didSet { cutsEndMs = cuts.isEmpty ? (oldValue.isEmpty ? cutsEndMs : nowMs) : Int64.max }
  }
  /// When the last one-way cut was removed (Int64.max while one is in place; -1 never).
  var cutsEndMs: Int64 = -1
  var healed = false
  var messages: [ClusterMessage] = []
  var nextRunID = 0
  var nextRequestID: UInt64 = 0
  var writeCounter = 0
  var pendingWrites: [UInt64: PendingWrite] = [:]
  var acked: [AckedWrite] = []
  /// Times at which a node's disk was wiped (restart without disk).
  var diskWipesMs: [Int64] = []
  /// Per resource: the holders at the last overlap check (an episode is reported once).
  var overlapping: [String: [Int]] = [:]
  /// Some agent's state changed since the last overlap check (only then can an overlap begin or end).
  var agentsChanged = false
  /// Per node: (CIB version, acked count, DC) at the last lost-write check.
  var lastWriteCheck: [ViewID?]
  var result: ClusterSimulationResult
  let traceLines = TraceBuffer()

  final class TraceBuffer {
    var lines: [String] = []
  }

  public static func run(seed: UInt64, options: ClusterSimulationOptions = ClusterSimulationOptions())
    -> ClusterSimulationResult {
    var sim = ClusterSimulator(seed: seed, options: options)
    sim.runAll()
    return sim.result
  }

  init(seed: UInt64, options: ClusterSimulationOptions) {
    self.seed = seed
    self.options = options
    var rng = SplitMix64(seed: seed)
    let n = options.nodeCount ?? Int.random(in: 3...5, using: &rng)
    self.n = n
    let standalone = Int.random(in: 1...2, using: &rng)
    let resourceIDs = ["ip", "web"] + (1...standalone).map { "db\($0)" }
    self.plan = FaultPlan.draw(&rng, resourceIDs: resourceIDs, only: options.onlyFaults)
    self.rng = rng
    self.baseCIB = SimulatedConfiguration.cib(nodeCount: n, resources: plan.resources)
    let ids = (1...n).map { Membership.NodeID(UInt32($0)) }
    let entries = ids.map { NodeEntry(nodeID: $0, ring0Addr: "127.0.0.1") }
    let vq = try! VotequorumConfig(nodes: entries, options: QuorumOptions())
    self.membershipConfigs = ids.map {
      MembershipConfig(me: $0, incarnation: 1, nodes: ids, votequorum: vq,
                       timing: MembershipTiming(failTimeout: .milliseconds(Self.tokenMs)))
    }
    self.leaseMs = LeaseTiming.forToken(Self.tokenMs).leaseMs
    self.nodes = ids.map { SimNode(id: $0, name: "node\($0.rawValue)") }
    self.group = Array(repeating: 0, count: n)
    self.lastWriteCheck = Array(repeating: nil, count: n)
    self.result = ClusterSimulationResult(seed: seed)
    result.nodeCount = n
    result.plan = plan.description
  }

  var nowMs: Int64 { nowUs / 1000 }
  var stopped: Bool { options.stopAtFirstViolation && !result.violations.isEmpty }

  mutating func schedule(atUs: Int64, _ kind: SimEvent.Kind) {
    order += 1
    queue.push(SimEvent(atUs: atUs, order: order, kind: kind))
  }

  mutating func after(ms: Int64, _ kind: SimEvent.Kind) { schedule(atUs: nowUs + ms * 1000, kind) }

  /// A trace line (built only when tracing).
  func log(_ text: @autoclosure () -> String) {
    guard options.trace else { return }
    traceLines.lines.append("\(nowMs) \(text())")
  }

  /// Folds an observable step into the run's fingerprint (FNV-1a), cheap enough to do always.
  mutating func mark(_ values: Int64...) {
    for v in values {
      var x = UInt64(bitPattern: v)
      for _ in 0..<8 {
        result.fingerprint = (result.fingerprint ^ (x & 0xff)) &* 0x100_0000_01b3
        x >>= 8
      }
    }
  }

  mutating func violate(_ kind: Violation.Kind, _ detail: String) {
    let v = Violation(kind: kind, atMs: nowMs, detail: detail)
    result.violations.append(v)
    log("VIOLATION \(v)")
  }

  // MARK: the run

  mutating func runAll() {
    log("seed \(seed): \(n) nodes, lease \(leaseMs) ms, \(plan)")
    for i in 0..<n {
      nodes[i].disk = baseCIB
      startProcess(i)
    }
    after(ms: Int64.random(in: 2000...4000, using: &rng), .fault)
    after(ms: Int64.random(in: 1000...3000, using: &rng), .clientWrite)
    schedule(atUs: options.faultMs * 1000, .heal)
    let endUs = (options.faultMs + options.healMs) * 1000
    runEvents(untilUs: endUs)
    // The end checks look at one instant: an update or an operation may be in flight then. The run goes on (up to
    // `settleGraceMs`) until they pass; what still fails then is reported.
    var graceUs = endUs
    while !stopped && graceUs < endUs + Self.settleGraceMs * 1000 && !settledChecks().isEmpty {
      graceUs += 200_000
      runEvents(untilUs: graceUs)
    }
    if !stopped { for v in settledChecks() { violate(v.kind, v.detail) } }
    if options.trace { traceFinalState() }
    result.trace = traceLines.lines
  }

  static let settleGraceMs: Int64 = 3000

  mutating func runEvents(untilUs: Int64) {
    while !stopped, let e = queue.pop() {
      if e.atUs > untilUs {
        queue.push(e)
        break
      }
      nowUs = e.atUs
      result.events += 1
      dispatch(e.kind)
      if agentsChanged { checkOverlaps() }
    }
    nowUs = max(nowUs, untilUs)
  }

  mutating func dispatch(_ kind: SimEvent.Kind) {
    switch kind {
    case .process(let i, let inc, let ev):
      guard nodes[i].process != nil, inc == 0 || inc == nodes[i].incarnation else { return }
      if nodes[i].frozen {
        if case .packet = ev {
          guard nodes[i].heldPackets < Self.heldPacketsMax else { return }
          nodes[i].heldPackets += 1
        }
        nodes[i].held.append(ev)
        return
      }
      processEvent(i, ev)
    case .agentDone(let i, let boot, let run):
      guard nodes[i].boot == boot else { return }
      agentFinished(i, run)
    case .fault:
      guard !healed else { return }
      injectFault()
      after(ms: Int64.random(in: plan.faultGapMs, using: &rng), .fault)
    case .restart(let i, let withDisk):
      guard nodes[i].process == nil, nodes[i].machineUp else { return }
      restartProcess(i, withDisk: withDisk)
    case .boot(let i, let withDisk):
      guard !nodes[i].machineUp else { return }
      nodes[i].machineUp = true
      log("n\(i + 1) machine boots")
      restartProcess(i, withDisk: withDisk)
    case .resume(let i):
      resume(i)
    case .watchdogExpiry(let i, let deadline):
      guard nodes[i].watchdogDeadlineMs == deadline, nodes[i].machineUp else { return }
      watchdogReset(i)
    case .clientWrite:
      clientWrite()
      if nowMs < options.faultMs + options.healMs / 4 {
        after(ms: Int64.random(in: plan.writeGapMs, using: &rng), .clientWrite)
      }
    case .clientTimeout(let id):
      if let w = pendingWrites.removeValue(forKey: id) { log("client: write \(w.key) timed out (not acknowledged)") }
    case .heal:
      heal()
    }
  }

  // MARK: processes

  /// Starts a clusterd process on node `i` from what its disk holds.
  mutating func startProcess(_ i: Int) {
    nodes[i].incarnation += 1
    let inc = nodes[i].incarnation
    var mc = membershipConfigs[i]
    mc.incarnation = inc
    let cib = nodes[i].disk
    let me = ControllerNode(id: nodes[i].id.rawValue, name: nodes[i].name)
    var config = NodeCoreConfig(
      controller: controllerConfig(me, uuid: "uuid-\(nodes[i].name)-\(inc)"),
      nodes: nodes.map { ControllerNode(id: $0.id.rawValue, name: $0.name) }, clusterName: "vopr",
      tokenMs: Self.tokenMs, membershipBackend: "sim")
    config.quorumContactBoundMs = LeaseTiming.quorumContactBound(forToken: Self.tokenMs)
    nodes[i].process = ClusterdProcess(
      membership: MembershipCore(config: mc), core: NodeCore(config: config, storedCIB: cib, storedTerm: nodes[i].diskTerm),
      watchdog: WatchdogCore(timing: watchdogTiming, freezeGapMs: leaseMs), startedAtUs: nowUs)
    nodes[i].frozen = false
    nodes[i].held = []
    nodes[i].heldPackets = 0
    if nodes[i].downEndMs == Int64.max { nodes[i].downEndMs = nowMs }
    log("n\(i + 1) clusterd starts (incarnation \(inc), CIB \(cib.map { Self.versionText($0) } ?? "none"))")
    mark(1, Int64(i), Int64(inc))
    after(ms: Self.nodeTickMs, .process(node: i, incarnation: inc, .nodeTick))
    run(i, [.node(.started(at: time(i), mayRunHere: nodes[i].mayRun)), .membership(.tick(now: membershipNow(i)))])
  }

  mutating func restartProcess(_ i: Int, withDisk: Bool) {
    if !withDisk {
      nodes[i].disk = nil
      nodes[i].diskTerm = 0
      diskWipesMs.append(nowMs)
      log("n\(i + 1) lost its disk")
    }
    startProcess(i)
  }

  mutating func resume(_ i: Int) {
    guard nodes[i].frozen else { return }
    nodes[i].frozen = false
    nodes[i].frozenEndMs = nowMs
    let held = nodes[i].held
    nodes[i].held = []
    nodes[i].heldPackets = 0
    log("n\(i + 1) resumes (SIGCONT) with \(held.count) held inputs")
    mark(2, Int64(i))
    for ev in held {
      guard nodes[i].process != nil, !nodes[i].frozen else { break }
      processEvent(i, ev)
      if agentsChanged { checkOverlaps() }
    }
  }

  var watchdogTiming: WatchdogTiming? {
    options.watchdog
      ? WatchdogTiming(timeoutS: 1, tokenMs: Self.tokenMs,
                       quorumContactBoundMs: LeaseTiming.quorumContactBound(forToken: Self.tokenMs)) : nil
  }

  func controllerConfig(_ me: ControllerNode, uuid: String) -> ControllerConfig {
    var c = ControllerConfig(localNode: me, controllerUUID: uuid, lease: LeaseTiming(leaseMs: leaseMs))
    c.watchdog = watchdogTiming
    return c
  }

  func time(_ i: Int) -> ControllerTime {
    let started = nodes[i].process?.startedAtUs ?? nowUs
    return ControllerTime(monotonicMs: (nowUs - started) / 1000,
                          wallSeconds: Self.wallBaseS + nowUs / 1_000_000 + nodes[i].wallOffsetS)
  }

  func membershipNow(_ i: Int) -> Duration { .microseconds(nowUs) }

  static func versionText(_ cib: CIBElement) -> String {
    let v = (try? CIBVersion(of: cib)) ?? CIBVersion()
    return "\(v.adminEpoch).\(v.epoch).\(v.numUpdates)"
  }
}
