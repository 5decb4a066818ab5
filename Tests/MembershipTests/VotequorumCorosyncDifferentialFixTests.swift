import Testing

@testable import Membership

/// Found by the differential against real corosync 3.1.7 (Tests/CorosyncTests/VotequorumDifferentialTests.swift):
/// corosync's lowest/highest node id are unset until the node has once been quorate, so in a 4-node
/// auto_tie_breaker cluster the first two nodes to start (2 of 4 votes, an exact half) are NOT quorate.
@Test(arguments: [TieBreaker.lowest, .highest])
func autoTieBreakerDoesNotGrantQuorumBeforeTheNodeWasEverQuorate(tieBreaker: TieBreaker) {
  let config = try! VotequorumConfig(
    nodes: nodes(4), options: QuorumOptions(autoTieBreaker: true, autoTieBreakerNode: tieBreaker))
  var a = Votequorum(config: config, me: NodeID(1))
  var b = Votequorum(config: config, me: NodeID(4))
  let infos = [a.nodeInfo, b.nodeInfo]
  a.viewInstalled(ringID: ring(1), members: [NodeID(1), NodeID(4)], infos: infos, now: .zero)
  b.viewInstalled(ringID: ring(1), members: [NodeID(1), NodeID(4)], infos: infos, now: .zero)
  #expect(!a.quorate && !b.quorate, "corosync: quorate=0 quorum=3 total=2 expected=4")
  #expect(a.quorum == 3 && a.status().totalVotes == 2 && a.expectedVotes == 4)
}
