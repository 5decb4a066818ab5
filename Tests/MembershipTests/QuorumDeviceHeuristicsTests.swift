import Arbiter
import Testing

@testable import Membership

private func heuristicsConf(_ lines: String) -> String {
  deviceConf.replacingOccurrences(
    of: "            tie_breaker: highest\n        }\n",
    with: "            tie_breaker: highest\n        }\n        heuristics {\n\(lines)        }\n")
}

@Suite struct QuorumDeviceHeuristicsTests {
  @Test func commandsSplitAsTheShellSplitsWords() {
    #expect(QuorumDeviceHeuristics.splitCommand("/bin/ping -q -c 1 10.0.0.254") == ["/bin/ping", "-q", "-c", "1", "10.0.0.254"])
    #expect(QuorumDeviceHeuristics.splitCommand(#"/bin/sh -c "exit 0"  a\ b"#) == ["/bin/sh", "-c", "exit 0", "a b"])
    #expect(QuorumDeviceHeuristics.splitCommand(#"x "" \"y"#) == ["x", "", "\"y"])
    for bad in [#"/bin/sh -c "exit 0"#, "x \\", "", "   "] { #expect(QuorumDeviceHeuristics.splitCommand(bad) == nil, "\(bad)") }
  }

  @Test func corosyncConfHeuristicsAreReadWithVigilScaleDefaults() throws {
    let c = try CorosyncConfig.parse(heuristicsConf("            mode: sync\n            exec_ping: /bin/ping -q -c 1 10.0.0.254\n"))
    let h = try #require(QuorumDeviceHeuristics.from(c.quorum!.device!, tokenMs: 400))
    #expect(h.mode == .sync && h.commands == [["/bin/ping", "-q", "-c", "1", "10.0.0.254"]])
    #expect(h.timeout == .milliseconds(400) && h.syncTimeout == .milliseconds(400) && h.interval == .milliseconds(4000))
    #expect(QuorumDeviceSettings.decisionMs(tokenMs: 400, heuristics: h) == 800)
    let timed = try CorosyncConfig.parse(heuristicsConf(
      "            interval: 1000\n            timeout: 300\n            sync_timeout: 200\n            exec_a: /bin/true\n"))
    let t = try #require(QuorumDeviceHeuristics.from(timed.quorum!.device!, tokenMs: 400))
    #expect(t.mode == .on && t.interval == .milliseconds(1000) && t.timeout == .milliseconds(300) && t.syncTimeout == .milliseconds(200))
    let off = try CorosyncConfig.parse(heuristicsConf("            mode: off\n            exec_a: /bin/true\n"))
    #expect(QuorumDeviceHeuristics.from(off.quorum!.device!, tokenMs: 400) == nil)
    #expect(throws: CorosyncConfError.self) { try CorosyncConfig.parse(heuristicsConf("            exec_a: /bin/sh -c \"x\n")) }
    #expect(throws: CorosyncConfError.self) { try CorosyncConfig.parse(heuristicsConf("            timeout: 0\n            exec_a: /bin/true\n")) }
  }

  @Test func aNewViewAsksTheArbiterOnlyWithItsHeuristicsResult() throws {
    let c = try CorosyncConfig.parse(heuristicsConf("            mode: sync\n            exec_ping: /bin/ping -c 1 gw\n"))
    var n = try DeviceNode(1, config: c)
    _ = n.install([1], epoch: 2, now: .milliseconds(0))
    #expect(n.heuristicsRuns.map(\.timeout) == [.milliseconds(400)], "a membership run, bounded by sync_timeout")
    #expect(n.sent.isEmpty, "no request before the view's heuristics ended")
    n.run(.tick(now: .milliseconds(100)))
    #expect(n.sent.isEmpty)
    n.run(.heuristicsFinished(run: n.heuristicsRuns[0].run, passed: false, now: .milliseconds(150)))
    #expect(n.sent.map(\.heuristics) == [.fail])
    // The deadline counts T plus sync_timeout: not yet at 700, at 800.
    n.run(.tick(now: .milliseconds(700)))
    #expect(n.reported.isEmpty)
    n.run(.tick(now: .milliseconds(800)))
    #expect(n.reported.map(\.quorate) == [false])
    // Mode sync: no regular runs.
    n.run(.tick(now: .milliseconds(60_000)))
    #expect(n.heuristicsRuns.count == 1)
  }

  @Test func modeOnRunsEveryIntervalAndSendsAChangedResultAtOnce() throws {
    let c = try CorosyncConfig.parse(heuristicsConf("            interval: 1000\n            timeout: 300\n            exec_ping: /bin/ping -c 1 gw\n"))
    var n = try DeviceNode(1, config: c)
    _ = n.install([1, 2], epoch: 1, now: .milliseconds(0))
    n.run(.heuristicsFinished(run: 1, passed: true, now: .milliseconds(10)))
    #expect(n.sent.last?.heuristics == .pass)
    n.run(.tick(now: .milliseconds(999)))
    #expect(n.heuristicsRuns.count == 1)
    n.run(.tick(now: .milliseconds(1000)))
    #expect(n.heuristicsRuns.map(\.timeout) == [.milliseconds(400), .milliseconds(300)])
    let before = n.sent.count
    n.run(.heuristicsFinished(run: 2, passed: false, now: .milliseconds(1100)))
    #expect(n.sent.count == before + 1 && n.sent.last?.heuristics == .fail, "the gateway is lost: the arbiter learns at once")
    // A superseded run's late end is ignored.
    _ = n.install([1], epoch: 2, now: .milliseconds(1200))
    n.run(.heuristicsFinished(run: 2, passed: true, now: .milliseconds(1210)))
    #expect(n.client.heuristicsResult == .fail)
  }
}

@Suite struct QdeviceToolTextTests {
  @Test func deviceStatusIsCorosyncQdeviceToolsLayout() {
    let d = QuorumDeviceState(
      node: NodeID(2), configuredNodes: [NodeID(1), NodeID(2)], members: [NodeID(1), NodeID(2)], cluster: "pair",
      host: "10.0.0.9:5403", algorithm: .ffsplit, tieBreaker: .lowest, connection: "Connected", castsVote: true,
      heuristics: .fail)
    #expect(QuorumStatusText.qdeviceTool(d) == """
      Qdevice information
      -------------------
      Model:\t\t\tNet
      Node ID:\t\t2
      Configured node list:
          0\tNode ID = 1
          1\tNode ID = 2
      Membership node list:\t1, 2

      Qdevice-net information
      ----------------------
      Cluster name:\t\tpair
      QNetd host:\t\t10.0.0.9:5403
      Algorithm:\t\tFifty-Fifty split
      Tie-breaker:\t\tNode with lowest node ID
      State:\t\t\tConnected
      Heuristics result:\tFail

      """)
  }
}
