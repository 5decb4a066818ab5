/// Where agents live on this node. Passed explicitly (never read from globals) so tests can point at
/// their own directories and the daemon at the distribution's.
public struct AgentRoots: Sendable, Equatable {
  /// OCF_ROOT: agents are `<ocfRoot>/resource.d/<provider>/<type>`.
  public var ocfRoot: String
  /// LSB init scripts: `<initDirectory>/<name>`.
  public var initDirectory: String
  /// Fence agents: `<fenceDirectory>/<agent>` (fence-agents installs into /usr/sbin).
  public var fenceDirectory: String
  /// systemd's manager, reached over D-Bus, for `systemd:` units (never systemctl).
  public var systemd: SystemdManager
  /// PATH given to every agent: agents call `ip`, `grep`, `sed`… and must not depend on the caller's PATH.
  public var path: String
  /// Vigil's own tools (attrd_updater, crm_attribute, crm_node): first on PATH and HA_SBIN_DIR when set, so an agent
  /// calling `attrd_updater` or `${HA_SBIN_DIR}/crm_attribute` reaches this cluster, not another installation's.
  public var toolDirectory: String? = nil
  /// This node's control socket, given to agents as VIGIL_SOCKET (the tools' way to their node's clusterd).
  public var controlSocket: String? = nil

  public init(
    ocfRoot: String = "/usr/lib/ocf", initDirectory: String = "/etc/init.d", fenceDirectory: String = "/usr/sbin",
    systemd: SystemdManager = .host,
    path: String = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  ) {
    self.ocfRoot = ocfRoot
    self.initDirectory = initDirectory
    self.fenceDirectory = fenceDirectory
    self.systemd = systemd
    self.path = path
  }

  public static let system = AgentRoots()

  /// The executable that implements `agent`; for systemd, the D-Bus socket of the manager that runs units.
  public func executablePath(for agent: ResourceAgentName) -> String {
    switch agent.standard {
    case .ocf: "\(ocfRoot)/resource.d/\(agent.provider!)/\(agent.type)"
    case .lsb, .service: "\(initDirectory)/\(agent.type)"
    case .stonith: "\(fenceDirectory)/\(agent.type)"
    case .systemd: systemd.address.path
    }
  }
}

/// One call of an agent on a resource: what the controller asks the LRM to run.
///
/// Parameters and meta attributes are ordered pairs (as in the CIB) so that the environment an agent sees is
/// reproducible. Invariant: `timeout > 0`; `interval == 0` for everything but recurring monitors.
public struct AgentCall: Sendable, Hashable {
  public var resource: String
  public var agent: ResourceAgentName
  public var action: AgentAction
  public var parameters: [Parameter]
  public var meta: [Parameter]
  public var interval: Duration
  public var timeout: Duration

  /// One `name=value` (an nvpair of instance_attributes or meta_attributes).
  public struct Parameter: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
      self.name = name
      self.value = value
    }
  }

  public init(
    resource: String, agent: ResourceAgentName, action: AgentAction, parameters: [Parameter] = [],
    meta: [Parameter] = [], interval: Duration = .zero, timeout: Duration = .seconds(20)
  ) {
    precondition(timeout > .zero, "operation timeout must be positive")
    precondition(interval >= .zero, "operation interval must not be negative")
    self.resource = resource
    self.agent = agent
    self.action = action
    self.parameters = parameters
    self.meta = meta
    self.interval = interval
    self.timeout = timeout
  }
}

/// Exactly what to execute for an `AgentCall`: the pure half of running an agent.
public struct Invocation: Sendable, Equatable {
  public var executable: String
  public var arguments: [String]
  /// Sorted by name: the environment an agent receives never depends on hash order.
  public var environment: [(name: String, value: String)]
  /// Fence agents read their options as `key=value` lines on stdin; nil means /dev/null.
  public var standardInput: String?
  /// Set when the call needs no process at all (stop of a fence device only unregisters it).
  public var immediateResult: OCFResult?

  public init(
    executable: String, arguments: [String], environment: [(name: String, value: String)],
    standardInput: String? = nil, immediateResult: OCFResult? = nil
  ) {
    self.executable = executable
    self.arguments = arguments
    self.environment = environment
    self.standardInput = standardInput
    self.immediateResult = immediateResult
  }

  public static func == (a: Invocation, b: Invocation) -> Bool {
    a.executable == b.executable && a.arguments == b.arguments && a.standardInput == b.standardInput
      && a.immediateResult == b.immediateResult && a.environment.map(\.name) == b.environment.map(\.name)
      && a.environment.map(\.value) == b.environment.map(\.value)
  }

  public func value(of name: String) -> String? { environment.first { $0.name == name }?.value }
}

extension Duration {
  /// Whole milliseconds, as Pacemaker writes intervals and timeouts into `OCF_RESKEY_CRM_meta_*`.
  public var wholeMilliseconds: Int64 {
    let (s, atto) = components
    return s * 1000 + atto / 1_000_000_000_000_000
  }
}

/// Builds the invocation of `call` following each standard's calling convention.
///
/// OCF: `<agent> <action>` with OCF_ROOT, OCF_FUNCTIONS_DIR, OCF_RA_VERSION_*, OCF_RESOURCE_INSTANCE,
/// OCF_RESOURCE_TYPE, OCF_RESOURCE_PROVIDER, OCF_RESKEY_<param> and OCF_RESKEY_CRM_meta_<meta> (dashes become
/// underscores, interval and timeout in milliseconds), as Pacemaker's executor passes them.
/// LSB: `<script> <action>` with monitor sent as `status`. Fence: no argument, `action=` and the parameters as
/// lines on stdin. systemd units are not processes: see `SystemdManager`.
public func makeInvocation(_ call: AgentCall, roots: AgentRoots) throws(LRMError) -> Invocation {
  let executable = roots.executablePath(for: call.agent)
  var env: [String: String] = ["PATH": roots.path, "LC_ALL": "C"]
  if let tools = roots.toolDirectory {
    env["PATH"] = tools + ":" + roots.path
    env["HA_SBIN_DIR"] = tools
  }
  if let socket = roots.controlSocket { env["VIGIL_SOCKET"] = socket }
  switch call.agent.standard {
  case .ocf:
    env["OCF_ROOT"] = roots.ocfRoot
    env["OCF_FUNCTIONS_DIR"] = "\(roots.ocfRoot)/lib/heartbeat"
    env["OCF_RA_VERSION_MAJOR"] = "1"
    env["OCF_RA_VERSION_MINOR"] = "1"
    env["OCF_RESOURCE_INSTANCE"] = call.resource
    env["OCF_RESOURCE_TYPE"] = call.agent.type
    env["OCF_RESOURCE_PROVIDER"] = call.agent.provider
    env["OCF_EXIT_REASON_PREFIX"] = "ocf-exit-reason:"
    for p in call.parameters { env["OCF_RESKEY_\(p.name)"] = p.value }
    for m in call.meta { env["OCF_RESKEY_CRM_meta_\(m.name.replacingDashes())"] = m.value }
    env["OCF_RESKEY_CRM_meta_interval"] = String(call.interval.wholeMilliseconds)
    env["OCF_RESKEY_CRM_meta_timeout"] = String(call.timeout.wholeMilliseconds)
    return Invocation(
      executable: executable, arguments: [call.action.rawValue], environment: sortedEnvironment(env),
      standardInput: nil, immediateResult: nil)
  case .lsb, .service:
    let verb: String
    switch call.action {
    case .monitor, .status: verb = "status"
    case .start, .stop, .reload: verb = call.action.rawValue
    case .metaData: verb = "meta-data"  // answered from the script's LSB header, see LSBHeader
    default: throw .unsupportedAction(call.action, call.agent)
    }
    return Invocation(
      executable: executable, arguments: [verb], environment: sortedEnvironment(env), standardInput: nil,
      immediateResult: nil)
  case .stonith:
    // A fence device's start and monitor check the device; stop only unregisters it (no agent call), as in
    // Pacemaker's fencer.
    let fenceAction: AgentAction
    switch call.action {
    case .start, .monitor: fenceAction = .monitor
    case .stop:
      return Invocation(
        executable: executable, arguments: [], environment: sortedEnvironment(env), standardInput: nil,
        immediateResult: .success)
    case .metaData: fenceAction = .metaData
    case .validateAll: fenceAction = .validateAll
    case .on, .off, .reboot, .status, .list: fenceAction = call.action
    default: throw .unsupportedAction(call.action, call.agent)
    }
    var lines = ["action=\(fenceAction.rawValue == "meta-data" ? "metadata" : fenceAction.rawValue)"]
    for p in call.parameters where p.name != "action" && !p.name.hasPrefix("pcmk_") {
      // A newline in a value would inject another option: refuse it rather than pass it on.
      guard !p.value.contains("\n"), !p.name.contains("=") else {
        throw .invalidAgentName(call.agent.description, reason: "parameter \(p.name) contains a newline or '='")
      }
      lines.append("\(p.name)=\(p.value)")
    }
    return Invocation(
      executable: executable, arguments: [], environment: sortedEnvironment(env),
      standardInput: lines.joined(separator: "\n") + "\n", immediateResult: nil)
  case .systemd:
    // Not a process: AgentRunner hands systemd units to SystemdManager (D-Bus).
    throw .notAProcess(call.agent)
  }
}

/// Reads an exit code the way the agent's standard defines it.
public func interpretExit(_ code: Int32, standard: AgentStandard, action: AgentAction) -> AgentExitCode {
  switch standard {
  case .ocf: return .ocf(OCFResult(exitCode: code))
  case .lsb, .service:
    return action == .monitor || action == .status
      ? .lsb(.status(.init(exitCode: code))) : .lsb(LSBResult(actionExitCode: code))
  case .stonith:
    return .fence(FenceResult(action: action == .monitor || action == .start ? .monitor : action, exitCode: code))
  case .systemd:
    // Only reached for a systemd unit run as a process, which Vigil never does: read as OCF.
    return .ocf(OCFResult(exitCode: code))
  }
}

func sortedEnvironment(_ env: [String: String]) -> [(name: String, value: String)] {
  env.map { (name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }
}

extension String {
  func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}
