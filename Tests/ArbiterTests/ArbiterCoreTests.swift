import Testing

@testable import Arbiter

/// Drives one ArbiterCore with requests and a clock, as the shell does.
struct Bench {
  var core = ArbiterCore(config: ArbiterConfig(voteLeaseMs: 400, nodeSilenceMs: 400))
  var now: Int64 = 1_000
  var sequence: UInt64 = 0

  static func view(_ epoch: UInt64, _ members: [UInt32]) -> PartitionView {
    PartitionView(epoch: epoch, coordinator: members.min()!, coordinatorIncarnation: 1, members: members)
  }

  mutating func ask(
    _ node: UInt32, _ view: PartitionView, cluster: String = "c", tieBreaker: ArbiterTieBreaker = .lowest,
    heuristics: HeuristicsResult = .undefined, runs: Bool = false, incarnation: UInt64 = 1
  ) -> VoteAnswer {
    sequence += 1
    let r = VoteRequest(
      cluster: cluster, node: node, incarnation: incarnation, sequence: sequence, view: view, tieBreaker: tieBreaker,
      heuristics: heuristics, runsResources: runs)
    let fx = core.handle(.voteRequested(r, connection: UInt64(node), nowMs: now))
    guard case .reply(let reply, let connection)? = fx.last else { preconditionFailure("no reply: \(fx)") }
    precondition(connection == UInt64(node) && reply.sequence == sequence && reply.view == view)
    return reply.answer
  }
}

extension VoteAnswer {
  var isVote: Bool { if case .vote = self { return true } else { return false } }
  var isWait: Bool { if case .wait = self { return true } else { return false } }
  var isNoVote: Bool { if case .noVote = self { return true } else { return false } }
}

@Suite struct ArbiterCoreTests {
  let whole = Bench.view(1, [1, 2])
  let one = Bench.view(2, [1])
  let two = PartitionView(epoch: 2, coordinator: 2, coordinatorIncarnation: 1, members: [2])

  @Test func wholeClusterGetsTheVoteAndRenewsIt() {
    var b = Bench()
    #expect(b.ask(1, whole) == .vote(leaseMs: 400))
    #expect(b.ask(2, whole) == .vote(leaseMs: 400))
    b.now += 300
    #expect(b.ask(1, whole).isVote)
    #expect(b.core.holders(of: "c", nowMs: b.now) == [whole])
  }

  @Test func evenSplitGoesToTheLowestNodeWhicheverAsksFirst() {
    for secondFirst in [false, true] {
      var b = Bench()
      _ = b.ask(1, whole); _ = b.ask(2, whole)
      b.now += 50
      if secondFirst {
        #expect(b.ask(2, two).isWait, "node 1 still reports the whole view")
        #expect(b.ask(1, one).isVote)
        #expect(b.ask(2, two).isNoVote)
      } else {
        #expect(b.ask(1, one).isWait, "node 2 still reports the whole view")
        #expect(b.ask(2, two).isNoVote)
        #expect(b.ask(1, one).isVote)
      }
      #expect(b.ask(2, two).isNoVote)
      #expect(b.core.holders(of: "c", nowMs: b.now).contains(one))
      #expect(!b.core.holders(of: "c", nowMs: b.now).contains(two))
    }
  }

  @Test(arguments: [
    (ArbiterTieBreaker.lowest, UInt32(1)), (.highest, 2), (.node(2), 2), (.node(1), 1), (.node(9), 1),
  ])
  func tieBreakerPicksTheSide(tieBreaker: ArbiterTieBreaker, winner: UInt32) {
    var b = Bench()
    _ = b.ask(1, whole, tieBreaker: tieBreaker); _ = b.ask(2, whole, tieBreaker: tieBreaker)
    _ = b.ask(1, one, tieBreaker: tieBreaker)
    let a2 = b.ask(2, two, tieBreaker: tieBreaker)
    let a1 = b.ask(1, one, tieBreaker: tieBreaker)
    #expect(a1.isVote == (winner == 1), "\(tieBreaker): node 1 got \(a1)")
    #expect(a2.isVote == (winner == 2), "\(tieBreaker): node 2 got \(a2)")
  }

  @Test func theSideRunningResourcesWinsTheTieAndHeuristicsWinOverIt() {
    var b = Bench()
    _ = b.ask(1, whole); _ = b.ask(2, whole, runs: true)
    _ = b.ask(1, one)
    #expect(b.ask(2, two, runs: true).isVote)
    #expect(b.ask(1, one).isNoVote)

    var h = Bench()
    _ = h.ask(1, whole, heuristics: .pass); _ = h.ask(2, whole, heuristics: .pass, runs: true)
    _ = h.ask(2, two, heuristics: .fail, runs: true)
    #expect(h.ask(1, one, heuristics: .pass).isVote, "the node that passes its gateway check wins")
    #expect(h.ask(2, two, heuristics: .fail, runs: true).isNoVote)
  }

  @Test func sizeComesBeforeHeuristics() {
    var b = Bench()
    let all = Bench.view(1, [1, 2, 3])
    for n: UInt32 in 1...3 { _ = b.ask(n, all, heuristics: .pass) }
    let pair = Bench.view(2, [1, 2]), single = Bench.view(3, [3])
    _ = b.ask(1, pair, heuristics: .fail); _ = b.ask(2, pair, heuristics: .fail)
    _ = b.ask(3, single, heuristics: .pass)
    #expect(b.ask(1, pair, heuristics: .fail).isVote, "two failing nodes outnumber one passing node")
    #expect(b.ask(3, single, heuristics: .pass).isNoVote)
  }

  @Test func largerPartitionWins() {
    var b = Bench()
    let all = Bench.view(1, [1, 2, 3])
    for n: UInt32 in 1...3 { _ = b.ask(n, all) }
    let big = PartitionView(epoch: 2, coordinator: 2, coordinatorIncarnation: 1, members: [2, 3])
    _ = b.ask(1, one)
    _ = b.ask(2, big); _ = b.ask(3, big)
    #expect(b.ask(1, one).isNoVote)
    #expect(b.ask(2, big).isVote)
  }

  @Test func aDeadNodeHoldsUpTheDecisionOnlyUntilItIsSilentLongEnough() {
    var b = Bench()
    _ = b.ask(1, whole); _ = b.ask(2, whole)
    b.now += 350
    _ = b.ask(1, whole)  // node 2 killed at +0: no more requests from it
    b.now += 40
    #expect(b.ask(1, one).isWait)
    b.now += 20  // node 2 silent for 410 ms
    #expect(b.ask(1, one).isVote)
  }

  @Test func aDisjointPartitionGetsTheVoteOnlyAfterTheHoldersLeaseLapsed() {
    var b = Bench()
    _ = b.ask(1, whole); _ = b.ask(2, whole, runs: true)
    _ = b.ask(1, one)
    #expect(b.ask(2, two, runs: true).isVote)  // node 2 holds {2}
    // node 2 dies right after renewing; node 1 alone keeps asking.
    b.now += 100
    #expect(b.ask(2, two, runs: true).isVote)
    let renewedAt = b.now
    b.now += 399
    #expect(!b.ask(1, one).isVote, "node 2's vote runs until \(renewedAt + 400)")
    b.now += 1
    #expect(b.ask(1, one).isVote)
    #expect(b.core.holders(of: "c", nowMs: b.now) == [one])
  }

  @Test func grantsStayNested() {
    // Whatever the order and timing of requests, two unexpired grants are never for disjoint views.
    var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ n: UInt64) -> UInt64 {
      rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17
      return rng % n
    }
    let views = [whole, one, two, Bench.view(3, [1, 2]), Bench.view(4, [1]),
                 PartitionView(epoch: 4, coordinator: 2, coordinatorIncarnation: 1, members: [2])]
    for _ in 0..<50 {
      var b = Bench()
      for _ in 0..<200 {
        b.now += Int64(next(150))
        let v = views[Int(next(UInt64(views.count)))]
        let node = v.members[Int(next(UInt64(v.members.count)))]
        _ = b.ask(node, v, runs: next(2) == 0)
        let held = b.core.holders(of: "c", nowMs: b.now)
        for x in held { for y in held where x != y { #expect(x.isSubset(of: y) || y.isSubset(of: x), "\(held)") } }
      }
    }
  }

  @Test func clustersAreIndependentAndARestartedNodeReplacesItsReports() {
    var b = Bench()
    #expect(b.ask(1, one, cluster: "a").isVote)
    #expect(b.ask(2, two, cluster: "b").isVote)
    #expect(b.ask(1, whole, cluster: "a", incarnation: 5).isVote)
    #expect(b.ask(1, whole, cluster: "a", incarnation: 4).isNoVote, "an older incarnation is stale")
    #expect(b.core.clusterCount == 2)
    b.now += 700_000
    _ = b.core.handle(.tick(nowMs: b.now))
    #expect(b.core.clusterCount == 0)
  }
}

@Suite struct ArbiterWireTests {
  let key = ArbiterKey(authkey: Array(repeating: 7, count: 256), cluster: "c")

  @Test func requestAndReplyRoundTrip() throws {
    let v = PartitionView(epoch: 9, coordinator: 2, coordinatorIncarnation: 77, members: [3, 2])
    let r = VoteRequest(
      cluster: "c", node: 2, incarnation: 77, sequence: 5, view: v, algorithm: .lms, tieBreaker: .node(3),
      heuristics: .fail, runsResources: true)
    var bytes = ArbiterWire.encode(r, key: key)
    bytes += ArbiterWire.encode(VoteReply(sequence: 5, view: v, answer: .wait(reason: "node 3 still reports")), key: key)
    var partial = Array(bytes.prefix(10))
    #expect(try ArbiterWire.takeFrames(&partial).isEmpty)
    let frames = try ArbiterWire.takeFrames(&bytes)
    #expect(bytes.isEmpty && frames.count == 2)
    #expect(try ArbiterWire.requestCluster(frames[0]) == "c")
    #expect(try ArbiterWire.decodeRequest(frames[0], key: key) == r)
    #expect(try ArbiterWire.decodeReply(frames[1], key: key).answer == .wait(reason: "node 3 still reports"))
  }

  @Test func aWrongKeyOrATamperedByteIsRefused() throws {
    let v = PartitionView(epoch: 1, coordinator: 1, coordinatorIncarnation: 1, members: [1])
    var bytes = ArbiterWire.encode(VoteRequest(cluster: "c", node: 1, incarnation: 1, sequence: 1, view: v), key: key)
    let frame = try ArbiterWire.takeFrames(&bytes)[0]
    let other = ArbiterKey(authkey: Array(repeating: 7, count: 256), cluster: "d")
    #expect(throws: ArbiterWireError.badSignature) { try ArbiterWire.decodeRequest(frame, key: other) }
    var tampered = frame
    tampered[12] ^= 1
    #expect(throws: ArbiterWireError.self) { try ArbiterWire.decodeRequest(tampered, key: key) }
    var huge: [UInt8] = [0, 1, 0, 0]
    #expect(throws: ArbiterWireError.frameTooLarge(65536)) { try ArbiterWire.takeFrames(&huge) }
  }
}
