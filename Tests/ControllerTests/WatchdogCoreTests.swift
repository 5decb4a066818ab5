import CIB
import Controller
import PolicyEngine
import Testing

/// Feeding the watchdog (`WatchdogCore`) and the survivors' wait (`SurvivorWait`, applied by the DC's core).
@Suite struct WatchdogCoreTests {
  let timing = WatchdogTiming(timeoutS: 1, tokenMs: 400)

  func turn(_ core: inout WatchdogCore, quorate: Bool, active: Bool, at: Int64) -> [WatchdogCore.Effect] {
    core.handle(.loopTurned(LeaseFacts(quorate: quorate, resourcesActive: active), atMs: at))
  }

  @Test func feedsEveryPeriodWhileQuorate() {
    var w = WatchdogCore(timing: timing, freezeGapMs: 800)
    #expect(turn(&w, quorate: true, active: true, at: 0) == [.feedWatchdog], "the first turn feeds at once")
    #expect(turn(&w, quorate: true, active: true, at: 20) == [], "not before the feed period")
    #expect(turn(&w, quorate: true, active: true, at: 100) == [.feedWatchdog])
    #expect(w.phase == .feeding(lastFeedMs: 100))
  }

  @Test func stopsFeedingWhenQuorumIsLostWithResourcesRunning() {
    var w = WatchdogCore(timing: timing, freezeGapMs: 800)
    _ = turn(&w, quorate: true, active: true, at: 0)
    let effects = turn(&w, quorate: false, active: true, at: 60)
    #expect(effects == [.stopFeeding(reason: "quorum lost with resources running on this node")])
    #expect(w.phase == .starving(lastFeedMs: 0, sinceMs: 60))
    for t in stride(from: Int64(80), through: 900, by: 20) {
      #expect(turn(&w, quorate: false, active: true, at: t) == [], "fed at \(t) without the lease")
    }
    // The stops completed before the device fired: nothing runs, the lease is held again.
    #expect(turn(&w, quorate: false, active: false, at: 920) == [.resumeFeeding, .feedWatchdog])
  }

  @Test func keepsFeedingWithoutQuorumWhenNothingRuns() {
    var w = WatchdogCore(timing: timing, freezeGapMs: 800)
    var feeds = 0
    for t in stride(from: Int64(0), through: 2_000, by: 20) {
      feeds += turn(&w, quorate: false, active: false, at: t).filter { $0 == .feedWatchdog }.count
    }
    #expect(feeds == 21, "one feed per 100 ms over 2 s")
    #expect(w.phase == .feeding(lastFeedMs: 2_000))
  }

  @Test func aGapLongerThanTheLeaseIsAFreeze() {
    var w = WatchdogCore(timing: nil, freezeGapMs: 800)
    #expect(turn(&w, quorate: true, active: true, at: 0) == [])
    #expect(turn(&w, quorate: true, active: true, at: 800) == [], "a gap of exactly the lease is not a freeze")
    #expect(turn(&w, quorate: true, active: true, at: 5_800) == [.resumedAfterFreeze(gapMs: 5_000)])
    #expect(w.phase == .absent, "no device: nothing is ever fed")
  }

  @Test func aGracefulStopDisarmsOnceAndOnlyWithNothingRunning() {
    var w = WatchdogCore(timing: timing, freezeGapMs: 800)
    _ = turn(&w, quorate: true, active: false, at: 0)
    #expect(w.handle(.exiting(resourcesActive: false)) == [.disarmWatchdog])
    #expect(w.handle(.exiting(resourcesActive: false)) == [])
    #expect(turn(&w, quorate: true, active: false, at: 500) == [], "nothing is written after the magic close")

    var busy = WatchdogCore(timing: timing, freezeGapMs: 800)
    _ = turn(&busy, quorate: true, active: true, at: 0)
    #expect(busy.handle(.exiting(resourcesActive: true))
            == [.stopFeeding(reason: "clusterd exits with resources still running on this node")])
    #expect(busy.phase == .starving(lastFeedMs: 0, sinceMs: 0), "left armed: the node is reset")
  }

  @Test func survivorsWaitComputedFromTheTimeout() {
    // 1.5 T + W + reset + margin.
    #expect(timing.survivorWaitMs == 600 + 1_000 + 100 + 50)
    #expect(WatchdogTiming(timeoutS: 5, tokenMs: 1_000).survivorWaitMs == 1_500 + 5_000 + 150)
    #expect(SurvivorWait.compute(leaseMs: 800, watchdog: nil, stonithWatchdogTimeout: nil) == .init(waitMs: 800))
    #expect(SurvivorWait.compute(leaseMs: 800, watchdog: timing, stonithWatchdogTimeout: nil).waitMs == 1_750)
    #expect(SurvivorWait.compute(leaseMs: 800, watchdog: timing, stonithWatchdogTimeout: "0").waitMs == 1_750)
    #expect(SurvivorWait.compute(leaseMs: 800, watchdog: timing, stonithWatchdogTimeout: "-1").waitMs == 1_750)
    #expect(SurvivorWait.compute(leaseMs: 800, watchdog: timing, stonithWatchdogTimeout: "3s") == .init(waitMs: 3_000))
    #expect(SurvivorWait.compute(leaseMs: 800, watchdog: nil, stonithWatchdogTimeout: "2500ms").waitMs == 2_500)
    let short = SurvivorWait.compute(leaseMs: 800, watchdog: timing, stonithWatchdogTimeout: "1s")
    #expect(short.waitMs == 1_750, "a configured wait shorter than the bound is not used")
    #expect(short.warning?.contains("shorter than this node's watchdog bound (1750 ms") == true)
    let bad = SurvivorWait.compute(leaseMs: 800, watchdog: timing, stonithWatchdogTimeout: "soon")
    #expect(bad.waitMs == 1_750 && bad.warning != nil)
  }

  /// The DC of a cluster with a watchdog starts a lost node's resources only after the watchdog bound, counted
  /// from when the node was last heard; its CIB says have-watchdog=true.
  @Test func theDCWaitsOutTheWatchdogBound() throws {
    let cib = try simulationCIB(constraints: """
      <rsc_location id="pref" rsc="grp" node="node3" score="100"/>
      """)
    var sim = ClusterSimulation(nodeCount: 3, cib: cib)
    for i in sim.nodes.indices {
      var config = ControllerConfig(localNode: sim.nodes[i].me, controllerUUID: "uuid-\(i)")
      config.dcVersion = "test"
      config.watchdog = timing
      sim.nodes[i].core = ControllerCore(config: config, cib: cib)
    }
    sim.setComponents([[0, 1, 2]], at: 0, detectionMs: [10])
    sim.run()
    #expect(sim.where_("ip") == ["node3"])
    let cut: Int64 = 10_000, heard: Int64 = cut - 60
    sim.nowMs = cut
    sim.kill(2, at: cut)
    sim.setComponents([[0, 1]], at: cut, detectionMs: [400], lastHeardMs: heard)
    sim.run()
    let restart = try #require(sim.startsIssued.last { $0.resource == "ip" })
    #expect(restart.node != "node3")
    #expect(restart.at >= heard + 1_750, "start at \(restart.at), before the watchdog bound")
    #expect(restart.at < heard + 1_750 + 200)
    let dc = try #require(sim.dcIndex)
    #expect(sim.nodes[dc].core.survivorWait.waitMs == 1_750)
    let options = try CIBReader.read(sim.nodes[dc].core.cib, now: 1_700_000_000).clusterOptions
    #expect(options["have-watchdog"] == "true")
  }
}
