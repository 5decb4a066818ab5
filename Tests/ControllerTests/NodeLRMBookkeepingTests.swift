import CIB
import Controller
import LRM
import Membership
import PolicyEngine
import Testing

/// The node core's LRM bookkeeping: which LRM reports become results broadcast to the controllers.
@Suite struct NodeLRMBookkeepingTests {
  static let node1 = ControllerNode(id: 1, name: "node1")
  static let at = ControllerTime(monotonicMs: 1_000, wallSeconds: 1_700_000_000)
  static let view = ViewID(epoch: 7, coordinator: Membership.NodeID(2), coordinatorIncarnation: 1)

  func request(_ task: String, intervalMs: Int = 0, actionID: Int) -> ActionRequest {
    ActionRequest(node: Self.node1, resource: "web", agentClass: "ocf", agentProvider: "heartbeat", agentType: "Dummy",
                  task: task, intervalMs: intervalMs, parameters: [:], timeoutMs: 20_000,
                  transitionKey: TransitionKey(actionID: actionID, transitionID: 4, targetRC: 0, uuid: "uuid-dc"))
  }

  /// Brings the core into a synchronized view of node1 and node2 where it (node1, lowest id) is the DC: only the
  /// DC's execute requests run.
  func joinAsDC(_ n: inout NodeCore) {
    let view = View(id: Self.view, members: [Member(Membership.NodeID(1), incarnation: 1), Member(Membership.NodeID(2), incarnation: 1)])
    _ = n.handle(.viewInstalled(view, at: Self.at))
    _ = n.handle(.quorumChanged(quorate: true, view: Self.view, at: Self.at))
    for id in [1, 2] as [UInt32] {
      _ = n.handle(.messageDelivered(.hello(node: id, adminEpoch: 0, epoch: 0, numUpdates: 0, term: 0, shuttingDown: false,
                                            active: []), sender: Membership.NodeID(id), view: Self.view, at: Self.at))
    }
    _ = n.handle(.messageDelivered(.cib(xml: CIBXML.serialize(n.cib), sync: true, viewEpoch: 7, term: 0),
                                   sender: Membership.NodeID(1), view: Self.view, at: Self.at))
  }

  func execute(_ n: inout NodeCore, _ r: ActionRequest) -> AgentCall? {
    let effects = n.handle(.messageDelivered(.execute(WireRequest(r)), sender: Membership.NodeID(1), view: Self.view,
                                             at: Self.at))
    return effects.compactMap { if case .runLocally(let call) = $0 { call } else { nil } }.first
  }

  /// The LRM ends a resource's recurring operations before its stop; a monitor result it reported just before
  /// (and that reaches this node's loop after the stop was handed over) is not broadcast as the resource's state.
  @Test func aMonitorReportAfterTheLocalStopIsNotBroadcast() throws {
    var n = NodeCore(
      config: NodeCoreConfig(controller: ControllerConfig(localNode: Self.node1, controllerUUID: "uuid-1"),
                             nodes: [Self.node1, ControllerNode(id: 2, name: "node2")], clusterName: "test",
                             tokenMs: 400, membershipBackend: "test"),
      storedCIB: try simulationCIB())
    joinAsDC(&n)
    let monitor = try #require(execute(&n, request("monitor", intervalMs: 10_000, actionID: 3)))
    _ = try #require(execute(&n, request("stop", actionID: 5)))
    let late = OperationReport(key: OperationKey(monitor), call: monitor,
                               result: OperationResult(status: .done, code: .ocf(.notRunning), ocf: .notRunning))
    let effects = n.handle(.operationReported(late, at: Self.at))
    let results = effects.compactMap { if case .broadcast(.result(let c)) = $0 { c } else { nil } }
    #expect(results.isEmpty, "\(results)")
  }
}
