import Testing

@testable import Membership

// Regression for cluster-sim seed 90: the coordinator tells members a message is stable (received by every member,
// so it may be delivered) in one packet when the stable point advances. A member that lost that packet had the
// messages and could not deliver them until some later message was ordered: after a view change with nothing else
// to send (the hellos of the join were the last messages), node 2 stayed at delivered=11 of received=14 and the
// join never completed. A member waiting for stability now asks the coordinator again.

private func isStableOnly(_ p: Packet) -> Bool {
  if case .ordered(let o) = p.message { return o.entries.isEmpty }
  return false
}

@Test func aMemberThatLostTheStableAnnouncementStillDelivers() {
  var h = Harness(3)
  h.run(for: .seconds(1))
  #expect(h.views[NodeID(1)]?.nodeIDs == h.ids)
  let n1 = NodeID(1)
  let n2 = NodeID(2)
  var stableDropped = 0
  h.drop = { from, to, p in
    guard from == n1 && to == n2 && isStableOnly(p) && stableDropped == 0 else { return false }
    stableDropped += 1
    return true
  }
  h.feed(NodeID(3), .broadcastRequested(payload: Array("last".utf8), now: h.now))
  h.drain()
  #expect(stableDropped == 1, "the scripted loss happened")
  #expect(h.cores[n2]!.received == 1, "node 2 has the message")
  h.run(for: .milliseconds(200))
  for id in h.ids {
    #expect(h.deliveries[id, default: []].map(\.payload) == [Array("last".utf8)], "node \(id) delivered it")
  }
}
