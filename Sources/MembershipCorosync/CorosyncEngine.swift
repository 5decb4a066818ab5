#if canImport(Glibc)
  import Glibc
#endif
import CCorosync
import Membership
import Synchronization

/// The dispatch thread's state. Everything but `mailbox` and `failureBox` is touched only on that thread (the C
/// callbacks run inside `*_dispatch`, on that thread too); that is what makes the unchecked Sendable sound.
final class Engine: @unchecked Sendable {
  enum Command: Sendable {
    case broadcast([UInt8])
    case status(CheckedContinuation<Result<QuorumStatus, CorosyncError>, Never>)
    case leave(CheckedContinuation<Result<Void, CorosyncError>, Never>)
    case shutdown(CheckedContinuation<Void, Never>)
  }

  struct Mailbox {
    var commands: [Command] = []
    var queuedBroadcasts = 0
    var droppedBroadcasts = 0
    var closed = false
  }

  struct StartInfo: Sendable {
    var localNode: UInt32
    var nodelist: [NodeEntry]
    var tokenMs: Int?
    var maxAtomic: Int
  }

  let options: CorosyncBackendOptions
  let onEvent: @Sendable (MembershipEvent) -> Void
  private let mailbox = Mutex(Mailbox())
  private let failureBox = Mutex<CorosyncError?>(nil)
  private let wakeRead: Int32
  private let wakeWrite: Int32

  // Dispatch-thread state.
  private var cmapHandle: cmap_handle_t = 0
  private var cpgHandle: cpg_handle_t = 0
  private var quorumHandle: quorum_handle_t = 0
  private var votequorumHandle: votequorum_handle_t = 0
  private var cpgFD: Int32 = -1
  private var quorumFD: Int32 = -1
  private var votequorumFD: Int32 = -1
  private var localNode: UInt32 = 0
  private var group = CPGGroupState(me: CPGAddress(nodeID: 0, pid: 0))
  private var quorumRing: (seq: UInt64, rep: UInt32) = (0, 0)
  private var quorumMembers: [UInt32] = []
  private var sawQuorumNotification = false
  private var quorumDirty = false
  private var lastQuorumStatus: QuorumStatus?
  private var connected = false
  private var stopping = false
  private var atomicMessageBytes = 0

  var failure: CorosyncError? { failureBox.withLock { $0 } }

  init(options: CorosyncBackendOptions, onEvent: @escaping @Sendable (MembershipEvent) -> Void) throws(CorosyncError) {
    self.options = options
    self.onEvent = onEvent
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { throw .badOption("pipe failed: errno \(errno)") }
    for fd in fds {
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    wakeRead = fds[0]
    wakeWrite = fds[1]
  }

  deinit {
    close(wakeRead)
    close(wakeWrite)
  }

  // MARK: owner side (any thread)

  func submit(_ command: Command) {
    let accepted: Bool = mailbox.withLock { m in
      if m.closed { return false }
      if case .broadcast = command {
        if m.queuedBroadcasts >= options.sendQueueMax {
          m.droppedBroadcasts += 1
          return true  // reported as rejected, in order, by the dispatch thread
        }
        m.queuedBroadcasts += 1
      }
      m.commands.append(command)
      return true
    }
    if !accepted {
      switch command {
      case .broadcast: break  // shut down: nobody listens for events any more
      case .status(let c): c.resume(returning: .failure(.shutDown))
      case .leave(let c): c.resume(returning: .failure(.shutDown))
      case .shutdown(let c): c.resume()
      }
      return
    }
    var one: UInt8 = 1
    _ = write(wakeWrite, &one, 1)  // EAGAIN when the pipe is full is fine: the thread is awake already
  }

  func startThread(reportingTo c: CheckedContinuation<Result<StartInfo, CorosyncError>, Never>) {
    let box = Unmanaged.passRetained(StartBox(engine: self, continuation: c))
    var tid = pthread_t()
    let rc = pthread_create(
      &tid, nil,
      { arg in
        let start = Unmanaged<StartBox>.fromOpaque(arg!).takeRetainedValue()
        start.engine.run(start.continuation)
        return nil
      }, box.toOpaque())
    if rc != 0 {
      box.release()
      c.resume(returning: .failure(.thread(rc)))
      return
    }
    pthread_detach(tid)
  }

  final class StartBox {
    let engine: Engine
    let continuation: CheckedContinuation<Result<StartInfo, CorosyncError>, Never>
    init(engine: Engine, continuation: CheckedContinuation<Result<StartInfo, CorosyncError>, Never>) {
      self.engine = engine
      self.continuation = continuation
    }
  }

  // MARK: dispatch thread

  private func run(_ started: CheckedContinuation<Result<StartInfo, CorosyncError>, Never>) {
    let info: StartInfo
    do throws(CorosyncError) {
      info = try connect()
    } catch {
      finalizeAll()
      mailbox.withLock { $0.closed = true }
      started.resume(returning: .failure(error))
      return
    }
    started.resume(returning: .success(info))
    loop()
  }

  private var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

  /// Calls `body` until it returns something other than CS_ERR_TRY_AGAIN, at most `tryAgainRetriesMax` retries.
  private func retrying(_ name: String, _ body: () -> cs_error_t) throws(CorosyncError) {
    var delay = options.tryAgainDelay
    for attempt in 0...options.tryAgainRetriesMax {
      let rc = body()
      if rc == CS_OK { return }
      if rc != CS_ERR_TRY_AGAIN { throw .call(name, CSError(rawValue: rc.rawValue)) }
      if attempt == options.tryAgainRetriesMax { break }
      Self.sleep(delay)
      delay = min(delay * 2, options.tryAgainDelayMax)
    }
    throw .retriesExhausted(name, retries: options.tryAgainRetriesMax)
  }

  static func sleep(_ d: Duration) {
    let (s, atto) = d.components
    var ts = timespec(tv_sec: Int(s), tv_nsec: Int(atto / 1_000_000_000))
    var left = timespec()
    while nanosleep(&ts, &left) != 0 && errno == EINTR { ts = left }
  }

  private func connect() throws(CorosyncError) -> StartInfo {
    try retrying("cmap_initialize") { cmap_initialize(&cmapHandle) }
    let nodes = try readNodelist()
    var token: UInt32 = 0
    let tokenMs = cmap_get_uint32(cmapHandle, "runtime.config.totem.token", &token) == CS_OK ? Int(token) : nil

    // CPG, model v1: deliveries, group changes, and totem ring changes (for view ids), initial ring included.
    var model = cpg_model_v1_data_t()
    model.model = CPG_MODEL_V1
    model.flags = UInt32(CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF)
    model.cpg_deliver_fn = { handle, _, nodeid, pid, msg, len in
      let payload = msg.map { Array(UnsafeRawBufferPointer(start: $0, count: len)) } ?? []
      Engine.fromCPG(handle)?.delivered(nodeID: nodeid, pid: pid, payload: payload)
    }
    model.cpg_confchg_fn = { handle, _, members, memberCount, left, leftCount, joined, joinedCount in
      Engine.fromCPG(handle)?.groupChanged(
        members: Engine.addresses(members, memberCount), left: Engine.addresses(left, leftCount),
        joined: Engine.addresses(joined, joinedCount))
    }
    model.cpg_totem_confchg_fn = { handle, ring, _, _ in
      Engine.fromCPG(handle)?.totemChanged(seq: ring.seq, rep: ring.nodeid)
    }
    try retrying("cpg_model_initialize") {
      withUnsafeMutablePointer(to: &model) { p in
        p.withMemoryRebound(to: cpg_model_data_t.self, capacity: 1) { cpg_model_initialize(&cpgHandle, CPG_MODEL_V1, $0, nil) }
      }
    }
    try check("cpg_context_set", cpg_context_set(cpgHandle, context))
    try retrying("cpg_local_get") { cpg_local_get(cpgHandle, &localNode) }
    group = CPGGroupState(me: CPGAddress(nodeID: localNode, pid: UInt32(getpid())))
    try check("cpg_fd_get", cpg_fd_get(cpgHandle, &cpgFD))
    var atomic: UInt32 = 0
    try check("cpg_max_atomic_msgsize_get", cpg_max_atomic_msgsize_get(cpgHandle, &atomic))
    atomicMessageBytes = Int(atomic)

    // Quorum service, model v1: quorate flag, ring id and members on every change.
    var qmodel = quorum_model_v1_data_t()
    qmodel.model = QUORUM_MODEL_V1
    qmodel.quorum_notify_fn = { handle, quorate, ring, count, list in
      var ctx: UnsafeRawPointer? = nil
      guard quorum_context_get(handle, &ctx) == CS_OK, let ctx else { return }
      let members = list.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? []
      Unmanaged<Engine>.fromOpaque(ctx).takeUnretainedValue().quorumNotified(seq: ring.seq, rep: ring.nodeid, members: members)
    }
    var quorumType: UInt32 = 0
    try retrying("quorum_model_initialize") {
      withUnsafeMutablePointer(to: &qmodel) { p in
        p.withMemoryRebound(to: quorum_model_data_t.self, capacity: 1) {
          quorum_model_initialize(&quorumHandle, QUORUM_MODEL_V1, $0, &quorumType, context)
        }
      }
    }
    guard quorumType == UInt32(QUORUM_SET) else { throw .noQuorumProvider }
    try check("quorum_fd_get", quorum_fd_get(quorumHandle, &quorumFD))
    try retrying("quorum_trackstart") { quorum_trackstart(quorumHandle, UInt32(CS_TRACK_CHANGES | CS_TRACK_CURRENT)) }

    // votequorum: expected-votes changes (last_man_standing) and its own quorum notifications mark the status dirty.
    var callbacks = votequorum_callbacks_t()
    callbacks.votequorum_quorum_notify_fn = { handle, _, _, _, _ in Engine.fromVotequorum(handle)?.quorumDirty = true }
    callbacks.votequorum_expectedvotes_notify_fn = { handle, _, _ in Engine.fromVotequorum(handle)?.quorumDirty = true }
    try retrying("votequorum_initialize") { votequorum_initialize(&votequorumHandle, &callbacks) }
    try check("votequorum_context_set", votequorum_context_set(votequorumHandle, context))
    try check("votequorum_fd_get", votequorum_fd_get(votequorumHandle, &votequorumFD))
    try retrying("votequorum_trackstart") { votequorum_trackstart(votequorumHandle, 0, UInt32(CS_TRACK_CHANGES)) }

    // Wait (bounded) for the first quorum notification, so currentQuorumStatus has members from the start.
    let deadline = Self.monotonicNs() + UInt64(options.firstQuorumWait.components.seconds) * 1_000_000_000
      + UInt64(options.firstQuorumWait.components.attoseconds / 1_000_000_000)
    while !sawQuorumNotification && Self.monotonicNs() < deadline {
      var pfd = pollfd(fd: quorumFD, events: Int16(POLLIN), revents: 0)
      if poll(&pfd, 1, 50) > 0 { try check("quorum_dispatch", quorum_dispatch(quorumHandle, CS_DISPATCH_ALL)) }
    }

    // corosync delivers the initial totem configuration only after our first group change; seed the ring id from
    // the quorum service's notification so the joiner's first view id equals the one the old members install.
    if group.ringSequence == 0 && sawQuorumNotification {
      group.totemChanged(ringSequence: quorumRing.seq, representative: quorumRing.rep)
    }
    var name = try groupName()
    try retrying("cpg_join") { cpg_join(cpgHandle, &name) }
    connected = true
    refreshQuorumIfDirty()
    return StartInfo(localNode: localNode, nodelist: nodes, tokenMs: tokenMs, maxAtomic: Int(atomic))
  }

  private func check(_ name: String, _ rc: cs_error_t) throws(CorosyncError) {
    if rc != CS_OK { throw .call(name, CSError(rawValue: rc.rawValue)) }
  }

  private func groupName() throws(CorosyncError) -> cpg_name {
    var name = cpg_name()
    let bytes = Array(options.groupName.utf8)
    guard !bytes.isEmpty, bytes.count < Int(CPG_MAX_NAME_LENGTH) else { throw .badGroupName(options.groupName) }
    withUnsafeMutableBytes(of: &name.value) { raw in
      for (i, b) in bytes.enumerated() { raw[i] = b }
    }
    name.length = UInt32(bytes.count)
    return name
  }

  /// cmap `nodelist.node.<i>.{nodeid,name,ring0_addr,quorum_votes}`, i from 0 until the first missing entry.
  private func readNodelist() throws(CorosyncError) -> [NodeEntry] {
    var nodes: [NodeEntry] = []
    for i in 0..<options.nodesMax {
      var id: UInt32 = 0
      let rc = cmap_get_uint32(cmapHandle, "nodelist.node.\(i).nodeid", &id)
      if rc == CS_ERR_NOT_EXIST { break }
      try check("cmap_get_uint32(nodelist.node.\(i).nodeid)", rc)
      let name = cmapString("nodelist.node.\(i).name")
      let addr = cmapString("nodelist.node.\(i).ring0_addr") ?? ""
      var votes: UInt32 = 0
      let v = cmap_get_uint32(cmapHandle, "nodelist.node.\(i).quorum_votes", &votes) == CS_OK ? Int(votes) : nil
      nodes.append(NodeEntry(nodeID: NodeID(id), name: name, ring0Addr: addr, quorumVotes: v))
    }
    return nodes.sorted { $0.nodeID < $1.nodeID }
  }

  private func cmapString(_ key: String) -> String? {
    var p: UnsafeMutablePointer<CChar>? = nil
    guard cmap_get_string(cmapHandle, key, &p) == CS_OK, let p else { return nil }
    defer { free(p) }
    return String(cString: p)
  }

  private static func fromCPG(_ handle: cpg_handle_t) -> Engine? {
    var ctx: UnsafeMutableRawPointer? = nil
    guard cpg_context_get(handle, &ctx) == CS_OK, let ctx else { return nil }
    return Unmanaged<Engine>.fromOpaque(ctx).takeUnretainedValue()
  }

  private static func fromVotequorum(_ handle: votequorum_handle_t) -> Engine? {
    var ctx: UnsafeMutableRawPointer? = nil
    guard votequorum_context_get(handle, &ctx) == CS_OK, let ctx else { return nil }
    return Unmanaged<Engine>.fromOpaque(ctx).takeUnretainedValue()
  }

  private static func addresses(_ p: UnsafePointer<cpg_address>?, _ n: Int) -> [CPGAddress] {
    guard let p else { return [] }
    return (0..<n).map { CPGAddress(nodeID: p[$0].nodeid, pid: p[$0].pid) }
  }

  // Callbacks (inside *_dispatch, on the dispatch thread).

  private func delivered(nodeID: UInt32, pid: UInt32, payload: [UInt8]) {
    for e in group.deliveredMessage(from: CPGAddress(nodeID: nodeID, pid: pid), message: payload) { onEvent(e) }
  }

  private func groupChanged(members: [CPGAddress], left: [CPGAddress], joined: [CPGAddress]) {
    for e in group.groupChanged(members: members, left: left, joined: joined) {
      onEvent(e)
      // A new group view within the ring the last notice was about has that notice's quorum.
      if case .viewInstalled = e, let s = lastQuorumStatus, group.quorumNotice(s).ringID == group.view?.id {
        onEvent(.quorumChanged(group.quorumNotice(s)))
      }
    }
  }

  private func totemChanged(seq: UInt64, rep: UInt32) { group.totemChanged(ringSequence: seq, representative: rep) }

  private func quorumNotified(seq: UInt64, rep: UInt32, members: [UInt32]) {
    quorumRing = (seq, rep)
    quorumMembers = members.sorted()
    sawQuorumNotification = true
    quorumDirty = true
  }

  private func readStatus() throws(CorosyncError) -> QuorumStatus {
    var info = votequorum_info()
    try retrying("votequorum_getinfo") { votequorum_getinfo(votequorumHandle, localNode, &info) }
    let local = VotequorumNodeInfo(
      nodeID: info.node_id, votes: Int(info.node_votes), expectedVotes: Int(info.node_expected_votes),
      highestExpected: Int(info.highest_expected), totalVotes: Int(info.total_votes), quorum: Int(info.quorum),
      flags: info.flags)
    var votes: [UInt32: Int] = [:]
    for m in quorumMembers {
      if m == localNode {
        votes[m] = local.votes
        continue
      }
      var other = votequorum_info()
      if votequorum_getinfo(votequorumHandle, m, &other) == CS_OK { votes[m] = Int(other.node_votes) }
    }
    return QuorumStatus.fromCorosync(
      ringSequence: quorumRing.seq, ringRepresentative: quorumRing.rep, members: quorumMembers, local: local,
      votes: votes)
  }

  private func refreshQuorumIfDirty() {
    guard quorumDirty, connected else { return }
    quorumDirty = false
    guard let s = try? readStatus() else { return }
    if s != lastQuorumStatus {
      lastQuorumStatus = s
      onEvent(.quorumChanged(group.quorumNotice(s)))
    }
  }

  // The loop.

  private func loop() {
    while !stopping {
      serveMailbox()
      if stopping { break }
      var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
      if connected {
        for fd in [cpgFD, quorumFD, votequorumFD] { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
      }
      let r = poll(&fds, nfds_t(fds.count), 1000)
      if r < 0 && errno != EINTR {
        lost("poll failed: errno \(errno)")
        continue
      }
      if fds[0].revents != 0 { drainWakePipe() }
      if connected { dispatchReady(fds) }
    }
  }

  private func drainWakePipe() {
    var buf = [UInt8](repeating: 0, count: 256)
    while buf.withUnsafeMutableBytes({ read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
  }

  /// Dispatches every readable corosync descriptor; a failing dispatch or a hung-up descriptor means the daemon is
  /// gone.
  private func dispatchReady(_ fds: [pollfd]) {
    let names = ["cpg_dispatch", "quorum_dispatch", "votequorum_dispatch"]
    for (i, pfd) in fds.dropFirst().enumerated() where pfd.revents != 0 && connected {
      let rc: cs_error_t
      switch i {
      case 0: rc = cpg_dispatch(cpgHandle, CS_DISPATCH_ALL)
      case 1: rc = quorum_dispatch(quorumHandle, CS_DISPATCH_ALL)
      default: rc = votequorum_dispatch(votequorumHandle, CS_DISPATCH_ALL)
      }
      if rc != CS_OK && rc != CS_ERR_TRY_AGAIN {
        lost("\(names[i]) returned \(CSError(rawValue: rc.rawValue).name)")
        return
      }
    }
    refreshQuorumIfDirty()
  }

  /// Only CPG: used between send retries so that flow control can drain without reordering anything.
  private func dispatchCPG(waitMs: Int32) {
    var pfd = pollfd(fd: cpgFD, events: Int16(POLLIN), revents: 0)
    if poll(&pfd, 1, waitMs) > 0 {
      let rc = cpg_dispatch(cpgHandle, CS_DISPATCH_ALL)
      if rc != CS_OK && rc != CS_ERR_TRY_AGAIN { lost("cpg_dispatch returned \(CSError(rawValue: rc.rawValue).name)") }
    }
  }

  private func lost(_ why: String) {
    guard connected else { return }
    failureBox.withLock { $0 = .connectionLost(why) }
    finalizeAll()
    onEvent(.left)
  }

  private func finalizeAll() {
    connected = false
    if cpgHandle != 0 { _ = cpg_finalize(cpgHandle) }
    if quorumHandle != 0 { _ = quorum_finalize(quorumHandle) }
    if votequorumHandle != 0 { _ = votequorum_finalize(votequorumHandle) }
    if cmapHandle != 0 { _ = cmap_finalize(cmapHandle) }
    cpgHandle = 0
    quorumHandle = 0
    votequorumHandle = 0
    cmapHandle = 0
  }

  private func serveMailbox() {
    let (commands, dropped) = mailbox.withLock { m in
      let c = m.commands
      let d = m.droppedBroadcasts
      m.commands = []
      m.droppedBroadcasts = 0
      m.queuedBroadcasts = 0
      return (c, d)
    }
    for _ in 0..<dropped {
      onEvent(.broadcastRejected("send queue full (\(options.sendQueueMax) broadcasts waiting)"))
    }
    var sendFailure: String?
    var batch: [[UInt8]] = []
    var batchBytes = 0
    // Broadcasts queued back to back go out together (`CPGBatch`), up to the limits; anything else flushes first.
    func flush() {
      guard !batch.isEmpty else { return }
      if let reason = sendFailure ?? send(CPGBatch.encode(batch[...])) {
        for _ in batch { onEvent(.broadcastRejected(reason)) }
        // After a failure the rest of these commands would meet the same wall; reject them without retrying each.
        if sendFailure == nil, reason.contains("TRY_AGAIN") || !connected { sendFailure = reason }
      }
      batch.removeAll(keepingCapacity: true)
      batchBytes = 0
    }
    for (index, command) in commands.enumerated() {
      if case .broadcast = command {} else { flush() }
      switch command {
      case .broadcast(let payload):
        if payload.count > options.messageBytesMax {
          flush()
          onEvent(.broadcastRejected(
            CorosyncError.messageTooLarge(bytes: payload.count, limit: options.messageBytesMax).description))
          continue
        }
        let grown = CPGBatch.size(payloadBytes: batchBytes + payload.count, count: batch.count + 1)
        if !batch.isEmpty && (batch.count >= options.batchBroadcastsMax || grown > batchMessageBytesMax) { flush() }
        batch.append(payload)
        batchBytes += payload.count
      case .status(let c):
        if !connected {
          c.resume(returning: .failure(failure ?? .shutDown))
        } else {
          do throws(CorosyncError) {
            c.resume(returning: .success(try readStatus()))
          } catch {
            c.resume(returning: .failure(error))
          }
        }
      case .leave(let c):
        guard connected else {
          c.resume(returning: .failure(failure ?? .shutDown))
          continue
        }
        do throws(CorosyncError) {
          var name = try groupName()
          try retrying("cpg_leave") { cpg_leave(cpgHandle, &name) }
          c.resume(returning: .success(()))
        } catch {
          c.resume(returning: .failure(error))
        }
      case .shutdown(let c):
        stopping = true
        batch.removeAll()
        finalizeAll()
        // Close the mailbox; whatever is queued behind the shutdown is answered "shut down", without events.
        let rest = mailbox.withLock { m in
          m.closed = true
          let r = m.commands
          m.commands = []
          return r
        }
        for r in commands[(index + 1)...] + rest {
          switch r {
          case .broadcast: break
          case .status(let c2): c2.resume(returning: .failure(.shutDown))
          case .leave(let c2): c2.resume(returning: .failure(.shutDown))
          case .shutdown(let c2): c2.resume()
          }
        }
        c.resume()
        return
      }
    }
    flush()
  }

  /// The largest batch message: one totem message when possible (corosync's atomic size), never below one payload
  /// of `messageBytesMax` (a single large broadcast is still sent alone, fragmented by corosync).
  private var batchMessageBytesMax: Int { max(atomicMessageBytes, 1) }

  /// One agreed-order multicast. Returns a rejection reason, or nil when corosync took the message.
  private func send(_ payload: [UInt8]) -> String? {
    guard !stopping else { return CorosyncError.shutDown.description }
    guard connected else { return (failure ?? .shutDown).description }
    var delay = options.tryAgainDelay
    for attempt in 0...options.tryAgainRetriesMax {
      let rc = payload.withUnsafeBytes { buf in
        var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: buf.baseAddress), iov_len: buf.count)
        return cpg_mcast_joined(cpgHandle, CPG_TYPE_AGREED, &iov, 1)
      }
      if rc == CS_OK { return nil }
      if rc != CS_ERR_TRY_AGAIN {
        return CorosyncError.call("cpg_mcast_joined", CSError(rawValue: rc.rawValue)).description
      }
      if attempt == options.tryAgainRetriesMax { break }
      // Flow control: deliver what has arrived (corosync may be waiting for us to read) and wait a little.
      let (s, atto) = delay.components
      dispatchCPG(waitMs: Int32(max(1, s * 1000 + atto / 1_000_000_000_000_000)))
      if !connected { return (failure ?? .shutDown).description }
      delay = min(delay * 2, options.tryAgainDelayMax)
    }
    return CorosyncError.retriesExhausted("cpg_mcast_joined", retries: options.tryAgainRetriesMax).description
  }

  static func monotonicNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }
}
