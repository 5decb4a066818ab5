/// Operating errors of the LRM module: bad agent names, missing agents, unreadable metadata.
///
/// Each case carries what a person needs to fix the input. Failures of an agent itself are not errors:
/// they are `OperationResult` values, because the controller must record them in the CIB status section.
public enum LRMError: Error, Equatable, Sendable, CustomStringConvertible {
  case invalidAgentName(String, reason: String)
  case agentNotInstalled(ResourceAgentName, path: String)
  case unsupportedAction(AgentAction, ResourceAgentName)
  case invalidMetadata(ResourceAgentName, reason: String)
  case metadataUnavailable(ResourceAgentName, reason: String)
  case spawnFailed(path: String, reason: String)
  /// systemd units are run through systemd's D-Bus API, not as a child process.
  case notAProcess(ResourceAgentName)

  public var description: String {
    switch self {
    case .invalidAgentName(let name, let reason): "invalid agent name '\(name)': \(reason)"
    case .agentNotInstalled(let name, let path): "agent \(name) is not installed (no executable \(path))"
    case .unsupportedAction(let action, let name): "agent \(name) does not support action '\(action.rawValue)'"
    case .invalidMetadata(let name, let reason): "unable to parse meta-data of \(name): \(reason)"
    case .metadataUnavailable(let name, let reason): "unable to get meta-data of \(name): \(reason)"
    case .spawnFailed(let path, let reason): "unable to run \(path): \(reason)"
    case .notAProcess(let name): "\(name) is run through systemd's D-Bus API, not as a process"
    }
  }
}
