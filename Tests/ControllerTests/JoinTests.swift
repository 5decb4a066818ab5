import CIB
import Controller
import Membership
import PolicyEngine
import Testing

/// Restarts and rejoins: nothing starts a second copy of what a member runs, whoever becomes DC.
@Suite struct JoinTests {
  func booted() throws -> NodeSimulation {
    var sim = NodeSimulation(nodeCount: 3, cib: try simulationCIB())
    for i in 0..<3 { sim.start(i) }
    sim.installView([0, 1, 2])
    sim.run(forMs: 3_000)
    return sim
  }

  /// kill -9 of node1 (lowest id, runs the group), the group moves to node2; node1 restarts, first alone without
  /// quorum, then joins the big view (as DC, lowest id).
  @Test(arguments: [0, 5, 40, 200] as [Int64])
  func theLowestIdNodeRestartsWhileAnotherRunsTheGroup(quorumDelayMs: Int64) throws {
    var sim = try booted()
    #expect(sim.holders("ip") == ["node1"])
    sim.crash(0, killAgents: true)
    sim.installView([1, 2])
    sim.run(forMs: 3_000)
    #expect(sim.holders("ip").contains("node2"), "\(sim.log.suffix(30))")
    sim.quorumDelayMs = quorumDelayMs
    sim.start(0)
    sim.installView([0])
    sim.run(forMs: 50)
    sim.installView([0, 1, 2])
    sim.run(forMs: 5_000)
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)\n\(sim.log.joined(separator: "\n"))")
    #expect(sim.holders("ip").count == 1 && sim.holders("web").count == 1)
  }
}
