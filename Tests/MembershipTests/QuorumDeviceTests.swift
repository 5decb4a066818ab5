import Arbiter
import Testing

@testable import Membership

let deviceConf = """
  totem {
      version: 2
      cluster_name: pair
  }
  nodelist {
      node {
          ring0_addr: 10.0.0.1
          name: node1
          nodeid: 1
      }
      node {
          ring0_addr: 10.0.0.2
          name: node2
          nodeid: 2
      }
  }
  quorum {
      provider: corosync_votequorum
      device {
          model: net
          votes: 1
          net {
              host: arbiter
              algorithm: ffsplit
              tie_breaker: highest
          }
      }
  }
  """

/// Feeds a Votequorum and a QuorumDeviceClient as the native shell does (the core's quorum states pass through the
/// client; its votes go back into votequorum).
struct DeviceNode {
  var vq: Votequorum
  var client: QuorumDeviceClient
  var reported: [QuorumStatus] = []
  var sent: [VoteRequest] = []
  var heuristicsRuns: [(run: UInt64, timeout: Duration)] = []

  init(_ me: UInt32, config: CorosyncConfig) throws {
    let vc = try VotequorumConfig(nodes: config.nodes, options: config.quorum!)
    vq = Votequorum(config: vc, me: NodeID(me))
    let d = config.quorum!.device!
    client = QuorumDeviceClient(settings: QuorumDeviceSettings(
      cluster: "pair", node: NodeID(me), incarnation: 1, algorithm: d.algorithm, tieBreaker: d.tieBreaker, tokenMs: 400,
      heuristics: QuorumDeviceHeuristics.from(d, tokenMs: 400)))
  }

  mutating func run(_ input: QuorumDeviceInput) {
    for e in client.handle(input) {
      switch e {
      case .send(let r): sent.append(r)
      case .report(let s): reported.append(s)
      case .runHeuristics(let run, _, let timeout): heuristicsRuns.append((run, timeout))
      case .castVote(let cast, let view):
        if view == vq.ringID && vq.setDeviceVote(cast) { run(.quorumComputed(vq.status(), now: .zero)) }
      }
    }
  }

  mutating func install(_ members: [UInt32], epoch: UInt64, now: Duration) -> View {
    let v = View(
      id: ViewID(epoch: epoch, coordinator: NodeID(members.min()!), coordinatorIncarnation: 1),
      members: members.map { Member(NodeID($0), incarnation: 1) })
    let infos = members.map { QuorumNodeInfo(nodeID: NodeID($0), votes: 1, expectedVotes: 3, quorate: false, waitForAllPending: false) }
    vq.viewInstalled(ringID: v.id, members: v.nodeIDs, infos: infos, now: now)
    run(.viewInstalled(v, now: now))
    run(.quorumComputed(vq.status(), now: now))
    return v
  }

  mutating func reply(_ answer: VoteAnswer, now: Duration) {
    let last = sent.last!
    run(.replied(VoteReply(sequence: last.sequence, view: last.view, answer: answer), now: now))
  }
}

@Suite struct QuorumDeviceTests {
  @Test func corosyncConfDeviceIsReadAndWrittenBackUnchanged() throws {
    let c = try CorosyncConfig.parse(deviceConf)
    let d = try #require(c.quorum?.device)
    #expect(d.host == "arbiter" && d.port == 5403 && d.algorithm == .ffsplit && d.tieBreaker == .highest && d.votes == 1)
    #expect(try CorosyncConfig.parse(c.render()).quorum?.device == d)
    #expect(c.render().contains("        net {\n            host: arbiter\n"))
    let vc = try VotequorumConfig(nodes: c.nodes, options: c.quorum!)
    #expect(vc.expectedVotes == 3 && vc.deviceVotes == 1 && !vc.twoNode)
  }

  @Test func twoNodeWithADeviceAndBadDeviceValuesAreRefused() throws {
    let c = try CorosyncConfig.parse(deviceConf.replacingOccurrences(of: "provider: corosync_votequorum", with: "provider: corosync_votequorum\n    two_node: 1"))
    #expect(throws: VotequorumConfig.ConfigError.twoNodeWithQuorumDevice) {
      try VotequorumConfig(nodes: c.nodes, options: c.quorum!)
    }
    #expect(throws: CorosyncConfError.self) { try CorosyncConfig.parse(deviceConf.replacingOccurrences(of: "ffsplit", with: "coinflip")) }
    #expect(throws: CorosyncConfError.self) { try CorosyncConfig.parse(deviceConf.replacingOccurrences(of: "votes: 1", with: "votes: 2")) }
    #expect(throws: CorosyncConfError.self) { try CorosyncConfig.parse(deviceConf.replacingOccurrences(of: "host: arbiter", with: "")) }
  }

  @Test func theWinnerKeepsQuorumThroughTheSplitAndTheLoserReportsNoQuorumOnTheArbitersAnswer() throws {
    let c = try CorosyncConfig.parse(deviceConf)
    var n1 = try DeviceNode(1, config: c)
    _ = n1.install([1, 2], epoch: 1, now: .milliseconds(0))
    #expect(n1.reported.last?.quorate == true, "two of three votes without the device")
    n1.reply(.vote(leaseMs: 400), now: .milliseconds(5))
    #expect(n1.reported.last?.totalVotes == 3)
    n1.reported = []
    // The split: a one-node view is not quorate without the device, so nothing is reported until the answer.
    _ = n1.install([1], epoch: 2, now: .milliseconds(1000))
    #expect(n1.reported.isEmpty && n1.sent.last?.view.members == [1])
    n1.reply(.wait(reason: "node 2 still reports"), now: .milliseconds(1010))
    #expect(n1.reported.isEmpty)
    n1.run(.tick(now: .milliseconds(1100)))  // the next poll
    n1.reply(.vote(leaseMs: 400), now: .milliseconds(1100))
    #expect(n1.reported.map(\.quorate) == [true], "the vote arrives: quorate, never a quorum loss in between")

    var n2 = try DeviceNode(2, config: c)
    _ = n2.install([1, 2], epoch: 1, now: .milliseconds(0))
    n2.reported = []
    _ = n2.install([2], epoch: 2, now: .milliseconds(1000))
    n2.reply(.noVote(reason: "partition [1] wins"), now: .milliseconds(1100))
    #expect(n2.reported.map(\.quorate) == [false])
  }

  @Test func withoutAnAnswerANewViewReportsNoQuorumAfterTheDecisionTimeout() throws {
    var n = try DeviceNode(2, config: try CorosyncConfig.parse(deviceConf))
    _ = n.install([2], epoch: 2, now: .milliseconds(0))
    for t in [100, 200, 300, 399] { n.run(.tick(now: .milliseconds(t))) }
    #expect(n.reported.isEmpty)
    #expect(n.sent.count == 4, "polls every token/4: \(n.sent.count)")
    n.run(.tick(now: .milliseconds(400)))
    #expect(n.reported.map(\.quorate) == [false])
  }

  @Test func theVoteLapsesWithoutRenewalAndANewViewStartsWithoutIt() throws {
    var n = try DeviceNode(1, config: try CorosyncConfig.parse(deviceConf))
    _ = n.install([1], epoch: 1, now: .milliseconds(0))
    n.reply(.vote(leaseMs: 400), now: .milliseconds(10))  // sent at 0: counted until 400
    #expect(n.vq.quorate && n.client.hasVote)
    n.run(.tick(now: .milliseconds(399)))
    #expect(n.vq.quorate)
    n.run(.tick(now: .milliseconds(400)))
    #expect(!n.vq.quorate && !n.client.hasVote)
    #expect(n.reported.last?.quorate == false)
    // A grant renewed on time keeps it; a new view drops it.
    n.reply(.vote(leaseMs: 400), now: .milliseconds(410))
    #expect(n.vq.quorate)
    _ = n.install([1, 2], epoch: 3, now: .milliseconds(500))
    #expect(!n.vq.deviceVoteCast && n.vq.quorate)
    // A late reply for the old view is ignored.
    n.run(.replied(VoteReply(sequence: 1, view: PartitionView(epoch: 1, coordinator: 1, coordinatorIncarnation: 1, members: [1]), answer: .vote(leaseMs: 400)), now: .milliseconds(510)))
    #expect(!n.vq.deviceVoteCast)
  }
}
