import CIB

#if canImport(Glibc)
  import Glibc
#endif

/// A resource agent's name: `standard[:provider]:type`.
struct AgentName: Sendable, Equatable {
  var standard: String
  var provider: String?
  var type: String

  var full: String { [standard, provider, type].compactMap { $0 }.joined(separator: ":") }

  /// Parses a full name; nil when it is not `std:type` or `std:prov:type`.
  static func parseFull(_ s: String) -> AgentName? {
    let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    switch parts.count {
    case 2 where !parts[0].isEmpty && !parts[1].isEmpty:
      return AgentName(standard: parts[0], provider: nil, type: parts[1])
    case 3 where !parts[0].isEmpty && !parts[1].isEmpty && !parts[2].isEmpty:
      return AgentName(standard: parts[0], provider: parts[1], type: parts[2])
    default: return nil
    }
  }
}

/// What pcs uses from an agent's metadata: parameters (for validation) and actions (default operations).
struct AgentMetadata: Sendable {
  struct Parameter: Sendable {
    var name: String
    var required: Bool
    var unique: Bool
    var deprecated: Bool
    var obsoletes: String?
  }

  struct Action: Sendable {
    var name: String
    var attributes: [(String, String)]  // document order: interval, timeout, role, depth, ...
    func value(_ key: String) -> String? { attributes.first { $0.0 == key }?.1 }
  }

  var parameters: [Parameter]
  var actions: [Action]

  static func from(_ root: CIBElement) -> AgentMetadata {
    var params: [Parameter] = []
    for p in root.firstElement(named: "parameters")?.elements(named: "parameter") ?? [] {
      guard let name = p[attribute: "name"] else { continue }
      params.append(
        Parameter(
          name: name, required: Agents.isTrue(p[attribute: "required"]), unique: Agents.isTrue(p[attribute: "unique"]),
          deprecated: Agents.isTrue(p[attribute: "deprecated"]) || p.firstElement(named: "deprecated") != nil,
          obsoletes: p[attribute: "obsoletes"]))
    }
    var actions: [Action] = []
    for a in root.firstElement(named: "actions")?.elements(named: "action") ?? [] {
      guard let name = a[attribute: "name"] else { continue }
      actions.append(Action(name: name, attributes: a.attributes.filter { $0.name != "name" }.map { ($0.name, $0.value) }))
    }
    return AgentMetadata(parameters: params, actions: actions)
  }
}

/// Finding agents and reading their metadata by running them (as crm_resource --show-metadata does).
enum Agents {
  static let ocfRoot = "/usr/lib/ocf"
  static let fenceDirectory = "/usr/sbin"
  static let lsbDirectory = "/etc/init.d"
  /// An agent that has not answered meta-data within this time is treated as not installed.
  static let metadataTimeoutMs = 30_000

  static func isTrue(_ v: String?) -> Bool { ["1", "true", "yes", "on", "y"].contains((v ?? "").lowercased()) }

  enum Failure: Error { case notInstalled }

  /// Metadata of `agent`, or `.notInstalled` (what crm_resource reports as "No such device or address").
  static func metadata(_ agent: AgentName) throws(Failure) -> AgentMetadata {
    switch agent.standard {
    case "ocf":
      guard let provider = agent.provider, safe(provider), safe(agent.type) else { throw .notInstalled }
      let path = "\(ocfRoot)/resource.d/\(provider)/\(agent.type)"
      return try run(path, ["meta-data"])
    case "stonith":
      guard agent.provider == nil, safe(agent.type) else { throw .notInstalled }
      return try run("\(fenceDirectory)/\(agent.type)", ["-o", "metadata"])
    case "lsb":
      guard agent.provider == nil, safe(agent.type), access("\(lsbDirectory)/\(agent.type)", X_OK) == 0 else {
        throw .notInstalled
      }
      return lsbMetadata
    case "service":
      // service: is lsb when an init script exists, else systemd (not available without systemd as PID 1).
      guard agent.provider == nil, safe(agent.type), access("\(lsbDirectory)/\(agent.type)", X_OK) == 0 else {
        throw .notInstalled
      }
      return lsbMetadata
    default:
      // systemd needs a running systemd (D-Bus); like crm_resource here, report it as not installed.
      throw .notInstalled
    }
  }

  /// Pacemaker's generated metadata for LSB init scripts (the actions pcs copies).
  static let lsbMetadata = AgentMetadata(
    parameters: [],
    actions: [
      .init(name: "meta-data", attributes: [("timeout", "5")]),
      .init(name: "start", attributes: [("timeout", "15")]),
      .init(name: "stop", attributes: [("timeout", "15")]),
      .init(name: "status", attributes: [("timeout", "15")]),
      .init(name: "restart", attributes: [("timeout", "15")]),
      .init(name: "force-reload", attributes: [("timeout", "15")]),
      .init(name: "monitor", attributes: [("timeout", "15"), ("interval", "15")]),
    ])

  private static func safe(_ component: String) -> Bool {
    !component.isEmpty && !component.contains("/") && component != "." && component != ".."
  }

  private static func run(_ path: String, _ args: [String]) throws(Failure) -> AgentMetadata {
    guard access(path, X_OK) == 0 else { throw .notInstalled }
    let env = [
      "OCF_ROOT=\(ocfRoot)", "OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=1",
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
    ]
    guard let outcome = ChildProcess.run(path, args, environment: env, timeoutMs: metadataTimeoutMs),
      outcome.exitCode == 0, !outcome.stdout.isEmpty
    else { throw .notInstalled }
    guard let root = try? CIBCodec.parseXML(outcome.stdout), root.name == "resource-agent" else {
      throw .notInstalled
    }
    return AgentMetadata.from(root)
  }

  /// Full names of OCF agents called `type`, for resolving a short name (`IPaddr2` -> `ocf:heartbeat:IPaddr2`).
  static func ocfAlternatives(_ type: String) -> [AgentName] {
    guard safe(type), let dir = opendir("\(ocfRoot)/resource.d") else { return [] }
    defer { closedir(dir) }
    var providers: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name.hasPrefix(".") { continue }
      if access("\(ocfRoot)/resource.d/\(name)/\(type)", X_OK) == 0 { providers.append(name) }
    }
    return providers.sorted().map { AgentName(standard: "ocf", provider: $0, type: type) }
  }

  /// pacemaker-fenced's options every fence device accepts (pcs adds them to the agent's parameters).
  static let fencedParameters: [String] = [
    "pcmk_action_limit", "pcmk_delay_base", "pcmk_delay_max", "pcmk_host_argument", "pcmk_host_check",
    "pcmk_host_list", "pcmk_host_map", "pcmk_list_action", "pcmk_list_retries", "pcmk_list_timeout",
    "pcmk_monitor_action", "pcmk_monitor_retries", "pcmk_monitor_timeout", "pcmk_off_action", "pcmk_off_retries",
    "pcmk_off_timeout", "pcmk_on_action", "pcmk_on_retries", "pcmk_on_timeout", "pcmk_reboot_action",
    "pcmk_reboot_retries", "pcmk_reboot_timeout", "pcmk_status_action", "pcmk_status_retries",
    "pcmk_status_timeout",
  ]
}
