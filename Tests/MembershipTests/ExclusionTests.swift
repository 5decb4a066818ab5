import Testing

@testable import Membership

// A node that still hears a peer both ways does not agree to a view without it (`MembershipCore.mayExclude`).
// Before: a restarting node that heard one peer first proposed a view of the two, the peer accepted it and left a
// live node (which kept its old view and ran its resources) out of the cluster's view until the merge; a one-way
// cut let the two sides of the cut take turns excluding each other.

@Test func aRestartingNodeDoesNotFormAViewWithoutAPeerTheOthersStillHear() {
  var h = Harness(3)
  h.run(for: .seconds(1))
  let n1 = NodeID(1)
  let n2 = NodeID(2)
  let n3 = NodeID(3)
  #expect(h.views[n3]?.nodeIDs == h.ids)
  // node 2 restarts and hears node 3 first: node 1's packets to it are lost for 300 ms.
  h.drop = { from, to, _ in from == n1 && to == n2 }
  h.start(n2, incarnation: 2)
  let installsBefore = h.installs[n3]?.count ?? 0
  h.run(for: .milliseconds(300))
  h.drop = nil
  h.run(for: .seconds(2))
  let later = (h.installs[n3] ?? []).dropFirst(installsBefore)
  #expect(!later.isEmpty, "node 3 installed a view with the restarted node 2")
  for (at, v) in later { #expect(v.nodeIDs.contains(n1), "node 3 installed \(v) without node 1 at \(at)") }
  for id in h.ids { #expect(h.views[id]?.members.contains(Member(n2, incarnation: 2)) == true) }
  #expect(Set(h.ids.map { h.views[$0]!.id }).count == 1, "one view everywhere")
}

@Test func aOneWayCutSettlesOnOneViewWithoutTheHigherSide() {
  var h = Harness(4)
  h.run(for: .seconds(1))
  let n1 = NodeID(1)
  let n4 = NodeID(4)
  // node 1's packets no longer reach node 4; node 4's still reach node 1.
  h.drop = { from, to, _ in from == n1 && to == n4 }
  h.run(for: .seconds(3))
  let settled = h.views[n1]!
  #expect(settled.nodeIDs == [NodeID(1), NodeID(2), NodeID(3)], "the view keeps node 1 and leaves node 4 out")
  let counts = h.ids.map { h.installs[$0]?.count ?? 0 }
  h.run(for: .seconds(5))
  #expect(h.ids.map { h.installs[$0]?.count ?? 0 }.prefix(3) == counts.prefix(3), "no more view changes for 1, 2, 3")
  for id in [NodeID(1), NodeID(2), NodeID(3)] { #expect(h.views[id] == settled) }
  // Left out, node 4 keeps no proof that a quorum counts it in (the lease it would need).
  let contact = h.cores[n4]!.quorumContactSince
  #expect(contact == nil || contact! < h.now - .seconds(4), "node 4's contact: \(String(describing: contact))")
  h.drop = nil
  h.run(for: .seconds(2))
  for id in h.ids { #expect(h.views[id]?.nodeIDs == h.ids, "the cut healed: one view of all four") }
}
