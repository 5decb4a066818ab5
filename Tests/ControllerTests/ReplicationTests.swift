import CIB
import Controller
import ControlProtocol
import Membership
import PolicyEngine
import Testing

/// Writes: acknowledged only once durable on a quorum; a write in flight at a view change is sent again and applied
/// at most once; a write arriving during a change or without quorum waits, within its deadline.
@Suite struct ReplicationTests {
  func booted() throws -> NodeSimulation {
    var sim = NodeSimulation(nodeCount: 3, cib: try simulationCIB())
    for i in 0..<3 { sim.start(i) }
    sim.installView([0, 1, 2])
    sim.run(forMs: 3_000)
    return sim
  }

  func edit(_ sim: NodeSimulation, constraint: String) throws -> ControlRequest {
    let live = try #require(sim.machines[0].core).cib
    let v = try CIBVersion(of: live)
    let edited = try simulationCIB(constraints: "<rsc_location id=\"\(constraint)\" rsc=\"grp\" node=\"node3\" score=\"50\"/>")
    return .replaceCIB(xml: CIBXML.serialize(edited), baseAdminEpoch: v.adminEpoch, baseEpoch: v.epoch)
  }

  func hasConstraint(_ cib: CIBElement?, _ id: String) -> Bool {
    cib?.firstElement(named: "configuration")?.firstElement(named: "constraints")?.elements.contains { $0.id == id } ?? false
  }

  @Test func anAcknowledgedWriteIsOnTheDiskOfAQuorum() throws {
    var sim = try booted()
    let id = sim.control(1, try edit(sim, constraint: "l1"))
    // Step until the answer arrives, then look at the disks at that instant.
    for _ in 0..<200 where sim.replies[id] == nil { sim.run(forMs: 1) }
    let reply = try #require(sim.replies[id])
    #expect(reply.error == nil)
    #expect(sim.machines.filter { hasConstraint($0.disk, "l1") }.count >= 2)
  }

  /// The view changes (node3 dies) after the write was sent and before its answer: the client gets either an
  /// acknowledgement with the write on every live node, or an error; never an acknowledgement of a lost write.
  @Test(arguments: [0, 1, 2, 3, 4, 6] as [Int64])
  func aWriteInFlightDuringAViewChangeIsSentAgainAndAppliedOnce(afterMs: Int64) throws {
    var sim = try booted()
    let id = sim.control(1, try edit(sim, constraint: "l2"))
    sim.run(forMs: afterMs)
    sim.crash(2, killAgents: true)
    sim.installView([0, 1])
    sim.run(forMs: 3_000)
    let reply = try #require(sim.replies[id], "no answer")
    let present = sim.machines[0...1].map { hasConstraint($0.core?.cib, "l2") }
    // The origin sends the write again to the next DC, which applies it once: acknowledged, on every live node.
    #expect(reply.error == nil, "\(reply.error ?? "")")
    #expect(present == [true, true], "acknowledged but missing: \(present)")
    #expect(sim.machines[0...1].allSatisfy { hasConstraint($0.disk, "l2") })
  }

  /// The DC itself dies with the write in flight (applied on its disk or not): the survivors' next DC takes the
  /// resent write, applies it at most once, and the client gets an acknowledgement.
  @Test(arguments: [0, 1, 2, 3, 5] as [Int64])
  func aWriteSurvivesTheDCsDeath(afterMs: Int64) throws {
    var sim = try booted()
    let dc = try #require(sim.machines.firstIndex { $0.core?.controller.isDC == true })
    let origin = (dc + 1) % 3
    let epochBefore = try CIBVersion(of: try #require(sim.machines[origin].core).cib).epoch
    let id = sim.control(origin, try edit(sim, constraint: "l3"))
    sim.run(forMs: afterMs)
    sim.crash(dc, killAgents: true)
    sim.installView([0, 1, 2].filter { $0 != dc })
    sim.run(forMs: 3_000)
    let reply = try #require(sim.replies[id], "no answer")
    #expect(reply.error == nil, "\(reply.error ?? "")")
    let survivors = [0, 1, 2].filter { $0 != dc }
    #expect(survivors.allSatisfy { hasConstraint(sim.machines[$0].core?.cib, "l3") && hasConstraint(sim.machines[$0].disk, "l3") })
    // Applied once: one configuration change since the client read the CIB.
    let epochAfter = try CIBVersion(of: try #require(sim.machines[origin].core).cib).epoch
    #expect(epochAfter == epochBefore + 1, "epoch \(epochBefore) -> \(epochAfter)")
  }

  /// A write that arrives while the membership changes waits for the next synchronized view instead of being refused.
  @Test func aWriteDuringAViewChangeWaitsAndIsApplied() throws {
    var sim = try booted()
    let request = try edit(sim, constraint: "l4")
    sim.crash(2, killAgents: true)
    sim.installView([0, 1])
    let id = sim.control(1, request)
    sim.run(forMs: 3_000)
    let reply = try #require(sim.replies[id], "no answer")
    #expect(reply.error == nil, "\(reply.error ?? "")")
    #expect(sim.machines[0...1].allSatisfy { hasConstraint($0.core?.cib, "l4") })
  }

  /// Without quorum a write waits (bounded by its deadline) and is applied once quorum is back.
  @Test func aWriteWithoutQuorumWaitsForQuorum() throws {
    var sim = try booted()
    let request = try edit(sim, constraint: "l5")
    sim.crash(1, killAgents: true)
    sim.crash(2, killAgents: true)
    sim.installView([0])
    sim.run(forMs: 1_000)
    let id = sim.control(0, request)
    sim.run(forMs: 2_000)
    #expect(sim.replies[id] == nil, "still waiting")
    sim.start(1)
    sim.installView([0, 1])
    sim.run(forMs: 3_000)
    let reply = try #require(sim.replies[id], "no answer")
    #expect(reply.error == nil, "\(reply.error ?? "")")
    #expect(sim.machines[0...1].allSatisfy { hasConstraint($0.core?.cib, "l5") })
  }
}
