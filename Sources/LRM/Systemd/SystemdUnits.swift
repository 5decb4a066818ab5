import Foundation

// The pure part of the systemd class: unit names, job results, unit states and their OCF meaning, the
// cluster override drop-in, and unit discovery from systemd's listings. No bus here (see SystemdManager).

/// The result string of systemd's `JobRemoved` signal (org.freedesktop.systemd1.Manager).
public enum SystemdJobResult: Sendable, Hashable, CustomStringConvertible {
  case done, canceled, timeout, failed, dependency, skipped
  /// Any other result systemd may report ("invalid", "assert", "unsupported", "collected", "once", …).
  case other(String)

  public init(_ text: String) {
    switch text {
    case "done": self = .done
    case "canceled": self = .canceled
    case "timeout": self = .timeout
    case "failed": self = .failed
    case "dependency": self = .dependency
    case "skipped": self = .skipped
    default: self = .other(String(text.prefix(64)))
    }
  }

  public var description: String {
    switch self {
    case .done: "done"
    case .canceled: "canceled"
    case .timeout: "timeout"
    case .failed: "failed"
    case .dependency: "dependency"
    case .skipped: "skipped"
    case .other(let s): s
    }
  }
}

/// The outcome of a systemd operation: a job's result, or the unit's state for monitor/status.
public enum SystemdResult: Sendable, Hashable {
  /// A start/stop/reload job ended with this result.
  case job(SystemdJobResult)
  /// ActiveState "active" or "reloading".
  case active
  /// ActiveState "inactive".
  case inactive
  /// ActiveState "failed": the unit's process failed; for the cluster it is not running.
  case failed
  /// ActiveState "activating"/"deactivating": in transition, the operation is pending.
  case activating, deactivating
  /// systemd has no such unit (LoadState "not-found").
  case unknownUnit

  public var ocf: OCFResult {
    switch self {
    case .job(.done), .active: .success
    case .job: .genericError
    case .inactive, .failed: .notRunning
    // Pacemaker records an in-transition unit as PCMK_OCF_UNKNOWN with op-status pending.
    case .activating, .deactivating: .other(193)
    case .unknownUnit: .notInstalled
    }
  }

  /// Reads ActiveState (and SubState, for the reason text) of org.freedesktop.systemd1.Unit.
  public init(activeState: String) {
    switch activeState {
    case "active", "reloading": self = .active
    case "inactive": self = .inactive
    case "activating": self = .activating
    case "deactivating": self = .deactivating
    default: self = .failed  // "failed" and anything unknown: not running
    }
  }
}

/// systemd unit names from agent types: `sshd` -> `sshd.service`; a name with a unit suffix is kept.
public func systemdUnitName(forAgentType type: String) -> String {
  let suffixes = [".service", ".socket", ".mount", ".timer", ".path", ".target", ".scope", ".slice", ".swap"]
  return suffixes.contains(where: { type.hasSuffix($0) }) ? type : "\(type).service"
}

/// The drop-in the cluster puts in the runtime unit directory while it controls a unit, as Pacemaker does:
/// systemd must not restart the unit behind the cluster's back, and must stop it only after the cluster
/// manager when the node shuts down.
public func systemdOverrideDropIn(unit: String) -> String {
  """
  # Written by Vigil's LRM while the cluster manages \(unit); removed when the cluster stops it.
  [Unit]
  Description=Cluster Controlled \(unit.hasSuffix(".service") ? String(unit.dropLast(8)) : unit)
  Before=clusterd.service

  [Service]
  Restart=no

  """
}

/// Path of that drop-in under `runtimeDirectory` (normally /run/systemd/system).
public func systemdOverridePath(unit: String, runtimeDirectory: String) -> String {
  "\(runtimeDirectory)/\(unit).d/50-vigil.conf"
}

/// Agent names for `systemd:` from ListUnitFiles (unit file paths) and ListUnits (loaded unit names):
/// service units only, without the `.service` suffix, deduplicated and sorted (templates stay `name@`).
/// Bounded by `entriesMax`.
public func systemdAgentNames(unitFilePaths: [String], loadedUnits: [String], entriesMax: Int) -> [String] {
  var names = Set<String>()
  for unit in unitFilePaths.map({ $0.split(separator: "/").last.map(String.init) ?? $0 }) + loadedUnits {
    guard unit.hasSuffix(".service"), unit.count > 8 else { continue }
    let name = String(unit.dropLast(8))
    guard ResourceAgentName.isSafeComponent(name) else { continue }
    names.insert(name)
  }
  return Array(names.sorted().prefix(entriesMax))
}

/// Meta-data as Pacemaker synthesises it for a systemd unit: its Description and the fixed actions.
public func systemdMetadata(for agent: ResourceAgentName, unitDescription: String?) -> AgentMetadata {
  AgentMetadata(
    agent: agent, ocfVersion: "1.0", shortdesc: "systemd unit file for \(agent.type)",
    longdesc: unitDescription.flatMap { $0.isEmpty ? nil : $0 } ?? "Cluster Controlled \(agent.type)", parameters: [],
    actions: [
      AgentActionSpec(name: "start", timeout: "100"),
      AgentActionSpec(name: "stop", timeout: "100"),
      AgentActionSpec(name: "status", timeout: "100"),
      AgentActionSpec(name: "monitor", timeout: "100", interval: "60"),
      AgentActionSpec(name: "meta-data", timeout: "5"),
    ])
}
