import CIB
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

// The pure part of alerts: the CIB's alert definitions, the events, and the CRM_alert_* environment each alert
// agent receives (Pacemaker Explained, "Alerts"). The shell that runs them is AlertRunner.

/// The kinds of events an alert can select (`select_nodes`, `select_fencing`, `select_resources`,
/// `select_attributes`). Without a `select` element Pacemaker sends node, fencing and resource events.
public enum AlertKind: String, Sendable, Hashable, CaseIterable, Comparable {
  case node, fencing, resource, attribute
  public static func < (a: AlertKind, b: AlertKind) -> Bool { a.rawValue < b.rawValue }
}

/// A cluster event worth an alert.
public enum AlertEvent: Sendable, Hashable {
  /// A node joined or left: `state` is "member" or "lost" (CRM_alert_desc).
  case node(name: String, id: String, state: String)
  /// An operation's result on `node`.
  case resource(ResourceOperationAlert)
  /// A fencing operation ended: `task` is the action (reboot, off, on), `rc` 0 on success.
  case fencing(target: String, task: String, rc: Int32, desc: String)
  /// A node attribute changed (`value` nil: deleted).
  case attribute(node: String, nodeID: String?, name: String, value: String?)

  public var kind: AlertKind {
    switch self {
    case .node: .node
    case .resource: .resource
    case .fencing: .fencing
    case .attribute: .attribute
    }
  }
}

/// A resource operation, as a resource alert describes it.
public struct ResourceOperationAlert: Sendable, Hashable {
  public var node: String
  public var resource: String
  /// The action (start, stop, monitor, …).
  public var task: String
  public var intervalMs: Int64
  /// The rc the cluster expected (7 for a probe of a stopped resource, else 0).
  public var targetRC: Int32
  public var status: ExecutionStatus
  public var ocf: OCFResult
  public var execTimeMs: Int64

  public init(
    node: String, resource: String, task: String, intervalMs: Int64 = 0, targetRC: Int32 = 0,
    status: ExecutionStatus, ocf: OCFResult, execTimeMs: Int64
  ) {
    self.node = node
    self.resource = resource
    self.task = task
    self.intervalMs = intervalMs
    self.targetRC = targetRC
    self.status = status
    self.ocf = ocf
    self.execTimeMs = execTimeMs
  }

  /// The resource alert for one finished operation.
  public init(node: String, call: AgentCall, result: OperationResult, targetRC: Int32 = 0) {
    self.init(
      node: node, resource: call.resource, task: call.action.rawValue, intervalMs: call.interval.wholeMilliseconds,
      targetRC: targetRC, status: result.status, ocf: result.ocf, execTimeMs: result.runtime.wholeMilliseconds)
  }
}

extension ExecutionStatus {
  /// Pacemaker's op-status number (`enum pcmk_exec_status`), used in CRM_alert_status and lrm_rsc_op.
  public var opStatus: Int {
    switch self {
    case .pending: -1
    case .done: 0
    case .cancelled: 1
    case .timedOut: 2
    case .signaled, .spawnFailed: 4
    case .notInstalled: 7
    }
  }
}

/// One alert of the CIB (`configuration/alerts/alert`), ready to run.
public struct AlertDefinition: Sendable, Equatable {
  public var id: String
  public var path: String
  /// `timeout` meta attribute (default 30 s).
  public var timeout: Duration
  /// `timestamp-format` meta attribute (default "%H:%M:%S.%06N").
  public var timestampFormat: String
  public var kinds: Set<AlertKind>
  /// `select_attributes` with `attribute` children: only those names; nil: every attribute.
  public var attributeNames: [String]?
  /// Instance attributes: extra environment variables, in CIB order.
  public var environment: [AgentCall.Parameter]
  /// Recipients; an alert without any runs once with no CRM_alert_recipient.
  public var recipients: [Recipient]

  public struct Recipient: Sendable, Equatable {
    public var id: String
    public var value: String
    public var timeout: Duration
    public var timestampFormat: String
    public var environment: [AgentCall.Parameter]
  }

  public static let defaultTimeout: Duration = .seconds(30)
  public static let defaultTimestampFormat = "%H:%M:%S.%06N"

  /// Whether this alert wants `event` (kind and, for attributes, the name).
  public func selects(_ event: AlertEvent) -> Bool {
    guard kinds.contains(event.kind) else { return false }
    if case .attribute(_, _, let name, _) = event, let attributeNames { return attributeNames.contains(name) }
    return true
  }
}

/// Why an alert definition cannot be used.
public enum AlertConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
  case missingPath(alert: String)
  case invalidTimeout(alert: String, value: String)
  case invalidEnvironmentName(alert: String, name: String)

  public var description: String {
    switch self {
    case .missingPath(let a): "alert \(a): no path to the alert agent"
    case .invalidTimeout(let a, let v): "alert \(a): timeout=\"\(v)\" is not a time (expected e.g. 30s, 500ms)"
    case .invalidEnvironmentName(let a, let n): "alert \(a): instance attribute \"\(n)\" cannot be an environment variable"
    }
  }
}

extension AlertDefinition {
  /// Reads every alert of the configuration.
  public static func all(in configuration: CIBConfiguration) throws(AlertConfigurationError) -> [AlertDefinition] {
    var result: [AlertDefinition] = []
    for a in configuration.alerts { result.append(try AlertDefinition(a)) }
    return result
  }

  public init(_ alert: Alert) throws(AlertConfigurationError) {
    guard let path = alert.path, !path.isEmpty else { throw .missingPath(alert: alert.id) }
    id = alert.id
    self.path = path
    let meta = firstValues(alert.metaAttributes)
    timeout = try alertTimeout(meta["timeout"], alert: alert.id, fallback: Self.defaultTimeout)
    timestampFormat = meta["timestamp-format"] ?? Self.defaultTimestampFormat
    environment = try alertEnvironmentPairs(alert.instanceAttributes, alert: alert.id)
    if let select = alert.source.firstElement(named: "select") {
      var kinds = Set<AlertKind>()
      if select.firstElement(named: "select_nodes") != nil { kinds.insert(.node) }
      if select.firstElement(named: "select_fencing") != nil { kinds.insert(.fencing) }
      if select.firstElement(named: "select_resources") != nil { kinds.insert(.resource) }
      if let attrs = select.firstElement(named: "select_attributes") {
        kinds.insert(.attribute)
        let names = attrs.elements(named: "attribute").compactMap { $0[attribute: "name"] }
        attributeNames = names.isEmpty ? nil : names
      } else {
        attributeNames = nil
      }
      self.kinds = kinds
    } else {
      kinds = [.node, .fencing, .resource]
      attributeNames = nil
    }
    var recipients: [Recipient] = []
    for r in alert.recipients {
      let rmeta = firstValues(r.metaAttributes)
      let renv = try alertEnvironmentPairs(r.instanceAttributes, alert: alert.id)
      // A recipient's instance attributes override the alert's of the same name.
      let merged = environment.filter { e in !renv.contains { $0.name == e.name } } + renv
      recipients.append(
        Recipient(
          id: r.id, value: r.value ?? "", timeout: try alertTimeout(rmeta["timeout"], alert: alert.id, fallback: timeout),
          timestampFormat: rmeta["timestamp-format"] ?? timestampFormat, environment: merged))
    }
    self.recipients = recipients
  }
}

private func firstValues(_ sets: [AttributeSet]) -> [String: String] {
  var values: [String: String] = [:]
  for set in sets {
    for p in set.pairs {
      if let n = p.name, values[n] == nil { values[n] = p.value ?? "" }
    }
  }
  return values
}

private func alertTimeout(_ text: String?, alert: String, fallback: Duration) throws(AlertConfigurationError) -> Duration {
  guard let text else { return fallback }
  guard let ms = try? Milliseconds(time: text), ms.value > 0 else { throw .invalidTimeout(alert: alert, value: text) }
  return ms.duration
}

private func alertEnvironmentPairs(_ sets: [AttributeSet], alert: String) throws(AlertConfigurationError) -> [AgentCall.Parameter] {
  var seen = Set<String>()
  var result: [AgentCall.Parameter] = []
  for set in sets {
    for p in set.pairs {
      guard let n = p.name, seen.insert(n).inserted else { continue }
      guard !n.isEmpty, !n.contains("="), !n.contains("\0") else { throw .invalidEnvironmentName(alert: alert, name: n) }
      result.append(.init(n, p.value ?? ""))
    }
  }
  return result
}

/// The moment of an event: seconds since the epoch and the nanoseconds within that second.
public struct AlertTimestamp: Sendable, Hashable {
  public var epochSeconds: Int64
  public var nanoseconds: Int32
  public init(epochSeconds: Int64, nanoseconds: Int32) {
    precondition((0..<1_000_000_000).contains(nanoseconds))
    self.epochSeconds = epochSeconds
    self.nanoseconds = nanoseconds
  }

  public static func now() -> AlertTimestamp {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return AlertTimestamp(epochSeconds: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
  }

  /// strftime (local time) with Pacemaker's extension `%<width>N`: the fraction of the second with `width`
  /// digits (1-9, default 9), truncated. Bounded: at most 256 bytes of output.
  public func formatted(_ format: String) -> String {
    var out = ""
    var rest = Substring(format)
    // Expand %N first (strftime does not know it), leaving everything else to strftime.
    var expanded = ""
    while let percent = rest.firstIndex(of: "%") {
      expanded += rest[..<percent]
      var i = rest.index(after: percent)
      guard i < rest.endIndex else { expanded += "%"; rest = rest[i...]; break }
      if rest[i] == "%" { expanded += "%%"; rest = rest[rest.index(after: i)...]; continue }
      var digits = ""
      while i < rest.endIndex, rest[i].isASCII, rest[i].isNumber { digits.append(rest[i]); i = rest.index(after: i) }
      if i < rest.endIndex, rest[i] == "N" {
        let width = min(9, max(1, Int(digits) ?? 9))
        let full = String(format: "%09d", nanoseconds)
        expanded += full.prefix(width)
        rest = rest[rest.index(after: i)...]
      } else {
        expanded += "%" + digits
        rest = rest[i...]
      }
    }
    expanded += rest
    var t = time_t(epochSeconds)
    var parts = tm()
    localtime_r(&t, &parts)
    var buffer = [Int8](repeating: 0, count: 256)
    let n = strftime(&buffer, buffer.count, expanded, &parts)
    out = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    return out
  }
}

/// The environment of one alert agent run: CRM_alert_* (and the legacy CRM_notify_* names Pacemaker still sets),
/// then the alert's instance attributes. Sorted by name, starting from an explicit PATH.
public func alertEnvironment(
  event: AlertEvent, recipient: String?, sequence: UInt64, timestamp: AlertTimestamp, timestampFormat: String,
  version: String, extra: [AgentCall.Parameter], path: String = AgentRoots.system.path
) -> [(name: String, value: String)] {
  var env: [String: String] = ["PATH": path]
  func set(_ key: String, _ value: String?) {
    guard let value else { return }
    env["CRM_alert_\(key)"] = value
    env["CRM_notify_\(key)"] = value
  }
  set("kind", event.kind.rawValue)
  set("version", version)
  set("recipient", recipient)
  set("node_sequence", String(sequence))
  set("timestamp", timestamp.formatted(timestampFormat))
  set("timestamp_epoch", String(timestamp.epochSeconds))
  set("timestamp_usec", String(timestamp.nanoseconds / 1000))
  switch event {
  case .node(let name, let id, let state):
    set("node", name)
    set("nodeid", id)
    set("desc", state)
  case .resource(let r):
    set("node", r.node)
    set("rsc", r.resource)
    set("task", r.task)
    set("interval", String(r.intervalMs))
    set("target_rc", String(r.targetRC))
    set("status", String(r.status.opStatus))
    set("rc", String(r.ocf.exitCode))
    set("exec_time", String(r.execTimeMs))
    // Pacemaker's wording: the rc's meaning when the operation completed, else the execution status.
    set("desc", r.status == .done ? r.ocf.description : r.status.description)
  case .fencing(let target, let task, let rc, let desc):
    set("node", target)
    set("task", task)
    set("rc", String(rc))
    set("desc", desc)
  case .attribute(let node, let nodeID, let name, let value):
    set("node", node)
    set("nodeid", nodeID)
    set("attribute_name", name)
    set("attribute_value", value ?? "")
  }
  // Instance attributes never replace the CRM_alert_* variables.
  for e in extra where env[e.name] == nil || e.name == "PATH" { env[e.name] = e.value }
  return sortedEnvironment(env)
}

/// One alert agent run to perform.
public struct AlertInvocation: Sendable, Equatable {
  public var alertID: String
  public var recipient: String?
  public var invocation: Invocation
  public var timeout: Duration
}

/// Every run `event` causes: one per selecting alert and recipient (alert order, then recipient order).
public func planAlerts(
  _ alerts: [AlertDefinition], event: AlertEvent, sequence: UInt64, timestamp: AlertTimestamp, version: String,
  path: String = AgentRoots.system.path
) -> [AlertInvocation] {
  var runs: [AlertInvocation] = []
  for a in alerts where a.selects(event) {
    let targets: [(String?, Duration, String, [AgentCall.Parameter])] =
      a.recipients.isEmpty
      ? [(nil, a.timeout, a.timestampFormat, a.environment)]
      : a.recipients.map { ($0.value, $0.timeout, $0.timestampFormat, $0.environment) }
    for (recipient, timeout, format, extra) in targets {
      let env = alertEnvironment(
        event: event, recipient: recipient, sequence: sequence, timestamp: timestamp, timestampFormat: format,
        version: version, extra: extra, path: path)
      runs.append(
        AlertInvocation(
          alertID: a.id, recipient: recipient,
          invocation: Invocation(executable: a.path, arguments: [], environment: env), timeout: timeout))
    }
  }
  return runs
}

extension AlertEvent {
  /// The fencing alert for a finished fencing request, worded as Pacemaker's fencer words it
  /// ("Operation reboot of node2 by node1 for clusterd@node1: OK"); rc 0 on success, 1 otherwise.
  public static func fencing(_ result: FencingResult, executor: String, origin: String, client: String = "clusterd") -> AlertEvent {
    let outcome: String
    switch result.outcome {
    case .fenced: outcome = "OK"
    case .failed(let failure): outcome = "Error (\(failure))"
    }
    return .fencing(
      target: result.target, task: result.action.rawValue, rc: result.succeeded ? 0 : 1,
      desc: "Operation \(result.action.rawValue) of \(result.target) by \(executor) for \(client)@\(origin): \(outcome)")
  }
}
