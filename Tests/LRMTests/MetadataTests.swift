import CIB
import Foundation
import Testing
@testable import LRM

/// Meta-data parsing and `pcs ... describe` against the reference samples captured from pcs 0.11.5.
struct MetadataTests {
  func sample(_ name: String) throws -> String {
    try String(contentsOfFile: "\(Repo.samples)/\(name)", encoding: .utf8)
  }

  @Test(.enabled(if: Repo.samplesPresent, Repo.samplesMissing), arguments: [
    ("metadata-Dummy.xml", "ocf:pacemaker:Dummy", "describe-Dummy.txt", false),
    ("metadata-IPaddr2.xml", "ocf:heartbeat:IPaddr2", "describe-IPaddr2.txt", false),
    ("metadata-IPaddr2.xml", "ocf:heartbeat:IPaddr2", "describe-IPaddr2-full.txt", true),
    ("metadata-fence_xvm.xml", "stonith:fence_xvm", "describe-fence_xvm.txt", false),
  ])
  func describeMatchesPcs(xml: String, agent: String, expected: String, full: Bool) throws {
    let md = try AgentMetadata.parse(try sample(xml), agent: try .parse(agent))
    #expect(PcsAgentText.describe(md, full: full) == (try sample(expected)))
  }

  @Test(.enabled(if: Repo.samplesPresent, Repo.samplesMissing))
  func ocf11UniqueGroupsAndOCF10UniqueFlags() throws {
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

/// `pcs resource debug-*`: the call built from a CIB, run for real, and the text and exit status pcs prints.
struct DebugActionTests {
  func cib(_ primitives: String) throws -> CIBElement {
    try CIBXML.parse(
      """
      <cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.1"><configuration><crm_config/><nodes/>
      <resources>\(primitives)</resources><constraints/></configuration><status/></cib>
      """)
  }

  @Test func dummyDebugMonitorStartStopWithParametersFromTheCIB() async throws {
    let dir = TempDir("debug")
    defer { dir.remove() }
    let doc = try cib(
      """
      <primitive id="d1" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="d1-ia"><nvpair id="d1-ia-state" name="state" value="\(dir.path)/d1.state"/></instance_attributes>
        <operations><op id="d1-start" name="start" interval="0s" timeout="30s"/></operations>
      </primitive>
      <group id="g"><primitive id="g1" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="g2" class="ocf" provider="heartbeat" type="Dummy"/></group>
      <clone id="c"><primitive id="c1" class="ocf" provider="heartbeat" type="Dummy"/></clone>
      """)
    let runner = AgentRunner(logger: testLogger)
    let monitor = try DebugAction.monitor.call(in: doc, resource: "d1")
    #expect(monitor.parameters == [.init("state", "\(dir.path)/d1.state")])
    let notRunning = await runner.run(monitor)
    #expect(DebugAction.monitor.exitStatus(notRunning) == 7)
    #expect(DebugAction.monitor.report(monitor, notRunning, full: false)
      == "Operation force-check for d1 (ocf:heartbeat:Dummy) returned 7 (not running)\n")

    let start = try DebugAction.start.call(in: doc, resource: "d1")
    #expect(start.timeout == .seconds(30))
    let started = await runner.run(start)
    #expect(DebugAction.start.exitStatus(started) == 0)
    #expect(DebugAction.start.report(start, started, full: true)
      .hasPrefix("Operation force-start for d1 (ocf:heartbeat:Dummy) returned 0 (ok)\n  OCF_RESKEY_state=\(dir.path)/d1.state\n"))
    #expect(DebugAction.monitor.exitStatus(await runner.run(monitor)) == 0)
    #expect(DebugAction.stop.exitStatus(await runner.run(try DebugAction.stop.call(in: doc, resource: "d1"))) == 0)
    let promote = await runner.run(try DebugAction.promote.call(in: doc, resource: "d1"))
    #expect(DebugAction.promote.exitStatus(promote) == 3)

    #expect(throws: DebugActionError.message("unable to find a resource/clone/group/bundle: nope")) {
      try DebugAction.start.call(in: doc, resource: "nope")
    }
    #expect(throws: DebugActionError.message("unable to debug-start a group, try one of the group's resource(s) (g1,g2)")) {
      try DebugAction.start.call(in: doc, resource: "g")
    }
    #expect(throws: DebugActionError.message("unable to debug-stop a clone, try the clone's resource: c1")) {
      try DebugAction.stop.call(in: doc, resource: "c")
    }
  }

  @Test func timedOutDebugRunShowsTheProcessTree() async throws {
    let doc = try cib(
      """
      <primitive id="h" class="ocf" provider="vigil-test" type="Hang">
        <operations><op id="h-start" name="start" interval="0s" timeout="1s"/></operations>
      </primitive>
      """)
    let call = try DebugAction.start.call(in: doc, resource: "h")
    let result = await AgentRunner(roots: testRoots, limits: RunnerLimits(killGrace: .milliseconds(200)), logger: testLogger).run(call)
    let text = DebugAction.start.report(call, result, full: false)
    #expect(DebugAction.start.exitStatus(result) == 1)
    #expect(text.hasPrefix("Operation force-start for h (ocf:vigil-test:Hang) timed out after 1s\n"))
    #expect(text.contains("Processes of the operation when it timed out:\n"))
    #expect(text.contains("sleep 601"))
  }
}
