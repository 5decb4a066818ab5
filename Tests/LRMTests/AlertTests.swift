import CIB
import Foundation
import Testing
@testable import LRM

/// Alerts: the CIB's alert agents run as real processes with Pacemaker's CRM_alert_* environment. The agent here
/// is a script that writes its environment to the file named by its recipient (as Pacemaker's sample
/// alert_file.sh logs to its recipient).
@Suite struct AlertTests {
  static let envScript = "#!/bin/sh\nenv | sort > \"$CRM_alert_recipient.tmp\" && mv \"$CRM_alert_recipient.tmp\" \"$CRM_alert_recipient\"\n"

  func alerts(_ xml: String) throws -> [AlertDefinition] {
    let cib = "<cib><configuration><crm_config/><nodes/><resources/><constraints/><alerts>\(xml)</alerts></configuration><status/></cib>"
    return try AlertDefinition.all(in: CIBDocument(decoding: try CIBXML.parse(cib)).configuration)
  }

  func environment(_ file: String) -> [String: String] {
    var env: [String: String] = [:]
    for line in ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n") {
      guard let eq = line.firstIndex(of: "=") else { continue }
      env[String(line[..<eq])] = String(line[line.index(after: eq)...])
    }
    return env
  }

  @Test func realAgentsGetTheEventInTheirEnvironment() async throws {
    let dir = TempDir("alerts")
    defer { dir.remove() }
    let script = "\(dir.path)/alert_env.sh"
    try Self.envScript.write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o755)
    let definitions = try alerts(
      """
      <alert id="all" path="\(script)">
        <meta_attributes id="all-meta"><nvpair id="m1" name="timestamp-format" value="%Y-%m-%d %H:%M:%S.%03N"/></meta_attributes>
        <instance_attributes id="all-ia"><nvpair id="i1" name="LOG_TAG" value="vigil"/></instance_attributes>
        <recipient id="r1" value="\(dir.path)/r1.env"/>
        <recipient id="r2" value="\(dir.path)/r2.env">
          <instance_attributes id="r2-ia"><nvpair id="i2" name="LOG_TAG" value="second"/></instance_attributes>
        </recipient>
      </alert>
      <alert id="fence-only" path="\(script)">
        <select><select_fencing/></select>
        <recipient id="r3" value="\(dir.path)/r3.env"/>
      </alert>
      """)
    let runner = AlertRunner(runner: AgentRunner(logger: testLogger))
    let ts = AlertTimestamp(epochSeconds: 1_700_000_000, nanoseconds: 123_456_789)
    let op = ResourceOperationAlert(
      node: "node1", resource: "vip", task: "monitor", intervalMs: 10_000, targetRC: 0, status: .done, ocf: .notRunning,
      execTimeMs: 42)
    let results = await runner.send(.resource(op), alerts: definitions, timestamp: ts)
    #expect(results.map(\.alertID) == ["all", "all"] && results.allSatisfy(\.succeeded), "\(results)")
    #expect(results.map(\.recipient) == ["\(dir.path)/r1.env", "\(dir.path)/r2.env"])
    let r1 = environment("\(dir.path)/r1.env")
    #expect(r1["CRM_alert_kind"] == "resource")
    #expect(r1["CRM_alert_node"] == "node1" && r1["CRM_alert_rsc"] == "vip" && r1["CRM_alert_task"] == "monitor")
    #expect(r1["CRM_alert_interval"] == "10000" && r1["CRM_alert_target_rc"] == "0" && r1["CRM_alert_rc"] == "7")
    #expect(r1["CRM_alert_status"] == "0" && r1["CRM_alert_exec_time"] == "42" && r1["CRM_alert_desc"] == "not running")
    #expect(r1["CRM_alert_timestamp_epoch"] == "1700000000" && r1["CRM_alert_timestamp_usec"] == "123456")
    #expect(r1["CRM_alert_timestamp"]?.hasSuffix(".123") == true && r1["CRM_alert_timestamp"]?.count == 23)
    #expect(r1["CRM_alert_node_sequence"] == "1" && r1["CRM_alert_version"] == "2.1.5")
    #expect(r1["CRM_alert_recipient"] == "\(dir.path)/r1.env" && r1["LOG_TAG"] == "vigil")
    #expect(r1["CRM_notify_rsc"] == "vip")
    #expect(environment("\(dir.path)/r2.env")["LOG_TAG"] == "second")
    #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/r3.env"))

    let fenced = await runner.send(
      .fencing(target: "node2", task: "reboot", rc: 0, desc: "Operation reboot of node2 by node1: OK"), alerts: definitions, timestamp: ts)
    #expect(fenced.map(\.alertID) == ["all", "all", "fence-only"] && fenced.allSatisfy { $0.sequence == 2 })
    let r3 = environment("\(dir.path)/r3.env")
    #expect(r3["CRM_alert_kind"] == "fencing" && r3["CRM_alert_node"] == "node2" && r3["CRM_alert_task"] == "reboot")
    #expect(r3["CRM_alert_rc"] == "0" && r3["CRM_alert_desc"] == "Operation reboot of node2 by node1: OK")
    #expect(r3["CRM_alert_node_sequence"] == "2" && r3["LOG_TAG"] == nil)

    _ = await runner.send(.node(name: "node3", id: "3", state: "lost"), alerts: definitions, timestamp: ts)
    let n = environment("\(dir.path)/r1.env")
    #expect(n["CRM_alert_kind"] == "node" && n["CRM_alert_nodeid"] == "3" && n["CRM_alert_desc"] == "lost")
    #expect(n["CRM_alert_node_sequence"] == "3")
    // Attribute events are not sent without select_attributes.
    #expect(await runner.send(.attribute(node: "n", nodeID: nil, name: "x", value: "1"), alerts: definitions).isEmpty)
  }

  @Test func aHangingAlertIsKilledAtItsTimeoutAndAMissingOneFails() async throws {
    let dir = TempDir("alerts-hang")
    defer { dir.remove() }
    let script = "\(dir.path)/hang.sh"
    try "#!/bin/sh\necho started\nsleep 60\n".write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o755)
    let definitions = try alerts(
      """
      <alert id="hang" path="\(script)"><meta_attributes id="hm"><nvpair id="t" name="timeout" value="1s"/></meta_attributes></alert>
      <alert id="missing" path="\(dir.path)/no-such-agent"/>
      """)
    #expect(definitions[0].timeout == .seconds(1))
    let results = await AlertRunner(runner: AgentRunner(logger: testLogger)).send(
      .node(name: "n1", id: "1", state: "member"), alerts: definitions)
    #expect(results.count == 2)
    #expect(results[0].status == .timedOut && results[0].outputTail == ["started"] && results[0].recipient == nil)
    #expect(!results[1].succeeded)
  }

  @Test func definitionsAndEnvironmentArePure() throws {
    let defs = try alerts(
      """
      <alert id="a" path="/bin/true">
        <select><select_attributes><attribute id="s1" name="standby"/></select_attributes><select_nodes/></select>
        <meta_attributes id="am"><nvpair id="t" name="timeout" value="15s"/></meta_attributes>
        <recipient id="r" value="x"><meta_attributes id="rm"><nvpair id="t2" name="timeout" value="2s"/></meta_attributes></recipient>
      </alert>
      """)
    let a = try #require(defs.first)
    #expect(a.kinds == [.attribute, .node] && a.attributeNames == ["standby"])
    #expect(a.timeout == .seconds(15) && a.recipients.first?.timeout == .seconds(2))
    #expect(a.selects(.attribute(node: "n", nodeID: nil, name: "standby", value: "on")))
    #expect(!a.selects(.attribute(node: "n", nodeID: nil, name: "other", value: "on")))
    #expect(!a.selects(.fencing(target: "n", task: "off", rc: 0, desc: "")))

    #expect(throws: AlertConfigurationError.invalidTimeout(alert: "b", value: "never")) {
      try alerts("<alert id=\"b\" path=\"/bin/true\"><meta_attributes id=\"m\"><nvpair id=\"t\" name=\"timeout\" value=\"never\"/></meta_attributes></alert>")
    }
    #expect(throws: AlertConfigurationError.missingPath(alert: "c")) { try alerts("<alert id=\"c\"/>") }

    let ts = AlertTimestamp(epochSeconds: 0, nanoseconds: 5_000)
    #expect(ts.formatted("%s.%06N") == "0.000005" && ts.formatted("%3N%%") == "000%" && ts.formatted("%N") == "000005000")
    let env = alertEnvironment(
      event: .attribute(node: "n1", nodeID: "1", name: "standby", value: nil), recipient: nil, sequence: 9, timestamp: ts,
      timestampFormat: "%s", version: "2.1.5", extra: [.init("CRM_alert_kind", "forged"), .init("X", "y")])
    let dict = Dictionary(uniqueKeysWithValues: env.map { ($0.name, $0.value) })
    #expect(dict["CRM_alert_kind"] == "attribute" && dict["CRM_alert_attribute_name"] == "standby")
    #expect(dict["CRM_alert_attribute_value"] == "" && dict["CRM_alert_recipient"] == nil && dict["X"] == "y")
    #expect(env.map(\.name) == env.map(\.name).sorted())
    let fenced = FencingResult(target: "node2", action: .reboot, outcome: .fenced(level: 1, devices: ["ipmi"]), attempts: [], runtime: .zero)
    #expect(
      AlertEvent.fencing(fenced, executor: "node1", origin: "node3")
        == .fencing(target: "node2", task: "reboot", rc: 0, desc: "Operation reboot of node2 by node1 for clusterd@node3: OK"))
    let plan = planAlerts(defs, event: .node(name: "n", id: "1", state: "member"), sequence: 1, timestamp: ts, version: "v")
    #expect(plan.map(\.recipient) == ["x"] && plan.first?.timeout == .seconds(2))
  }
}
