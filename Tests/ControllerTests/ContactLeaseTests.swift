import CIB
import LRM
import Controller
import Membership
import PolicyEngine
import Testing

/// The lease under the membership's proof of contact (native membership): a node in a view it believes quorate
/// holds its lease only while a quorum of that view proved, recently, that it counts it in.
@Suite struct ContactLeaseTests {
  let timing = WatchdogTiming(timeoutS: 1, tokenMs: 400, quorumContactBoundMs: 350)

  func turn(_ w: inout WatchdogCore, contactMs: Int64?, active: Bool = true, at: Int64) -> [WatchdogCore.Effect] {
    w.handle(.loopTurned(LeaseFacts(quorate: true, resourcesActive: active, quorumContactMs: contactMs), atMs: at))
  }

  /// Quorate all along (a stale view), but no quorum echoed anything for longer than the bound: no more keepalives;
  /// fresh contact again resumes them.
  @Test func feedsOnlyWhileAQuorumProvedContactWithinTheBound() {
    var w = WatchdogCore(timing: timing, freezeGapMs: 800)
    #expect(turn(&w, contactMs: 0, at: 0) == [.feedWatchdog])
    #expect(turn(&w, contactMs: 0, at: 340) == [.feedWatchdog])
    let lapse = turn(&w, contactMs: 0, at: 360)
    #expect(lapse == [.stopFeeding(reason: "no quorum of the view proved contact recently, with resources running on this node")])
    #expect(turn(&w, contactMs: 0, at: 500) == [])
    #expect(turn(&w, contactMs: 480, at: 520) == [.resumeFeeding, .feedWatchdog])
    #expect(turn(&w, contactMs: nil, at: 640) != [.feedWatchdog], "no proof in this view: no keepalive")
    #expect(turn(&w, contactMs: nil, active: false, at: 660) == [.resumeFeeding, .feedWatchdog], "nothing runs here")
  }

  /// The survivors' wait with proofs of contact: C + W + reset + margin.
  @Test func theSurvivorsWaitIsTheContactBoundPlusTheWatchdog() {
    #expect(LeaseTiming.quorumContactBound(forToken: 400) == 350)
    #expect(timing.lastFeedAfterHeardMs == 350)
    #expect(timing.survivorWaitMs == 350 + 1_000 + 100 + 50)
    #expect(WatchdogTiming(timeoutS: 1, tokenMs: 400).survivorWaitMs == 1_750, "corosync: the quorate view alone")
  }

  static let nodes = [1, 2, 3].map { ControllerNode(id: UInt32($0), name: "node\($0)") }

  func at(_ ms: Int64) -> ControllerTime { ControllerTime(monotonicMs: ms, wallSeconds: 1_700_000_000 + ms / 1000) }

  /// A node running ip in a quorate view stops hearing echoes (its peers moved on without it): once the proof is
  /// older than the bound, the lease lapses; the controller hears quorum lost and stops ip here, at once. Echoes
  /// again end the lapse.
  @Test func aLapsedLeaseStopsWhatRunsHere() throws {
    var config = NodeCoreConfig(controller: ControllerConfig(localNode: Self.nodes[1], controllerUUID: "uuid-2"),
                                nodes: Self.nodes, clusterName: "test", tokenMs: 400, membershipBackend: "test")
    config.quorumContactBoundMs = 350
    var n = NodeCore(config: config, storedCIB: try simulationCIB())
    let v = View(id: ViewID(epoch: 4, coordinator: Membership.NodeID(1), coordinatorIncarnation: 1),
                 members: [1, 2].map { Member(Membership.NodeID($0), incarnation: 1) })
    var pending = n.handle(.viewInstalled(v, at: at(1_000)))
    pending += n.handle(.quorumChanged(quorate: true, view: v.id, at: at(1_000)))
    pending += n.handle(.membershipContact(MembershipContact(quorumSinceMs: 1_000, peerHeardMs: [1: 1_000]), at: at(1_000)))
    let hello1 = ClusterMessage.hello(node: 1, adminEpoch: 0, epoch: 0, numUpdates: 0, term: 0, shuttingDown: false, active: [])
    pending += n.handle(.messageDelivered(hello1, sender: Membership.NodeID(1), view: v.id, at: at(1_000)))
    while !pending.isEmpty {
      if case .broadcast(let m) = pending.removeFirst() {
        pending += n.handle(.messageDelivered(m, sender: Membership.NodeID(2), view: v.id, at: at(1_000)))
      }
    }
    #expect(n.synced)
    // node1 (the DC) had ip started here.
    let start = WireRequest(ActionRequest(
      node: Self.nodes[1], resource: "ip", agentClass: "ocf", agentProvider: "heartbeat", agentType: "Dummy",
      task: "start", intervalMs: 0, parameters: [:], timeoutMs: 20_000,
      transitionKey: TransitionKey(actionID: 1, transitionID: 1, targetRC: 0, uuid: "uuid-1")))
    let run = n.handle(.messageDelivered(.execute(start), sender: Membership.NodeID(1), view: v.id, at: at(1_100)))
    let call = try #require(run.compactMap { if case .runLocally(let c) = $0 { c } else { nil } }.first)
    _ = n.handle(.operationReported(OperationReport(key: OperationKey(call), call: call,
                                                    result: OperationResult(status: .done, code: .ocf(.success), ocf: .success)),
                                    at: at(1_120)))
    #expect(n.localActive.map(\.resource) == ["ip"])
    #expect(n.leaseFacts.quorate && n.leaseFacts.leaseHeld(atMs: 1_200, contactBoundMs: 350))
    _ = n.handle(.membershipContact(MembershipContact(quorumSinceMs: 1_200, peerHeardMs: [1: 1_200]), at: at(1_200)))
    // The watchdog is no longer fed 350 ms after the last proof; the resources stop 600 ms after it (lease 800 ms
    // minus the stop budget and margin).
    #expect(!n.leaseFacts.leaseHeld(atMs: 1_560, contactBoundMs: 350))
    #expect(n.handle(.tick(at: at(1_780))).allSatisfy { if case .runLocally = $0 { false } else { true } })
    let lapsed = n.handle(.tick(at: at(1_820)))
    #expect(lapsed.contains { if case .runLocally(let c) = $0 { c.resource == "ip" && c.action == .stop } else { false } },
            "\(lapsed)")
    #expect(!n.leaseFacts.quorate)
    #expect(n.controller.localLease != nil)
    _ = n.handle(.membershipContact(MembershipContact(quorumSinceMs: 1_850, peerHeardMs: [1: 1_850]), at: at(1_860)))
    #expect(n.leaseFacts.quorate)
    #expect(n.controller.quorate)
  }
}
