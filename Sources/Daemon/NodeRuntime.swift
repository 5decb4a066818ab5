import CIB
import ControlProtocol
import Controller
import Files
import Foundation
import LRM
import Logging
import Membership
import PolicyEngine

/// The shell of one node's `NodeCore`: it turns what happens to clusterd into `NodeInput`s (with the time) and
/// performs the core's `NodeEffect`s in order, touched only by the daemon's event loop. It decides nothing: CIB
/// synchronization, replication, writes, the local LRM's bookkeeping and a graceful leave are the core's.
///
/// Its own jobs are I/O: encoding and decoding cluster messages, the ordered queue to the local LRM, the
/// CIB file, timers, fencing and alert tasks, the replies to control requests, and the membership backend's own
/// questions (quorum status, the test fault switch).
final class NodeRuntime {
  let options: DaemonOptions
  let config: CorosyncConfig
  let me: Membership.NodeID
  let myName: String
  let logger: Logger
  let executor: LocalExecutor<ContinuousClock>
  let enqueue: @Sendable (DaemonInput) -> Void
  var backend: (any MembershipBackend)?
  let store: CIBStore
  /// Set when a `.persist` of the current batch failed: the batch's `.cibStored` must not go out.
  var persistFailed = false
  let clock = ContinuousClock()
  let origin: ContinuousClock.Instant
  var core: NodeCore
  let effectsHandler: EffectsHandler
  /// The watchdog device and its feeding decision (NodeRuntime+Watchdog.swift); set by ClusterdService.
  var watchdog: WatchdogShell?
  /// What the quorum device client was last told about local resources (NodeRuntime+QuorumDevice.swift).
  var runsResourcesReported: Bool?

  /// Control requests waiting for the core's `.reply`, by id (the core answers each exactly once, within its
  /// request timeout).
  var replies: [ControlRequestID: @Sendable (ControlResponse) -> Void] = [:]
  var nextRequestID: ControlRequestID = 1
  var finished = false

  /// Requests to the LRM, in the order the core made them: one task hands them over one by one (a task per request
  /// could reorder them, and the LRM's per-resource order is what makes a probe see an earlier stop's result).
  let lrmRequests: AsyncStream<LRMRequest>.Continuation
  let lrmRequestsMax = 10_000
  enum LRMRequest: Sendable {
    case run(AgentCall)
    case cancel(OperationKey)
  }

  init(
    options: DaemonOptions, config: CorosyncConfig, me: NodeEntry, logger: Logger,
    executor: LocalExecutor<ContinuousClock>, effectsHandler: EffectsHandler, membershipBackend: String,
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
    self.store = store
    let storedCIB: CIBElement?
    do {
      if let loaded = try store.load() {
        storedCIB = loaded.root
        for w in loaded.warnings { logger.warning("\(w)") }
      } else {
        storedCIB = nil
      }
    } catch {
      throw DaemonError.state("cannot read the CIB in \(options.stateDir)/cib: \(error)")
    }
    let uuid = UUID().uuidString.lowercased()
    core = NodeCore(config: Self.coreConfig(options: options, config: config, me: me, uuid: uuid, backend: membershipBackend),
                    storedCIB: storedCIB, storedTerm: storedCIB == nil ? 0 : Self.loadTerm(stateDir: options.stateDir))
  }

  static func coreConfig(options: DaemonOptions, config: CorosyncConfig, me: NodeEntry, uuid: String,
                         backend: String) -> NodeCoreConfig {
    let token = Int64(config.totem.tokenMs ?? 400)
    let deviceMs = quorumDeviceDecisionMs(config: config, tokenMs: token)
    let lease = options.leaseMs.map { LeaseTiming(leaseMs: Int64($0)) } ?? .forToken(token, quorumDeviceMs: deviceMs)
    var cc = ControllerConfig(
      localNode: ControllerNode(id: me.nodeID.rawValue, name: me.displayName), controllerUUID: uuid, lease: lease)
    cc.dcVersion = "2.1.5-vigil"
    // The native membership proves contact (heartbeat echoes), corosync's does not; with a quorum device the
    // arbiter's vote is part of the quorum and no member echoes it: the lease is then the quorate view alone.
    let contactBound = backend == "native" && deviceMs == 0 ? LeaseTiming.quorumContactBound(forToken: token) : nil
    cc.watchdog = options.watchdogDevice == nil
      ? nil : WatchdogTiming(timeoutS: options.watchdogTimeoutS, tokenMs: token, quorumDeviceMs: deviceMs,
                             quorumContactBoundMs: contactBound)
    var nc = NodeCoreConfig(
      controller: cc, nodes: config.nodes.map { ControllerNode(id: $0.nodeID.rawValue, name: $0.displayName) },
      clusterName: config.totem.clusterName ?? "vigil", tokenMs: token, membershipBackend: backend)
    nc.quorumContactBoundMs = contactBound
    return nc
  }

  func nowMs() -> Int64 { Int64((clock.now - origin) / .milliseconds(1)) }
  func nowS() -> Int64 { Int64(Date().timeIntervalSince1970) }
  func now() -> ControllerTime { ControllerTime(monotonicMs: nowMs(), wallSeconds: nowS()) }

  // MARK: inputs

  func handle(_ input: DaemonInput) async {
    watchdogTurn()
    defer { reportRunsResources() }
    switch input {
    case .membership(let event): await membership(event)
    case .lrm(let report): feed(.operationReported(report, at: now()))
    case .control(let request, let reply): await control(request, reply: reply)
    case .tick: feed(.tick(at: now()))
    case .timer(let atMs): feed(.timerFired(atMs: atMs, at: now()))
    case .fenced(let node, let success): feed(.fencingCompleted(node: node, success: success, at: now()))
    case .shutdownRequested: feed(.shutdownRequested(at: now()))
    case .stopOrphans: started()
    }
  }

  func membership(_ event: MembershipEvent) async {
    switch event {
    case .viewInstalled(let v):
      feed(.viewInstalled(v, at: now()))
    case .quorumChanged(let status):
      feed(.quorumChanged(quorate: status.quorate, view: status.ringID, at: now()))
    case .delivered(let d):
      do {
        feed(.messageDelivered(try WireFraming.decode(d.payload), sender: d.sender.id, view: d.view, at: now()))
      } catch {
        logger.warning("dropped a message from \(d.sender): \(error)")
      }
    case .broadcastAborted(let payload):
      let what = (try? WireFraming.decode(payload)).map { "\($0)".prefix(80) } ?? "an undecodable message"
      logger.info("a view change cut a broadcast before its delivery (delivered to nobody): \(what)")
    case .broadcastRejected(let reason):
      logger.error("broadcast rejected: \(reason)")
    case .contact(let sinceAge, let peerAges, let at):
      // Ages at `at` on this process's clock: exact whatever the queue delay.
      let atMs = Int64((at - origin) / .milliseconds(1))
      var heard: [UInt32: Int64] = [:]
      for (id, age) in peerAges { heard[id.rawValue] = atMs - Int64(age / .milliseconds(1)) }
      let since = sinceAge.map { atMs - Int64($0 / .milliseconds(1)) }
      feed(.membershipContact(MembershipContact(quorumSinceMs: since, peerHeardMs: heard), at: now()))
    case .left:
      break
    }
  }

  func control(_ request: ControlRequest, reply: @escaping @Sendable (ControlResponse) -> Void) async {
    switch request {
    case .quorum:
      guard let backend else { return reply(.failure("membership is not running")) }
      do {
        let q = try await backend.currentQuorumStatus()
        let device = try await (backend as? MembershipShell)?.deviceState().get()
        let votes = config.quorum?.device?.deviceVotes(nodeCount: config.nodes.count) ?? 0
        let info = LiveQuorumInfo(
          status: q,
          quorumtoolText: QuorumStatusText.quorumtool(
            q, nodes: config.nodes, date: Self.ctime(nowS()), device: device, deviceVotes: votes),
          membershipText: QuorumStatusText.membership(q, nodes: config.nodes, device: device, deviceVotes: votes),
          qdeviceText: device.map(QuorumStatusText.qdeviceTool))
        reply(ControlResponse(quorum: info))
      } catch {
        reply(.failure("cannot read quorum status: \(error)"))
      }
    case .setIsolated(let on):
      guard let shell = backend as? MembershipShell else { return reply(.failure("this membership backend has no fault switch")) }
      shell.setIsolated(on)
      reply(ControlResponse())
    default:
      let id = nextRequestID
      nextRequestID += 1
      replies[id] = reply
      feed(.controlRequested(id, request, at: now()))
    }
  }

  // MARK: effects

  /// Hands one input to the core and performs its effects, in order.
  func feed(_ input: NodeInput) {
    persistFailed = false
    for effect in core.handle(input) { perform(effect) }
  }

  func perform(_ effect: NodeEffect) {
    switch effect {
    case .broadcast(let message):
      if persistFailed, case .cibStored = message { return }
      backend?.broadcast(WireFraming.encode(message))
    case .runLocally(let call):
      if case .dropped = lrmRequests.yield(.run(call)) { logger.error("LRM request queue full: \(OperationKey(call)) dropped") }
    case .recordMayRun(let resource):
      recordMayRun(resource)
    case .rewriteMayRun(let resources):
      rewriteMayRun(resources)
    case .cancelLocally(let key):
      if case .dropped = lrmRequests.yield(.cancel(key)) { logger.error("LRM request queue full: cancel of \(key) dropped") }
    case .persist(let cib, let term):
      // Synchronous on purpose: what follows (an acknowledgement to the DC) may only go out once this is durable.
      do {
        _ = try store.save(cib)
        try Self.saveTerm(term, stateDir: options.stateDir)
      } catch {
        persistFailed = true
        logger.critical("cannot save the CIB: \(error); this node does not confirm it to the DC")
      }
    case .reply(let id, let response):
      replies.removeValue(forKey: id)?(response)
    case .fence(let node, let action, let cib):
      effectsHandler.fence(node: node, action: action, cib: cib)
    case .alert(let event, let cib):
      effectsHandler.send(event, cib: cib)
    case .scheduleTimer(let atMs):
      let delayMs = max(0, atMs - nowMs())
      let enqueue = self.enqueue
      Task {
        try? await Task.sleep(for: .milliseconds(delayMs))
        enqueue(.timer(atMs: atMs))
      }
    case .leaveCluster:
      finished = true
      if let backend { Task { try? await backend.leaveCluster() } }
    case .log(let level, let text):
      let l: Logger.Level
      switch level {
      case .debug: l = .debug
      case .info: l = .info
      case .notice: l = .notice
      case .warning: l = .warning
      case .error: l = .error
      case .critical: l = .critical
      }
      logger.log(level: l, "\(text)")
    }
  }

  /// ctime(3)'s layout, as corosync-quorumtool prints its date.
  static func ctime(_ seconds: Int64) -> String {
    var t = time_t(seconds)
    var tm = tm()
    localtime_r(&t, &tm)
    var buffer = [Int8](repeating: 0, count: 64)
    let n = strftime(&buffer, buffer.count, "%a %b %e %H:%M:%S %Y", &tm)
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  // MARK: the CIB's term

  /// The join term of the stored CIB, beside it in `cib/term` (missing: 0).
  static func loadTerm(stateDir: String) -> UInt64 {
    guard let text = try? String(contentsOfFile: stateDir + "/cib/term", encoding: .utf8) else { return 0 }
    return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
  }

  /// Writes the term atomically (temp file, fsync, rename) after the CIB it belongs to.
  static func saveTerm(_ term: UInt64, stateDir: String) throws {
    do { try FileIO.writeAtomically(path: stateDir + "/cib/term", text: "\(term)\n") } catch {
      throw DaemonError.state(error.description)
    }
  }
}
