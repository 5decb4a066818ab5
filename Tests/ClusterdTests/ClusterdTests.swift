import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Real clusterd processes over real sockets and real agents (ocf:heartbeat:Dummy and ocf:heartbeat:anything
/// from Debian's resource-agents). Serialized: each test runs its own 3-node cluster.
@Suite(.serialized)
struct ClusterdTests {
  static let agentsInstalled =
    FileManager.default.isExecutableFile(atPath: "/usr/lib/ocf/resource.d/heartbeat/Dummy")
    && FileManager.default.isExecutableFile(atPath: "/usr/lib/ocf/resource.d/heartbeat/anything")

  @Test(.enabled(if: agentsInstalled))
  func usersFlowStandbyMonitorFailureCleanupAndBadInput() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(["node1", "node3"]) }, "no quorate DC\n\(c.log("node1"))")
    try await c.createUserGroup(via: "node2")
    var home: String?
    #expect(await c.eventually { home = await c.groupNode("node1"); return home != nil }, "group never started together")
    guard let first = home else { return }
    // Standby moves the group away; unstandby lets it stay where it is (stickiness).
    #expect(try await c.pcs("node3", ["node", "standby", first]).status == 0)
    #expect(await c.eventually { (await c.groupNode("node2").map { $0 != first }) ?? false }, "standby did not move the group")
    let second = await c.groupNode("node2")
    let status = try await c.pcs("node1", ["status"]).stdout
    #expect(status.contains("Node \(first): standby"))
    #expect(try await c.pcs("node3", ["node", "unstandby", first]).status == 0)
    #expect(await c.eventually {
      let q = await c.isQuorate("node1")
      let g = await c.groupNode("node1")
      return q && g == second
    })

    // Kill the service behind the agent's back: the monitor fails, the service is recovered, and the failure
    // stays under Failed Resource Actions until cleanup.
    guard let node = second else { return }
    let pidFile = c.dir + "/" + node + "/agents/run/anything_service.pid"
    let pidText = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    let servicePid = Int32(pidText) ?? 0
    #expect(servicePid > 1)
    if servicePid > 1 { kill(servicePid, SIGKILL) }
    #expect(
      await c.eventually {
        let s = (try? await c.pcs("node1", ["status"]).stdout) ?? ""
        return s.contains("Failed Resource Actions:") && s.contains("service 1s-interval monitor on \(node)")
      }, "the monitor failure never showed")
    #expect(await c.eventually {
      let newPid = (try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
      return await c.groupNode("node2") != nil && newPid != pidText
    }, "the service was not recovered")
    #expect(try await c.pcs("node1", ["status"]).stdout.contains("Failed Resource Actions:"))
    let cleanup = try await c.pcs("node3", ["resource", "cleanup", "service"])
    #expect(cleanup.status == 0, "\(cleanup.stderr)")
    #expect(await c.eventually { !((try? await c.pcs("node1", ["status"]).stdout) ?? "Failed").contains("Failed Resource Actions:") })

    // Bad input through live pcs: a clear error, and the CIB is unchanged.
    let epochBefore = try await liveEpoch(c, "node1")
    let bad = try await c.pcs("node2", ["resource", "create", "bad", "ocf:heartbeat:NoSuchAgent"])
    #expect(bad.status != 0)
    #expect(bad.stderr.contains("Error:"))
    let badGroup = try await c.pcs("node2", ["resource", "group", "add", "web", "nosuchresource"])
    #expect(badGroup.status != 0)
    #expect(badGroup.stderr.contains("Error:"))
    let badProperty = try await c.pcs("node2", ["property", "set", "no-such-property=1"])
    #expect(badProperty.status != 0)
    #expect(try await liveEpoch(c, "node1") == epochBefore, "a failed command changed the configuration")
    let timeline = try await c.pcs("node1", ["cluster", "timeline", "--output-as", "json"])
    #expect(timeline.status == 0)
    #expect(timeline.stdout.hasPrefix("{") && timeline.stdout.contains("\"incidents\""))
  }

  /// The whole configuration as pcs shows it (what a failed command must leave unchanged).
  func liveEpoch(_ c: TestCluster, _ node: String) async throws -> String {
    try await c.pcs(node, ["config"]).stdout
  }

  @Test(.enabled(if: agentsInstalled))
  func killNinesAndDCLossAndRejoinWithNewestCIB() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(["node1", "node2", "node3"]) })
    try await c.createUserGroup(via: "node1")
    var home: String?
    #expect(await c.eventually { home = await c.groupNode("node1"); return home != nil })
    guard let victim = home else { return }
    // kill -9 the node running the group: it runs on a survivor.
    c.kill9(victim)
    let survivors = c.names.filter { $0 != victim }
    #expect(
      await c.eventually {
        guard let n = await c.groupNode(survivors[0]) else { return false }
        return n != victim
      }, "the group did not move to a survivor\n\(c.log(survivors[0]))")
    // Kill the DC: a new DC is elected and transitions go on.
    guard let dc = await c.dcName(survivors[0]) else {
      Issue.record("no DC")
      return
    }
    // With one node down, killing another loses quorum; bring the victim back first.
    // Its clusterd died, its resources did not (kill -9 leaves the agents' processes): when it restarts it stops
    // them before it joins, so the DC's probe never finds the group active on two nodes.
    #expect(c.nodesRunningVIP().count == 2, "the killed node's VIP should still be there (like a crashed daemon's)")
    try c.start(victim)
    var multiActive: [String] = []
    func sample() async {
      let s = (try? await c.pcs(survivors[0], ["status", "resources"]).stdout) ?? ""
      if s.contains("Started [") { multiActive.append(s) }
    }
    #expect(await c.eventually {
      await sample()
      let q = await c.isQuorate(victim)
      let s = (try? await c.pcs(victim, ["status"]).stdout) ?? ""
      return q && s.contains("Online: [ node1 node2 node3 ]")
    })
    #expect(await c.eventually {
      await sample()
      let settled = await c.groupNode(survivors[0]) != nil
      return settled && c.nodesRunningVIP().count == 1
    }, "the restarted node's leftover VIP was not stopped")
    #expect(multiActive.isEmpty, "the group showed active on two nodes: \(multiActive.first ?? "")")
    c.kill9(dc)
    let rest = c.names.filter { $0 != dc }
    #expect(await c.eventually { (await c.dcName(rest[0]).map { $0 != dc }) ?? false }, "no new DC")
    #expect(await c.eventually { await c.groupNode(rest[0]).map { $0 != dc } ?? false }, "the group is not running after DC loss")
    // Transitions go on: standby the group's node, the group moves.
    if let g = await c.groupNode(rest[0]) {
      let standby = try await c.pcs(rest[0], ["node", "standby", g])
      #expect(standby.status == 0, "\(standby.stderr)")
      #expect(await c.eventually { (await c.groupNode(rest[1]).map { $0 != g && $0 != dc }) ?? false })
      let unstandby = try await c.pcs(rest[0], ["node", "unstandby", g])
      #expect(unstandby.status == 0, "\(unstandby.stderr)")
    }
    // A change while `dc` is down; when it rejoins it has the newest CIB.
    #expect(try await c.pcs(rest[0], ["resource", "create", "extra", "ocf:heartbeat:Dummy"]).status == 0)
    try c.start(dc)
    #expect(
      await c.eventually { ((try? await c.pcs(dc, ["resource", "config"]).stdout) ?? "").contains("Resource: extra") },
      "the rejoining node did not get the newest CIB")
  }

  @Test(.enabled(if: agentsInstalled))
  func partitionedNodeStopsMajorityStartsNeverBoth() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(["node1", "node2", "node3"]) })
    try await c.createUserGroup(via: "node1")
    var home: String?
    #expect(await c.eventually { home = await c.groupNode("node1"); return home != nil && c.nodesRunningVIP().count == 1 })
    guard let isolated = home else { return }
    let majority = c.names.filter { $0 != isolated }
    #expect(try await c.pcs(isolated, ["cluster", "isolate", "on"]).status == 0)
    // Sample who runs VIP until the majority runs it; it must never run on two nodes at once.
    var maxRunning = 0
    let moved = await c.eventually(timeoutS: 30) {
      let running = c.nodesRunningVIP()
      maxRunning = max(maxRunning, running.count)
      return running.count == 1 && running[0] != isolated
    }
    #expect(moved, "the majority never took over VIP")
    #expect(maxRunning <= 1, "VIP ran on two nodes at once")
    #expect(await c.eventually { await c.groupNode(majority[0]).map { majority.contains($0) } ?? false })
    let minority = try await c.pcs(isolated, ["status"]).stdout
    #expect(minority.contains("partition WITHOUT quorum"), "\(minority)")
    #expect(!FileManager.default.fileExists(atPath: c.dir + "/" + isolated + "/agents/rsctmp/Dummy-VIP.state"))
    // Heal: the node rejoins; still one copy.
    #expect(try await c.pcs(isolated, ["cluster", "isolate", "off"]).status == 0)
    #expect(await c.eventually {
      let q = await c.isQuorate(isolated)
      let g = await c.groupNode(isolated)
      return q && g != nil
    })
    #expect(c.nodesRunningVIP().count == 1)
  }

  @Test(.enabled(if: agentsInstalled))
  func wholeClusterStopAndStartKeepsConfiguration() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(["node1", "node2", "node3"]) })
    try await c.createUserGroup(via: "node1")
    #expect(await c.eventually { await c.groupNode("node1") != nil })
    let config = try await c.pcs("node1", ["resource", "config"]).stdout
    #expect(try await c.pcs("node2", ["cluster", "stop", "--all"]).status == 0)
    for n in c.names { #expect(await c.waitExit(n), "\(n) did not stop") }
    #expect(c.nodesRunningVIP().isEmpty, "resources left running after a clean stop")
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(["node1", "node3"]) })
    #expect(try await c.pcs("node3", ["resource", "config"]).stdout == config)
    #expect(await c.eventually { await c.groupNode("node2") != nil })
  }

  @Test
  func pcsWithoutClusterdFailsLikePcs() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    let r = try await c.pcs("node1", ["status"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("Error: error running crm_mon, is pacemaker running?"))
    let create = try await c.pcs("node1", ["resource", "create", "x", "ocf:heartbeat:Dummy"])
    #expect(create.status == 1)
    #expect(create.stderr.contains("Error: unable to get cib"))
  }
}
