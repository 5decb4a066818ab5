import Foundation
import Testing
@testable import LRM

/// Meta-data parsing and `pcs ... describe` against the reference samples captured from pcs 0.11.5.
struct MetadataTests {
  func sample(_ name: String) throws -> String {
    try String(contentsOfFile: "\(Repo.samples)/\(name)", encoding: .utf8)
  }

  @Test(arguments: [
    ("metadata-Dummy.xml", "ocf:pacemaker:Dummy", "describe-Dummy.txt", false),
    ("metadata-IPaddr2.xml", "ocf:heartbeat:IPaddr2", "describe-IPaddr2.txt", false),
    ("metadata-IPaddr2.xml", "ocf:heartbeat:IPaddr2", "describe-IPaddr2-full.txt", true),
    ("metadata-fence_xvm.xml", "stonith:fence_xvm", "describe-fence_xvm.txt", false),
  ])
  func describeMatchesPcs(xml: String, agent: String, expected: String, full: Bool) throws {
    let md = try AgentMetadata.parse(try sample(xml), agent: try .parse(agent))
    #expect(PcsAgentText.describe(md, full: full) == (try sample(expected)))
  }

  @Test func ocf11UniqueGroupsAndOCF10UniqueFlags() throws {
    let dummy = try AgentMetadata.parse(try sample("metadata-Dummy.xml"), agent: try .parse("ocf:pacemaker:Dummy"))
    #expect(dummy.ocfVersion == "1.1")
    #expect(dummy.parameter(named: "state")?.uniqueGroup == "state")
    #expect(dummy.parameter(named: "state")?.uniqueAlone == false)
    let ip = try AgentMetadata.parse(try sample("metadata-IPaddr2.xml"), agent: try .parse("ocf:heartbeat:IPaddr2"))
    let param = try #require(ip.parameter(named: "ip"))
    #expect(param.required && param.uniqueAlone && param.type == "string")
    #expect(ip.actions.first { $0.name == "monitor" }?.interval == "10s")
    #expect(ip.actions.first { $0.name == "start" }?.timeout == "20s")
    #expect(ip.missingRequiredParameters([.init("nic", "eth0")]) == ["ip"])
    #expect(ip.missingRequiredParameters([.init("ip", "192.0.2.1")]).isEmpty)
  }

  @Test func malformedMetadataIsAnErrorNamingTheAgent() throws {
    let agent = try ResourceAgentName.parse("ocf:heartbeat:Broken")
    #expect(throws: LRMError.self) { try AgentMetadata.parse("<resource-agent><parameters>", agent: agent) }
    do {
      _ = try AgentMetadata.parse("<html/>", agent: agent)
      Issue.record("accepted a non-metadata document")
    } catch {
      #expect(error.description.contains("ocf:heartbeat:Broken"))
      #expect(error.description.contains("<resource-agent>"))
    }
  }

  @Test func catalogRunsRealAgentsAndCaches() async throws {
    let catalog = MetadataCatalog(runner: AgentRunner(roots: testRoots, logger: testLogger))
    let hang = try await catalog.metadata(for: try .parse("ocf:vigil-test:Hang"))
    #expect(hang.shortdesc == "hangs")
    #expect(await catalog.cachedCount == 1)
    let lsb = try await catalog.metadata(for: try .parse("lsb:vigil-lsb-test"))
    #expect(lsb.shortdesc == "Vigil LSB test service")
    do {
      _ = try await catalog.metadata(for: try .parse("ocf:vigil-test:Missing"))
      Issue.record("metadata of a missing agent")
    } catch {
      #expect(error == .agentNotInstalled(try .parse("ocf:vigil-test:Missing"), path: "\(Repo.agents)/ocf/resource.d/vigil-test/Missing"))
    }
    let system = MetadataCatalog(runner: AgentRunner(roots: systemRoots, logger: testLogger))
    let fence = try await system.metadata(for: try .parse("stonith:fence_dummy"))
    #expect(fence.shortdesc == "Dummy fence agent")
    #expect(fence.parameter(named: "status_file")?.defaultValue == "/tmp/fence_dummy.status")
    let dummy = try await system.metadata(for: try .parse("ocf:heartbeat:Dummy"))
    #expect(PcsAgentText.describe(dummy).hasPrefix("ocf:heartbeat:Dummy - Example stateless resource agent\n"))
  }

  @Test func discoveryListsInstalledAgentsSorted() {
    let discovery = AgentDiscovery(roots: testRoots)
    #expect(discovery.ocfProviders() == ["vigil-test"])
    #expect(discovery.agents(standard: .ocf).map(\.description)
      == ["ocf:vigil-test:Chatty", "ocf:vigil-test:Daemonize", "ocf:vigil-test:Env", "ocf:vigil-test:Hang"])
    #expect(discovery.agents(standard: .lsb).map(\.description) == ["lsb:vigil-lsb-test"])
    let system = AgentDiscovery(roots: systemRoots)
    let fence = system.agents(standard: .stonith).map(\.type)
    #expect(fence.contains("fence_dummy") && !fence.contains("fence_ack_manual"))
    #expect(fence == fence.sorted())
    #expect(system.agents(standard: .ocf, provider: "heartbeat").contains { $0.type == "IPaddr2" })
  }
}
