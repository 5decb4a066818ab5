import CIB
import Controller
import Foundation
import PolicyEngine
import TestKit
import Testing

/// Three nodes (node1..node3) and `resources`; `stonith-enabled` as given, extra cluster options and constraints.
func threeNodeCIB(resources: String, constraints: String = "", stonithEnabled: Bool = false, options: String = "")
  throws -> CIBElement {
  try CIBXML.parse("""
    <cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
      <configuration>
        <crm_config>
          <cluster_property_set id="cib-bootstrap-options">
            <nvpair id="opt-stonith" name="stonith-enabled" value="\(stonithEnabled)"/>
            \(options)
          </cluster_property_set>
        </crm_config>
        <nodes>
          <node id="1" uname="node1"/>
          <node id="2" uname="node2"/>
          <node id="3" uname="node3"/>
        </nodes>
        <resources>\(resources)</resources>
        <constraints>\(constraints)</constraints>
      </configuration>
      <status/>
    </cib>
    """)
}

/// The group (ip, web), each with a 10 s monitor; `meta` goes first inside the group.
func monitoredGroup(meta: String = "") -> String {
  """
  <group id="grp">\(meta)
    <primitive id="ip" class="ocf" provider="heartbeat" type="Dummy">
      <operations><op id="ip-mon" name="monitor" interval="10s" timeout="20s"/></operations>
    </primitive>
    <primitive id="web" class="ocf" provider="heartbeat" type="Dummy">
      <operations><op id="web-mon" name="monitor" interval="10s" timeout="20s"/></operations>
    </primitive>
  </group>
  """
}

/// Three nodes, a group (ip, web) with 10 s monitors; optionally a fencing device; optional extra constraints.
func simulationCIB(fencing: Bool = false, constraints: String = "", options: String = "", groupMeta: String = "")
  throws -> CIBElement {
  let stonith = fencing ? "<primitive id=\"fence1\" class=\"stonith\" type=\"fence_dummy\"/>" : ""
  return try threeNodeCIB(
    resources: stonith + monitoredGroup(meta: groupMeta), constraints: constraints, stonithEnabled: fencing,
    options: options)
}

/// Sets a node attribute in the configuration (`pcs node standby` writes standby=on this way).
func withNodeAttribute(_ cib: CIBElement, node: String, name: String, value: String) -> CIBElement {
  var root = cib
  guard let ci = root.childIndex(named: "configuration"), case .element(var conf) = root.children[ci],
        let ni = conf.childIndex(named: "nodes"), case .element(var nodes) = conf.children[ni] else { return root }
  for i in nodes.children.indices {
    guard case .element(var n) = nodes.children[i], n[attribute: "uname"] == node else { continue }
    n.append(CIBElement("instance_attributes", ["id": "nodes-\(node)"], children: [
      CIBElement("nvpair", ["id": "nodes-\(node)-\(name)", "name": name, "value": value]),
    ]))
    nodes.children[i] = .element(n)
  }
  conf.children[ni] = .element(nodes)
  root.children[ci] = .element(conf)
  return root
}

/// Boots three nodes into one quorate view and lets the DC start everything.
func bootedCluster(fencing: Bool = false, constraints: String = "", options: String = "", groupMeta: String = "",
                   lease: LeaseTiming = LeaseTiming()) throws -> ClusterSimulation {
  var sim = ClusterSimulation(
    nodeCount: 3,
    cib: try simulationCIB(fencing: fencing, constraints: constraints, options: options, groupMeta: groupMeta),
    lease: lease)
  sim.setComponents([[0, 1, 2]], at: 0, detectionMs: [10])
  sim.run()
  return sim
}

@Suite struct ControllerSimulationTests {
  @Test func groupStartsOnOneNodeWithMonitors() throws {
    let sim = try bootedCluster()
    let dc = try #require(sim.dcIndex)
    #expect(sim.nodes[dc].me.name == "node1", "the lowest node id is DC")
    #expect(sim.nodes.filter { $0.core.isDC }.count == 1)
    let ipOn = sim.where_("ip"), webOn = sim.where_("web")
    #expect(ipOn.count == 1)
    #expect(ipOn == webOn, "the group's members run together")
    #expect(TestCIB.pending(try sim.dcSchedule()) == [], "nothing left to do")
    let holder = try #require(sim.index(of: ipOn[0]))
    #expect(sim.nodes[holder].recurring.keys.sorted() == ["ip_monitor_10000", "web_monitor_10000"])
    // Every core holds the DC's CIB, and the real layout: ip_last_0 + ip_monitor_10000 on the holder.
    #expect(sim.nodes.allSatisfy { $0.core.cib == sim.nodes[dc].core.cib })
    let ids = TestCIB.lrmOps(sim.nodes[dc].core.cib, node: ipOn[0], resource: "ip").compactMap(\.id)
    #expect(ids == ["ip_last_0", "ip_monitor_10000"])
    // The ip's start came before web's (group order): the start of web was issued after ip's completed.
    let ipStart = try #require(sim.startsIssued.first { $0.resource == "ip" })
    let webStart = try #require(sim.startsIssued.first { $0.resource == "web" })
    #expect(webStart.at >= ipStart.at + sim.startLatencyMs)
  }

  @Test func probesFindWhatAlreadyRunsAndNothingRunsTwice() throws {
    var sim = ClusterSimulation(nodeCount: 3, cib: try simulationCIB())
    sim.nodes[1].running["web"] = 0  // left running on node2 by an earlier life of the cluster
    sim.setComponents([[0, 1, 2]], at: 0, detectionMs: [10])
    sim.run()
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
    #expect(sim.where_("web").count == 1)
    #expect(sim.where_("ip") == sim.where_("web"))
    let dc = try #require(sim.dcIndex)
    // Every node was probed for both resources: each has a history entry for them.
    for node in ["node1", "node2", "node3"] {
      #expect(!TestCIB.lrmOps(sim.nodes[dc].core.cib, node: node, resource: "ip").isEmpty, "\(node)")
      #expect(!TestCIB.lrmOps(sim.nodes[dc].core.cib, node: node, resource: "web").isEmpty, "\(node)")
    }
    #expect(TestCIB.pending(try sim.dcSchedule()) == [])
  }

  @Test func standbyMovesTheGroupAndUnstandbyKeepsItThere() throws {
    var sim = try bootedCluster()
    let dc = try #require(sim.dcIndex)
    let first = sim.where_("ip")[0]
    let edited = withNodeAttribute(sim.nodes[dc].core.cib, node: first, name: "standby", value: "on")
    sim.deliver(dc, .cibReplaced(edited, at: sim.time(sim.nowMs + 1000)))
    sim.run()
    let moved = sim.where_("ip")
    #expect(moved.count == 1 && moved != [first], "ip left the standby node \(first): \(moved)")
    #expect(sim.where_("web") == moved)
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
    #expect(TestCIB.pending(try sim.dcSchedule()) == [])
  }

  @Test func monitorFailureIsRecoveredAndRecorded() throws {
    var sim = try bootedCluster()
    let dc = try #require(sim.dcIndex)
    let holderName = sim.where_("web")[0]
    let holder = try #require(sim.index(of: holderName))
    sim.nowMs += 5_000
    sim.killBehindBack("web", on: holder)
    sim.run()
    #expect(sim.where_("web") == [holderName], "recovered in place (migration-threshold INFINITY)")
    #expect(sim.where_("ip") == [holderName])
    let cib = sim.nodes[dc].core.cib
    #expect(TestCIB.transient(cib, node: holderName)["fail-count-web#monitor_10000"] == "1")
    let ids = TestCIB.lrmOps(cib, node: holderName, resource: "web").compactMap(\.id)
    #expect(ids.contains("web_last_failure_0"))
    #expect(TestCIB.pending(try sim.dcSchedule()) == [])
    let incident = try #require(sim.nodes[dc].core.timeline.incidents.last)
    #expect(incident.kind == .resourceFailed)
    #expect(incident.subject == "web on \(holderName)")
    #expect(incident.closed)
    #expect(incident.events.map(\.name).starts(with: ["detected", "transition-computed"]))
    #expect(incident.events.contains { $0.name == "start-complete" && $0.detail == "web on \(holderName)" })
  }

  @Test func migrationThresholdMovesTheGroupAfterOneFailure() throws {
    var sim = try bootedCluster(groupMeta: """
      <meta_attributes id="grp-meta"><nvpair id="grp-mt" name="migration-threshold" value="1"/></meta_attributes>
      """)
    let first = sim.where_("web")[0]
    sim.nowMs += 5_000
    sim.killBehindBack("web", on: try #require(sim.index(of: first)))
    sim.run()
    let now = sim.where_("web")
    #expect(now.count == 1 && now != [first], "web moved away from \(first): \(now)")
    #expect(sim.where_("ip") == now, "the group moved as a whole")
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
  }

  @Test func shutdownMovesEverythingAwayThenLetsTheNodeGo() throws {
    var sim = try bootedCluster(constraints: "<rsc_location id=\"pref\" rsc=\"grp\" node=\"node3\" score=\"100\"/>")
    #expect(sim.where_("ip") == ["node3"])
    let dc = try #require(sim.dcIndex)
    let effects = sim.nodes[dc].core.requestShutdown(of: sim.nodes[2].me, at: sim.time(sim.nowMs + 1000))
    sim.apply(effects, from: dc)
    sim.run()
    #expect(sim.nodes[2].running.isEmpty)
    #expect(sim.where_("ip").count == 1 && sim.where_("web") == sim.where_("ip"))
    #expect(sim.log.contains { $0.hasSuffix("shutdown node3") }, "\(sim.log.suffix(10))")
    #expect(sim.overlaps.isEmpty)
  }

  /// node1 becomes DC of three nodes and writes its version; the effects of that membership change.
  func electedDC() throws -> (core: ControllerCore, effects: [ControllerEffect]) {
    let me = ControllerNode(id: 1, name: "node1")
    var config = ControllerConfig(localNode: me, controllerUUID: "u1")
    config.dcVersion = "2.1.5-vigil"
    var core = ControllerCore(config: config, cib: try simulationCIB())
    let members = [me, ControllerNode(id: 2, name: "node2"), ControllerNode(id: 3, name: "node3")]
    let effects = core.handle(.membershipChanged(members: members, quorate: true, at: ControllerTime(monotonicMs: 0, wallSeconds: 1_700_000_000)))
    return (core, effects)
  }

  @Test func theDCWritesItsVersion() throws {
    let (core, effects) = try electedDC()
    #expect(effects.first == .dcChanged(ControllerNode(id: 1, name: "node1")))
    #expect(effects.contains { if case .updateCIB = $0 { true } else { false } })
    #expect(core.cib[attribute: "epoch"] == "2", "dc-version is a configuration change")
  }

  @Test(.enabled(if: pacemakerToolsInstalled, pacemakerToolsMissing))
  func pacemakersCrmMonShowsTheDCAndItsVersion() throws {
    let core = try electedDC().core
    let crmMon = "/usr/sbin/crm_mon"
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-dc-\(getpid())-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("cib.xml")
    try CIBXML.serialize(core.cib).write(to: file, atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: crmMon)
    p.arguments = ["-1"]
    p.environment = ["CIB_file": file.path, "PATH": "/usr/sbin:/usr/bin:/bin"]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(text.contains("Stack: corosync"), "\(text)")
    #expect(text.contains("Current DC: node1 (version 2.1.5-vigil) - partition with quorum"), "\(text)")
    #expect(text.contains("Online: [ node1 node2 node3 ]"), "\(text)")
  }

  @Test func batchLimitBoundsActionsInFlight() throws {
    let limited = try bootedCluster(options: "<nvpair id=\"opt-bl\" name=\"batch-limit\" value=\"1\"/>")
    #expect(limited.inFlightMax == 1)
    #expect(limited.where_("web").count == 1)
    let free = try bootedCluster()
    #expect(free.inFlightMax > 1, "probes run in parallel without the limit")
  }

  @Test func aLostReplyTimesOutIsRecordedAndRecovered() throws {
    var sim = ClusterSimulation(nodeCount: 3, cib: try simulationCIB(
      constraints: "<rsc_location id=\"pref\" rsc=\"grp\" node=\"node1\" score=\"100\"/>",
      options: "<nvpair id=\"opt-cd\" name=\"cluster-delay\" value=\"1s\"/>"))
    sim.lostReplies = ["node1 web_start_0"]
    sim.setComponents([[0, 1, 2]], at: 0, detectionMs: [10])
    sim.run()
    let dc = try #require(sim.dcIndex)
    let cib = sim.nodes[dc].core.cib
    let failure = try #require(TestCIB.lrmOps(cib, node: "node1", resource: "web").first { $0.id == "web_last_failure_0" })
    #expect(failure[attribute: "op-status"] == "2", "recorded as timed out")
    #expect(TestCIB.transient(cib, node: "node1")["fail-count-web#start_0"] == "INFINITY")
    #expect(sim.where_("web").count == 1 && sim.where_("web") != ["node1"], "\(sim.where_("web"))")
    #expect(TestCIB.pending(try sim.dcSchedule()) == [])
    let issued = try #require(sim.startsIssued.first { $0.resource == "web" })
    let retried = try #require(sim.startsIssued.last { $0.resource == "web" })
    #expect(retried.at >= issued.at + 21_000, "the DC waited for the op timeout (20 s) plus cluster-delay (1 s)")
  }

  @Test func nodeLossRestartsOnASurvivorOnlyAfterTheLease() throws {
    // Prefer node3 so that the victim is not the DC.
    var sim = try bootedCluster(constraints: """
      <rsc_location id="pref" rsc="grp" node="node3" score="100"/>
      """)
    #expect(sim.where_("ip") == ["node3"])
    let cut: Int64 = 10_000, heard: Int64 = cut - 60
    sim.nowMs = cut
    sim.kill(2, at: cut)
    sim.setComponents([[0, 1]], at: cut, detectionMs: [400], lastHeardMs: heard)
    sim.run()
    let survivors = sim.where_("ip")
    #expect(survivors.count == 1 && survivors != ["node3"])
    #expect(sim.where_("web") == survivors)
    let restart = try #require(sim.startsIssued.last { $0.resource == "ip" })
    #expect(restart.at >= heard + LeaseTiming().leaseMs, "start at \(restart.at) before the lease ended")
    let dc = try #require(sim.dcIndex)
    let inc = try #require(sim.nodes[dc].core.timeline.incidents.first { $0.kind == .nodeLost })
    #expect(inc.subject == "node3")
    #expect(inc.events.map(\.name) == ["last-heard", "new-view", "lease-started", "transition-computed",
                                       "lease-expired", "start-complete", "start-complete", "recovered"])
    #expect(inc.offset(of: "lease-expired") == LeaseTiming().leaseMs)
    let json = sim.nodes[dc].core.timeline.json()
    #expect(json.contains("\"kind\" : \"node-lost\""))
    #expect(sim.nodes[dc].core.timeline.text().contains("+800 ms   lease-expired"))
  }

  @Test func withFencingRecoveryWaitsForFencingNotTheLease() throws {
    var sim = try bootedCluster(fencing: true, constraints: """
      <rsc_location id="pref" rsc="grp" node="node3" score="100"/>
      <rsc_location id="fence-away" rsc="fence1" node="node3" score="-INFINITY"/>
      """)
    #expect(sim.where_("ip") == ["node3"])
    let cut: Int64 = 10_000
    sim.nowMs = cut
    // Isolated, not dead: only fencing makes it safe.
    sim.setComponents([[0, 1], [2]], at: cut, detectionMs: [400, 400], lastHeardMs: cut - 60)
    sim.run()
    let fenced = try #require(sim.fencesDone.first)
    #expect(fenced.node == "node3")
    let restart = try #require(sim.startsIssued.last { $0.resource == "ip" })
    #expect(restart.node != "node3")
    #expect(restart.at >= fenced.at, "started at \(restart.at) before node3 was fenced at \(fenced.at)")
    #expect(restart.at < cut - 60 + LeaseTiming().leaseMs, "with fencing there is no lease to wait for")
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
    // The fenced node's history is gone from the CIB.
    let dc = try #require(sim.dcIndex)
    #expect(TestCIB.lrmOps(sim.nodes[dc].core.cib, node: "node3", resource: "ip").isEmpty)
  }

  @Test func dcLossNewDCContinues() throws {
    var sim = try bootedCluster(constraints: """
      <rsc_location id="pref" rsc="grp" node="node2" score="100"/>
      """)
    #expect(sim.where_("ip") == ["node2"])
    #expect(sim.nodes[0].core.isDC)
    let cut: Int64 = 10_000
    sim.nowMs = cut
    sim.kill(0, at: cut)
    sim.setComponents([[1, 2]], at: cut, detectionMs: [400], lastHeardMs: cut - 30)
    sim.run()
    #expect(sim.dcIndex == 1, "node2 is the new DC")
    #expect(sim.where_("ip") == ["node2"], "nothing moved")
    // Transitions go on: standby node2 moves the group to node3.
    let edited = withNodeAttribute(sim.nodes[1].core.cib, node: "node2", name: "standby", value: "on")
    sim.deliver(1, .cibReplaced(edited, at: sim.time(sim.nowMs + 100)))
    sim.run()
    #expect(sim.where_("ip") == ["node3"])
    #expect(sim.where_("web") == ["node3"])
    let inc = try #require(sim.nodes[1].core.timeline.incidents.first)
    #expect(inc.kind == .dcLost && inc.subject == "node1")
  }

  @Test(arguments: [0, 1, 2] as [Int64])
  func partitionMinorityStopsMajorityStartsNeverBoth(phaseMs: Int64) throws {
    // The group runs on node1 (the DC); node1 is cut off from node2 and node3.
    var sim = try bootedCluster()
    #expect(sim.where_("ip") == ["node1"])
    let cut: Int64 = 10_000
    sim.nowMs = cut
    // Heartbeat phase: the majority last heard node1 up to one heartbeat (100 ms) before the cut; the isolated
    // side notices up to 1.5 tokens later than the majority heard it last.
    let heard = cut - 25 - 30 * phaseMs
    sim.setComponents([[1, 2], [0]], at: cut, detectionMs: [400, 500 + 20 * phaseMs], lastHeardMs: heard)
    sim.run()
    #expect(sim.overlaps.isEmpty, "both sides ran it: \(sim.overlaps)")
    let majority = sim.where_("ip")
    #expect(majority.count == 1 && majority != ["node1"], "\(majority)")
    #expect(sim.nodes[0].running.isEmpty, "the minority stopped everything")
    #expect(sim.nodes[0].core.localLease?.pending == [])
    #expect(sim.nodes[1].core.isDC && sim.nodes[0].core.isDC, "each side has its own DC")
    let minority = try #require(sim.nodes[0].core.timeline.incidents.last)
    #expect(minority.kind == .quorumLost)
    #expect(minority.events.map(\.name) == ["new-view", "lease-stop", "stop-complete"])
  }

  @Test func partitionWhileAStartIsInFlightStillNeverRunsTwice() throws {
    // node1 (DC) is cut off while web's start runs on it; node1 notices at 60 ms (web's start is in flight until
    // 75 ms); the majority's CIB never heard of ip's or web's start (the cut was at 20 ms).
    var sim = ClusterSimulation(nodeCount: 3, cib: try simulationCIB(
      constraints: "<rsc_location id=\"pref\" rsc=\"grp\" node=\"node1\" score=\"100\"/>"))
    sim.setComponents([[0, 1, 2]], at: 0, detectionMs: [10])
    sim.run(untilMs: 20)
    sim.setComponents([[1, 2], [0]], at: 20, detectionMs: [400, 40], lastHeardMs: 15)
    sim.run()
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
    #expect(sim.nodes[0].running.isEmpty, "node1 stopped what it was starting")
    let majority = sim.where_("web")
    #expect(majority.count == 1 && majority != ["node1"])
    let restart = try #require(sim.startsIssued.last { $0.resource == "ip" })
    #expect(restart.at >= 15 + LeaseTiming().leaseMs, "the majority waited for the lease although it knew of no start")
  }

  @Test func partitionHealsWithoutRunningTwice() throws {
    var sim = try bootedCluster()
    let cut: Int64 = 10_000
    sim.nowMs = cut
    sim.setComponents([[1, 2], [0]], at: cut, detectionMs: [400, 500], lastHeardMs: cut - 50)
    sim.run()
    let majority = sim.where_("ip")
    // Heal: node1 (lowest id) is DC again, with its own CIB from the minority side (stale about node2/node3).
    sim.nowMs = 20_000
    sim.setComponents([[0, 1, 2]], at: 20_000, detectionMs: [400])
    sim.run()
    #expect(sim.dcIndex == 0)
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
    #expect(sim.where_("ip").count == 1 && sim.where_("web") == sim.where_("ip"), "\(sim.where_("ip")) \(sim.where_("web"))")
    #expect(sim.where_("ip") == majority, "the group stays where the majority started it (nothing restarted)")
    #expect(TestCIB.pending(try sim.dcSchedule()) == [])
  }

  /// Seeded partitions within the membership's timing bounds (token T = 400 ms, heartbeats every T/4): the majority
  /// last heard the victim up to T/4 before the cut and notices within [T, 1.25 T]; the victim notices within
  /// [T, 1.25 T] of the cut. Whatever node holds the group and whoever is cut, nothing ever runs twice.
  @Test(arguments: Array(1...16) as [UInt64])
  func randomPartitionsWithinTheTimingBoundsNeverRunTwice(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let holder = Int(rng.next() % 3) + 1
    var sim = try bootedCluster(constraints: "<rsc_location id=\"pref\" rsc=\"grp\" node=\"node\(holder)\" score=\"100\"/>")
    let victim = Int(rng.next() % 3)
    let cut: Int64 = 10_000 + Int64(rng.next() % 1000)
    sim.nowMs = cut
    let heard = cut - Int64(rng.next() % 101)
    let majorityDetect = 400 + Int64(rng.next() % 101)
    let minorityDetect = 400 + Int64(rng.next() % 101)
    let rest = [0, 1, 2].filter { $0 != victim }
    sim.setComponents([rest, [victim]], at: cut, detectionMs: [majorityDetect, minorityDetect], lastHeardMs: heard)
    sim.run()
    #expect(sim.overlaps.isEmpty, "seed \(seed): \(sim.overlaps)")
    let on = sim.where_("ip")
    #expect(on.count == 1 && !on.contains("node\(victim + 1)"), "seed \(seed): \(on)")
    #expect(sim.where_("web") == on, "seed \(seed)")
  }

  @Test func aLeaseTooShortForTheDetectionWouldRunBothSides() throws {
    // The same partition with a 100 ms lease: the checker must see the overlap (the tests above can fail).
    var sim = try bootedCluster(lease: LeaseTiming(leaseMs: 100))
    let cut: Int64 = 10_000
    sim.nowMs = cut
    sim.setComponents([[1, 2], [0]], at: cut, detectionMs: [400, 600], lastHeardMs: cut - 50)
    sim.run()
    #expect(!sim.overlaps.isEmpty)
  }
}
