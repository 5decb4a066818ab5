import Testing

@testable import Membership

let threeNodes = [
  NodeEntry(nodeID: NodeID(1), name: "server1", ring0Addr: "192.0.2.1"),
  NodeEntry(nodeID: NodeID(2), name: "server2", ring0Addr: "192.0.2.2"),
  NodeEntry(nodeID: NodeID(3), ring0Addr: "192.0.2.3"),
]

@Test func quorumtoolLayoutForAQuorateNode() {
  let s = QuorumStatus(
    ringID: ViewID(epoch: 0xc5, coordinator: NodeID(1), coordinatorIncarnation: 9), localNode: NodeID(1), quorate: true,
    expectedVotes: 3, highestExpected: 3, totalVotes: 3, quorum: 2,
    members: [.init(nodeID: NodeID(1), votes: 1), .init(nodeID: NodeID(2), votes: 1), .init(nodeID: NodeID(3), votes: 1)],
    twoNode: false, waitForAll: false, lastManStanding: false, autoTieBreaker: false)
  let text = QuorumStatusText.quorumtool(s, nodes: threeNodes, date: "Sat Nov 21 22:00:00 2026")
  #expect(
    text == """
      Quorum information
      ------------------
      Date:             Sat Nov 21 22:00:00 2026
      Quorum provider:  corosync_votequorum
      Nodes:            3
      Node ID:          1
      Ring ID:          1.c5
      Quorate:          Yes

      Votequorum information
      ----------------------
      Expected votes:   3
      Highest expected: 3
      Total votes:      3
      Quorum:           2  
      Flags:            Quorate 

      Membership information
      ----------------------
          Nodeid      Votes Name
               1          1 server1 (local)
               2          1 server2
               3          1 192.0.2.3

      """)
}

@Test func isolatedNodeShowsActivityBlocked() {
  let config = try! VotequorumConfig(nodes: threeNodes, options: QuorumOptions(twoNode: false, waitForAll: true))
  var vq = Votequorum(config: config, me: NodeID(3))
  vq.viewInstalled(
    ringID: ViewID(epoch: 0xc9, coordinator: NodeID(3), coordinatorIncarnation: 1), members: [NodeID(3)],
    infos: [vq.nodeInfo], now: .zero)
  let text = QuorumStatusText.quorumtool(vq.status(), nodes: threeNodes, date: "Thu Jan  1 00:00:00 1970")
  #expect(text.contains("Quorate:          No\n"))
  #expect(text.contains("Quorum:           2 Activity blocked\n"))
  #expect(text.contains("Flags:            WaitForAll \n"))
  #expect(text.contains("Ring ID:          3.c9\n"))
  #expect(text.hasSuffix("         3          1 192.0.2.3 (local)\n"))
  #expect(QuorumStatusText.membership(vq.status(), nodes: threeNodes) == """
    Membership information
    ----------------------
        Nodeid      Votes Name
             3          1 192.0.2.3 (local)

    """)
}

@Test func ctimeDates() {
  #expect(QuorumStatusText.ctimeDate(epochSeconds: 0) == "Thu Jan  1 00:00:00 1970")
  #expect(QuorumStatusText.ctimeDate(epochSeconds: 1_795_297_137) == "Sat Nov 21 21:38:57 2026")
}
