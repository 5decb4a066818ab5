import Files
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Runs `systemd:` resources through systemd's D-Bus API (org.freedesktop.systemd1), never through systemctl.
///
/// start/stop: LoadUnit (a unit systemd does not know is "not installed"; stopping it succeeds), then
/// StartUnit/StopUnit with mode "replace", then wait for the `JobRemoved` signal of that job and read its result.
/// monitor/status: the unit's ActiveState. While the cluster runs a unit, a drop-in in the runtime unit directory
/// sets Restart=no (Pacemaker's override), added before start and removed after stop, each followed by Reload.
/// Every call runs on a dedicated thread with one connection and the operation's deadline; past it the job is
/// cancelled and the result is "timed out".
public struct SystemdManager: Sendable, Equatable {
  public var address: SystemdBusAddress
  /// Where the override drop-in goes (normally /run/systemd/system); nil: no override.
  public var overrideDirectory: String?
  public var limits: DBusLimits

  public init(address: SystemdBusAddress, overrideDirectory: String? = "/run/systemd/system", limits: DBusLimits = .default) {
    self.address = address
    self.overrideDirectory = overrideDirectory
    self.limits = limits
  }

  /// The manager of this host's systemd: its private socket when present (root), else the system bus.
  public static var host: SystemdManager {
    let address = access(SystemdBusAddress.privateSocket.path, F_OK) == 0 ? SystemdBusAddress.privateSocket : .systemBus
    return SystemdManager(address: address)
  }

  /// Whether a systemd answers at `address` (a socket file exists there).
  public var isReachable: Bool { access(address.path, F_OK) == 0 }

  public func run(_ call: AgentCall) async -> OperationResult {
    let manager = self
    return await onDedicatedThread { manager.runBlocking(call) }
  }

  /// The service units systemd knows (unit files and loaded units), as `systemd:` agent names.
  public func agentNames(timeout: Duration = .seconds(10), entriesMax: Int = 10_000) async throws(DBusError) -> [String] {
    let manager = self
    return try await onDedicatedThread { manager.agentNamesBlocking(timeout: timeout, entriesMax: entriesMax) }.get()
  }

  /// A unit's Description property (for meta-data); nil when systemd does not know the unit.
  public func unitDescription(_ unit: String, timeout: Duration = .seconds(10)) async throws(DBusError) -> String? {
    let manager = self
    return try await onDedicatedThread { () -> Result<String?, DBusError> in
      do throws(DBusError) {
        let bus = try SystemdBus(manager.address, deadline: .now + timeout, limits: manager.limits)
        let path = try bus.loadUnit(unit)
        guard try bus.unitProperty(path, "LoadState").stringValue != "not-found" else { return .success(nil) }
        return .success(try bus.unitProperty(path, "Description").stringValue)
      } catch { return .failure(error) }
    }.get()
  }

  func agentNamesBlocking(timeout: Duration, entriesMax: Int) -> Result<[String], DBusError> {
    do throws(DBusError) {
      let bus = try SystemdBus(address, deadline: .now + timeout, limits: limits)
      let files = try bus.listUnitFiles()
      let loaded = try bus.listUnitNames()
      return .success(systemdAgentNames(unitFilePaths: files, loadedUnits: loaded, entriesMax: entriesMax))
    } catch { return .failure(error) }
  }

  func runBlocking(_ call: AgentCall) -> OperationResult {
    let clock = ContinuousClock()
    let started = clock.now
    let deadline = started + call.timeout
    let unit = systemdUnitName(forAgentType: call.agent.type)
    var result: OperationResult
    do throws(DBusError) {
      let bus = try SystemdBus(address, deadline: deadline, limits: limits)
      let path = try bus.loadUnit(unit)
      let loadState = try bus.unitProperty(path, "LoadState").stringValue ?? ""
      if loadState == "not-found" {
        // Stopping a unit that does not exist has nothing to do (as in Pacemaker); anything else: not installed.
        result =
          call.action == .stop
          ? OperationResult(status: .done, code: .systemd(.unknownUnit), ocf: .success, exitReason: nil)
          : OperationResult(
            status: .notInstalled, code: .systemd(.unknownUnit), ocf: .notInstalled,
            exitReason: "systemd unit \(unit) not found")
      } else {
        switch call.action {
        case .start, .stop, .reload:
          result = try runJob(bus, unit: unit, action: call.action, deadline: deadline, timeout: call.timeout)
        case .monitor, .status:
          let active = try bus.unitProperty(path, "ActiveState").stringValue ?? ""
          let sub = try bus.unitProperty(path, "SubState").stringValue ?? ""
          let state = SystemdResult(activeState: active)
          switch state {
          case .activating, .deactivating:
            result = OperationResult(
              status: .pending, code: .systemd(state), ocf: state.ocf, exitReason: "unit is \(active) (\(sub))")
          default:
            result = OperationResult(
              status: .done, code: .systemd(state), ocf: state.ocf,
              exitReason: state.ocf == .success ? nil : "unit is \(active) (\(sub))")
          }
        default:
          result = OperationResult(
            status: .done, code: nil, ocf: .unimplemented,
            exitReason: LRMError.unsupportedAction(call.action, call.agent).description)
        }
      }
    } catch {
      if case .timedOut = error {
        result = OperationResult(
          status: .timedOut, code: nil, ocf: .genericError,
          exitReason: "timed out after \(call.timeout.formattedForHumans): \(error.description)",
          forensics: TimeoutForensics(processes: [], lastOutputLines: [error.description]))
      } else {
        result = OperationResult(
          status: .spawnFailed(error.description), code: nil, ocf: .genericError,
          exitReason: "systemd: \(error.description)")
      }
    }
    result.runtime = clock.now - started
    return result
  }

  /// One job (start/stop/reload with mode "replace"), waited for until its JobRemoved signal.
  private func runJob(
    _ bus: SystemdBus, unit: String, action: AgentAction, deadline: ContinuousClock.Instant, timeout: Duration
  ) throws(DBusError) -> OperationResult {
    var overrideNote: String? = nil
    if action == .start, let dir = overrideDirectory {
      do {
        try writeOverride(unit: unit, directory: dir)
        try bus.reload()
      } catch let e as DBusError { throw e } catch { overrideNote = "override not written: \(error)" }
    }
    try bus.subscribe()
    let method = action == .start ? "StartUnit" : action == .stop ? "StopUnit" : "ReloadUnit"
    let job = try bus.unitJob(method, unit: unit)
    let jobResult: SystemdJobResult
    do {
      jobResult = try bus.waitJobRemoved(job, deadline: deadline)
    } catch {
      if case .timedOut = error {
        bus.cancelJob(job)
        return OperationResult(
          status: .timedOut, code: nil, ocf: .genericError,
          exitReason: "timed out after \(timeout.formattedForHumans) waiting for systemd job \(job) (\(method) \(unit)); job cancelled",
          forensics: TimeoutForensics(processes: [], lastOutputLines: ["systemd job \(job): \(method) \(unit) still queued or running"]))
      }
      throw error
    }
    if action == .stop, jobResult == .done, let dir = overrideDirectory {
      let path = systemdOverridePath(unit: unit, runtimeDirectory: dir)
      if unlink(path) == 0 {
        _ = rmdir((path as NSString).deletingLastPathComponent)
        try? bus.reload()
      }
    }
    let code = SystemdResult.job(jobResult)
    return OperationResult(
      status: .done, code: .systemd(code), ocf: code.ocf,
      exitReason: jobResult == .done ? overrideNote : "systemd job \(method) \(unit) ended with result '\(jobResult)'")
  }

  /// Writes the drop-in atomically (temporary file, fsync, rename).
  private func writeOverride(unit: String, directory: String) throws {
    let path = systemdOverridePath(unit: unit, runtimeDirectory: directory)
    let dir = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    do {
      try FileIO.writeAtomically(path: path, text: systemdOverrideDropIn(unit: unit), mode: 0o644)
    } catch {
      throw LRMError.spawnFailed(path: path, reason: "cannot write the override drop-in: \(error)")
    }
  }
}

/// systemd's manager over one D-Bus connection (blocking; owned by one thread).
final class SystemdBus {
  static let destination = "org.freedesktop.systemd1"
  static let managerPath = "/org/freedesktop/systemd1"
  static let managerInterface = "org.freedesktop.systemd1.Manager"

  let connection: DBusConnection
  let deadline: ContinuousClock.Instant

  init(_ address: SystemdBusAddress, deadline: ContinuousClock.Instant, limits: DBusLimits) throws(DBusError) {
    connection = try DBusConnection(address: address, deadline: deadline, limits: limits)
    self.deadline = deadline
  }

  private func manager(_ member: String, _ body: [DBusValue] = []) throws(DBusError) -> [DBusValue] {
    try connection.call(
      destination: Self.destination, path: Self.managerPath, interface: Self.managerInterface, member: member,
      body: body, deadline: deadline)
  }

  func loadUnit(_ unit: String) throws(DBusError) -> String {
    guard let path = try manager("LoadUnit", [.string(unit)]).first?.stringValue else {
      throw .unexpectedReply("LoadUnit returned no object path")
    }
    return path
  }

  func unitProperty(_ path: String, _ name: String) throws(DBusError) -> DBusValue {
    let reply = try connection.call(
      destination: Self.destination, path: path, interface: "org.freedesktop.DBus.Properties", member: "Get",
      body: [.string("org.freedesktop.systemd1.Unit"), .string(name)], deadline: deadline)
    guard let value = reply.first else { throw .unexpectedReply("Properties.Get \(name) returned nothing") }
    return value
  }

  /// Asks systemd to send us its signals (needed on a bus; harmless peer-to-peer, where systemd sends them
  /// anyway). On a bus, the bus daemon also needs a match rule to route JobRemoved to us.
  func subscribe() throws(DBusError) {
    if !connection.address.peerToPeer {
      _ = try connection.call(
        destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
        member: "AddMatch",
        body: [
          .string(
            "type='signal',sender='\(Self.destination)',path='\(Self.managerPath)',interface='\(Self.managerInterface)',member='JobRemoved'"
          )
        ], deadline: deadline)
    }
    _ = try manager("Subscribe")
  }

  func unitJob(_ method: String, unit: String) throws(DBusError) -> String {
    guard let job = try manager(method, [.string(unit), .string("replace")]).first?.stringValue else {
      throw .unexpectedReply("\(method) returned no job")
    }
    return job
  }

  /// Waits for JobRemoved(u id, o job, s unit, s result) of `job`.
  func waitJobRemoved(_ job: String, deadline: ContinuousClock.Instant) throws(DBusError) -> SystemdJobResult {
    let signal = try connection.nextSignal(deadline: deadline, what: "JobRemoved of \(job)") { m in
      m.member == "JobRemoved" && m.interface == Self.managerInterface && m.body.count == 4
        && m.body[1].stringValue == job
    }
    return SystemdJobResult(signal.body[3].stringValue ?? "")
  }

  func cancelJob(_ job: String) {
    _ = try? connection.call(
      destination: Self.destination, path: job, interface: "org.freedesktop.systemd1.Job", member: "Cancel",
      deadline: .now + .seconds(2))
  }

  func reload() throws(DBusError) {
    _ = try manager("Reload")
  }

  /// ListUnitFiles: a(ss) of (path, state); the paths.
  func listUnitFiles() throws(DBusError) -> [String] {
    guard let entries = try manager("ListUnitFiles").first?.arrayElements else {
      throw .unexpectedReply("ListUnitFiles returned no array")
    }
    return entries.compactMap { $0.structMembers?.first?.stringValue }
  }

  /// ListUnits: a(ssssssouso), the first member being the unit name.
  func listUnitNames() throws(DBusError) -> [String] {
    guard let entries = try manager("ListUnits").first?.arrayElements else {
      throw .unexpectedReply("ListUnits returned no array")
    }
    return entries.compactMap { $0.structMembers?.first?.stringValue }
  }
}

/// Runs blocking work on a thread of its own, so that it never holds one of the cooperative pool's threads.
func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
    let thread = Thread { continuation.resume(returning: body()) }
    thread.stackSize = 1 << 20
    thread.start()
  }
}
