import CIB
import Foundation

extension AgentMetadata {
  /// Parses an agent's `meta-data` output (through the CIB module's XML parser; no XML in this module).
  public static func parse(_ xml: String, agent: ResourceAgentName, inputBytesMax: Int = 1 << 20) throws(LRMError)
    -> AgentMetadata
  {
    let root: CIBElement
    do { root = try CIBXML.parse(xml, inputBytesMax: inputBytesMax) } catch {
      throw .invalidMetadata(agent, reason: "\(error)")
    }
    return try AgentMetadata(agent: agent, element: root)
  }
}

/// Agents' meta-data, fetched by running each agent's `meta-data` action once and cached.
///
/// Why a cache: the controller needs advised timeouts and parameter lists on every transition, and running a
/// shell agent costs milliseconds. Bounded: at most `entriesMax` agents are kept (then results are not cached).
/// LSB scripts have no meta-data action: it is synthesised from their INIT INFO header, as Pacemaker does.
public actor MetadataCatalog {
  private let runner: AgentRunner
  private let entriesMax: Int
  private let timeout: Duration
  private var cache: [ResourceAgentName: AgentMetadata] = [:]

  public init(runner: AgentRunner, entriesMax: Int = 1024, timeout: Duration = .seconds(30)) {
    precondition(entriesMax > 0)
    self.runner = runner
    self.entriesMax = entriesMax
    self.timeout = timeout
  }

  public var cachedCount: Int { cache.count }

  public func metadata(for agent: ResourceAgentName) async throws(LRMError) -> AgentMetadata {
    if let hit = cache[agent] { return hit }
    let md = try await fetch(agent)
    if cache.count < entriesMax { cache[agent] = md }
    return md
  }

  private func fetch(_ agent: ResourceAgentName) async throws(LRMError) -> AgentMetadata {
    let path = runner.roots.executablePath(for: agent)
    switch agent.standard {
    case .lsb, .service:
      guard FileManager.default.isExecutableFile(atPath: path), let data = FileManager.default.contents(atPath: path)
      else { throw .agentNotInstalled(agent, path: path) }
      return LSBHeader(script: String(decoding: data.prefix(65_536), as: UTF8.self)).metadata(for: agent)
    case .systemd:
      let unit = systemdUnitName(forAgentType: agent.type)
      let description: String?
      do { description = try await runner.roots.systemd.unitDescription(unit, timeout: timeout) } catch {
        throw .metadataUnavailable(agent, reason: error.description)
      }
      guard let description else { throw .agentNotInstalled(agent, path: "systemd unit \(unit)") }
      return systemdMetadata(for: agent, unitDescription: description)
    case .ocf, .stonith:
      let result = await runner.run(
        AgentCall(resource: "meta-data", agent: agent, action: .metaData, timeout: timeout))
      switch result.status {
      case .notInstalled: throw .agentNotInstalled(agent, path: path)
      case .done where result.ocf == .success && !result.standardOutput.isEmpty:
        return try AgentMetadata.parse(result.standardOutput, agent: agent)
      default:
        throw .metadataUnavailable(agent, reason: result.summary)
      }
    }
  }
}
