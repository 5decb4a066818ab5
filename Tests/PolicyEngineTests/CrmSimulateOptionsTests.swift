import CIB
import Foundation
import TestKit
import Testing

@testable import PolicyEngine

/// crm_simulate's what-if options, graph and dot output, on small CIBs written for these tests.
/// Every expected text below was first compared with Pacemaker 2.1.5's /usr/sbin/crm_simulate on the same CIB
/// and arguments; the only differences are the ones docs/CONFORMANCE.md lists ("crm_simulate options"): summary
/// column padding, action ids, and last-rc-change (Vigil records the -t time, Pacemaker the wall clock).
enum SimulateFixture {
  /// Two nodes, rsc1 started on node1 with its 10 s monitor, already probed (not running) on node2.
  static let twoNodes = """
    <cib admin_epoch="0" epoch="5" num_updates="2" validate-with="pacemaker-3.7" have-quorum="true" dc-uuid="1">
      <configuration>
        <crm_config>
          <cluster_property_set id="cib-bootstrap-options">
            <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="false"/>
          </cluster_property_set>
        </crm_config>
        <nodes>
          <node id="1" uname="node1"/>
          <node id="2" uname="node2"/>
        </nodes>
        <resources>
          <primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
            <operations>
              <op id="rsc1-monitor-10s" name="monitor" interval="10s"/>
            </operations>
          </primitive>
        </resources>
        <constraints/>
      </configuration>
      <status>
        <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
          <lrm id="1">
            <lrm_resources>
              <lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
                <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_start_0" operation="start" transition-key="2:1:0:t" transition-magic="0:0;2:1:0:t" call-id="2" rc-code="0" op-status="0" interval="0" last-rc-change="1700000000" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
                <lrm_rsc_op id="rsc1_monitor_10000" operation_key="rsc1_monitor_10000" operation="monitor" transition-key="3:1:0:t" transition-magic="0:0;3:1:0:t" call-id="3" rc-code="0" op-status="0" interval="10000" last-rc-change="1700000000" op-digest="4811cef7f7f94e3a35a70be7916cb2fd"/>
              </lrm_resource>
            </lrm_resources>
          </lrm>
        </node_state>
        <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
          <lrm id="2">
            <lrm_resources>
              <lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
                <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_monitor_0" operation="monitor" transition-key="1:1:7:t" transition-magic="0:7;1:1:7:t" call-id="1" rc-code="7" op-status="0" interval="0" last-rc-change="1700000000" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
              </lrm_resource>
            </lrm_resources>
          </lrm>
        </node_state>
      </status>
    </cib>
    """

  /// Two groups of one member each, nothing running yet, no history: probes, group pseudo events, monitors.
  static let twoGroups = """
    <cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7" have-quorum="true">
      <configuration>
        <crm_config>
          <cluster_property_set id="o">
            <nvpair id="o-stonith" name="stonith-enabled" value="false"/>
          </cluster_property_set>
        </crm_config>
        <nodes>
          <node id="1" uname="node1"/>
        </nodes>
        <resources>
          <group id="grpA">
            <primitive id="ipA" class="ocf" provider="heartbeat" type="IPaddr2">
              <instance_attributes id="ipA-ia"><nvpair id="ipA-ip" name="ip" value="10.0.0.1"/></instance_attributes>
              <operations><op id="ipA-mon" name="monitor" interval="30s"/></operations>
            </primitive>
          </group>
          <group id="grpB">
            <primitive id="ipB" class="ocf" provider="heartbeat" type="IPaddr2">
              <instance_attributes id="ipB-ia"><nvpair id="ipB-ip" name="ip" value="10.0.0.2"/></instance_attributes>
            </primitive>
          </group>
        </resources>
        <constraints>
          <rsc_order id="A-then-B" first="grpA" then="grpB"/>
        </constraints>
      </configuration>
      <status>
        <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>
      </status>
    </cib>
    """

  static let now: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z

  static func cib(_ text: String = twoNodes) throws -> CIBElement { try CIBXML.parse(text) }

  static func run(_ text: String = twoNodes, _ configure: (inout SimulationRequest) -> Void) throws -> SimulationOutput {
    var request = SimulationRequest()
    request.simulate = true
    request.now = now
    configure(&request)
    return try runSimulation(try cib(text), request)
  }

  static func nodeState(_ cib: CIBElement, _ name: String) -> CIBElement? {
    cib.firstElement(named: "status")?.elements(named: "node_state").first { $0[attribute: "uname"] == name }
  }

  static func ops(_ cib: CIBElement, node: String, resource: String) -> [CIBElement] {
    nodeState(cib, node)?.firstElement(named: "lrm")?.firstElement(named: "lrm_resources")?
      .elements(named: "lrm_resource").first { $0.id == resource }?.elements(named: "lrm_rsc_op") ?? []
  }

  static func section(_ text: String, _ header: String) -> [String] {
    let lines = text.components(separatedBy: "\n")
    guard let start = lines.firstIndex(of: header) else { return [] }
    return Array(lines[(start + 1)...].prefix { !$0.isEmpty && !$0.hasPrefix("Setting effective") })
  }
}

// MARK: - operation specs

@Test func operationSpecParsesPacemakerForms() throws {
  let a = try OperationSpec.parse("rsc1_monitor_10000@node1=7")
  #expect(a.resource == "rsc1" && a.task == "monitor" && a.intervalMs == 10000 && a.node == "node1" && a.rc == 7)
  let b = try OperationSpec.parse("my_db:0_stop_0@db-2.example.com=1")
  #expect(b.resource == "my_db:0" && b.task == "stop" && b.intervalMs == 0 && b.node == "db-2.example.com")
  let c = try OperationSpec.parse("vm_migrate_to_0@node2=1")
  #expect(c.resource == "vm" && c.task == "migrate_to" && c.key == "vm_migrate_to_0")
}

@Test(arguments: ["bogus", "rsc1_monitor_10000@node1", "rsc1_monitor_10000@node1=abc", "rsc1_monitor_x@node1=7",
                  "monitor_10000@node1=7", "rsc1_monitor_10000@=7", "rsc1_start_0@node1=300"])
func operationSpecRejectsMalformed(spec: String) {
  #expect(throws: SimulationError.self) { try OperationSpec.parse(spec) }
  do { _ = try OperationSpec.parse(spec) } catch {
    #expect(error.description.contains(spec), "the error names the spec: \(error)")
  }
}

// MARK: - injections

@Test func nodeDownMarksNodeStateAndMovesResource() throws {
  let out = try SimulateFixture.run { $0.injections.nodesDown = ["node1"]; $0.record = true }
  #expect(SimulateFixture.section(out.text, "Performing Requested Modifications:") == ["  * Taking node node1 offline"])
  #expect(out.result.summaryLines.count == 1 && out.result.summaryLines[0].hasPrefix("Start "))
  #expect(out.result.summaryLines[0].hasSuffix("( node2 )"))
  let s = try #require(SimulateFixture.nodeState(out.cib, "node1"))
  #expect(s[attribute: "in_ccm"] == "false" && s[attribute: "crmd"] == "offline")
  #expect(s[attribute: "join"] == "down" && s[attribute: "expected"] == "down")
  #expect(s[attribute: "crm-debug-origin"] == "crm_simulate")
  #expect(SimulateFixture.section(out.text, "Executing Cluster Transition:") == [
    "  * Resource action: rsc1            start on node2",
    "  * Resource action: rsc1            monitor=10000 on node2",
  ])
}

@Test func nodeFailLeavesNodeOutOfMembershipOnly() throws {
  let out = try SimulateFixture.run { $0.injections.nodesFailed = ["node1"]; $0.record = true }
  #expect(SimulateFixture.section(out.text, "Performing Requested Modifications:") == ["  * Failing node node1"])
  let s = try #require(SimulateFixture.nodeState(out.cib, "node1"))
  #expect(s[attribute: "in_ccm"] == "false" && s[attribute: "crmd"] == "online")
  #expect(s[attribute: "join"] == "member" && s[attribute: "expected"] == "member")
  #expect(out.result.summaryLines.first?.hasSuffix("( node2 )") == true)
}

@Test func nodeUpAddsUnknownNodeAndProbesIt() throws {
  let out = try SimulateFixture.run { $0.injections.nodesUp = ["node3"]; $0.record = true }
  #expect(SimulateFixture.section(out.text, "Performing Requested Modifications:") == ["  * Bringing node node3 online"])
  let nodes = out.cib.firstElement(named: "configuration")?.firstElement(named: "nodes")?.elements(named: "node") ?? []
  #expect(nodes.map { $0[attribute: "uname"] ?? "" } == ["node1", "node2", "node3"])
  #expect(SimulateFixture.section(out.text, "Executing Cluster Transition:") == [
    "  * Resource action: rsc1            monitor on node3",
  ])
  let probe = SimulateFixture.ops(out.cib, node: "node3", resource: "rsc1")
  #expect(probe.count == 1)
  #expect(probe.first?[attribute: "operation_key"] == "rsc1_monitor_0" && probe.first?[attribute: "rc-code"] == "7")
  #expect(probe.first?[attribute: "transition-key"] == "1:-1:7:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
}

@Test func injectedMonitorFailureCountsAndRecovers() throws {
  let out = try SimulateFixture.run {
    $0.injections.operations = [try! OperationSpec.parse("rsc1_monitor_10000@node1=7")]
    $0.record = true
  }
  #expect(SimulateFixture.section(out.text, "Performing Requested Modifications:") == [
    "  * Injecting rsc1_monitor_10000@node1=7 into the configuration",
    "  * Injecting attribute fail-count-rsc1#monitor_10000=value++ into /node_state '1'",
    "  * Injecting attribute last-failure-rsc1#monitor_10000=1704067200 into /node_state '1'",
  ])
  #expect(out.result.summaryLines.count == 1 && out.result.summaryLines[0].hasPrefix("Recover "))
  #expect(SimulateFixture.section(out.text, "Executing Cluster Transition:") == [
    "  * Resource action: rsc1            stop on node1",
    "  * Resource action: rsc1            start on node1",
    "  * Resource action: rsc1            monitor=10000 on node1",
  ])
  let ops = SimulateFixture.ops(out.cib, node: "node1", resource: "rsc1")
  let failure = try #require(ops.first { $0.id == "rsc1_last_failure_0" })
  #expect(failure[attribute: "rc-code"] == "7" && failure[attribute: "call-id"] == "4")
  #expect(failure[attribute: "exit-reason"] == "Simulated action result")
  // The recovery's start and monitor are recorded after the injected failure (call ids 6 and 7).
  let last = try #require(ops.first { $0.id == "rsc1_last_0" })
  #expect(last[attribute: "operation_key"] == "rsc1_start_0" && last[attribute: "call-id"] == "6")
  #expect(last[attribute: "op-digest"] == "f2317cad3d54cec5d7d7aa7d0bf35cf8")
  let monitor = try #require(ops.first { $0.id == "rsc1_monitor_10000" })
  #expect(monitor[attribute: "call-id"] == "7" && monitor[attribute: "rc-code"] == "0")
  #expect(monitor[attribute: "op-digest"] == "4811cef7f7f94e3a35a70be7916cb2fd")
  let attrs = SimulateFixture.nodeState(out.cib, "node1")?.firstElement(named: "transient_attributes")?
    .firstElement(named: "instance_attributes")?.elements(named: "nvpair") ?? []
  #expect(attrs.map { $0.id ?? "" } == ["1-fail-count-rsc1.monitor_10000", "1-last-failure-rsc1.monitor_10000"])
  #expect(attrs.map { $0[attribute: "value"] ?? "" } == ["1", "1704067200"])
}

/// An injected failure on a node that already has transient attributes adds to its set, as Pacemaker 2.1.5's
/// crm_simulate does (checked on this CIB): the count goes up by one, a new nvpair's id is "SETID-NAME".
@Test func injectedFailureJoinsTheExistingAttributeSet() throws {
  let text = SimulateFixture.twoNodes.replacingOccurrences(of: "<lrm id=\"1\">", with: """
    <transient_attributes id="1"><instance_attributes id="status-1">
      <nvpair id="status-1-fail-count-rsc1.monitor_10000" name="fail-count-rsc1#monitor_10000" value="2"/>
    </instance_attributes></transient_attributes><lrm id="1">
    """)
  #expect(text != SimulateFixture.twoNodes)
  let out = try SimulateFixture.run(text) {
    $0.injections.operations = [try! OperationSpec.parse("rsc1_monitor_10000@node1=7")]
    $0.record = true
  }
  let sets = SimulateFixture.nodeState(out.cib, "node1")?.firstElement(named: "transient_attributes")?
    .elements(named: "instance_attributes") ?? []
  #expect(sets.map { $0.id ?? "" } == ["status-1"])
  let attrs = sets.first?.elements(named: "nvpair") ?? []
  #expect(attrs.map { $0.id ?? "" } == ["status-1-fail-count-rsc1.monitor_10000", "status-1-last-failure-rsc1.monitor_10000"])
  #expect(attrs.map { $0[attribute: "value"] ?? "" } == ["3", "1704067200"])
}

@Test func opFailStopsTheTransitionAndShowsTheFailure() throws {
  let out = try SimulateFixture.run {
    $0.injections.nodesDown = ["node1"]
    $0.failures = [try! OperationSpec.parse("rsc1_start_0@node2=1")]
  }
  let executed = SimulateFixture.section(out.text, "Executing Cluster Transition:")
  #expect(executed.count == 4)
  #expect(executed.first == "  * Resource action: rsc1            start on node2")
  #expect(executed[1].hasPrefix("Pretending action ") && executed[1].hasSuffix(" failed with rc=1"))
  #expect(executed[2] == "  * Injecting attribute fail-count-rsc1#start_0=value++ into /node_state '2'")
  // The monitor after the failed start never runs.
  #expect(!out.text.contains("monitor=10000 on node2"))
  let revised = try #require(out.text.components(separatedBy: "Revised Cluster Status:\n").last)
  #expect(revised.hasSuffix("  * Full List of Resources:\n    * rsc1\t(ocf:pacemaker:Dummy):\t FAILED node2\n"))
  let ops = SimulateFixture.ops(out.cib, node: "node2", resource: "rsc1")
  #expect(ops.first { $0.id == "rsc1_last_failure_0" }?[attribute: "exit-reason"] == "User-injected result")
}

@Test func quorumLossStopsResourcesUnderDefaultPolicy() throws {
  let out = try SimulateFixture.run { $0.injections.quorumValue = false; $0.injections.quorumText = "false"; $0.record = true }
  #expect(SimulateFixture.section(out.text, "Performing Requested Modifications:") == ["  * Setting quorum: false"])
  #expect(out.cib[attribute: "have-quorum"] == "false")
  #expect(out.result.summaryLines.count == 1 && out.result.summaryLines[0].hasPrefix("Stop "))
}

@Test func watchdogSetsClusterProperty() throws {
  let out = try SimulateFixture.run { $0.injections.watchdogValue = true; $0.injections.watchdogText = "true"; $0.record = true }
  let set = out.cib.firstElement(named: "configuration")?.firstElement(named: "crm_config")?
    .elements(named: "cluster_property_set").first { $0.id == "cib-bootstrap-options" }
  let nv = set?.elements(named: "nvpair").first { $0[attribute: "name"] == "have-watchdog" }
  #expect(nv?[attribute: "value"] == "true" && nv?.id == "cib-bootstrap-options-have-watchdog")
  #expect(Int(out.cib[attribute: "epoch"] ?? "") == 6, "a configuration change advances epoch")
}

@Test func unknownNodeAndResourceAreRefusedBeforeAnyChange() throws {
  #expect(throws: SimulationError.unknownNode(option: "--node-down", node: "nodeX")) {
    _ = try SimulateFixture.run { $0.injections.nodesDown = ["nodeX"] }
  }
  #expect(throws: SimulationError.unknownNode(option: "--node-fail", node: "nodeX")) {
    _ = try SimulateFixture.run { $0.injections.nodesFailed = ["nodeX"] }
  }
  #expect(throws: SimulationError.unknownResource(spec: "nosuch_start_0@node1=1", resource: "nosuch")) {
    _ = try SimulateFixture.run { $0.injections.operations = [try! OperationSpec.parse("nosuch_start_0@node1=1")] }
  }
  #expect(throws: SimulationError.unknownResource(spec: "nosuch_start_0@node1=1", resource: "nosuch")) {
    _ = try SimulateFixture.run { $0.failures = [try! OperationSpec.parse("nosuch_start_0@node1=1")] }
  }
}

@Test func runAndQuietShapeTheOutput() throws {
  let run = try SimulateFixture.run { $0.simulate = false }
  #expect(run.text.contains("Transition Summary:") && !run.text.contains("Executing Cluster Transition:"))
  #expect(!run.text.contains("Revised Cluster Status:"))
  let quiet = try SimulateFixture.run { $0.quiet = true }
  #expect(quiet.text.isEmpty)
  let scores = try SimulateFixture.run { $0.quiet = true; $0.showScores = true }
  #expect(scores.text == "pcmk__primitive_assign: rsc1 allocation score on node1: 0\npcmk__primitive_assign: rsc1 allocation score on node2: 0\n\n")
  let dated = try SimulateFixture.run { $0.dateText = "2024-01-01T00:00:00Z" }
  #expect(dated.text.hasPrefix("Setting effective cluster time: 2024-01-01T00:00:00Z\nCurrent cluster status:\n"))
}

// MARK: - graph and dot

@Test func graphHasGroupPseudoEventsProbesMonitorsAndInputs() throws {
  let out = try SimulateFixture.run(SimulateFixture.twoGroups) { _ in }
  let g = out.graph
  func id(_ key: String) -> Int? { g.actions.first { $0.key == key }?.id }
  let keys = Set(g.actions.map(\.key))
  #expect(keys == ["ipA_monitor_0", "ipA_start_0", "ipA_monitor_30000", "grpA_start_0", "grpA_running_0",
                   "ipB_monitor_0", "ipB_start_0", "grpB_start_0", "grpB_running_0"])
  func inputs(_ key: String) -> Set<String> {
    Set(g.actions.first { $0.key == key }?.inputs.map { g.actions[$0].key } ?? [])
  }
  #expect(inputs("ipA_start_0") == ["grpA_start_0", "ipA_monitor_0"])
  #expect(inputs("grpA_running_0") == ["grpA_start_0", "ipA_start_0"])
  #expect(inputs("grpB_start_0").contains("grpA_running_0"))
  #expect(inputs("ipA_monitor_30000") == ["ipA_start_0"])
  #expect(id("grpA_start_0") != nil)

  let xml = transitionGraphXML(out.result, g)
  #expect(xml.hasPrefix("<transition_graph cluster-delay=\"60s\" stonith-timeout=\"60s\" failed-stop-offset=\"INFINITY\" failed-start-offset=\"INFINITY\" batch-limit=\"0\" transition_id=\"0\">\n"))
  #expect(xml.contains("<attributes CRM_meta_interval=\"30000\" CRM_meta_name=\"monitor\" CRM_meta_on_node=\"node1\" CRM_meta_on_node_uuid=\"1\" CRM_meta_timeout=\"20000\" crm_feature_set=\"3.16.1\" ip=\"10.0.0.1\"/>"))
  #expect(xml.contains("<pseudo_event id=\"\(id("grpA_running_0")!)\" operation=\"running\" operation_key=\"grpA_running_0\">\n        <attributes CRM_meta_timeout=\"20000\" crm_feature_set=\"3.16.1\"/>"))
  #expect(xml.contains("<attributes CRM_meta_on_node=\"node1\" CRM_meta_on_node_uuid=\"1\" CRM_meta_op_target_rc=\"7\" CRM_meta_timeout=\"20000\" crm_feature_set=\"3.16.1\" ip=\"10.0.0.2\"/>"))
  // Parses as XML and every trigger names an action of the graph.
  let parsed = try CIBXML.parse(xml)
  let synapses = parsed.elements(named: "synapse")
  #expect(synapses.count == g.actions.count)
  let ids = Set(synapses.compactMap { $0.firstElement(named: "action_set")?.elements.first?.id })
  for s in synapses {
    for t in s.firstElement(named: "inputs")?.elements(named: "trigger") ?? [] {
      #expect(ids.contains(t.elements.first?.id ?? "?"))
    }
  }

  let dot = transitionGraphDot(out.result, g)
  let lines = dot.components(separatedBy: "\n")
  #expect(lines.first == " digraph \"g\" {" && lines.dropLast().last == "}")
  #expect(lines.contains("\"grpA_running_0\" [ style=bold color=\"green\" fontcolor=\"orange\"]"))
  #expect(lines.contains("\"ipA_start_0 node1\" [ style=bold color=\"green\" fontcolor=\"black\"]"))
  #expect(lines.contains("\"grpA_running_0\" -> \"grpB_start_0\" [ style = bold]"))
  #expect(lines.contains("\"ipA_start_0 node1\" -> \"ipA_monitor_30000 node1\" [ style = bold]"))
}

@Test func simulationExecutesInGraphOrder() throws {
  let out = try SimulateFixture.run(SimulateFixture.twoGroups) { _ in }
  let executed = SimulateFixture.section(out.text, "Executing Cluster Transition:")
  func at(_ s: String) -> Int { executed.firstIndex(of: s) ?? -1 }
  #expect(executed.count == 9)
  #expect(at("  * Pseudo action:   grpA_start_0") >= 0)
  #expect(at("  * Resource action: ipA             monitor on node1") < at("  * Resource action: ipA             start on node1"))
  #expect(at("  * Pseudo action:   grpA_running_0") < at("  * Pseudo action:   grpB_start_0"))
  #expect(at("  * Resource action: ipB             start on node1") < at("  * Pseudo action:   grpB_running_0"))
}

// MARK: - the binary

enum CrmSimulateBinary {
  static func run(_ name: String, _ args: [String], environment: [String: String]? = nil) throws
    -> (out: String, err: String, status: Int32)
  {
    let r = try TestProcess.run(TestProcess.builtProduct(name), args, environment: environment)
    return (r.stdout, r.stderr, r.status)
  }

  /// A fresh scratch folder holding `text` as cib.xml; the caller removes the folder.
  static func scratch(cib text: String) throws -> (dir: URL, cib: URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-crm-simulate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let cib = dir.appendingPathComponent("cib.xml")
    try text.write(to: cib, atomically: true, encoding: .utf8)
    return (dir, cib)
  }
}

@Test func binaryWritesGraphDotAndOutput() throws {
  let (dir, cib) = try CrmSimulateBinary.scratch(cib: SimulateFixture.twoNodes)
  defer { try? FileManager.default.removeItem(at: dir) }
  let r = try CrmSimulateBinary.run("crm_simulate", [
    "-x", cib.path, "-S", "-i", "rsc1_monitor_10000@node1=7", "-t", "2024-01-01T00:00:00Z",
    "-G", dir.appendingPathComponent("g.xml").path, "-D", dir.appendingPathComponent("g.dot").path,
    "-O", dir.appendingPathComponent("out.xml").path,
  ])
  #expect(r.status == 0, "\(r.err)")
  #expect(r.out.contains("  * Injecting rsc1_monitor_10000@node1=7 into the configuration\n"))
  let dot = try String(contentsOf: dir.appendingPathComponent("g.dot"), encoding: .utf8)
  #expect(dot == """
     digraph "g" {
    "rsc1_monitor_10000 node1" [ style=bold color="green" fontcolor="black"]
    "rsc1_start_0 node1" [ style=bold color="green" fontcolor="black"]
    "rsc1_stop_0 node1" [ style=bold color="green" fontcolor="black"]
    "rsc1_start_0 node1" -> "rsc1_monitor_10000 node1" [ style = bold]
    "rsc1_stop_0 node1" -> "rsc1_start_0 node1" [ style = bold]
    }

    """)
  let saved = try CIBXML.parse(String(contentsOf: dir.appendingPathComponent("out.xml"), encoding: .utf8))
  #expect(SimulateFixture.ops(saved, node: "node1", resource: "rsc1").count == 3)
  // Re-reading the saved CIB: the recovery happened, nothing left to do.
  let again = try CrmSimulateBinary.run("crm_simulate", ["-x", dir.appendingPathComponent("out.xml").path, "-R"])
  #expect(again.status == 0)
  #expect(again.out.hasSuffix("Transition Summary:\n"))
}

@Test(arguments: [
  (["-i", "rsc1_monitor@node1=7"], "Invalid operation spec 'rsc1_monitor@node1=7'", Int32(64)),
  (["-F", "bogus"], "Invalid operation spec 'bogus'", Int32(64)),
  (["-d", "nodeX"], "unknown node 'nodeX'", Int32(105)),
  (["-i", "nosuch_start_0@node1=1"], "Invalid resource name 'nosuch'", Int32(105)),
  (["-t", "not-a-date"], "cannot parse date 'not-a-date'", Int32(64)),
  (["-q", "maybe"], "'maybe' is not a boolean", Int32(64)),
])
func binaryRefusesBadArgumentsAndWritesNothing(args: [String], message: String, status: Int32) throws {
  let (dir, cib) = try CrmSimulateBinary.scratch(cib: SimulateFixture.twoNodes)
  defer { try? FileManager.default.removeItem(at: dir) }
  let out = dir.appendingPathComponent("out.xml")
  let r = try CrmSimulateBinary.run("crm_simulate", ["-x", cib.path, "-S", "-O", out.path] + args)
  #expect(r.status == status)
  #expect(r.err.contains(message), "stderr: \(r.err)")
  #expect(r.out.isEmpty)
  #expect(!FileManager.default.fileExists(atPath: out.path))
}

@Test func binaryLiveCheckNeedsClusterd() throws {
  let r = try CrmSimulateBinary.run("crm_simulate", ["-L", "-S"], environment: ["PATH": "/usr/bin:/bin"])
  #expect(r.status == 66)
  #expect(r.err.contains("needs a running clusterd"))
}

@Test func binaryInPlaceRewritesInput() throws {
  let (dir, cib) = try CrmSimulateBinary.scratch(cib: SimulateFixture.twoNodes)
  defer { try? FileManager.default.removeItem(at: dir) }
  let r = try CrmSimulateBinary.run("crm_simulate", ["-x", cib.path, "-X", "-Q", "-u", "node3", "-t", "2024-01-01"])
  #expect(r.status == 0, "\(r.err)")
  let saved = try CIBXML.parse(String(contentsOf: cib, encoding: .utf8))
  #expect(SimulateFixture.ops(saved, node: "node3", resource: "rsc1").first?[attribute: "rc-code"] == "7")
}
