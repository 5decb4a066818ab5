import Foundation

/// One device action run while fencing: what a person reads in the fencing history.
public struct FenceAttempt: Sendable, Hashable {
  /// The fencing-topology level (its index), nil when no topology applies to the target.
  public var level: Int?
  public var device: String
  public var agent: ResourceAgentName
  /// The agent action sent (after pcmk_<action>_action), or "list"/"status" for a host check.
  public var action: String
  /// The port given to the agent (pcmk_host_map or the node name); nil for `list`.
  public var port: String?
  public var status: ExecutionStatus
  /// The agent's exit code as fence-agents define it; nil when it did not exit on its own.
  public var code: FenceResult?
  /// Last lines of the agent's output (stdout then stderr), bounded by `Fencer.outputLinesMax`.
  public var outputTail: [String]
  public var reason: String?
  public var succeeded: Bool
  public var runtime: Duration

  /// The raw exit code (fence-agents: 0 ok, 1 failed, 2 off for status).
  public var rc: Int32? {
    switch code {
    case .success: 0
    case .poweredOff: 2
    case .failed(let c): c
    case nil: nil
    }
  }
}

/// Why a fencing request failed.
public enum FencingFailure: Sendable, Hashable, CustomStringConvertible {
  /// No configured device can fence the target (host checks all said no).
  case noCapableDevice(target: String)
  /// Every capable device was tried (no topology) and none succeeded.
  case allDevicesFailed(target: String, devices: [String])
  /// Every topology level was tried and none had all of its devices succeed.
  case allLevelsFailed(target: String, levels: [Int])

  public var description: String {
    switch self {
    case .noCapableDevice(let t): "no fence device can fence \(t)"
    case .allDevicesFailed(let t, let d): "fencing \(t) failed with every capable device (\(d.joined(separator: ", ")))"
    case .allLevelsFailed(let t, let l): "fencing \(t) failed at every topology level (\(l.map(String.init).joined(separator: ", ")))"
    }
  }
}

/// The result of one fencing request.
public struct FencingResult: Sendable, Hashable {
  public enum Outcome: Sendable, Hashable {
    /// Fenced by `devices` (all of a topology level's devices, or the one device that succeeded).
    case fenced(level: Int?, devices: [String])
    case failed(FencingFailure)
  }
  public var target: String
  public var action: FenceAction
  public var outcome: Outcome
  /// Every agent run, in order (host checks included).
  public var attempts: [FenceAttempt]
  public var runtime: Duration
  /// The delay waited before the first device ran (pcmk_delay_base/max plus the priority delay).
  public var delay: Duration = .zero

  public var succeeded: Bool {
    if case .fenced = outcome { true } else { false }
  }

  /// One line, as stonith_admin and the fencing history say it.
  public var summary: String {
    switch outcome {
    case .fenced(let level, let devices):
      "\(action.rawValue) of \(target) succeeded by \(devices.joined(separator: ","))" + (level.map { " (level \($0))" } ?? "")
    case .failed(let f):
      "\(action.rawValue) of \(target) failed: \(f)"
        + (attempts.last(where: { !$0.succeeded }).flatMap { a in a.reason.map { " (last: \(a.device) \(a.action): \($0))" } } ?? "")
    }
  }
}

/// Fences nodes with the stonith devices and fencing-topology of the CIB, as Pacemaker's fencer does on the node
/// that executes the request.
///
/// With topology levels for the target: levels in index order; a level succeeds only if all its devices succeed
/// (each device must also be able to fence the target); a reboot at a level of several devices is done as "off"
/// on all, then "on" on all (so that redundant power supplies are all cut at once). Without: every device that
/// can fence the target (pcmk_host_check), highest `priority` first, until one succeeds. Each device action has
/// its timeout (pcmk_<action>_timeout, else stonith-timeout) and is tried up to pcmk_<action>_retries times
/// within it. Whether an agent takes a port, and which actions it has, comes from its meta-data (cached).
/// Before the first device action of a request, the fencer waits the request's delay: the priority delay given by
/// the caller plus that device's pcmk_delay_base/pcmk_delay_max delay, so in a two-node fence race one side (the
/// one fencing the more important node, or the one with the longer delay) is fenced before it can shoot.
public struct Fencer: Sendable {
  public var runner: AgentRunner
  public var catalog: MetadataCatalog
  /// Lines of output kept per attempt.
  public var outputLinesMax: Int
  /// Bound on the host-check (list/status) calls: their timeout.
  public var hostCheckTimeout: Duration

  public init(runner: AgentRunner, catalog: MetadataCatalog? = nil, outputLinesMax: Int = 20, hostCheckTimeout: Duration = .seconds(20)) {
    precondition(outputLinesMax > 0 && hostCheckTimeout > .zero)
    self.runner = runner
    self.catalog = catalog ?? MetadataCatalog(runner: runner)
    self.outputLinesMax = outputLinesMax
    self.hostCheckTimeout = hostCheckTimeout
  }

  /// Fences `target` with `action` (default: the configuration's stonith-action). `priorityDelay` is added to the
  /// first device's delay; `delayFraction` (0..<1) picks the random part of pcmk_delay_max (randomness is an input).
  public func fence(
    _ target: String, action: FenceAction? = nil, configuration: FencingConfiguration,
    nodeAttributes: [String: String] = [:], priorityDelay: Duration = .zero, delayFraction: Double = 0
  ) async -> FencingResult {
    let clock = ContinuousClock()
    let started = clock.now
    let action = action ?? configuration.stonithAction
    var attempts: [FenceAttempt] = []
    var delay = Delay.pending(priority: priorityDelay, fraction: delayFraction)
    let levels = configuration.levels(for: target, nodeAttributes: nodeAttributes)
    var outcome: FencingResult.Outcome
    if !levels.isEmpty {
      outcome = .failed(.allLevelsFailed(target: target, levels: levels.map(\.index)))
      levelLoop: for level in levels {
        var devices: [FenceDevice] = []
        for id in level.deviceIDs {
          guard let d = configuration.device(id) else {
            attempts.append(refusal(level: level.index, device: id, reason: "no stonith device \(id) in the configuration"))
            continue levelLoop
          }
          guard await canFence(d, target: target, level: level.index, attempts: &attempts) else {
            attempts.append(refusal(level: level.index, device: d, reason: "\(d.id) cannot fence \(target)"))
            continue levelLoop
          }
          devices.append(d)
        }
        let steps: [FenceAction] = action == .reboot && devices.count > 1 ? [.off, .on] : [action]
        for step in steps {
          for d in devices {
            let ok = await run(d, step, requested: action, target: target, level: level.index, configuration, &attempts, &delay)
            // An "on" after the offs is best effort: the node is already fenced when every "off" succeeded.
            if !ok && !(steps.count > 1 && step == .on) { continue levelLoop }
          }
        }
        outcome = .fenced(level: level.index, devices: devices.map(\.id))
        break
      }
    } else {
      var capable: [FenceDevice] = []
      for d in configuration.devices where await canFence(d, target: target, level: nil, attempts: &attempts) {
        capable.append(d)
      }
      // Stable: equal priorities keep configuration order.
      capable = capable.enumerated().sorted { a, b in
        a.element.priority != b.element.priority ? a.element.priority > b.element.priority : a.offset < b.offset
      }.map(\.element)
      if capable.isEmpty {
        outcome = .failed(.noCapableDevice(target: target))
      } else {
        outcome = .failed(.allDevicesFailed(target: target, devices: capable.map(\.id)))
        for d in capable where await run(d, action, requested: action, target: target, level: nil, configuration, &attempts, &delay) {
          outcome = .fenced(level: nil, devices: [d.id])
          break
        }
      }
    }
    var result = FencingResult(target: target, action: action, outcome: outcome, attempts: attempts, runtime: clock.now - started)
    if case .waited(let d) = delay { result.delay = d }
    return result
  }

  /// A request's delay: not yet waited (its inputs), or waited (how long).
  enum Delay {
    case pending(priority: Duration, fraction: Double)
    case waited(Duration)
  }

  /// What the agent's meta-data says: its actions, and the parameter that names the port.
  func agentFacts(_ device: FenceDevice) async -> (actions: Set<String>?, hostArgument: String?) {
    guard let md = try? await catalog.metadata(for: device.agent) else { return (nil, device.hostArgument ?? "port") }
    let names = Set(md.parameters.map(\.name))
    let derived: String? = names.contains("plug") ? "plug" : names.contains("port") ? "port" : nil
    return (Set(md.actions.map(\.name)), device.hostArgument ?? derived)
  }

  /// The host check of `device` for `target` (pcmk_host_check), asking the agent when the check is dynamic.
  public func canFence(_ device: FenceDevice, target: String, level: Int?, attempts: inout [FenceAttempt]) async -> Bool {
    let facts = await agentFacts(device)
    let check = device.effectiveHostCheck(agentActions: facts.actions)
    if let answer = device.canFenceStatically(target, check: check) { return answer }
    let port = device.port(for: target)
    switch check {
    case .dynamicList:
      let r = await runner.run(call(device, .list, port: nil, target: nil, hostArgument: facts.hostArgument, timeout: hostCheckTimeout))
      var a = attempt(device, "list", port: nil, level: level, result: r)
      let listed = parseFenceList(r.standardOutput)
      a.succeeded = r.status == .done && r.ocf == .success
      attempts.append(a)
      return a.succeeded && (listed.contains(port) || listed.contains(target))
    case .status:
      let r = await runner.run(call(device, .status, port: port, target: target, hostArgument: facts.hostArgument, timeout: hostCheckTimeout))
      var a = attempt(device, "status", port: port, level: level, result: r)
      // On (0) or off (2): the device knows the port.
      a.succeeded = r.status == .done && (r.code == .fence(.success) || r.code == .fence(.poweredOff))
      attempts.append(a)
      return a.succeeded
    case .staticList, .none:
      return false
    }
  }

  /// Runs `step` on `device` with its timeout and retries; true on success.
  private func run(
    _ device: FenceDevice, _ step: FenceAction, requested: FenceAction, target: String, level: Int?,
    _ configuration: FencingConfiguration, _ attempts: inout [FenceAttempt], _ delay: inout Delay
  ) async -> Bool {
    let actionName = device.agentAction(for: step)
    guard let agentAction = AgentAction(rawValue: actionName), [.on, .off, .reboot].contains(agentAction) else {
      attempts.append(refusal(level: level, device: device, reason: "pcmk_\(step.rawValue)_action=\(actionName) is not on, off or reboot"))
      return false
    }
    if case .pending(let priority, let fraction) = delay {
      let wait = priority + device.delay(for: target, action: requested, fraction: fraction)
      delay = .waited(wait)
      if wait > .zero { try? await Task.sleep(for: wait) }
    }
    let timeout = device.actionTimeout[step.rawValue] ?? device.actionTimeout[actionName] ?? configuration.stonithTimeout
    let tries = max(1, device.actionRetries[step.rawValue] ?? device.actionRetries[actionName] ?? 2)
    let facts = await agentFacts(device)
    let port = device.port(for: target)
    let deadline = ContinuousClock.now + timeout
    for _ in 0..<tries {
      let left = deadline - ContinuousClock.now
      guard left > .zero else { break }
      let r = await runner.run(call(device, agentAction, port: port, target: target, hostArgument: facts.hostArgument, timeout: left))
      var a = attempt(device, actionName, port: port, level: level, result: r)
      a.succeeded = r.status == .done && r.ocf == .success
      attempts.append(a)
      if a.succeeded { return true }
    }
    return false
  }

  func call(
    _ device: FenceDevice, _ action: AgentAction, port: String?, target: String?, hostArgument: String?, timeout: Duration
  ) -> AgentCall {
    var parameters = device.parameters.filter { $0.name != "nodename" && $0.name != hostArgument }
    if let target { parameters.append(.init("nodename", target)) }
    if let port, let hostArgument, hostArgument != "none" { parameters.append(.init(hostArgument, port)) }
    return AgentCall(resource: device.id, agent: device.agent, action: action, parameters: parameters, timeout: timeout)
  }

  private func attempt(_ device: FenceDevice, _ action: String, port: String?, level: Int?, result r: OperationResult) -> FenceAttempt {
    var code: FenceResult? = nil
    if case .fence(let f)? = r.code { code = f }
    let output = r.standardOutput + (r.standardOutput.isEmpty || r.standardOutput.hasSuffix("\n") ? "" : "\n") + r.standardError
    let reason: String? = r.status == .done && r.ocf == .success ? nil : (r.exitReason ?? r.summary)
    return FenceAttempt(
      level: level, device: device.id, agent: device.agent, action: action, port: port, status: r.status, code: code,
      outputTail: lastLines(output, max: outputLinesMax), reason: reason, succeeded: false, runtime: r.runtime)
  }

  private func refusal(level: Int?, device: FenceDevice, reason: String) -> FenceAttempt {
    FenceAttempt(
      level: level, device: device.id, agent: device.agent, action: "none", port: nil, status: .done, code: nil,
      outputTail: [], reason: reason, succeeded: false, runtime: .zero)
  }

  private func refusal(level: Int?, device id: String, reason: String) -> FenceAttempt {
    FenceAttempt(
      level: level, device: id, agent: ResourceAgentName(standard: .stonith, type: "unknown"), action: "none", port: nil,
      status: .notInstalled, code: nil, outputTail: [], reason: reason, succeeded: false, runtime: .zero)
  }
}
