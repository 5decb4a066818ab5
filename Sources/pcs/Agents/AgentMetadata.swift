import CIB
import LRM

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

/// Finding agents and reading their metadata by running them (as crm_resource --show-metadata does).
enum Agents {
  static let ocfRoot = "/usr/lib/ocf"
  static let fenceDirectory = "/usr/sbin"
  static let lsbDirectory = "/etc/init.d"
  /// An agent that has not answered meta-data within this time is treated as not installed.
  static let metadataTimeoutMs = 30_000

  static func isTrue(_ v: String?) -> Bool { ["1", "true", "yes", "on", "y"].contains((v ?? "").lowercased()) }

  enum Failure: Error { case notInstalled }

  /// Where agents' meta-data is kept between runs of pcs (see `MetadataDiskCache`); nil = no persistent cache.
  static let diskCache: MetadataDiskCache? = {
    var environment: [String: String] = [:]
    for name in ["VIGIL_METADATA_CACHE", "XDG_CACHE_HOME", "HOME"] {
      if let v = getenv(name) { environment[name] = String(cString: v) }
    }
    return MetadataDiskCache.defaultDirectory(environment: environment, isRoot: getuid() == 0)
      .map { MetadataDiskCache(directory: $0) }
  }()

  /// Metadata of `agent`, or `.notInstalled` (what crm_resource reports as "No such device or address").
  /// The LRM reads it (one parser for the daemon and pcs); a fresh on-disk entry spares running the agent.
  static func metadata(_ agent: AgentName) throws(Failure) -> AgentMetadata {
    guard let name = try? ResourceAgentName.parse(agent.full) else { throw .notInstalled }
    switch name.standard {
    case .systemd: throw .notInstalled  // needs a running systemd (D-Bus); crm_resource here says the same
    case .lsb, .service:
      // service: is lsb when an init script exists, else systemd (not available without systemd as PID 1).
      guard access("\(lsbDirectory)/\(name.type)", X_OK) == 0 else { throw .notInstalled }
      return lsbMetadata(name)
    case .ocf, .stonith:
      if let cache = diskCache, let hit = cache.cachedMetadata(for: name, roots: .system) { return hit }
      let result: Result<AgentMetadata, LRMError> = lrmBlocking {
        let runner = AgentRunner()
        do throws(LRMError) {
          if let cache = diskCache {
            return .success(try await cache.metadata(for: name, runner: runner, timeout: .milliseconds(metadataTimeoutMs)))
          }
          return .success(try await MetadataCatalog(runner: runner, timeout: .milliseconds(metadataTimeoutMs)).metadata(for: name))
        } catch { return .failure(error) }
      }
      guard case .success(let md) = result else { throw .notInstalled }
      return md
    }
  }

  /// Pacemaker's generated metadata for LSB init scripts (the actions pcs copies), as the LRM synthesises it.
  static func lsbMetadata(_ agent: ResourceAgentName) -> AgentMetadata {
    LSBHeader(script: "").metadata(for: agent)
  }

  private static func safe(_ component: String) -> Bool {
    !component.isEmpty && !component.contains("/") && component != "." && component != ".."
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
