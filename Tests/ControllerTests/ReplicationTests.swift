import CIB
import Controller
import ControlProtocol
import Membership
import PolicyEngine
import Testing

/// Writes: acknowledged only once durable on a quorum; a view change in flight gives an error, never a lie.
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
  func aWriteInFlightDuringAViewChangeIsAppliedEverywhereOrRefused(afterMs: Int64) throws {
    var sim = try booted()
    let id = sim.control(1, try edit(sim, constraint: "l2"))
    sim.run(forMs: afterMs)
    sim.crash(2, killAgents: true)
    sim.installView([0, 1])
    sim.run(forMs: 3_000)
    let reply = try #require(sim.replies[id], "no answer")
    let present = sim.machines[0...1].map { hasConstraint($0.core?.cib, "l2") }
    if reply.error == nil {
      #expect(present == [true, true], "acknowledged but missing: \(present)")
    } else {
      #expect(reply.error?.contains("membership changed") == true || reply.error?.contains("no quorum") == true,
              "\(reply.error ?? "")")
    }
    // Either way the live nodes agree.
    #expect(present[0] == present[1])
  }
}
