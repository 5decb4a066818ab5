import CIB
import Foundation
import PolicyEngine
import Testing

/// A two-node cluster without fencing: a group of two Dummy primitives with 10 s monitors.
let recordTestCIB = """
  <cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1">
    <configuration>
      <crm_config>
        <cluster_property_set id="cib-bootstrap-options">
          <nvpair id="opt-stonith" name="stonith-enabled" value="false"/>
        </cluster_property_set>
      </crm_config>
      <nodes>
        <node id="1" uname="node1"/>
        <node id="2" uname="node2"/>
      </nodes>
      <resources>
        <group id="grp">
          <primitive id="ip" class="ocf" provider="pacemaker" type="Dummy">
            <instance_attributes id="ip-ia"><nvpair id="ip-ia-state" name="state" value="/run/ip.state"/></instance_attributes>
            <operations><op id="ip-mon" name="monitor" interval="10s" timeout="20s"/></operations>
          </primitive>
          <primitive id="web" class="ocf" provider="pacemaker" type="Dummy">
            <operations><op id="web-mon" name="monitor" interval="10s" timeout="30s"/></operations>
          </primitive>
        </group>
      </resources>
      <constraints/>
    </configuration>
    <status/>
  </cib>
  """

/// Test helpers shared by the Record and Controller tests.
enum TestCIB {
  static func parse(_ text: String) throws -> CIBElement { try CIBXML.parse(text) }

  static func joined(_ cib: CIBElement, _ nodes: [(String, String)]) -> CIBElement {
    var c = cib
    for (id, name) in nodes { c = PolicyEngine.StatusRecorder.recordMembership(.joined, nodeID: id, uname: name, in: c) }
    return c
  }

  static func schedule(_ cib: CIBElement, now: Int64 = 1_700_000_000) throws -> SchedulerResult {
    PolicyEngine.schedule(try CIBReader.read(cib, now: now))
  }

  /// Required, runnable actions as "task rsc node" lines, sorted.
  static func pending(_ r: SchedulerResult) -> [String] {
    var out = r.graph.fencing.map { "stonith \(r.state.nodes[$0.node].name)" }
    for a in r.graph.actions where !a.optional && a.runnable {
      guard let rr = a.resource, let n = a.node else { continue }
      out.append("\(a.task.rawValue) \(r.state.resources[rr].id) \(r.state.nodes[n].name)")
    }
    return out.sorted()
  }

  /// Where each primitive runs, "rsc=node1,node2", sorted.
  static func placement(_ r: SchedulerResult) -> [String] {
    r.state.resources.filter(\.isPrimitive).map { rsc in
      "\(rsc.id)=" + rsc.runningOn.map { r.state.nodes[$0].name }.sorted().joined(separator: ",")
    }.sorted()
  }

  /// Plays the scheduler's required actions as a perfect LRM would (rc 0, recurring monitors after starts),
  /// recording every result, until nothing is left; returns the CIB and the number of rounds.
  static func converge(_ cib0: CIBElement, callID: inout Int, roundsMax: Int = 5) throws -> (CIBElement, Int) {
    var cib = cib0
    for round in 0..<roundsMax {
      let r = try schedule(cib)
      let input = r.state.input
      let actions = r.graph.actions.filter { !$0.optional && $0.runnable && !$0.pseudo && $0.node != nil }
      if actions.isEmpty { return (cib, round) }
      for (i, a) in actions.enumerated() {
        guard let rr = a.resource, let n = a.node else { continue }
        let rid = r.state.resources[rr].id
        let node = r.state.nodes[n]
        let def = try #require(OperationDefinition(input: input, resource: rid, task: a.task.rawValue))
        callID += 1
        let key = TransitionKey(actionID: i, transitionID: round, targetRC: 0, uuid: "test-uuid")
        cib = PolicyEngine.StatusRecorder.record(
          def.result(node: node.name, nodeID: node.id, callID: callID, rc: 0, transitionKey: key, at: 1_700_000_000),
          into: cib)
        if a.task == .start {
          for mon in OperationDefinition.recurringOperations(input: input, resource: rid) {
            callID += 1
            cib = PolicyEngine.StatusRecorder.record(
              mon.result(node: node.name, nodeID: node.id, callID: callID, rc: 0, transitionKey: key, at: 1_700_000_000),
              into: cib)
          }
        }
      }
    }
    return (cib, roundsMax)
  }

  /// `text` (default recordTestCIB) with node1 and node2 joined and every required action recorded as done.
  static func convergedTwoNodes(_ text: String = recordTestCIB, callID: inout Int) throws -> CIBElement {
    try converge(joined(parse(text), [("1", "node1"), ("2", "node2")]), callID: &callID).0
  }

  /// Records one result of `resource`'s 10 s monitor on node1 (the next call id).
  static func recordMonitor(_ cib: CIBElement, resource: String = "web", rc: Int, exitReason: String = "",
                            transitionKey: TransitionKey?, at time: Int64, callID: inout Int) throws -> CIBElement {
    let input = try CIBReader.read(cib, now: 0)
    let mon = try #require(OperationDefinition(input: input, resource: resource, task: "monitor", intervalMs: 10_000))
    callID += 1
    return PolicyEngine.StatusRecorder.record(
      mon.result(node: "node1", nodeID: "1", callID: callID, rc: rc, exitReason: exitReason,
                 transitionKey: transitionKey, at: time), into: cib)
  }

  /// Pacemaker's scheduler corpus, in ../shared beside the checkout (CI has it, a bare clone does not).
  static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("../shared/conformance/xml").standardized.path
  static let corpusPresent = FileManager.default.fileExists(atPath: corpusDirectory)
  static let corpusMissing: Comment = "needs Pacemaker's scheduler corpus in ../shared/conformance/xml"

  /// A CIB of the corpus; the tests that read it are enabled only when the corpus is present.
  static func corpus(_ name: String) throws -> CIBElement {
    try CIBXML.parse(fileAt: corpusDirectory + "/" + name)
  }

  static func lrmOps(_ cib: CIBElement, node: String, resource: String) -> [CIBElement] {
    var out: [CIBElement] = []
    cib.forEachDescendant { e in
      if e.name == "node_state" && e[attribute: "uname"] == node {
        e.forEachDescendant { r in
          if r.name == "lrm_resource" && r.id == resource { out = r.elements(named: "lrm_rsc_op") }
        }
      }
    }
    return out
  }

  static func transient(_ cib: CIBElement, node: String) -> [String: String] {
    var out: [String: String] = [:]
    cib.forEachDescendant { e in
      if e.name == "node_state" && e[attribute: "uname"] == node {
        e.forEachDescendant { nv in
          if nv.name == "nvpair", let n = nv[attribute: "name"] { out[n] = nv[attribute: "value"] ?? "" }
        }
      }
    }
    return out
  }
}

/// Pacemaker's own crm_mon and crm_simulate (Debian pacemaker-cli-utils, which `make deps` installs), used to
/// check that Pacemaker reads what we write.
let pacemakerToolsInstalled = ["/usr/sbin/crm_mon", "/usr/sbin/crm_simulate"].allSatisfy {
  FileManager.default.isExecutableFile(atPath: $0)
}
let pacemakerToolsMissing: Comment = "needs Pacemaker's crm_mon and crm_simulate (pacemaker-cli-utils; make deps installs it)"

@Suite struct RecordTests {
  @Test func roundTripStartsThenNothingMore() throws {
    var callID = 0
    let cib0 = TestCIB.joined(try TestCIB.parse(recordTestCIB), [("1", "node1"), ("2", "node2")])
    #expect(TestCIB.pending(try TestCIB.schedule(cib0)) == ["start ip node1", "start web node1"])
    let (cib, rounds) = try TestCIB.converge(cib0, callID: &callID)
    #expect(rounds == 1, "one transition starts the group and then nothing is left")
    let r = try TestCIB.schedule(cib)
    #expect(TestCIB.pending(r) == [])
    #expect(TestCIB.placement(r) == ["ip=node1", "web=node1"])
    let ids = TestCIB.lrmOps(cib, node: "node1", resource: "ip").compactMap(\.id)
    #expect(ids == ["ip_last_0", "ip_monitor_10000"])
  }

  @Test func historyEntryHasPacemakersAttributes() throws {
    var callID = 0
    let cib = try TestCIB.convergedTwoNodes(callID: &callID)
    let ops = TestCIB.lrmOps(cib, node: "node1", resource: "ip")
    let last = try #require(ops.first)
    #expect(last.attributes.map(\.name) == [
      "id", "operation_key", "operation", "crm-debug-origin", "crm_feature_set", "transition-key",
      "transition-magic", "exit-reason", "on_node", "call-id", "rc-code", "op-status", "interval",
      "last-rc-change", "exec-time", "queue-time", "op-digest",
    ])
    #expect(last[attribute: "operation_key"] == "ip_start_0")
    #expect(last[attribute: "transition-magic"] == "0:0;0:0:0:test-uuid")
    // The digest of state=/run/ip.state, as Pacemaker hashes ` <parameters state="/run/ip.state"/>\n`.
    #expect(last[attribute: "op-digest"] == OperationDigests.digest(["state": "/run/ip.state"]))
    let mon = try #require(ops.last)
    #expect(mon[attribute: "op-digest"]
      == OperationDigests.digest(["state": "/run/ip.state", "CRM_meta_timeout": "20000"]))
    var lrmRes: CIBElement?
    cib.forEachDescendant { if $0.name == "lrm_resource" && $0.id == "ip" { lrmRes = $0 } }
    #expect(lrmRes?.attributes.map(\.name) == ["id", "type", "class", "provider"])
  }

  @Test(.enabled(if: TestCIB.corpusPresent, TestCIB.corpusMissing))
  func digestsMatchPacemakersOwnInCorpus() throws {
    // Pacemaker's digests of the empty parameter set, and of a recurring op with a 20 s timeout.
    #expect(OperationDigests.digest([:]) == "f2317cad3d54cec5d7d7aa7d0bf35cf8")
    #expect(OperationDigests.digest(["CRM_meta_timeout": "20000"]) == "4811cef7f7f94e3a35a70be7916cb2fd")
    // Every start in a recorded cluster whose parameters were not changed afterwards: our digest of the
    // configured parameters equals the one Pacemaker wrote.
    let names = ["2-am-then-b-move-a.xml", "a-promote-then-b-migrate.xml", "bug-5186-partial-migrate.xml"]
    var compared = 0, equal = 0
    for name in names {
      let cib = try TestCIB.corpus(name)
      let input = try CIBReader.read(cib, now: 0)
      for ns in input.nodeStates {
        for h in ns.resources {
          for op in h.operations where op.task == "start" && op.opDigest != nil {
            guard let def = OperationDefinition(input: input, resource: h.id, task: "start") else { continue }
            let rec = def.result(node: ns.uname ?? "", nodeID: ns.id, callID: op.callID, rc: 0, transitionKey: nil, at: 0)
            compared += 1
            if OperationDigests(rec).opDigest == op.opDigest { equal += 1 }
          }
        }
      }
    }
    #expect(compared >= 3)
    #expect(equal == compared, "\(equal) of \(compared) recorded start digests reproduced")
  }

  @Test(.enabled(if: TestCIB.corpusPresent, TestCIB.corpusMissing))
  func restartAndSecureDigestsMatchPacemakersOwnInCorpus() throws {
    // Entries Pacemaker 2.1 wrote with op-force-restart and op-secure-params (agents with reload and private
    // parameters): given the same lists, our restart and secure digests equal Pacemaker's.
    let names = ["allow-unhealthy-nodes.xml", "bug-cl-5247.xml", "dc-fence-ordering.xml", "intervals.xml",
                 "colocation-influence.xml", "clone-requires-quorum.xml"]
    var compared = 0, equal = 0, nonTrivial = 0, mismatches: [String] = []
    for name in names {
      let cib = try TestCIB.corpus(name)
      let input = try CIBReader.read(cib, now: 0)
      for ns in input.nodeStates {
        for h in ns.resources {
          for op in h.operations where op.intervalMs == 0 && op.secureDigest != nil && op.restartDigest != nil
            && (op.task == "start" || op.task == "monitor") {
            guard var def = OperationDefinition(input: input, resource: h.id, task: op.task) else { continue }
            def.parameters = def.parameters.filter { !$0.key.hasPrefix("#") }
            var rec = def.result(node: ns.uname ?? "", nodeID: ns.id, callID: 1, rc: 0, transitionKey: nil, at: 0)
            func list(_ t: String?) -> [String] { (t ?? "").split(separator: " ").map(String.init) }
            rec.restartParameters = list(op.forceRestart)
            rec.secureParameters = list(op.secureParams)
            let d = OperationDigests(rec)
            compared += 1
            if !def.parameters.isEmpty && d.secure?.digest != d.opDigest { nonTrivial += 1 }
            if d.opDigest == op.opDigest && d.restart?.digest == op.restartDigest && d.secure?.digest == op.secureDigest {
              equal += 1
            } else {
              mismatches.append("\(name) \(op.id)")
            }
          }
        }
      }
    }
    #expect(compared >= 10)
    #expect(nonTrivial >= 1, "at least one entry hides a private parameter")
    #expect(equal == compared, "\(equal) of \(compared): \(mismatches.prefix(5))")
  }

  @Test func monitorFailureIsRecordedCountedAndRecovered() throws {
    var callID = 0
    var cib = try TestCIB.recordMonitor(
      try TestCIB.convergedTwoNodes(callID: &callID), rc: 7, exitReason: "not running",
      transitionKey: TransitionKey(actionID: 3, transitionID: 0, targetRC: 0, uuid: "test-uuid"), at: 1_700_000_100,
      callID: &callID)
    let attrs = TestCIB.transient(cib, node: "node1")
    #expect(attrs["fail-count-web#monitor_10000"] == "1")
    #expect(attrs["last-failure-web#monitor_10000"] == "1700000100")
    let ids = TestCIB.lrmOps(cib, node: "node1", resource: "web").compactMap(\.id)
    #expect(ids == ["web_last_0", "web_monitor_10000", "web_last_failure_0"])
    let r = try TestCIB.schedule(cib)
    // Recovery in place (migration-threshold INFINITY): stop and start web on node1.
    #expect(TestCIB.pending(r) == ["start web node1", "stop web node1"])
    // A second failure counts 2.
    cib = try TestCIB.recordMonitor(cib, rc: 1, transitionKey: nil, at: 1_700_000_200, callID: &callID)
    #expect(TestCIB.transient(cib, node: "node1")["fail-count-web#monitor_10000"] == "2")
    // Cleanup removes the fail counts and the failed history; the scheduler then sees web as stopped.
    cib = PolicyEngine.StatusRecorder.cleanup(resource: "web", node: "node1", in: cib)
    #expect(TestCIB.transient(cib, node: "node1").keys.filter { $0.contains("web") }.isEmpty)
    #expect(TestCIB.lrmOps(cib, node: "node1", resource: "web").isEmpty)
    #expect(TestCIB.lrmOps(cib, node: "node1", resource: "ip").count == 2, "cleanup of web keeps ip's history")
  }

  @Test func migrationThresholdMovesAfterFailure() throws {
    var callID = 0
    var text = recordTestCIB
    text = text.replacingOccurrences(of: "<group id=\"grp\">", with: """
      <group id="grp"><meta_attributes id="grp-meta"><nvpair id="grp-mt" name="migration-threshold" value="1"/></meta_attributes>
      """)
    let cib = try TestCIB.recordMonitor(
      try TestCIB.convergedTwoNodes(text, callID: &callID), rc: 7,
      transitionKey: TransitionKey(actionID: 3, transitionID: 0, targetRC: 0, uuid: "u"), at: 1_700_000_100,
      callID: &callID)
    let (after, _) = try TestCIB.converge(cib, callID: &callID)
    #expect(TestCIB.placement(try TestCIB.schedule(after)) == ["ip=node2", "web=node2"])
  }

  @Test func membershipChangesAndFencing() throws {
    var callID = 0
    var cib = try TestCIB.convergedTwoNodes(callID: &callID)
    var lost = PolicyEngine.StatusRecorder.recordMembership(.lost, nodeID: "1", uname: "node1", in: cib)
    var ns: CIBElement?
    lost.forEachDescendant { if $0.name == "node_state" && $0.id == "1" { ns = $0 } }
    #expect(ns?[attribute: "in_ccm"] == "false")
    #expect(ns?[attribute: "crmd"] == "offline")
    #expect(ns?[attribute: "expected"] == "member")
    // Without fencing the lost node's resources are simply started elsewhere.
    #expect(TestCIB.pending(try TestCIB.schedule(lost)) == ["start ip node2", "start web node2"])
    // Fenced: the node's history and transient attributes are erased.
    lost = PolicyEngine.StatusRecorder.recordMembership(.fenced, nodeID: "1", uname: "node1", in: lost)
    #expect(TestCIB.lrmOps(lost, node: "node1", resource: "ip").isEmpty)
    cib = PolicyEngine.StatusRecorder.recordMembership(.left, nodeID: "2", uname: "node2", in: cib)
    cib.forEachDescendant { if $0.name == "node_state" && $0.id == "2" { ns = $0 } }
    #expect(ns?[attribute: "join"] == "down")
    #expect(ns?[attribute: "expected"] == "down")
  }

  @Test(.enabled(if: pacemakerToolsInstalled, pacemakerToolsMissing))
  func realCrmMonAndCrmSimulateReadOurStatus() throws {
    let crmMon = "/usr/sbin/crm_mon", crmSimulate = "/usr/sbin/crm_simulate"
    var callID = 0
    let cib = try TestCIB.recordMonitor(
      try TestCIB.convergedTwoNodes(callID: &callID), rc: 7, exitReason: "gone",
      transitionKey: TransitionKey(actionID: 3, transitionID: 0, targetRC: 0, uuid: "u"), at: 1_700_000_100,
      callID: &callID)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-record-\(getpid())-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("cib.xml")
    try CIBXML.serialize(cib).write(to: file, atomically: true, encoding: .utf8)

    let monText = try run(crmMon, ["-1"], env: ["CIB_file": file.path])
    #expect(monText.contains("Current DC: node1"), "\(monText)")
    #expect(monText.contains("* ip\t(ocf:pacemaker:Dummy):\t Started node1"), "\(monText)")
    #expect(monText.contains("Failed Resource Actions:"), "\(monText)")
    #expect(monText.contains("* web 10s-interval monitor on node1 returned 'not running' (gone)"), "\(monText)")
    let sim = try run(crmSimulate, ["-x", file.path, "-S"], env: [:])
    #expect(sim.contains("Recover    web     ( node1 )") || sim.contains("Recover    web    ( node1 )"), "\(sim)")
  }

  func run(_ path: String, _ args: [String], env: [String: String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    p.environment = e
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }
}
