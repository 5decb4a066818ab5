import CIB
import Controller
import PolicyEngine
import Testing

/// Recurring monitors: exactly those the CIB asks for run after every transition, abort or DC change, and a
/// monitor's result that arrives after its resource's stop is not a failure.
@Suite struct RecurringMonitorTests {
  /// Three nodes, a lone `db` and the group (ip, web), every primitive with a 10 s monitor.
  func cib(constraints: String = "") throws -> CIBElement {
    let db = """
      <primitive id="db" class="ocf" provider="heartbeat" type="Dummy">
        <operations><op id="db-mon" name="monitor" interval="10s" timeout="20s"/></operations>
      </primitive>
      """
    return try threeNodeCIB(resources: db + monitoredGroup(), constraints: constraints)
  }

  /// A spurious "not running" from db's monitor aborts the first transition after web's start was sent and before
  /// web's monitor could fire. The recomputation recovers db; web runs and must get its monitor too (before the
  /// reconciliation it never did: the scheduler only adds monitors after starts, and web's start was done).
  @Test func aTransitionAbortedWhileMonitorsAreSetUpLeavesNoMonitorMissing() throws {
    var sim = ClusterSimulation(nodeCount: 3, cib: try cib())
    sim.setComponents([[0, 1, 2]], at: 0, detectionMs: [10])
    let ready = sim.step { s in
      guard let dc = s.dcIndex, let dbNode = s.where_("db").first, let webNode = s.where_("web").first else { return false }
      let dbMonitorRecorded = TestCIB.lrmOps(s.nodes[dc].core.cib, node: dbNode, resource: "db")
        .contains { $0.id == "db_monitor_10000" }
      let webStarted = TestCIB.lrmOps(s.nodes[dc].core.cib, node: webNode, resource: "web")
        .contains { $0.id == "web_last_0" && $0[attribute: "operation"] == "start" }
      return dbMonitorRecorded && !webStarted
    }
    try #require(ready, "db's monitor recorded while web's start is in flight:\n\(sim.log.joined(separator: "\n"))")
    let dbNode = try #require(sim.index(of: sim.where_("db")[0]))
    let dbMonitor = try #require(sim.nodes[dbNode].recurring["db_monitor_10000"])
    sim.broadcast(OperationCompletion(dbMonitor, rc: 7, exitReason: "not running"), from: dbNode)
    sim.run()

    #expect(sim.log.contains { $0.contains("complete (aborted)") }, "the spurious result aborted the transition")
    #expect(sim.where_("web").count == 1 && sim.where_("db").count == 1)
    #expect(try sim.recurringMismatches() == [], "\n\(sim.log.suffix(30).joined(separator: "\n"))")
    let dc = try #require(sim.dcIndex)
    let check = try #require(sim.nodes[dc].core.recurringMonitorCheck(at: sim.time(sim.nowMs)))
    #expect(check.isConsistent, "\(check)")
    #expect(TestCIB.pending(try sim.dcSchedule()) == [])
  }

  /// The DC dies as web's start result is broadcast, before web's monitor could fire: the new DC records the start
  /// (every core saw the result) and must issue the monitor its CIB lacks.
  @Test func aNewDCIssuesTheMonitorsItsCIBLacks() throws {
    let c = try cib(constraints: "<rsc_location id=\"grp-on-3\" rsc=\"grp\" node=\"node3\" score=\"100\"/>")
    var sim = ClusterSimulation(nodeCount: 3, cib: c)
    sim.dieOnResult = (node: 0, result: "node3 web_start_0")
    sim.setComponents([[0, 1, 2]], at: 0, detectionMs: [10])
    try #require(sim.step { s in !s.nodes[0].alive })
    sim.setComponents([[1, 2]], at: sim.nowMs, detectionMs: [400], lastHeardMs: sim.nowMs)
    sim.run()
    #expect(sim.where_("web") == ["node3"])
    #expect(sim.nodes[1].core.isDC)
    #expect(try sim.recurringMismatches() == [], "\n\(sim.log.suffix(30).joined(separator: "\n"))")
    let check = try #require(sim.nodes[1].core.recurringMonitorCheck(at: sim.time(sim.nowMs)))
    #expect(check.isConsistent, "\(check)")
  }

  /// The group moves away (standby) and web's monitor reports "not running" from the node it left: while its stop
  /// is in flight (the monitor ran just before the cancel reached the LRM), or once the stop is done. Either way the
  /// result is not web's failure: nothing is counted, nothing restarts, and the group runs where it moved.
  @Test(arguments: [false, true])
  func aMonitorResultAroundTheStopIsNotAFailure(afterTheStop: Bool) throws {
    var sim = try bootedCluster()
    let dc = try #require(sim.dcIndex)
    let holderName = sim.where_("web")[0]
    let holder = try #require(sim.index(of: holderName))
    let webMonitor = try #require(sim.nodes[holder].recurring["web_monitor_10000"])
    let startsBefore = sim.startsIssued.count
    sim.nowMs += 5_000
    let edited = withNodeAttribute(sim.nodes[dc].core.cib, node: holderName, name: "standby", value: "on")
    sim.deliver(dc, .cibReplaced(edited, at: sim.time(sim.nowMs)))
    let marker = afterTheStop ? " \(holderName) done web_stop_0 " : " -> \(holderName) web_stop_0"
    try #require(sim.step { s in s.log.contains { "\($0) ".contains(marker) } })
    sim.broadcast(OperationCompletion(webMonitor, rc: 7, exitReason: "not running"), from: holder)
    sim.run()

    let moved = sim.where_("web")
    #expect(moved.count == 1 && moved != [holderName] && sim.where_("ip") == moved)
    let cib = sim.nodes[dc].core.cib
    #expect(TestCIB.transient(cib, node: holderName)["fail-count-web#monitor_10000"] == nil)
    #expect(!TestCIB.lrmOps(cib, node: holderName, resource: "web").contains { $0.id == "web_last_failure_0" })
    let restarts = sim.startsIssued.dropFirst(startsBefore).map { "\($0.resource) \($0.node)" }
    #expect(restarts == ["ip \(moved[0])", "web \(moved[0])"], "one start each, on the new node")
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
    #expect(try sim.recurringMismatches() == [])
  }

  /// A monitor removed from the configuration is cancelled where it runs (and its history entry dropped).
  @Test func aMonitorNoLongerConfiguredIsCancelled() throws {
    var sim = try bootedCluster()
    let dc = try #require(sim.dcIndex)
    let holderName = sim.where_("web")[0]
    let holder = try #require(sim.index(of: holderName))
    let edited = removing(sim.nodes[dc].core.cib) { $0.name == "op" && $0.id == "web-mon" }
    sim.nowMs += 1_000
    sim.deliver(dc, .cibReplaced(edited, at: sim.time(sim.nowMs)))
    sim.run()
    #expect(sim.nodes[holder].recurring.keys.sorted() == ["ip_monitor_10000"])
    #expect(!TestCIB.lrmOps(sim.nodes[dc].core.cib, node: holderName, resource: "web").contains { $0.id == "web_monitor_10000" })
    #expect(sim.where_("web") == [holderName], "nothing restarts for it")
  }
}

/// `e` without the descendants matching `predicate`.
func removing(_ e: CIBElement, where predicate: (CIBElement) -> Bool) -> CIBElement {
  var out = e
  out.children = e.children.compactMap { child in
    guard case .element(let x) = child else { return child }
    return predicate(x) ? nil : .element(removing(x, where: predicate))
  }
  return out
}

/// Promotable clones: each instance runs the monitor of its role only.
@Suite struct PromotedRoleMonitorTests {
  @Test func thePromotedInstanceRunsOnlyThePromotedRolesMonitor() throws {
    let cib = try threeNodeCIB(
      resources: """
        <clone id="st-clone">
          <meta_attributes id="st-clone-meta">
            <nvpair id="st-clone-promotable" name="promotable" value="true"/>
          </meta_attributes>
          <primitive id="st" class="ocf" provider="pacemaker" type="Stateful">
            <operations>
              <op id="st-mon-p" name="monitor" interval="10s" role="Promoted" timeout="20s"/>
              <op id="st-mon-u" name="monitor" interval="11s" role="Unpromoted" timeout="20s"/>
            </operations>
          </primitive>
        </clone>
        """,
      constraints: """
        <rsc_location id="promote-on-2" rsc="st-clone" role="Promoted" node="node2" score="100"/>
        """)
    var sim = ClusterSimulation(nodeCount: 3, cib: cib)
    sim.setComponents([[0, 1, 2]], at: 0, detectionMs: [10])
    sim.run()
    let dc = try #require(sim.dcIndex)
    let check = try #require(sim.nodes[dc].core.recurringMonitorCheck(at: sim.time(sim.nowMs)))
    #expect(check.isConsistent, "\(check)")
    let registered = sim.nodes.map { $0.recurring.keys.sorted() }
    #expect(registered.filter { $0 == ["st_monitor_10000"] }.count == 1, "one promoted instance: \(registered)")
    #expect(registered.filter { $0 == ["st_monitor_11000"] }.count == 2, "two unpromoted instances: \(registered)")
  }
}
