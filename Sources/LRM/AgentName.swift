/// The class of a resource agent: which calling convention and exit-code table applies.
///
/// Why it exists: Pacemaker's `class` attribute ("standard" in pcs) decides how an agent is found, how it is
/// called (arguments, environment, stdin) and how its exit code is read. Keeping it an enum makes every
/// switch over it exhaustive, so a new standard cannot be half supported.
public enum AgentStandard: String, Sendable, Hashable, Comparable, CaseIterable {
  case ocf, lsb, service, systemd, stonith

  public static func < (a: AgentStandard, b: AgentStandard) -> Bool { a.rawValue < b.rawValue }
}

/// A resource agent's full name, `standard[:provider]:type` (`ocf:heartbeat:IPaddr2`, `lsb:dbus`,
/// `stonith:fence_dummy`, `systemd:sshd`).
///
/// Invariant: `provider` is non-nil exactly when `standard == .ocf`; `type` is non-empty and holds no '/'
/// except for stonith's cluster-glue names (`external/ssh`) which Vigil does not run.
public struct ResourceAgentName: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let standard: AgentStandard
  public let provider: String?
  public let type: String

  public init(standard: AgentStandard, provider: String? = nil, type: String) {
    precondition((standard == .ocf) == (provider != nil), "provider is required for ocf and only for ocf")
    precondition(!type.isEmpty, "agent type must not be empty")
    self.standard = standard
    self.provider = provider
    self.type = type
  }

  /// Parses `ocf:heartbeat:Dummy`, `lsb:dbus`, `service:dbus`, `systemd:sshd`, `stonith:fence_dummy`.
  public static func parse(_ text: String) throws(LRMError) -> ResourceAgentName {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard let first = parts.first, let standard = AgentStandard(rawValue: first) else {
      throw .invalidAgentName(text, reason: "unknown standard; expected one of ocf, lsb, service, systemd, stonith")
    }
    switch (standard, parts.count) {
    case (.ocf, 3):
      guard !parts[1].isEmpty, !parts[2].isEmpty else {
        throw .invalidAgentName(text, reason: "ocf agents are named ocf:PROVIDER:TYPE")
      }
      guard isSafeComponent(parts[1]), isSafeComponent(parts[2]) else {
        throw .invalidAgentName(text, reason: "provider and type must not contain '/' or be '.' or '..'")
      }
      return ResourceAgentName(standard: .ocf, provider: parts[1], type: parts[2])
    case (.ocf, _):
      throw .invalidAgentName(text, reason: "ocf agents are named ocf:PROVIDER:TYPE")
    case (_, 2):
      guard !parts[1].isEmpty, isSafeComponent(parts[1]) else {
        throw .invalidAgentName(text, reason: "\(standard.rawValue) agents are named \(standard.rawValue):NAME")
      }
      return ResourceAgentName(standard: standard, type: parts[1])
    default:
      throw .invalidAgentName(text, reason: "\(standard.rawValue) agents are named \(standard.rawValue):NAME")
    }
  }

  /// The name as pcs prints it: `ocf:heartbeat:Dummy`, `lsb:dbus`, `stonith:fence_dummy`.
  public var description: String {
    if let provider { "\(standard.rawValue):\(provider):\(type)" } else { "\(standard.rawValue):\(type)" }
  }

  public static func < (a: ResourceAgentName, b: ResourceAgentName) -> Bool { a.description < b.description }

  /// Agent names become path components: refuse anything that could walk out of the agent directory.
  static func isSafeComponent(_ s: String) -> Bool {
    !s.contains("/") && s != "." && s != ".." && !s.contains("\0")
  }
}

/// The action an agent is asked to perform. Raw values are what the agent receives.
///
/// Resource actions (start … meta-data) follow OCF; fence actions (on … list) follow the fence-agents API.
/// `monitor` on an LSB script is sent as `status`, on systemd as an `is-active` query.
public enum AgentAction: String, Sendable, Hashable, Comparable, CaseIterable {
  case start, stop, monitor, promote, demote, notify
  case migrateTo = "migrate_to", migrateFrom = "migrate_from"
  case reload, reloadAgent = "reload-agent"
  case validateAll = "validate-all", metaData = "meta-data"
  // fence-agents actions
  case on, off, reboot, status, list

  public static func < (a: AgentAction, b: AgentAction) -> Bool { a.rawValue < b.rawValue }

  /// Actions that a fence agent understands (the `action=` line on its stdin).
  public var isFenceAction: Bool {
    switch self {
    case .on, .off, .reboot, .status, .list, .monitor, .metaData: true
    default: false
    }
  }
}
