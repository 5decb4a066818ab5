#if canImport(Glibc)
  import Glibc
#endif
import CorosyncHarness
import Membership
import MembershipNodeKit
import Testing

/// A scripted sequence of membership events, run through real corosync (namespace cluster) and through the native
/// votequorum core (`Votequorum`, one instance per node, nodeinfo exchanged at every view as corosync does). After
/// every step each live node's quorum decision and the figures behind it (quorate, quorum, total and expected
/// votes, members) must be the same.
struct VotequorumScenario: Sendable, CustomTestStringConvertible {
  enum Step: Sendable {
    case start([Int])
    case kill([Int])
    case partition([[Int]])
    case heal
  }
  var name: String
  var nodes: Int
  var quorum: QuorumOptions
  var steps: [Step]
  var testDescription: String { name }
}

let lmsWindowMs = 1000

let votequorumScenarios: [VotequorumScenario] = [
  .init(
    name: "plain-3", nodes: 3, quorum: QuorumOptions(),
    steps: [.start([1]), .start([2]), .start([3]), .kill([3]), .partition([[1], [2]]), .heal, .start([3])]),
  .init(
    name: "two_node", nodes: 2, quorum: QuorumOptions(twoNode: true),
    steps: [.start([1]), .start([2]), .kill([2]), .start([2]), .partition([[1], [2]]), .heal]),
  .init(
    name: "wait_for_all", nodes: 3, quorum: QuorumOptions(waitForAll: true),
    steps: [.start([1]), .start([2]), .start([3]), .kill([3]), .partition([[1], [2]]), .heal, .start([3])]),
  .init(
    name: "last_man_standing", nodes: 4,
    quorum: QuorumOptions(lastManStanding: true, lastManStandingWindowMs: lmsWindowMs),
    steps: [.start([1]), .start([2]), .start([3]), .start([4]), .kill([4]), .kill([3]), .kill([2])]),
  .init(
    name: "auto_tie_breaker", nodes: 4, quorum: QuorumOptions(autoTieBreaker: true),
    steps: [
      .start([1]), .start([2]), .start([3]), .start([4]), .partition([[1, 2], [3, 4]]), .heal,
      .partition([[1, 3], [2, 4]]), .heal,
    ]),
  .init(
    name: "last_man_standing+auto_tie_breaker", nodes: 4,
    quorum: QuorumOptions(lastManStanding: true, lastManStandingWindowMs: lmsWindowMs, autoTieBreaker: true),
    steps: [.start([1]), .start([2]), .start([3]), .start([4]), .kill([4]), .kill([3]), .kill([2])]),
]

/// The native side: one `Votequorum` per running node; a component whose membership changes installs a view on
/// all its members with the nodeinfos they held before the change.
struct NativeCluster {
  let config: VotequorumConfig
  var nodes: [Int: Votequorum] = [:]
  var membership: [Int: [Int]] = [:]
  var epoch: UInt64 = 0
  var now: Duration = .zero

  init(nodes: Int, options: QuorumOptions) throws {
    config = try VotequorumConfig(
      nodes: (1...nodes).map { NodeEntry(nodeID: NodeID(UInt32($0)), name: "n\($0)", ring0Addr: "10.213.9.\($0)") },
      options: options)
  }

  mutating func apply(components: [[Int]]) {
    now += .milliseconds(10)
    for component in components where !component.isEmpty {
      let changed = component.contains { membership[$0] != component }
      guard changed else { continue }
      epoch += 1
      let infos = component.map { nodes[$0]!.nodeInfo }
      let ring = ViewID(epoch: epoch, coordinator: NodeID(UInt32(component[0])), coordinatorIncarnation: 0)
      for id in component {
        nodes[id]!.viewInstalled(ring: ring, members: component, infos: infos, now: now)
        membership[id] = component
      }
    }
  }

  /// corosync's last_man_standing timer has certainly fired by the time the test reads the status (it waits for
  /// the window), so the native nodes pass it too.
  mutating func passWindow() {
    now += .milliseconds(Int64(lmsWindowMs) + 1)
    for id in nodes.keys.sorted() { _ = nodes[id]!.tick(now: now) }
  }
}

extension Votequorum {
  fileprivate mutating func viewInstalled(ring: ViewID, members: [Int], infos: [QuorumNodeInfo], now: Duration) {
    viewInstalled(ringID: ring, members: members.map { NodeID(UInt32($0)) }, infos: infos, now: now)
  }
}

// In the serialized real-cluster suite: one corosync cluster at a time, so these tests never load the machine
// (other suites run beside them) with more than four corosync processes.
extension CorosyncClusterTests {
  @Test(.timeLimit(.minutes(3)), arguments: votequorumScenarios)
  func nativeVotequorumAgreesWithCorosync(_ scenario: VotequorumScenario) throws {
    // A short token (no per-node coefficient) keeps each loss at about 2.2 s.
    let cluster = try NamespaceCluster(
      spec: ClusterSpec(nodes: scenario.nodes, tokenMs: 1000, tokenCoefficientMs: 0, quorum: scenario.quorum),
      clientBinary: corosyncClientBinary)
    defer { cluster.destroy() }
    var native = try NativeCluster(nodes: scenario.nodes, options: scenario.quorum)
    var live: Set<Int> = []
    var groups: [[Int]] = [Array(1...scenario.nodes)]
    var clients: [Int: ChildProcess] = [:]
    let lms = scenario.quorum.lastManStanding == true

    for (n, step) in scenario.steps.enumerated() {
      switch step {
      case .start(let ids):
        for i in ids {
          try cluster.startCorosync(i)
          clients[i] = try cluster.startClient(i)
          try #require(
            clients[i]!.expectLine(" READY ") != nil,
            "\(scenario.name) step \(n): node \(i) connects: \(clients[i]!.transcript.suffix(4))\n\(cluster.logTail(i))")
          live.insert(i)
          native.nodes[i] = Votequorum(config: native.config, me: NodeID(UInt32(i)))
          native.membership[i] = nil
        }
      case .kill(let ids):
        for i in ids {
          cluster.killCorosync(i)
          cluster.stopClient(i)
          clients[i] = nil
          live.remove(i)
          native.nodes[i] = nil
          native.membership[i] = nil
        }
      case .partition(let g):
        try cluster.partition(g)
        groups = g
      case .heal:
        try cluster.heal()
        groups = [Array(1...scenario.nodes)]
      }
      let components = groups.map { $0.filter { live.contains($0) }.sorted() }
      native.apply(components: components)
      if lms { native.passWindow() }

      for i in live.sorted() {
        let expected = StatusLine(native.nodes[i]!.status())
        let component = components.first { $0.contains(i) } ?? [i]
        // Wait until corosync's membership settles, then until its figures match (bounded by the LMS window).
        let settled = clients[i]!.pollStatus(timeoutMs: 30_000) { $0.members == component }
        let agreed = clients[i]!.pollStatus(timeoutMs: lms ? lmsWindowMs + 6000 : 3000) { $0.sameDecision(expected) }
        #expect(
          settled.ok && agreed.ok,
          """
          \(scenario.name) step \(n) (\(step)) node \(i): corosync \(agreed.last?.description ?? "no status") \
          vs native \(expected)
          \(cluster.logTail(i, lines: 6))
          """)
      }
    }
  }
}
