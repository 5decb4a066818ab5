import Arbiter
import NIOCore
import NIOPosix
import Processes

/// What the UDP shell reports to its owner (the daemon, a test node), on the shell's event loop.
public enum MembershipEvent: Sendable {
  case viewInstalled(View)
  case quorumChanged(QuorumStatus)
  case delivered(Delivery)
  case broadcastRejected(String)
  /// A message this node broadcast was cut by a view change and delivered to nobody who moved on with it
  /// (`MembershipEffect.broadcastAborted`); the corosync backend reports such a send as `.broadcastRejected`.
  case broadcastAborted([UInt8])
  case left
  /// The membership's proof of who counts this node in (`MembershipCore.quorumContactSince`), and when each peer
  /// was last heard, as ages at `at`: reported whenever the proof changes, and right before each view.
  case contact(quorumSinceAge: Duration?, peerAges: [NodeID: Duration], at: ContinuousClock.Instant)
}

public enum MembershipShellError: Error, CustomStringConvertible {
  case unknownNode(NodeID)
  case badAddress(String, Int)
  case config(String)
  public var description: String {
    switch self {
    case .unknownNode(let id): return "node \(id) is not in the nodelist"
    case .badAddress(let a, let p): return "cannot use address \(a):\(p) (give an IP address in ring0_addr)"
    case .config(let m): return m
    }
  }
}

/// The thin I/O shell around `MembershipCore`: one UDP socket bound to this node's ring0_addr and port, every
/// datagram sealed and opened by `PacketSecurity`, ticks from the event loop's timer. All state lives on one event
/// loop; public methods hop onto it. A fault switch (`setIsolated`) drops all traffic in both directions, for tests.
public final class MembershipShell: @unchecked Sendable {
  public let loop: EventLoop
  private var core: MembershipCore
  private var security: PacketSecurity
  private var channel: Channel?
  private let addresses: [NodeID: SocketAddress]
  private let epoch = NIODeadline.now()
  private var isolated = false
  private var stopped = false
  private let onEvent: @Sendable (MembershipEvent) -> Void
  private var tickTask: Scheduled<Void>?
  private var reportedContact: Duration?
  /// The quorum device client and its connection, when corosync.conf configures `quorum.device`.
  private var device: QuorumDeviceClient?
  private var deviceLink: QuorumDeviceLink?
  /// `host:port` of the arbiter, as corosync-qdevice-tool shows it.
  private var deviceHost = ""
  /// Heuristics runs still executing (a newer run supersedes an older one without killing it, each ends by its
  /// timeout); past `heuristicsRunsMax`, a run fails at once instead of spawning more.
  private var heuristicsRunning = 0
  private static let heuristicsRunsMax = 4
  public private(set) var datagramsDropped = 0

  private init(
    loop: EventLoop, core: MembershipCore, security: PacketSecurity, addresses: [NodeID: SocketAddress],
    onEvent: @escaping @Sendable (MembershipEvent) -> Void
  ) {
    self.loop = loop
    self.core = core
    self.security = security
    self.addresses = addresses
    self.onEvent = onEvent
  }

  /// Binds the socket and starts the core. `incarnation` must grow across restarts of this node (boot time in ms).
  public static func start(
    config: CorosyncConfig, me: NodeID, incarnation: UInt64, key: AuthKey, group: EventLoopGroup,
    timing: MembershipTiming? = nil, onEvent: @escaping @Sendable (MembershipEvent) -> Void
  ) async throws -> MembershipShell {
    guard let mine = config.node(me) else { throw MembershipShellError.unknownNode(me) }
    var addresses: [NodeID: SocketAddress] = [:]
    for n in config.nodes {
      let port = config.port(of: n)
      guard let a = try? SocketAddress(ipAddress: n.ring0Addr, port: port) else {
        throw MembershipShellError.badAddress(n.ring0Addr, port)
      }
      addresses[n.nodeID] = a
    }
    let vq: VotequorumConfig
    do {
      vq = try VotequorumConfig(nodes: config.nodes, options: config.quorum ?? QuorumOptions())
    } catch {
      throw MembershipShellError.config("quorum configuration: \(error)")
    }
    let cfg = MembershipConfig(
      me: me, incarnation: incarnation, nodes: config.nodes.map(\.nodeID), votequorum: vq,
      timing: timing ?? MembershipTiming(totem: config.totem))
    let encrypt = (config.totem.cryptoCipher ?? "none") != "none"
    let loop = group.next()
    let shell = MembershipShell(
      loop: loop, core: MembershipCore(config: cfg), security: PacketSecurity(key: key, encrypt: encrypt),
      addresses: addresses, onEvent: onEvent)
    if let d = config.quorum?.device {
      let cluster = config.totem.clusterName ?? "vigil"
      let settings = QuorumDeviceSettings(
        cluster: cluster, node: me, incarnation: incarnation, algorithm: d.algorithm, tieBreaker: d.tieBreaker,
        tokenMs: Int(cfg.timing.failTimeout / .milliseconds(1)),
        heuristics: QuorumDeviceHeuristics.from(d, tokenMs: Int(cfg.timing.failTimeout / .milliseconds(1))))
      shell.device = QuorumDeviceClient(settings: settings)
      shell.deviceHost = "\(d.host):\(d.port)"
      shell.deviceLink = QuorumDeviceLink(
        loop: loop, host: d.host, port: d.port, key: ArbiterKey(authkey: key.bytes, cluster: cluster),
        connectTimeout: settings.pollInterval * 2
      ) { [shell] reply in shell.deviceInput(.replied(reply, now: shell.elapsed())) }
    }
    let bootstrap = DatagramBootstrap(group: loop)
      .channelOption(.socketOption(.so_reuseaddr), value: 1)
      .channelOption(.socketOption(.so_rcvbuf), value: 8 << 20)
      .channelOption(.socketOption(.so_sndbuf), value: 8 << 20)
      .channelOption(.maxMessagesPerRead, value: 64)
      .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Inbound(shell: shell))
        }
      }
    let channel = try await bootstrap.bind(host: mine.ring0Addr, port: config.port(of: mine)).get()
    try await loop.submit {
      shell.channel = channel
      shell.input(.tick(now: shell.elapsed()))
    }.get()
    return shell
  }

  private final class Inbound: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let shell: MembershipShell
    init(shell: MembershipShell) { self.shell = shell }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var envelope = unwrapInboundIn(data)
      let bytes = envelope.data.readBytes(length: envelope.data.readableBytes) ?? []
      shell.received(bytes)
    }
    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
    func errorCaught(context: ChannelHandlerContext, error: Error) {}  // e.g. ECONNREFUSED from a dead peer
  }

  private func elapsed() -> Duration { .nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds - epoch.uptimeNanoseconds)) }

  private func received(_ bytes: [UInt8]) {
    guard !stopped else { return }
    if isolated {
      datagramsDropped += 1
      return
    }
    guard let packet = security.open(bytes) else { return }
    input(.packetReceived(packet, now: elapsed()))
  }

  private func input(_ i: MembershipInput) {
    loop.preconditionInEventLoop()
    guard !stopped else { return }
    let effects = core.handle(i)
    perform(effects)
    reportContact(force: false)
  }

  private func reportContact(force: Bool) {
    let since = core.quorumContactSince
    guard force || since != reportedContact else { return }
    reportedContact = since
    let now = elapsed()
    onEvent(.contact(quorumSinceAge: since.map { now - $0 }, peerAges: core.peerLastHeard.mapValues { now - $0 },
                     at: ContinuousClock.now))
  }

  private func perform(_ effects: [MembershipEffect]) {
    var wrote = false
    for e in effects {
      switch e {
      case .send(let packet, let targets):
        guard !isolated, let channel else { continue }
        let bytes = security.seal(packet)
        for t in targets {
          guard let address = addresses[t] else { continue }
          let buffer = channel.allocator.buffer(bytes: bytes)
          channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
          wrote = true
        }
      case .installView(let v):
        reportContact(force: true)
        onEvent(.viewInstalled(v))
        if device != nil { deviceInput(.viewInstalled(v, now: elapsed())) }
      case .quorumChanged(let s):
        if device != nil { deviceInput(.quorumComputed(s, now: elapsed())) } else { onEvent(.quorumChanged(s)) }
      case .deliver(let d): onEvent(.delivered(d))
      case .broadcastRejected(let reason): onEvent(.broadcastRejected(reason))
      case .broadcastAborted(let payload, _): onEvent(.broadcastAborted(payload))
      case .scheduleTick(let after):
        tickTask?.cancel()
        tickTask = loop.scheduleTask(in: .nanoseconds(after.nanosecondsClamped)) { [self] in
          self.input(.tick(now: self.elapsed()))
          if self.device != nil && !self.stopped { self.deviceInput(.tick(now: self.elapsed())) }
        }
      case .left:
        if wrote { channel?.flush() }
        wrote = false
        stopped = true
        tickTask?.cancel()
        onEvent(.left)
      }
    }
    if wrote { channel?.flush() }
  }

  /// Feeds the quorum device client and performs what it asks, in order.
  private func deviceInput(_ i: QuorumDeviceInput) {
    loop.preconditionInEventLoop()
    guard !stopped, var client = device else { return }
    let effects = client.handle(i)
    device = client
    for e in effects {
      switch e {
      case .send(let request): if !isolated { deviceLink?.send(request) }
      case .castVote(let cast, let view): input(.quorumDeviceVoted(cast: cast, view: view, now: elapsed()))
      case .report(let status): onEvent(.quorumChanged(status))
      case .runHeuristics(let run, let commands, let timeout): runHeuristics(run, commands, timeout)
      }
    }
  }

  /// Runs the heuristics commands in parallel through the process runner; passed when every one exited 0 in time.
  private func runHeuristics(_ run: UInt64, _ commands: [[String]], _ timeout: Duration) {
    guard heuristicsRunning < Self.heuristicsRunsMax else {
      deviceInput(.heuristicsFinished(run: run, passed: false, now: elapsed()))
      return
    }
    heuristicsRunning += 1
    Task { [self] in
      let passed = await withTaskGroup(of: Bool.self) { group in
        for argv in commands {
          group.addTask {
            await ProcessRunner.run(
              argv[0], Array(argv.dropFirst()), limits: ProcessLimits(timeout: timeout, outputBytesMax: 4096)
            ).succeeded
          }
        }
        var all = true
        for await ok in group { all = all && ok }
        return all
      }
      loop.execute {
        self.heuristicsRunning -= 1
        self.deviceInput(.heuristicsFinished(run: run, passed: passed, now: self.elapsed()))
      }
    }
  }

  // MARK: owner API (any thread)

  /// Whether resources run on this node: the arbiter gives an even split to the side running them.
  public func setRunsResources(_ runs: Bool) {
    loop.execute { if self.device != nil { self.deviceInput(.runsResourcesChanged(runs)) } }
  }

  /// Whether this node holds the quorum device's vote now (nil: no device configured).
  public func holdsDeviceVote() -> EventLoopFuture<Bool?> { loop.submit { self.device?.hasVote } }

  /// What `pcs quorum device status` shows of the device client (nil: no device configured).
  public func deviceState() -> EventLoopFuture<QuorumDeviceState?> {
    loop.submit {
      guard let d = self.device, let link = self.deviceLink else { return nil }
      return QuorumDeviceState(
        node: d.settings.node, configuredNodes: self.addresses.keys.sorted(), members: d.viewMembers,
        cluster: d.settings.cluster, host: self.deviceHost, algorithm: d.settings.algorithm,
        tieBreaker: d.settings.tieBreaker, connection: link.stateText, castsVote: d.hasVote,
        heuristics: d.settings.heuristics == nil ? nil : d.heuristicsResult)
    }
  }

  public func broadcast(_ payload: [UInt8]) {
    loop.execute { self.input(.broadcastRequested(payload: payload, now: self.elapsed())) }
  }

  public func broadcast(_ payloads: [[UInt8]]) {
    loop.execute {
      for p in payloads { self.input(.broadcastRequested(payload: p, now: self.elapsed())) }
    }
  }

  /// Announces a graceful leave and stops; the returned future completes once the leave packets are written.
  public func leave() -> EventLoopFuture<Void> {
    loop.submit { self.input(.leaveRequested(now: self.elapsed())) }
  }

  public func setIsolated(_ on: Bool) { loop.execute { self.isolated = on } }

  public func quorumStatus() -> EventLoopFuture<QuorumStatus> { loop.submit { self.core.quorumStatus } }

  public func securityCounters() -> EventLoopFuture<SecurityCounters> { loop.submit { self.security.counters } }

  public func close() -> EventLoopFuture<Void> {
    loop.flatSubmit {
      self.stopped = true
      self.tickTask?.cancel()
      self.deviceLink?.close()
      return self.channel?.close() ?? self.loop.makeSucceededVoidFuture()
    }
  }
}

extension Duration {
  var nanosecondsClamped: Int64 {
    let (s, atto) = components
    if s > 9_000_000_000 { return .max }
    return max(0, s * 1_000_000_000 + atto / 1_000_000_000)
  }
}
