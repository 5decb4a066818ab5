import Foundation

/// Which agents exist on this node: a read-only scan of the agent directories.
///
/// Lists are sorted; hidden files (`.ocf-shellfuncs`) and non-executables are skipped; fence-agents' helper
/// binaries that are not agents are skipped as pcs does. Bounded: at most `entriesMax` entries per directory.
public struct AgentDiscovery: Sendable {
  public var roots: AgentRoots
  public var entriesMax: Int

  /// fence-agents binaries that are helpers, not agents (pcs ignores the same names).
  public static let ignoredFenceBinaries: Set<String> = [
    "fence_ack_manual", "fence_check", "fence_kdump_send", "fence_legacy", "fence_na", "fence_node",
    "fence_nss_wrapper", "fence_pcmk", "fence_sanlockd", "fence_tool", "fence_virtd", "fence_vmware_helper",
  ]

  public init(roots: AgentRoots = .system, entriesMax: Int = 10_000) {
    self.roots = roots
    self.entriesMax = entriesMax
  }

  /// Standards available here, as `crm_resource --list-standards` prints them.
  public func standards() -> [AgentStandard] {
    var result: [AgentStandard] = [.ocf, .lsb, .service, .stonith]
    if roots.systemd.isReachable { result.append(.systemd) }
    return result
  }

  /// OCF providers: the directories under `<ocfRoot>/resource.d`.
  public func ocfProviders() -> [String] {
    entries(of: "\(roots.ocfRoot)/resource.d").filter { isDirectory("\(roots.ocfRoot)/resource.d/\($0)") }
  }

  /// Agents of one standard (and provider, for ocf), sorted by name.
  public func agents(standard: AgentStandard, provider: String? = nil) -> [ResourceAgentName] {
    switch standard {
    case .ocf:
      let providers = provider.map { [$0] } ?? ocfProviders()
      return providers.flatMap { prov in
        let dir = "\(roots.ocfRoot)/resource.d/\(prov)"
        return entries(of: dir).filter { isExecutableFile("\(dir)/\($0)") }
          .map { ResourceAgentName(standard: .ocf, provider: prov, type: $0) }
      }
    case .lsb, .service:
      return entries(of: roots.initDirectory).filter { isExecutableFile("\(roots.initDirectory)/\($0)") }
        .map { ResourceAgentName(standard: standard, type: $0) }
    case .stonith:
      return entries(of: roots.fenceDirectory)
        .filter { $0.hasPrefix("fence_") && !Self.ignoredFenceBinaries.contains($0) }
        .filter { isExecutableFile("\(roots.fenceDirectory)/\($0)") }
        .map { ResourceAgentName(standard: .stonith, type: $0) }
    case .systemd:
      // systemd's ListUnitFiles + ListUnits over D-Bus (bounded wait); no systemd reachable: none.
      guard roots.systemd.isReachable,
        case .success(let names) = roots.systemd.agentNamesBlocking(timeout: .seconds(10), entriesMax: entriesMax)
      else { return [] }
      return names.map { ResourceAgentName(standard: .systemd, type: $0) }
    }
  }

  /// Every resource agent (not fence agents), the set `pcs resource list` describes.
  public func allResourceAgents() -> [ResourceAgentName] {
    standards().filter { $0 != .stonith }.flatMap { agents(standard: $0) }.sorted()
  }

  /// Whether the agent's executable exists (systemd units are not checked here).
  public func isInstalled(_ agent: ResourceAgentName) -> Bool {
    agent.standard == .systemd || isExecutableFile(roots.executablePath(for: agent))
  }

  private func entries(of directory: String) -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
    return Array(names.filter { !$0.hasPrefix(".") }.sorted().prefix(entriesMax))
  }

  private func isDirectory(_ path: String) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
  }

  private func isExecutableFile(_ path: String) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
      && FileManager.default.isExecutableFile(atPath: path)
  }
}

/// The LSB "INIT INFO" comment block of an init script, from which Pacemaker synthesises meta-data.
public struct LSBHeader: Sendable, Equatable {
  public var provides: String?
  public var shortDescription: String?
  public var description: String?

  /// Parses the block between `### BEGIN INIT INFO` and `### END INIT INFO`; continuation lines of
  /// Description start with "#" followed by a tab or at least two spaces (LSB 3.0). Reads at most 64 KiB.
  public init(script text: String) {
    var inBlock = false
    var lastKey: String? = nil
    for rawLine in text.prefix(65_536).split(separator: "\n", omittingEmptySubsequences: false) {
      let line = String(rawLine)
      if line.hasPrefix("### BEGIN INIT INFO") { inBlock = true; continue }
      if line.hasPrefix("### END INIT INFO") { break }
      guard inBlock, line.hasPrefix("#") else { continue }
      let body = line.dropFirst()
      if lastKey == "Description" {
        if body.hasPrefix("\t") || body.hasPrefix("  ") {
          // Kept with its indentation, as Pacemaker does (pcs later turns the newline into a space).
          var continuation = String(body)
          while let l = continuation.last, l.isWhitespace { continuation.removeLast() }
          description = (description ?? "") + "\n" + continuation
          continue
        }
        // Pacemaker's reader consumes the first line after a Description block without reading it (so a
        // Short-Description right after Description is not seen); mirrored so `pcs resource list` matches.
        lastKey = nil
        continue
      }
      let content = body.trimmingCharacters(in: .whitespaces)
      guard let colon = content.firstIndex(of: ":") else { continue }
      let key = String(content[..<colon])
      let value = content[content.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      lastKey = key
      switch key {
      case "Provides": provides = value
      case "Short-Description": shortDescription = value
      case "Description": description = value
      default: break
      }
    }
  }

  /// Meta-data as Pacemaker synthesises it for an LSB script: descriptions and the fixed LSB actions.
  public func metadata(for agent: ResourceAgentName) -> AgentMetadata {
    AgentMetadata(
      agent: agent, ocfVersion: "1.0", shortdesc: shortDescription ?? agent.type,
      longdesc: description ?? shortDescription ?? agent.type, parameters: [],
      actions: [
        AgentActionSpec(name: "meta-data", timeout: "5"),
        AgentActionSpec(name: "start", timeout: "15"),
        AgentActionSpec(name: "stop", timeout: "15"),
        AgentActionSpec(name: "status", timeout: "15"),
        AgentActionSpec(name: "restart", timeout: "15"),
        AgentActionSpec(name: "force-reload", timeout: "15"),
        AgentActionSpec(name: "monitor", timeout: "15", interval: "15"),
      ])
  }
}
