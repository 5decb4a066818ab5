import Testing

@testable import Membership

// Regression for simulator seed 9867 (7 nodes, up to 20 % loss): in the heal phase a member acknowledged the
// coordinator's proposal, then lost the install twice while its own heartbeats to the coordinator were lost too. The
// coordinator resent an install only when that member's heartbeat arrived, so the member stayed frozen in the old
// view (no ordered traffic, not converged) for several heartbeat intervals. The coordinator now pushes the install
// again every `joinRetransmit` until the member shows it installed the view.

private func isInstall(_ p: Packet) -> Bool {
  if case .install = p.message { return true }
  return false
}

private func isHeartbeat(_ p: Packet) -> Bool {
  if case .heartbeat = p.message { return true }
  return false
}

@Test func lostInstallIsRetransmittedWithoutWaitingForTheMembersHeartbeat() {
  var h = Harness(4)
  h.run(for: .seconds(1))
  let before = h.views[NodeID(1)]!
  #expect(before.nodeIDs == h.ids)
  // The schedule of seed 9867, reduced: a view change starts (here: node 3 restarts as a new incarnation), the
  // coordinator's first two installs to node 4 are lost, and node 4's heartbeats to the coordinator are lost for
  // 300 ms (less than the 400 ms failure timeout, so node 4 stays a member).
  let n1 = NodeID(1)
  let n4 = NodeID(4)
  var installsDropped = 0
  h.drop = { from, to, p in
    if from == n1 && to == n4 && isInstall(p) && installsDropped < 2 {
      installsDropped += 1
      return true
    }
    return from == n4 && to == n1 && isHeartbeat(p)
  }
  h.start(NodeID(3), incarnation: 2)
  var coordinatorInstalled: Duration?
  for _ in 0..<30 {  // 300 ms of simulated time, during which node 4's heartbeats never reach node 1
    h.run(for: .milliseconds(10))
    if coordinatorInstalled == nil, let v = h.views[n1], v.id != before.id { coordinatorInstalled = h.now }
  }
  let after = h.views[n1]!
  #expect(after.id != before.id, "the coordinator installed a new view")
  #expect(after.members.contains(Member(NodeID(3), incarnation: 2)))
  #expect(installsDropped == 2, "the scripted losses happened")
  #expect(h.dropped.contains { $0.from == n4 && isHeartbeat($0.packet) }, "node 4's heartbeats were lost meanwhile")
  #expect(h.views[n4] == after, "node 4 installed the coordinator's view from a retransmitted install")
  #expect(h.cores[n4]!.frozen == false, "and is no longer frozen")
  // Then the loss ends and nothing else changes: everyone stays in that view.
  h.drop = nil
  h.run(for: .seconds(1))
  for id in h.ids { #expect(h.views[id] == after) }
}
