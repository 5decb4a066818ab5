import CIB
import Controller
import Membership
import PolicyEngine
import Testing

/// The node core without I/O: synchronization, replication and writes, fed by hand or by `NodeSimulation`.
@Suite struct NodeCoreTests {
  static let node1 = ControllerNode(id: 1, name: "node1")
  static let nodes = [node1, ControllerNode(id: 2, name: "node2"), ControllerNode(id: 3, name: "node3")]

  func core(_ cib: CIBElement) -> NodeCore {
    NodeCore(config: NodeCoreConfig(controller: ControllerConfig(localNode: Self.node1, controllerUUID: "uuid-1"),
                                     nodes: Self.nodes, clusterName: "test", tokenMs: 400, membershipBackend: "test"),
             storedCIB: cib)
  }

  func withEpoch(_ cib: CIBElement, _ epoch: Int) -> CIBElement {
    var c = cib
    c[attribute: "epoch"] = String(epoch)
    return c
  }

  func syncBroadcasts(_ effects: [NodeEffect]) -> [String] {
    effects.compactMap { if case .broadcast(.cib(let xml, true, _, _)) = $0 { xml } else { nil } }
  }

  static let view = View(
    id: ViewID(epoch: 7, coordinator: Membership.NodeID(1), coordinatorIncarnation: 1),
    members: [Member(Membership.NodeID(1), incarnation: 1), Member(Membership.NodeID(2), incarnation: 1)])
  static let at = ControllerTime(monotonicMs: 1_000, wallSeconds: 1_700_000_000)

  func hello(_ id: UInt32, epoch: UInt64) -> NodeInput {
    .messageDelivered(.hello(node: id, adminEpoch: 0, epoch: epoch, numUpdates: 0, term: 0, shuttingDown: false, active: []),
                      sender: Membership.NodeID(id), view: Self.view.id, at: Self.at)
  }

  @Test func aViewSynchronizesToTheNewestCIBHeldByAnotherMember() throws {
    var n = core(withEpoch(try simulationCIB(), 3))
    let installed = n.handle(.viewInstalled(Self.view, at: Self.at))
    #expect(installed.contains(.broadcast(.hello(node: 1, adminEpoch: 0, epoch: 3, numUpdates: 0, term: 0, shuttingDown: false, active: []))))
    _ = n.handle(.quorumChanged(quorate: true, view: Self.view.id, at: Self.at))
    _ = n.handle(hello(1, epoch: 3))
    let afterHellos = n.handle(hello(2, epoch: 9))
    #expect(syncBroadcasts(afterHellos).isEmpty, "node2 holds the newer CIB: node1 must not send its own")
    #expect(!n.synced)

    let newer = withEpoch(try simulationCIB(constraints: "<rsc_location id=\"l1\" rsc=\"grp\" node=\"node2\" score=\"50\"/>"), 9)
    _ = n.handle(.messageDelivered(.cib(xml: CIBXML.serialize(newer), sync: true, viewEpoch: 7, term: 0),
                                   sender: Membership.NodeID(2), view: Self.view.id, at: Self.at))
    #expect(n.synced)
    #expect(n.cib.firstElement(named: "configuration")?.firstElement(named: "constraints")
      == newer.firstElement(named: "configuration")?.firstElement(named: "constraints"))
    #expect(n.controller.isDC)
  }

  /// The holder of the newest CIB of an earlier view sent it as that view ended, so it went out in this one: it
  /// carries the earlier view's epoch and must not end this view's join (node2's newer CIB must be waited for).
  @Test func aSyncSentForAnEarlierViewDoesNotEndThisViewsJoin() throws {
    var n = core(withEpoch(try simulationCIB(), 3))
    _ = n.handle(.viewInstalled(Self.view, at: Self.at))
    _ = n.handle(.quorumChanged(quorate: true, view: Self.view.id, at: Self.at))
    _ = n.handle(hello(1, epoch: 3))
    _ = n.handle(hello(2, epoch: 9))
    let stale = withEpoch(try simulationCIB(), 2)
    _ = n.handle(.messageDelivered(.cib(xml: CIBXML.serialize(stale), sync: true, viewEpoch: 6, term: 0),
                                   sender: Membership.NodeID(2), view: Self.view.id, at: Self.at))
    #expect(!n.synced, "a sync for view epoch 6 ended the join of view epoch 7")
    let newer = withEpoch(try simulationCIB(constraints: "<rsc_location id=\"l1\" rsc=\"grp\" node=\"node2\" score=\"50\"/>"), 9)
    _ = n.handle(.messageDelivered(.cib(xml: CIBXML.serialize(newer), sync: true, viewEpoch: 7, term: 0),
                                   sender: Membership.NodeID(2), view: Self.view.id, at: Self.at))
    #expect(n.synced)
    #expect(n.cib.firstElement(named: "configuration")?.firstElement(named: "constraints")
      == newer.firstElement(named: "configuration")?.firstElement(named: "constraints"))
  }

  @Test func theNewestHolderSendsItsCIB() throws {
    var n = core(withEpoch(try simulationCIB(), 12))
    _ = n.handle(.viewInstalled(Self.view, at: Self.at))
    _ = n.handle(.quorumChanged(quorate: true, view: Self.view.id, at: Self.at))
    _ = n.handle(hello(2, epoch: 9))
    let effects = n.handle(hello(1, epoch: 12))
    #expect(syncBroadcasts(effects).count == 1)
  }

  @Test func aReplaceIsRefusedWhenTheEpochMovedAndAppliedWhenNot() throws {
    var sim = NodeSimulation(nodeCount: 3, cib: try simulationCIB())
    for i in 0..<3 { sim.start(i) }
    sim.installView([0, 1, 2])
    sim.run(forMs: 3_000)
    let dc = try #require(sim.machines[0].core)
    #expect(dc.controller.isDC)
    let live = dc.cib
    let v = try CIBVersion(of: live)

    // Through node2 (not the DC): forwarded to the DC, answered back.
    // (A configuration different from the live one: one equal to it is acknowledged as it stands, see NodeWrites.)
    let other = try simulationCIB(constraints: "<rsc_location id=\"l0\" rsc=\"grp\" node=\"node2\" score=\"50\"/>")
    let stale = sim.control(1, .replaceCIB(xml: CIBXML.serialize(other), baseAdminEpoch: v.adminEpoch, baseEpoch: v.epoch - 1))
    sim.run(forMs: 100)
    let refused = try #require(sim.replies[stale])
    #expect(refused.error?.contains("the CIB changed while this command ran") == true)

    let edited = try simulationCIB(constraints: "<rsc_location id=\"l1\" rsc=\"grp\" node=\"node3\" score=\"50\"/>")
    let ok = sim.control(1, .replaceCIB(xml: CIBXML.serialize(edited), baseAdminEpoch: v.adminEpoch, baseEpoch: v.epoch))
    sim.run(forMs: 2_000)
    #expect(try #require(sim.replies[ok]).error == nil)
    for m in sim.machines {
      let constraints = m.core?.cib.firstElement(named: "configuration")?.firstElement(named: "constraints")
      #expect(constraints?.elements.first?.id == "l1", "\(m.me.name)")
    }
    #expect(sim.holders("ip") == ["node3"])
    #expect(sim.overlaps.isEmpty, "\(sim.overlaps)")
  }

  /// The same epoch reached along another history (a lost partition's unacknowledged change) is not the base the
  /// live configuration grew from: an edit of it is refused, or it would drop the live configuration's changes.
  @Test func aReplaceIsRefusedWhenItsBaseConfigurationDiffersAtTheSameEpoch() throws {
    var sim = NodeSimulation(nodeCount: 3, cib: try simulationCIB())
    for i in 0..<3 { sim.start(i) }
    sim.installView([0, 1, 2])
    sim.run(forMs: 3_000)
    let live = try #require(sim.machines[0].core).cib
    let v = try CIBVersion(of: live)
    // What a client read and edited: the live CIB as getCIB serves it, parsed back (its digest is the live one's).
    let read = try CIBXML.parse(CIBXML.serialize(live))
    #expect(ConfigurationDigest.of(read) == ConfigurationDigest.of(live))

    let otherBase = try simulationCIB(constraints: "<rsc_location id=\"l0\" rsc=\"grp\" node=\"node2\" score=\"50\"/>")
    let edited = try simulationCIB(constraints: "<rsc_location id=\"l1\" rsc=\"grp\" node=\"node3\" score=\"50\"/>")
    let stale = sim.control(1, .replaceCIB(xml: CIBXML.serialize(edited), baseAdminEpoch: v.adminEpoch, baseEpoch: v.epoch,
                                           baseDigest: ConfigurationDigest.of(otherBase)))
    sim.run(forMs: 200)
    #expect(try #require(sim.replies[stale]).error?.contains("the CIB changed while this command ran") == true)

    let ok = sim.control(1, .replaceCIB(xml: CIBXML.serialize(edited), baseAdminEpoch: v.adminEpoch, baseEpoch: v.epoch,
                                        baseDigest: ConfigurationDigest.of(read)))
    sim.run(forMs: 2_000)
    #expect(try #require(sim.replies[ok]).error == nil)
  }
}
