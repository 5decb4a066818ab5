import PropertyBased
import TestKit
import Testing

@testable import Membership

func nodes(_ n: Int, votes: [Int]? = nil) -> [NodeEntry] {
  (1...n).map { NodeEntry(nodeID: NodeID(UInt32($0)), ring0Addr: "127.0.0.1", quorumVotes: votes?[$0 - 1]) }
}

func ring(_ epoch: UInt64) -> ViewID { ViewID(epoch: epoch, coordinator: NodeID(1), coordinatorIncarnation: 1) }

/// The nodeinfo another node sends when it was not quorate before the change (the reference assumes so).
func plainInfo(_ id: NodeID, votes: Int, expected: Int) -> QuorumNodeInfo {
  QuorumNodeInfo(nodeID: id, votes: votes, expectedVotes: expected, quorate: false, waitForAllPending: true)
}

/// The reference: votequorum written as the formulas of votequorum(5), folded over the history of memberships.
struct ReferenceQuorum {
  var expected: Int
  var quorum = 0
  var waitForAllPending: Bool
  let waitForAll: Bool
  let twoNode: Bool
  var quorate = false

  mutating func apply(totalVotes t: Int, memberCount: Int) {
    expected = max(expected, t)  // expected votes follow the highest total seen
    quorum = max(quorum, expected / 2 + 1, t / 2 + 1)  // floor(n/2)+1, never decreasing
    if twoNode && memberCount <= 2 { quorum = 1 }
    if waitForAll && waitForAllPending {
      if t != expected {
        quorate = false
        return
      }
      waitForAllPending = false
    }
    quorate = t >= quorum
    if waitForAll { waitForAllPending = !quorate }
  }
}

@Test func votequorumMatchesTheReferenceFormula() async {
  await propertyCheck(count: 400, input: Gen.int(in: 0...Int.max)) { seed in
    var rng = SplitMix64(seed: UInt64(seed))
    let n = Int.random(in: 1...8, using: &rng)
    let votes = (0..<n).map { _ in Int.random(in: 1...3, using: &rng) }
    let sum = votes.reduce(0, +)
    let explicitExpected: Int? = Bool.random(using: &rng) ? Int.random(in: 1...(sum + 2), using: &rng) : nil
    let twoNode = n == 2 && Bool.random(using: &rng)
    let waitForAll: Bool? = Bool.random(using: &rng) ? Bool.random(using: &rng) : nil
    let options = QuorumOptions(expectedVotes: explicitExpected, twoNode: twoNode, waitForAll: waitForAll)
    let config = try! VotequorumConfig(nodes: nodes(n, votes: votes), options: options)
    var vq = Votequorum(config: config, me: NodeID(1))
    var ref = ReferenceQuorum(
      expected: explicitExpected ?? sum, waitForAllPending: config.waitForAll, waitForAll: config.waitForAll,
      twoNode: config.twoNode)
    ref.apply(totalVotes: votes[0], memberCount: 1)
    #expect(vq.quorum == ref.quorum && vq.quorate == ref.quorate, "seed \(seed) start")
    var previousQuorum = vq.quorum
    var previousMembers = [NodeID(1)]
    for step in 1...12 {
      var members = [NodeID(1)]
      for id in 2...max(2, n) where id <= n && Bool.random(using: &rng) { members.append(NodeID(UInt32(id))) }
      let infos = [vq.nodeInfo] + members.dropFirst().map { plainInfo($0, votes: votes[Int($0.rawValue) - 1], expected: vq.expectedVotes) }
      vq.viewInstalled(ringID: ring(UInt64(step)), members: members, infos: infos, now: .seconds(step))
      let total = members.reduce(0) { $0 + votes[Int($1.rawValue) - 1] }
      // votequorum counts the nodes that stay as members at once and the others as their nodeinfo arrives (in
      // node-id order here), re-evaluating each time; then once more when the sync completes.
      var present = Set(members.filter { previousMembers.contains($0) })
      for id in members {
        present.insert(id)
        ref.apply(totalVotes: present.reduce(0) { $0 + votes[Int($1.rawValue) - 1] }, memberCount: present.count)
      }
      ref.apply(totalVotes: total, memberCount: members.count)
      previousMembers = members
      let s = vq.status()
      #expect(s.totalVotes == total, "seed \(seed) step \(step)")
      #expect(vq.expectedVotes == ref.expected, "seed \(seed) step \(step) expected votes")
      #expect(vq.quorum == ref.quorum, "seed \(seed) step \(step) quorum \(vq.quorum) vs \(ref.quorum)")
      #expect(vq.quorate == ref.quorate, "seed \(seed) step \(step) members \(members)")
      if !config.twoNode { #expect(vq.quorum >= previousQuorum, "quorum never decreases without LMS") }
      previousQuorum = vq.quorum
    }
  }
}

/// Every node of an even cluster evaluates its own half after an exact split: the tie breaker picks one half.
@Test(arguments: [TieBreaker.lowest, .highest, .list([NodeID(3), NodeID(1)])])
func autoTieBreakerPicksExactlyOneHalf(tieBreaker: TieBreaker) async {
  await propertyCheck(count: 100, input: Gen.int(in: 0...Int.max)) { seed in
    var rng = SplitMix64(seed: UInt64(seed))
    let n = 2 * Int.random(in: 2...4, using: &rng)
    let all = (1...n).map { NodeID(UInt32($0)) }
    let config = try! VotequorumConfig(
      nodes: nodes(n), options: QuorumOptions(autoTieBreaker: true, autoTieBreakerNode: tieBreaker))
    let shuffled = all.shuffled(using: &rng)
    let sideA = Set(shuffled.prefix(n / 2))
    var quorateSides: [Bool] = []
    for me in all {
      var vq = Votequorum(config: config, me: me)
      let fullInfos = all.map { plainInfo($0, votes: 1, expected: n) }
      vq.viewInstalled(ringID: ring(1), members: all, infos: fullInfos, now: .seconds(1))
      #expect(vq.quorate)
      let side = sideA.contains(me) ? all.filter { sideA.contains($0) } : all.filter { !sideA.contains($0) }
      let infos = side.map {
        QuorumNodeInfo(nodeID: $0, votes: 1, expectedVotes: n, quorate: true, waitForAllPending: false)
      }
      vq.viewInstalled(ringID: ring(2), members: side, infos: infos, now: .seconds(2))
      let winner: NodeID
      switch tieBreaker {
      case .lowest: winner = NodeID(1)
      case .highest: winner = NodeID(UInt32(n))
      case .list(let l): winner = l[0]
      }
      #expect(vq.quorate == side.contains(winner), "seed \(seed) node \(me) side \(side)")
      quorateSides.append(vq.quorate)
    }
    #expect(quorateSides.filter { $0 }.count == n / 2, "exactly one half (n/2 nodes) is quorate, seed \(seed)")
  }
}

@Test func lastManStandingLowersExpectedVotesAfterTheWindow() {
  let config = try! VotequorumConfig(
    nodes: nodes(5), options: QuorumOptions(waitForAll: false, lastManStanding: true, lastManStandingWindowMs: 10_000))
  var vq = Votequorum(config: config, me: NodeID(1))
  func view(_ ids: [UInt32], _ epoch: UInt64, at t: Duration) {
    let members = ids.map { NodeID($0) }
    let infos = members.map {
      QuorumNodeInfo(nodeID: $0, votes: 1, expectedVotes: vq.expectedVotes, quorate: vq.quorate, waitForAllPending: false)
    }
    vq.viewInstalled(ringID: ring(epoch), members: members, infos: infos, now: t)
  }
  view([1, 2, 3, 4, 5], 1, at: .seconds(0))
  #expect(vq.quorate && vq.quorum == 3 && vq.expectedVotes == 5)
  view([1, 2, 3], 2, at: .seconds(1))
  #expect(vq.quorate && vq.quorum == 3)
  let early = vq.tick(now: .seconds(10))
  #expect(!early, "the window has not passed yet")
  let fired = vq.tick(now: .seconds(11))
  #expect(fired)
  #expect(vq.expectedVotes == 3 && vq.quorum == 2)
  view([1, 2], 3, at: .seconds(12))
  #expect(vq.quorate)
  let fired2 = vq.tick(now: .seconds(22))
  #expect(fired2)
  #expect(vq.expectedVotes == 2 && vq.quorum == 2)
  view([1], 4, at: .seconds(23))
  #expect(!vq.quorate, "going from 2 to 1 needs auto_tie_breaker")
}

@Test func twoNodeWaitsForAllThenKeepsQuorumAlone() {
  let config = try! VotequorumConfig(nodes: nodes(2), options: QuorumOptions(twoNode: true))
  #expect(config.waitForAll, "two_node implies wait_for_all")
  var vq = Votequorum(config: config, me: NodeID(1))
  #expect(!vq.quorate && vq.quorum == 1)
  vq.viewInstalled(
    ringID: ring(1), members: [NodeID(1), NodeID(2)],
    infos: [vq.nodeInfo, plainInfo(NodeID(2), votes: 1, expected: 2)], now: .seconds(1))
  #expect(vq.quorate && vq.status().totalVotes == 2)
  vq.viewInstalled(ringID: ring(2), members: [NodeID(1)], infos: [vq.nodeInfo], now: .seconds(2))
  #expect(vq.quorate && vq.quorum == 1)
}

@Test func threeNodesIsolatedNodeIsBlocked() {
  let config = try! VotequorumConfig(nodes: nodes(3), options: QuorumOptions())
  var vq = Votequorum(config: config, me: NodeID(3))
  let all = [NodeID(1), NodeID(2), NodeID(3)]
  vq.viewInstalled(ringID: ring(1), members: all, infos: all.map { plainInfo($0, votes: 1, expected: 3) }, now: .zero)
  #expect(vq.quorate && vq.quorum == 2)
  vq.viewInstalled(ringID: ring(2), members: [NodeID(3)], infos: [vq.nodeInfo], now: .seconds(1))
  #expect(!vq.quorate && vq.quorum == 2 && vq.expectedVotes == 3)
}

@Test func configAdjustmentsFollowCorosync() throws {
  let atbOdd = try VotequorumConfig(nodes: nodes(3), options: QuorumOptions(autoTieBreaker: true))
  #expect(atbOdd.autoTieBreaker == nil, "ATB is disabled in an odd cluster without wait_for_all")
  let atbTwoNode = try VotequorumConfig(nodes: nodes(2), options: QuorumOptions(twoNode: true, autoTieBreaker: true))
  #expect(!atbTwoNode.twoNode && atbTwoNode.autoTieBreaker == .lowest)
  #expect(throws: VotequorumConfig.ConfigError.atbWithLastManStandingInOddCluster) {
    try VotequorumConfig(nodes: nodes(3), options: QuorumOptions(lastManStanding: true, autoTieBreaker: true))
  }
  let explicitWFA = try VotequorumConfig(nodes: nodes(2), options: QuorumOptions(twoNode: true, waitForAll: false))
  #expect(!explicitWFA.waitForAll)
}
