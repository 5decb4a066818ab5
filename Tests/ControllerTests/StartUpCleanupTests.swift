import CIB
import Controller
import LRM
import Membership
import PolicyEngine
import Testing

/// What a starting clusterd stops before it joins (`StartUpCleanup`): what this boot's record and the stored status
/// say may run here, not every configured primitive.
@Suite struct StartUpCleanupTests {
  static let node1 = ControllerNode(id: 1, name: "node1")
  static let at = ControllerTime(monotonicMs: 1_000, wallSeconds: 1_700_000_000)

  @Test func theRecordAndTheStatusChooseTheStops() {
    let configured = ["a", "b", "c", "d"]
    // Booted since (no record): only what the status shows here, then what it shows that is no longer configured.
    #expect(StartUpCleanup.stops(configured: configured, activeHere: ["x", "b"], mayRunHere: []) == ["b", "x"])
    // A record: its configured entries (newest configured first) with the status's.
    #expect(StartUpCleanup.stops(configured: configured, activeHere: ["b"], mayRunHere: ["a", "c", "gone"])
              == ["c", "b", "a"])
    // No readable record: every configured primitive, as before the record existed.
    #expect(StartUpCleanup.stops(configured: configured, activeHere: [], mayRunHere: nil) == ["d", "c", "b", "a"])
    #expect(StartUpCleanup.stops(configured: [], activeHere: [], mayRunHere: nil) == [])
  }

  /// 300 configured primitives, none run by this boot: a start-up stops nothing and the node may join (and feed its
  /// watchdog) at once; with a record of two, it stops exactly those two and rewrites the record once they stopped.
  @Test func aStartUpWithManyConfiguredPrimitivesStopsOnlyWhatMayRun() throws {
    let cib = try manyPrimitivesCIB(300)
    var fresh = node(cib)
    let booted = fresh.handle(.started(at: Self.at, mayRunHere: []))
    #expect(localStops(booted).isEmpty)
    #expect(fresh.phase == .idle)
    #expect(!fresh.leaseFacts.resourcesActive)

    var restarted = node(cib)
    let effects = restarted.handle(.started(at: Self.at, mayRunHere: ["D7", "D250"]))
    #expect(localStops(effects) == ["D250", "D7"])
    #expect(restarted.leaseFacts.resourcesActive, "stops in flight: the node must not feed its watchdog out of a view")
    for (i, call) in effects.compactMap({ if case .runLocally(let c) = $0 { c } else { nil } }).enumerated() {
      let report = OperationReport(key: OperationKey(call), call: call,
                                   result: OperationResult(status: .done, code: .ocf(.success), ocf: .success))
      let done = restarted.handle(.operationReported(report, at: Self.at))
      #expect(done.contains(.rewriteMayRun([])) == (i == 1), "the record is rewritten once, after the last stop")
    }
    #expect(restarted.phase == .idle)
    #expect(!restarted.leaseFacts.resourcesActive)

    var unknown = node(cib)
    #expect(localStops(unknown.handle(.started(at: Self.at, mayRunHere: nil))).count == 300)
  }

  /// A start is recorded before it is handed to the LRM (a restart must know to stop it), once per resource.
  @Test func aStartIsRecordedBeforeItRuns() throws {
    var n = node(try manyPrimitivesCIB(3))
    _ = n.handle(.started(at: Self.at, mayRunHere: []))
    let view = ViewID(epoch: 7, coordinator: Membership.NodeID(1), coordinatorIncarnation: 1)
    _ = n.handle(.viewInstalled(View(id: view, members: [Member(Membership.NodeID(1), incarnation: 1),
                                                         Member(Membership.NodeID(2), incarnation: 1)]), at: Self.at))
    _ = n.handle(.quorumChanged(quorate: true, view: view, at: Self.at))
    for id in [1, 2] as [UInt32] {
      _ = n.handle(.messageDelivered(.hello(node: id, adminEpoch: 0, epoch: 0, numUpdates: 0, term: 0,
                                            shuttingDown: false, active: []),
                                     sender: Membership.NodeID(id), view: view, at: Self.at))
    }
    _ = n.handle(.messageDelivered(.cib(xml: CIBXML.serialize(n.cib), sync: true, viewEpoch: 7, term: 0),
                                   sender: Membership.NodeID(1), view: view, at: Self.at))
    func start(_ actionID: Int) -> [NodeEffect] {
      let r = ActionRequest(node: Self.node1, resource: "D2", agentClass: "ocf", agentProvider: "heartbeat",
                            agentType: "Dummy", task: "start", intervalMs: 0, parameters: [:], timeoutMs: 20_000,
                            transitionKey: TransitionKey(actionID: actionID, transitionID: 4, targetRC: 0, uuid: "u"))
      return n.handle(.messageDelivered(.execute(WireRequest(r)), sender: Membership.NodeID(1), view: view, at: Self.at))
    }
    let first = start(1)
    let recorded = try #require(first.firstIndex(of: .recordMayRun("D2")))
    let run = try #require(first.firstIndex { if case .runLocally = $0 { true } else { false } })
    #expect(recorded < run)
    #expect(!start(2).contains(.recordMayRun("D2")))
  }

  /// A restarted node still stopping its leftovers whose view's contact lapses and returns: its controller must not
  /// hear quorum (and act as DC on its unsynchronized CIB) before the join completes.
  @Test func contactRegainedDuringTheStartUpStopsDoesNotMakeADC() throws {
    var config = NodeCoreConfig(controller: ControllerConfig(localNode: Self.node1, controllerUUID: "uuid-1"),
                                nodes: [Self.node1, ControllerNode(id: 2, name: "node2")], clusterName: "test",
                                tokenMs: 400, membershipBackend: "test")
    config.quorumContactBoundMs = 350
    var n = NodeCore(config: config, storedCIB: try manyPrimitivesCIB(3))
    func at(_ ms: Int64) -> ControllerTime { ControllerTime(monotonicMs: ms, wallSeconds: 1_700_000_000) }
    #expect(localStops(n.handle(.started(at: at(0), mayRunHere: ["D1"]))) == ["D1"])
    let view = ViewID(epoch: 3, coordinator: Membership.NodeID(1), coordinatorIncarnation: 1)
    _ = n.handle(.viewInstalled(View(id: view, members: [Member(Membership.NodeID(1), incarnation: 1),
                                                         Member(Membership.NodeID(2), incarnation: 1)]), at: at(10)))
    _ = n.handle(.quorumChanged(quorate: true, view: view, at: at(10)))
    _ = n.handle(.membershipContact(MembershipContact(quorumSinceMs: nil, peerHeardMs: [:]), at: at(700)))
    #expect(!n.controller.quorate, "contact lapsed")
    let regained = n.handle(.membershipContact(MembershipContact(quorumSinceMs: 750, peerHeardMs: [2: 750]), at: at(800)))
    #expect(!n.controller.quorate, "the controller heard quorum before the join")
    #expect(!regained.contains { if case .broadcast(.execute) = $0 { true } else { false } }, "\(regained)")
    #expect(!n.synced)
  }

  func node(_ cib: CIBElement) -> NodeCore {
    NodeCore(config: NodeCoreConfig(controller: ControllerConfig(localNode: Self.node1, controllerUUID: "uuid-1"),
                                    nodes: [Self.node1, ControllerNode(id: 2, name: "node2")], clusterName: "test",
                                    tokenMs: 400, membershipBackend: "test"),
             storedCIB: cib)
  }

  func manyPrimitivesCIB(_ count: Int) throws -> CIBElement {
    try threeNodeCIB(resources: (1...count).map {
      "<primitive id=\"D\($0)\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>"
    }.joined())
  }

  func localStops(_ effects: [NodeEffect]) -> [String] {
    effects.compactMap { if case .runLocally(let c) = $0, c.action == .stop { c.resource } else { nil } }
  }
}
