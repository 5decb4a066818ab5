import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Watchdog self-fencing with real clusterd processes: each node's clusterd feeds its own watchdog stand-in, which
/// on expiry kills the node's cgroup (clusterd and its agents) and empties the agents' state folders, as a reset does.
@Suite(.serialized)
struct WatchdogFencingTests {
  static let runnable = WatchdogStandInTests.runnable && ClusterdTests.agentsInstalled

  /// SIGSTOP of the clusterd that runs the group: it stops feeding, its watchdog kills it and its agents' services
  /// and clears their state; only after that do the survivors start the group (the frozen node's copy is gone before
  /// the new one starts: no double run), and `pcs status` says the watchdog is armed.
  @Test(.enabled(if: runnable, "needs root, cgroup v1 pids, resource-agents and .build/debug/vigil-watchdog"))
  func aFrozenNodeIsResetBeforeTheSurvivorsStartItsResources() async throws {
    let c = try TestCluster()
    var groups: [String: TestCgroup] = [:]
    var standIns: [pid_t] = []
    defer {
      for p in standIns { kill(p, SIGTERM) }
      for p in standIns {
        var status: Int32 = 0
        waitpid(p, &status, 0)
      }
      c.stop()
      for g in groups.values { g.remove() }
    }
    let tag = URL(fileURLWithPath: c.dir).lastPathComponent
    for n in c.names {
      let group = try TestCgroup("\(tag)-\(n)")
      groups[n] = group
      let run = c.dir + "/" + n + "/agents/run", tmp = c.dir + "/" + n + "/agents/rsctmp"
      try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
      try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
      standIns.append(try spawnProcess(
        [TestCluster.bin + "/vigil-watchdog", "--device", c.dir + "/" + n + "/watchdog", "--timeout-s", "1",
         "--cgroup", group.path, "--clear", run, "--clear", tmp],
        log: c.dir + "/" + n + "/watchdog.log"))
    }
    for n in c.names {
      #expect(await eventuallyTrue { access(c.dir + "/" + n + "/watchdog", F_OK) == 0 })
      try c.start(n, extraArguments: ["--watchdog-device", c.dir + "/" + n + "/watchdog", "--watchdog-timeout-s", "1"],
                  cgroup: groups[n]!.path)
    }
    #expect(await c.eventually { await c.allQuorate(c.names) }, "no quorate cluster\n\(c.log("node1"))")
    try await c.createUserGroup(via: "node1")
    var home: String?
    #expect(await c.eventually { home = await c.groupNode("node1"); return home != nil }, "the group never started")
    let holder = try #require(home)
    let status = try await c.pcs("node1", ["status"]).stdout
    #expect(status.contains("  * Watchdog: armed ("), "\(status)")
    let cib = try await c.tool("cibadmin", "node1", ["-Q"]).stdout
    #expect(cib.contains("name=\"have-watchdog\" value=\"true\""), "the DC did not write have-watchdog=true")

    let stateFile = c.dir + "/" + holder + "/agents/rsctmp/Dummy-VIP.state"
    let pidFile = c.dir + "/" + holder + "/agents/run/anything_service.pid"
    let servicePid = try #require(pid_t((try String(contentsOfFile: pidFile, encoding: .utf8))
      .trimmingCharacters(in: .whitespacesAndNewlines)))
    #expect(!processDead(servicePid))
    let survivors = c.names.filter { $0 != holder }
    let clusterdPid = try #require(c.pid(holder))
    kill(clusterdPid, SIGSTOP)
    let frozenAt = ContinuousClock.now
    // Sample every 5 ms: when the frozen node's copy is gone (state file and service process) and when a
    // survivor's copy appears (its Dummy state file is written by the start).
    var goneAt: ContinuousClock.Instant?
    var startedAt: ContinuousClock.Instant?
    var startedOn = ""
    while ContinuousClock.now - frozenAt < .seconds(15), startedAt == nil {
      if goneAt == nil && access(stateFile, F_OK) != 0 && processDead(servicePid) { goneAt = ContinuousClock.now }
      for s in survivors where access(c.dir + "/" + s + "/agents/rsctmp/Dummy-VIP.state", F_OK) == 0 {
        startedAt = ContinuousClock.now
        startedOn = s
      }
      try await Task.sleep(for: .milliseconds(5))
    }
    let started = try #require(startedAt, "no survivor started the group\n\(c.log(survivors[0]))")
    let gone = try #require(goneAt, "the frozen node's copy was never removed")
    #expect(gone < started, "the survivors started VIP on \(startedOn) \(started - gone) before the frozen node's copy was gone")
    #expect(processDead(clusterdPid), "the watchdog did not kill the frozen clusterd")
    let log = (try? String(contentsOfFile: c.dir + "/" + holder + "/watchdog.log", encoding: .utf8)) ?? ""
    #expect(log.contains("watchdog expired: killed"), "\(log)")
    print("watchdog_sigstop_failover_ms=\((started - frozenAt) / .milliseconds(1)) reset_after_freeze_ms=\((gone - frozenAt) / .milliseconds(1))")
  }
}

/// Without a watchdog: clusterd says so (start-up log, `pcs status`), and a node whose clusterd was frozen longer
/// than the lease stops its resources by itself the moment it resumes, without waiting for a DC.
@Suite(.serialized)
struct NoWatchdogTests {
  @Test(.enabled(if: ClusterdTests.agentsInstalled, "needs resource-agents (Dummy, anything)"))
  func aNodeResumedAfterAFreezeStopsItsResourcesAtOnce() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(c.names) }, "no quorate cluster\n\(c.log("node1"))")
    #expect(c.log("node1").contains("NO WATCHDOG"))
    let status = try await c.pcs("node2", ["status"]).stdout
    #expect(status.contains("  * Watchdog: none: split-brain protection is the lease only"), "\(status)")
    try await c.createUserGroup(via: "node1")
    var home: String?
    #expect(await c.eventually { home = await c.groupNode("node1"); return home != nil }, "the group never started")
    let holder = try #require(home)
    let stateFile = c.dir + "/" + holder + "/agents/rsctmp/Dummy-VIP.state"
    let pid = try #require(c.pid(holder))
    kill(pid, SIGSTOP)
    // Frozen well past the lease: the survivors start the group meanwhile (the lease-only guarantee).
    let survivors = c.names.filter { $0 != holder }
    #expect(await c.eventually(timeoutS: 10) {
      survivors.contains { access(c.dir + "/" + $0 + "/agents/rsctmp/Dummy-VIP.state", F_OK) == 0 }
    }, "no survivor started the group")
    #expect(access(stateFile, F_OK) == 0, "the frozen node's copy still runs: what a watchdog would prevent")
    kill(pid, SIGCONT)
    let resumed = ContinuousClock.now
    #expect(await eventuallyTrue(timeoutS: 5) { access(stateFile, F_OK) != 0 }, "the resumed node kept its copy")
    let stoppedAfter = ContinuousClock.now - resumed
    #expect(c.log(holder).contains("did not run for"), "no critical log on resume\n\(c.log(holder).suffix(2000))")
    print("resume_stop_ms=\(stoppedAfter / .milliseconds(1))")
  }
}
