import CIB
import Controller
import PolicyEngine
import Testing

/// What a new DC must take over from a DC that died: results it never wrote, actions on nodes that are gone.
@Suite struct DCHandoverTests {
  /// The DC dies after a start's result was broadcast but before it recorded it (clusterd delivers every result
  /// to every core). The next DC records it from what its own core saw, so it knows the group runs there and
  /// never issues that start again.
  @Test func aResultTheDeadDCNeverRecordedIsRecordedByTheNextDC() throws {
    var sim = try bootedCluster(constraints: """
      <rsc_location id="pref" rsc="grp" node="node2" score="100"/>
      <rsc_location id="not-dc" rsc="grp" node="node1" score="-INFINITY"/>
      """)
    #expect(sim.where_("ip") == ["node2"])
    #expect(sim.nodes[0].core.isDC)
    // Standby node2: the group moves to node3. node1 (the DC) dies the moment node3 reports ip started.
    let edit: Int64 = 10_000
    sim.nowMs = edit
    sim.dieOnResult = (node: 0, result: "node3 ip_start_0")
    let edited = withNodeAttribute(sim.nodes[0].core.cib, node: "node2", name: "standby", value: "on")
    sim.deliver(0, .cibReplaced(edited, at: sim.time(edit)))
    sim.run(untilMs: edit + 200)
    #expect(!sim.nodes[0].alive, "the DC died on ip's result")
    #expect(sim.nodes[1].core.unrecorded.contains { $0.resource == "ip" && $0.task == "start" })
    let cut = sim.nowMs
    sim.setComponents([[1, 2]], at: cut, detectionMs: [400], lastHeardMs: cut)
    sim.run()
    #expect(sim.dcIndex == 1)
    #expect(sim.where_("ip") == ["node3"])
    #expect(sim.where_("web") == ["node3"])
    let ipStartsOnNode3 = sim.startsIssued.filter { $0.resource == "ip" && $0.node == "node3" }
    #expect(ipStartsOnNode3.count == 1, "ip was started again on node3: \(ipStartsOnNode3)\n\(sim.log.suffix(30).joined(separator: "\n"))")
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
    let ops = TestCIB.lrmOps(sim.nodes[1].core.cib, node: "node3", resource: "ip")
    #expect(ops.contains { $0[attribute: "operation"] == "start" && $0[attribute: "rc-code"] == "0" })
  }

  /// A node dies while the DC waits for one of its actions: the DC gives the action up with the new view instead
  /// of waiting for the action's timeout (20 s + 60 s cluster-delay here) before it may recompute.
  @Test func anActionOnANodeThatLeftIsGivenUpAtOnce() throws {
    var sim = try bootedCluster(constraints: """
      <rsc_location id="pref" rsc="grp" node="node2" score="100"/>
      <rsc_location id="not-dc" rsc="grp" node="node1" score="-INFINITY"/>
      """)
    #expect(sim.where_("ip") == ["node2"])
    let edit: Int64 = 10_000
    sim.nowMs = edit
    let edited = withNodeAttribute(sim.nodes[0].core.cib, node: "node2", name: "standby", value: "on")
    sim.deliver(0, .cibReplaced(edited, at: sim.time(edit)))
    sim.run(untilMs: edit + 5)
    #expect(sim.nodes[0].core.transition != nil, "the stop of web on node2 is in flight")
    sim.kill(1, at: edit + 5)
    sim.setComponents([[0, 2]], at: edit + 5, detectionMs: [400], lastHeardMs: edit + 5)
    sim.run()
    #expect(sim.where_("ip") == ["node3"])
    #expect(sim.where_("web") == ["node3"])
    let restart = try #require(sim.startsIssued.last { $0.resource == "ip" })
    #expect(restart.at < edit + 5 + 400 + LeaseTiming().leaseMs + 200,
            "the start waited for the lost node's action to time out (\(restart.at))")
    #expect(restart.at >= edit + 5 + LeaseTiming().leaseMs, "the start did not wait for the lease")
  }

  /// A probe whose answer was lost (its node answered in a view the DC was not in) is asked again after the next
  /// view change instead of holding the transition until its timeout (20 s + 60 s cluster-delay).
  @Test func aProbeInFlightIsAskedAgainAfterAViewChange() throws {
    var sim = try bootedCluster()
    let edit: Int64 = 10_000
    sim.nowMs = edit
    sim.lostReplies.insert("node3 ip_monitor_0")
    let dc = try #require(sim.dcIndex)
    // Forget node3's history of ip: the DC probes it there again; that answer is lost.
    var cib = sim.nodes[dc].core.cib
    cib = PolicyEngine.StatusRecorder.refresh(resource: "ip", node: "node3", in: cib)
    sim.deliver(dc, .cibReplaced(cib, at: sim.time(edit)))
    sim.run(untilMs: edit + 1_000)
    #expect(sim.nodes[dc].core.transition != nil, "the transition waits for the lost probe")
    sim.lostReplies.removeAll()
    let other = dc == 1 ? 2 : 1
    sim.kill(other == 2 ? 1 : other, at: edit + 1_000)
    let alive = [0, 1, 2].filter { sim.nodes[$0].alive }
    sim.setComponents([alive], at: edit + 1_000, detectionMs: [400], lastHeardMs: edit + 1_000)
    sim.run(untilMs: edit + 5_000)
    #expect(sim.nodes[dc].core.transition == nil, "still waiting for the lost probe\n\(sim.log.suffix(20).joined(separator: "\n"))")
  }

  /// A start whose answer was lost (its node answered in a view the DC was not in), then a view with the same
  /// members: the DC gives the start up at once instead of waiting for its timeout (20 s + 60 s cluster-delay, with
  /// the whole cluster's placement stuck meanwhile), and since the start may have happened, it probes the resource
  /// there before starting it anywhere: it finds it running and starts no second copy.
  @Test func aStartWhoseAnswerWasLostIsProbedAfterAViewChange() throws {
    var sim = try bootedCluster(constraints: """
      <rsc_location id="pref" rsc="grp" node="node2" score="100"/>
      <rsc_location id="not-dc" rsc="grp" node="node1" score="-INFINITY"/>
      """)
    #expect(sim.where_("ip") == ["node2"])
    let edit: Int64 = 10_000
    sim.nowMs = edit
    sim.lostReplies.insert("node3 ip_start_0")
    let edited = withNodeAttribute(sim.nodes[0].core.cib, node: "node2", name: "standby", value: "on")
    sim.deliver(0, .cibReplaced(edited, at: sim.time(edit)))
    sim.run(untilMs: edit + 1_000)
    #expect(sim.where_("ip") == ["node3"], "the start ran; only its answer is lost")
    #expect(sim.nodes[0].core.transition != nil, "the transition waits for the lost answer")
    sim.lostReplies.removeAll()
    sim.setComponents([[0, 1, 2]], at: edit + 1_000, detectionMs: [400])
    sim.run(untilMs: edit + 5_000)
    #expect(sim.nodes[0].core.transition == nil, "still waiting for the lost start\n\(sim.log.suffix(20).joined(separator: "\n"))")
    #expect(sim.where_("ip") == ["node3"])
    #expect(sim.where_("web") == ["node3"])
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
    let ops = TestCIB.lrmOps(sim.nodes[0].core.cib, node: "node3", resource: "ip")
    #expect(ops.contains { $0[attribute: "operation"] == "monitor" && $0[attribute: "interval"] == "0" && $0[attribute: "rc-code"] == "0" },
            "the DC probed ip on node3 and recorded it running: \(ops.map { $0.attributes })")
  }

  /// A node restarting after its clusterd was killed (its resources' processes survive) stops what its own CIB
  /// says it ran before it joins; nodes that ran nothing stop nothing.
  @Test func aRestartingNodeStopsWhatItsPreviousLifeRan() throws {
    let sim = try bootedCluster(constraints: """
      <rsc_location id="pref" rsc="grp" node="node2" score="100"/>
      """)
    #expect(sim.where_("ip") == ["node2"])
    let persisted = sim.nodes[1].core.cib
    let at = ControllerTime(monotonicMs: 0, wallSeconds: 1_700_000_100)
    let restarted = ControllerCore(
      config: ControllerConfig(localNode: ControllerNode(id: 2, name: "node2"), controllerUUID: "second-life"), cib: persisted)
    let stops = restarted.orphanStops(at: at).compactMap { e -> String? in
      if case .execute(let r) = e { return "\(r.task) \(r.resource) \(r.node.name)" } else { return nil }
    }
    #expect(stops == ["stop web node2", "stop ip node2"])
    let other = ControllerCore(
      config: ControllerConfig(localNode: ControllerNode(id: 3, name: "node3"), controllerUUID: "x"), cib: persisted)
    #expect(other.orphanStops(at: at).isEmpty)
  }
}

/// What the status readers make of a probe that found the resource already running (after `pcs resource cleanup`
/// of a running resource, or on a rejoining node).
@Suite struct ProbeFoundRunningTests {
  @Test func aProbeThatFoundTheResourceRunningIsNotAFailedAction() throws {
    let sim = try bootedCluster(constraints: """
      <rsc_location id="pref" rsc="grp" node="node2" score="100"/>
      """)
    var cib = sim.nodes[0].core.cib
    let input = try CIBReader.read(cib, now: 1_700_000_100)
    let def = try #require(OperationDefinition(input: input, resource: "ip", task: "monitor", intervalMs: 0))
    let probeKey = TransitionKey(actionID: 0, transitionID: 9, targetRC: 7, uuid: "uuid-node1")
    cib = PolicyEngine.StatusRecorder.record(
      def.result(node: "node2", nodeID: "2", callID: 99, rc: 0, transitionKey: probeKey, at: 1_700_000_100), into: cib)
    // Recorded as Pacemaker's controller records it (a last_failure entry), but not read as a failure: real
    // crm_mon lists no failed action for it either.
    #expect(TestCIB.lrmOps(cib, node: "node2", resource: "ip").contains { $0.id == "ip_last_failure_0" })
    let view = StatusSectionView(interpretStatus(try CIBReader.read(cib, now: 1_700_000_100)))
    #expect(view.failedOperations.isEmpty, "\(view.failedOperations)")
  }
}
