import CIB
import Controller
import Membership
import PolicyEngine
import Testing

/// The survivors' wait covers every node that any member of the new view heard recently, not only the nodes of
/// the DC's own previous view: a DC that comes from a view without quorum (or just restarted) never had the lost
/// node in its view, yet that node may still run what it ran.
@Suite struct SurvivorWaitTests {
  /// node1 is alone without quorum while node2 and node3 run the cluster (the group on node3). Then node3 is cut
  /// off and node1 and node2 merge: node1 is DC, and its previous view ([node1]) never contained node3. node2 last
  /// heard node3 at the cut; the group may start only a lease after that.
  @Test func aNodeLostFromAnotherMembersViewHoldsItsResourcesForTheLease() throws {
    var sim = try bootedCluster(constraints: """
      <rsc_location id="pref" rsc="grp" node="node3" score="100"/>
      """)
    #expect(sim.where_("ip") == ["node3"])
    sim.setComponents([[0], [1, 2]], at: 10_000, detectionMs: [400], lastHeardMs: 10_000)
    sim.run(untilMs: 15_000)
    #expect(sim.where_("ip") == ["node3"])
    let cut: Int64 = 20_000
    sim.setComponents([[0, 1], [2]], at: cut, detectionMs: [400], lastHeardMs: cut)
    sim.run()
    #expect(sim.dcIndex == 0)
    let lease = LeaseTiming().leaseMs
    let restart = try #require(sim.startsIssued.last { $0.resource == "ip" })
    #expect(restart.node != "node3")
    #expect(restart.at >= cut + lease, "ip started \(restart.at - cut) ms after node3 was last heard, before the lease ran out")
  }

  /// The same DC, told that node3 was last heard long ago (more than the wait): nothing to hold.
  @Test func aNodeHeardLongAgoHoldsNothing() throws {
    var sim = try bootedCluster(constraints: """
      <rsc_location id="pref" rsc="grp" node="node3" score="100"/>
      """)
    sim.setComponents([[0], [1, 2]], at: 10_000, detectionMs: [400], lastHeardMs: 10_000)
    sim.run(untilMs: 15_000)
    let cut: Int64 = 20_000
    sim.kill(2, at: cut)
    sim.setComponents([[0, 1], [2]], at: cut, detectionMs: [400], lastHeardMs: cut - 5_000)
    sim.run()
    let restart = try #require(sim.startsIssued.last { $0.resource == "ip" })
    #expect(restart.node != "node3")
    #expect(restart.at < cut + LeaseTiming().leaseMs, "ip waited for a lease that ran out long ago (\(restart.at - cut) ms)")
  }

  /// A node's start-up stops (of what an earlier life may have left running) are broadcast before it is in any view
  /// with a DC, so no DC records them. The first view forgets and probes the node's history anyway; kept as
  /// "unrecorded", they were written by this node when it became DC much later, over the start that followed: the
  /// new DC believed ip stopped where it ran and started it again.
  @Test func startUpStopsAreNotRecordedOverLaterHistory() throws {
    var sim = ClusterSimulation(nodeCount: 3, cib: try simulationCIB(constraints: """
      <rsc_location id="pref" rsc="grp" node="node2" score="100"/>
      <rsc_location id="not-dc" rsc="grp" node="node1" score="-INFINITY"/>
      """))
    for rsc in ["web", "ip"] {
      sim.deliver(1, .operationCompleted(OperationCompletion(
        node: "node2", resource: rsc, task: "stop", rc: 0,
        transitionKey: TransitionKey(actionID: 0, transitionID: -1, targetRC: 0, uuid: "uuid-node2-0")), at: sim.time(0)))
    }
    sim.setComponents([[0, 1, 2]], at: 0, detectionMs: [10])
    sim.run()
    #expect(sim.where_("ip") == ["node2"])
    #expect(sim.nodes[1].core.unrecorded.isEmpty, "\(sim.nodes[1].core.unrecorded)")
    let cut: Int64 = 10_000
    sim.kill(0, at: cut)
    sim.setComponents([[1, 2]], at: cut, detectionMs: [400], lastHeardMs: cut)
    sim.run()
    #expect(sim.dcIndex == 1)
    #expect(sim.where_("ip") == ["node2"])
    let starts = sim.startsIssued.filter { $0.resource == "ip" }
    #expect(starts.count == 1, "ip was started again: \(starts)")
  }

  static let nodes = [1, 2, 3].map { ControllerNode(id: UInt32($0), name: "node\($0)") }

  func nodeCore(cib: CIBElement) -> NodeCore {
    NodeCore(config: NodeCoreConfig(controller: ControllerConfig(localNode: Self.nodes[0], controllerUUID: "uuid-1"),
                                    nodes: Self.nodes, clusterName: "test", tokenMs: 400, membershipBackend: "test"),
             storedCIB: cib)
  }

  func view(_ epoch: UInt64, _ ids: [UInt32]) -> View {
    View(id: ViewID(epoch: epoch, coordinator: Membership.NodeID(1), coordinatorIncarnation: 1),
         members: ids.map { Member(Membership.NodeID($0), incarnation: 1) })
  }

  func at(_ ms: Int64) -> ControllerTime { ControllerTime(monotonicMs: ms, wallSeconds: 1_700_000_000 + ms / 1000) }

  /// The join carries the wait: node1 never had node3 in a view, node2's hello says it heard node3 150 ms before
  /// sending it; node1, DC of the joined view, holds node3's resources until then + the lease.
  @Test func aMembersHelloStartsTheLeaseOfANodeItLastHeard() throws {
    var n = nodeCore(cib: try simulationCIB())
    let v = view(4, [1, 2])
    let sent = n.handle(.viewInstalled(v, at: at(1_000)))
    #expect(sent.contains { if case .broadcast(.hello(1, _, _, _, _, _, _, [])) = $0 { true } else { false } })
    _ = n.handle(.quorumChanged(quorate: true, view: v.id, at: at(1_000)))
    let hello2 = ClusterMessage.hello(node: 2, adminEpoch: 0, epoch: 0, numUpdates: 0, term: 0, shuttingDown: false,
                                      active: [], heard: [HeardAge(node: 3, ageMs: 150)])
    // node1's own broadcasts (its hello, then its CIB: it holds the newest) come back in order.
    var pending = sent + n.handle(.messageDelivered(hello2, sender: Membership.NodeID(2), view: v.id, at: at(1_010)))
    while !pending.isEmpty {
      let e = pending.removeFirst()
      if case .broadcast(let m) = e {
        pending += n.handle(.messageDelivered(m, sender: Membership.NodeID(1), view: v.id, at: at(1_010)))
      }
    }
    #expect(n.synced)
    #expect(n.controller.isDC)
    let lease = try #require(n.controller.leases["node3"])
    #expect(lease.untilMs == 1_010 - 150 + LeaseTiming().leaseMs)
  }

  /// A member's hello says how long ago it last heard each node it had in a view: the view change that dropped it
  /// minus the token timeout (the membership's silence bound), as an age.
  @Test func aHelloCarriesTheAgeOfWhatItLastHeard() throws {
    var n = nodeCore(cib: try simulationCIB())
    _ = n.handle(.viewInstalled(view(4, [1, 2, 3]), at: at(1_000)))
    let sent = n.handle(.viewInstalled(view(5, [1, 2]), at: at(2_000)))
    let heard = sent.compactMap { e -> [HeardAge]? in
      if case .broadcast(.hello(_, _, _, _, _, _, _, let h)) = e { h } else { nil }
    }
    #expect(heard == [[HeardAge(node: 3, ageMs: 400)]])
  }
}
