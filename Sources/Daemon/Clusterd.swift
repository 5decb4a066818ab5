import CIB
import ControlProtocol
import Controller
import Foundation
import LRM
import Logging
import Membership
import MembershipCorosync
import NIOCore
import NIOPosix
import PolicyEngine
import ServiceLifecycle

/// Everything that happens to a clusterd, in the order its single event loop handles it.
enum DaemonInput: Sendable {
  case membership(MembershipEvent)
  case lrm(OperationReport)
  case control(ControlRequest, reply: @Sendable (ControlResponse) -> Void)
  case tick
  /// A timer the controller core asked for (`.scheduleTimer`).
  case timer(atMs: Int64)
  /// The fencer finished with `node`.
  case fenced(node: String, success: Bool)
  case shutdownRequested
  /// At start, before any view: stop what this node's previous life left running.
  case stopOrphans
}

/// One node's clusterd: membership, the replicated CIB, the DC's transition walker, the LRM and the control
/// socket, run as a swift-service-lifecycle `Service` (graceful stop on SIGTERM: resources move away first).
///
/// All state lives in `NodeRuntime`, touched only by the one task that drains `inputs` (the shell pattern:
/// callbacks from NIO, the LRM and the socket only enqueue). Every queue has a bound.
public final class ClusterdService: Service, @unchecked Sendable {
  let options: DaemonOptions
  let logger: Logger
  /// Inputs waiting for the loop; past this the oldest are kept and the new one dropped (logged).
  static let inputsBufferedMax = 100_000

  public init(options: DaemonOptions, logger: Logger) {
    self.options = options
    self.logger = logger
  }

  public func run() async throws {
    let config: CorosyncConfig
    do { config = try CorosyncConfig.load(path: options.corosyncConf) } catch {
      throw DaemonError.config("cannot use \(options.corosyncConf): \(error)")
    }
    let me = try resolveLocalNode(config, name: options.node)
    // `vigil { membership: corosync }` runs membership over the local corosync (which owns its own authkey);
    // absent or `native` runs the native UDP shell, which authenticates with ours.
    let choice: MembershipBackendChoice
    do { choice = try MembershipBackendChoice(config: config) } catch {
      throw DaemonError.config("cannot use \(options.corosyncConf): \(error)")
    }
    var key: AuthKey?
    if choice == .native {
      do { key = try AuthKey.load(path: options.authkey) } catch {
        throw DaemonError.config("cannot use the authkey \(options.authkey): \(error)")
      }
    }
    do {
      try FileManager.default.createDirectory(atPath: options.stateDir + "/cib", withIntermediateDirectories: true)
    } catch {
      throw DaemonError.state("cannot create \(options.stateDir)/cib: \(error)")
    }
    var roots = AgentRoots.system
    if options.privateAgentDirs { roots.ocfRoot = try preparePrivateOCFRoot(stateDir: options.stateDir) }
    roots.fenceDirectory = options.fenceAgentDir
    roots.toolDirectory = options.toolsDir
    roots.controlSocket = options.socketPath

    let (inputs, sink) = AsyncStream<DaemonInput>.makeStream(bufferingPolicy: .bufferingOldest(Self.inputsBufferedMax))
    let logger = self.logger
    let enqueue: @Sendable (DaemonInput) -> Void = { input in
      if case .dropped = sink.yield(input) { logger.error("input queue full (\(Self.inputsBufferedMax)): input dropped") }
    }
    let group = MultiThreadedEventLoopGroup.singleton

    let runner = AgentRunner(roots: roots, logger: logger)
    let executor = LocalExecutor(
      limits: ExecutorLimits(), clock: ContinuousClock(), logger: logger, run: { call in await runner.run(call) })
    let effects = EffectsHandler(runner: runner, localNode: me.displayName, logger: logger, enqueue: enqueue)

    // The socket's folder: created if missing (root only, like /run/pacemaker).
    let socketDir = (options.socketPath as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(
      atPath: socketDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    let server: Channel
    do {
      server = try await ControlServer.start(path: options.socketPath, group: group) { request, reply in
        enqueue(.control(request, reply: reply))
      }
    } catch {
      throw DaemonError.state("cannot listen on \(options.socketPath): \(error)")
    }
    // First input of the loop, before any view: the previous life's leftovers are stopped before this node joins.
    enqueue(.stopOrphans)
    let backend: any MembershipBackend
    var runtimeConfig = config
    do {
      switch choice {
      case .native:
        backend = try await MembershipShell.start(
          config: config, me: me.nodeID, incarnation: UInt64(Date().timeIntervalSince1970 * 1000), key: key!,
          group: group, onEvent: { event in enqueue(.membership(event)) })
      case .corosync:
        let corosync = try await CorosyncBackend.start(onEvent: { event in enqueue(.membership(event)) })
        guard corosync.localNode == me.nodeID else {
          try? await corosync.shutdown()
          try? await server.close()
          throw DaemonError.config(
            "corosync runs this machine as node id \(corosync.localNode), but clusterd was given node "
              + "\(me.displayName) (id \(me.nodeID)); fix --node or the nodelist")
        }
        // Names for status output come from the nodelist corosync actually runs (cmap), not our parse of it.
        runtimeConfig.nodes = corosync.nodelist
        backend = corosync
      }
    } catch let error as DaemonError {
      throw error
    } catch {
      try? await server.close()
      throw DaemonError.config("cannot start membership (\(choice.rawValue)): \(error)")
    }
    // The watchdog is armed before this node joins anything: from here on a frozen loop gets it reset.
    var runtimeOptions = options
    var device: WatchdogDevice?
    let runtime: NodeRuntime
    do {
      if let path = options.watchdogDevice {
        let opened = try WatchdogDevice(path: path, timeoutS: options.watchdogTimeoutS)
        runtimeOptions.watchdogTimeoutS = opened.timeoutS
        device = opened
      }
      runtime = try NodeRuntime(
        options: runtimeOptions, config: runtimeConfig, me: me, logger: logger, executor: executor,
        effectsHandler: effects, membershipBackend: backend.backendName, enqueue: enqueue)
    } catch {
      device?.disarm()
      try? await backend.shutdown()
      try? await server.close()
      throw error
    }
    runtime.backend = backend
    let controller = runtime.core.controller
    runtime.watchdog = WatchdogShell(
      device: device, timing: controller.config.watchdog, leaseMs: controller.config.lease.leaseMs)
    if let device {
      logger.notice("watchdog armed: \(device.path), timeout \(device.timeoutS) s; a lost node's resources start \(controller.survivorWait.waitMs) ms after it was last heard")
    } else {
      logger.warning("NO WATCHDOG (no --watchdog-device): split-brain protection is the lease only; a node frozen longer than the \(controller.config.lease.leaseMs) ms lease may run resources alongside the survivors until it resumes")
    }
    if TwoNodeWarning.applies(to: runtime.config) {
      logger.warning("\(TwoNodeWarning.text) (unless stonith-enabled is true with a stonith device)")
    }
    logger.info("clusterd started", metadata: ["node": "\(runtime.myName)", "id": "\(me.nodeID)"])

    let reports = Task {
      for await report in executor.reports { enqueue(.lrm(report)) }
    }
    let ticker = Task {
      while !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(20))
        enqueue(.tick)
      }
    }
    await withGracefulShutdownHandler {
      for await input in inputs {
        await runtime.handle(input)
        if runtime.finished { break }
      }
    } onGracefulShutdown: {
      enqueue(.shutdownRequested)
    }
    runtime.watchdogExit()
    ticker.cancel()
    reports.cancel()
    await executor.shutdown()
    try? await backend.shutdown()
    try? await server.close()
    unlink(options.socketPath)
    logger.info("clusterd stopped")
  }
}
