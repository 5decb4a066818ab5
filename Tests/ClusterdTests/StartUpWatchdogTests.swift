import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A restarted clusterd with hundreds of configured primitives, its watchdog stand-in armed: its start-up stops
/// only what this boot's record lists, so it joins (and feeds) before the stand-in resets it. Stopping every
/// configured primitive took longer than the 1 s watchdog, and each reset led to the same start-up again.
@Suite(.serialized)
struct StartUpWatchdogTests {
  static let primitivesCount = 300

  @Test(.enabled(if: WatchdogFencingTests.runnable, "needs root, cgroup v1 pids, resource-agents and .build/debug/vigil-watchdog"))
  func aRestartWithManyConfiguredPrimitivesJoinsWithoutAResetLoop() async throws {
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
    func watchdogArguments(_ n: String) -> [String] {
      ["--watchdog-device", c.dir + "/" + n + "/watchdog", "--watchdog-timeout-s", "1"]
    }
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
      try c.start(n, extraArguments: watchdogArguments(n), cgroup: groups[n]!.path)
    }
    #expect(await c.eventually { await c.allQuorate(c.names) }, "no quorate cluster\n\(c.log("node1"))")
    // Disabled primitives: configured, run nowhere (the writes of the chaos run create such ones).
    let primitives = (1...Self.primitivesCount).map { k in
      "<primitive id=\"D\(k)\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"><meta_attributes id=\"D\(k)-meta\">"
        + "<nvpair id=\"D\(k)-meta-target-role\" name=\"target-role\" value=\"Stopped\"/></meta_attributes></primitive>"
    }.joined()
    let replaced = try await c.tool("cibadmin", "node1", ["-R", "-o", "resources", "-X", "<resources>\(primitives)</resources>"])
    #expect(replaced.status == 0, "\(replaced.stderr)")
    try await c.createUserGroup(via: "node1")
    var home: String?
    #expect(await c.eventually(timeoutS: 60) { home = await c.groupNode("node1"); return home != nil }, "the group never started")
    let holder = try #require(home)
    let record = (try? String(contentsOfFile: c.dir + "/" + holder + "/agents/run/may-run", encoding: .utf8)) ?? ""
    #expect(Set(record.split(separator: "\n")).isSuperset(of: ["VIP", "service"]), "record: \(record)")

    func expiries() -> Int {
      let log = (try? String(contentsOfFile: c.dir + "/" + holder + "/watchdog.log", encoding: .utf8)) ?? ""
      return log.components(separatedBy: "watchdog expired").count - 1
    }
    let expiriesBefore = expiries()
    // kill -9 and an immediate restart (systemd's restart comes 100 ms later): the earlier life's group still runs
    // and the stand-in is still armed by its last keepalive.
    c.kill9(holder)
    try c.start(holder, extraArguments: watchdogArguments(holder), cgroup: groups[holder]!.path)
    // A reset is a reboot, after which the node comes back: started again here, at most twice.
    var boots = 0
    let joined = await c.eventually(timeoutS: 60) {
      if let pid = c.pid(holder), processDead(pid), boots < 2 {
        boots += 1
        try? c.start(holder, extraArguments: watchdogArguments(holder), cgroup: groups[holder]!.path)
      }
      guard await c.allQuorate(c.names) else { return false }
      return await c.groupNode(holder) != nil
    }
    #expect(joined, "the restarted node did not rejoin\n\(c.log(holder).suffix(3000))")
    let resets = expiries() - expiriesBefore
    #expect(resets <= 1, "the restarted node was reset \(resets) times: a reset loop")
    let log = c.log(holder)
    #expect(log.contains("configured)") || log.contains("nothing of an earlier life"), "\(log.suffix(3000))")
    #expect(c.nodesRunningVIP().count == 1, "VIP runs on \(c.nodesRunningVIP())")
    print("startup_restart_watchdog_resets=\(resets) configured_primitives=\(Self.primitivesCount)")
  }
}
