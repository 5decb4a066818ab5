/// votequorum's configuration after corosync's own adjustments (votequorum_readconfig): two_node implies
/// wait_for_all unless it is set explicitly; two_node is dropped when auto_tie_breaker is on; auto_tie_breaker is
/// dropped in an odd-sized cluster without wait_for_all.
public struct VotequorumConfig: Equatable, Sendable {
  public var nodeVotes: [NodeID: Int]
  /// `quorum.expected_votes`, else the sum of the nodelist votes.
  public var expectedVotes: Int
  public var twoNode: Bool
  public var waitForAll: Bool
  public var lastManStanding: Bool
  public var lastManStandingWindow: Duration
  public var autoTieBreaker: TieBreaker?
  /// The quorum device's votes (`quorum.device`), counted while the local node holds the arbiter's vote; 0 = none.
  public var deviceVotes: Int = 0

  public enum ConfigError: Error, Equatable, Sendable {
    case noNodes
    case atbWithLastManStandingInOddCluster
    /// corosync refuses two_node with a quorum device: the device decides the even split instead.
    case twoNodeWithQuorumDevice
  }

  /// The configuration corosync would run with, given the nodelist and `quorum` options.
  public init(nodes: [NodeEntry], options: QuorumOptions) throws(ConfigError) {
    if nodes.isEmpty && options.expectedVotes == nil { throw .noNodes }
    var votes: [NodeID: Int] = [:]
    for n in nodes { votes[n.nodeID] = n.quorumVotes ?? 1 }
    let nodelistExpected = nodes.reduce(0) { $0 + ($1.quorumVotes ?? 1) }
    var twoNode = options.twoNode ?? false
    var waitForAll = twoNode
    if let w = options.waitForAll { waitForAll = w }
    let lms = options.lastManStanding ?? false
    var atb: TieBreaker? = (options.autoTieBreaker ?? false) ? (options.autoTieBreakerNode ?? .lowest) : nil
    if twoNode && atb != nil { twoNode = false }
    if atb != nil && nodelistExpected % 2 == 1 && !waitForAll {
      if lms { throw .atbWithLastManStandingInOddCluster }
      atb = nil
    }
    if options.device != nil && twoNode { throw .twoNodeWithQuorumDevice }
    self.deviceVotes = options.device?.deviceVotes(nodeCount: nodes.count) ?? 0
    self.nodeVotes = votes
    self.expectedVotes = options.expectedVotes ?? (nodelistExpected + deviceVotes)
    self.twoNode = twoNode
    self.waitForAll = waitForAll
    self.lastManStanding = lms
    self.lastManStandingWindow = .milliseconds(options.lastManStandingWindowMs ?? 10_000)
    self.autoTieBreaker = atb
  }

  public func votes(of id: NodeID) -> Int { nodeVotes[id] ?? 1 }
}

/// What a node tells the others about its quorum state when a view forms (votequorum's nodeinfo message).
public struct QuorumNodeInfo: Equatable, Sendable {
  public var nodeID: NodeID
  public var votes: Int
  public var expectedVotes: Int
  public var quorate: Bool
  public var waitForAllPending: Bool
  public init(nodeID: NodeID, votes: Int, expectedVotes: Int, quorate: Bool, waitForAllPending: Bool) {
    self.nodeID = nodeID
    self.votes = votes
    self.expectedVotes = expectedVotes
    self.quorate = quorate
    self.waitForAllPending = waitForAllPending
  }
}

/// What `corosync-quorumtool -s` shows, as values. Codable: clusterd sends it to pcs over the control socket.
public struct QuorumStatus: Equatable, Sendable, Codable {
  public var ringID: ViewID?
  public var localNode: NodeID
  public var quorate: Bool
  public var expectedVotes: Int
  public var highestExpected: Int
  public var totalVotes: Int
  public var quorum: Int
  public var members: [MemberVotes]
  public var twoNode: Bool
  public var waitForAll: Bool
  public var lastManStanding: Bool
  public var autoTieBreaker: Bool

  /// Memberwise, public so that another backend (MembershipCorosync) can report corosync's own figures.
  public init(
    ringID: ViewID?, localNode: NodeID, quorate: Bool, expectedVotes: Int, highestExpected: Int, totalVotes: Int,
    quorum: Int, members: [MemberVotes], twoNode: Bool, waitForAll: Bool, lastManStanding: Bool, autoTieBreaker: Bool
  ) {
    self.ringID = ringID
    self.localNode = localNode
    self.quorate = quorate
    self.expectedVotes = expectedVotes
    self.highestExpected = highestExpected
    self.totalVotes = totalVotes
    self.quorum = quorum
    self.members = members
    self.twoNode = twoNode
    self.waitForAll = waitForAll
    self.lastManStanding = lastManStanding
    self.autoTieBreaker = autoTieBreaker
  }

  public struct MemberVotes: Equatable, Sendable, Codable {
    public var nodeID: NodeID
    public var votes: Int
    public init(nodeID: NodeID, votes: Int) {
      self.nodeID = nodeID
      self.votes = votes
    }
  }
}

/// votequorum as corosync computes it (exec/votequorum.c): a value type fed with membership changes and time.
/// Quorum never decreases except through last_man_standing; wait_for_all gates the first quorum.
public struct Votequorum: Equatable, Sendable {
  public let config: VotequorumConfig
  public let me: NodeID

  struct NodeState: Equatable, Sendable {
    var votes: Int
    var expectedVotes: Int
    var member: Bool
    var quorate: Bool
    var waitForAllPending: Bool
  }

  private var nodes: [NodeID: NodeState] = [:]
  public private(set) var quorum: Int = 0
  public private(set) var quorate = false
  public private(set) var waitForAllPending: Bool
  public private(set) var lastManStanding: Bool
  // corosync's lowest_node_id/highest_node_id start at -1 (no node) and are set only once quorate, so
  // auto_tie_breaker cannot make a node quorate before it has ever been quorate (found by the corosync differential).
  private var lowestNodeID: NodeID?
  private var highestNodeID: NodeID?
  private var members: [NodeID]
  private var previousMembers: [NodeID] = []
  public private(set) var lastManStandingDeadline: Duration?
  public private(set) var ringID: ViewID?
  /// Whether this node holds the arbiter's vote for the current view (granted per view: a new view starts without).
  public private(set) var deviceVoteCast = false
  private var deviceVotesCounted: Int { deviceVoteCast ? config.deviceVotes : 0 }

  public init(config: VotequorumConfig, me: NodeID) {
    self.config = config
    self.me = me
    self.waitForAllPending = config.waitForAll
    self.lastManStanding = config.lastManStanding
    self.members = [me]
    nodes[me] = NodeState(
      votes: config.votes(of: me), expectedVotes: config.expectedVotes, member: true, quorate: false,
      waitForAllPending: config.waitForAll)
    recalculate(allowDecrease: false, byCurrentNodes: false)
  }

  private var us: NodeState {
    get { nodes[me]! }
    set { nodes[me] = newValue }
  }

  /// This node's nodeinfo, as sent to the others when a new view forms.
  public var nodeInfo: QuorumNodeInfo {
    QuorumNodeInfo(
      nodeID: me, votes: us.votes, expectedVotes: us.expectedVotes, quorate: quorate,
      waitForAllPending: waitForAllPending)
  }

  public var expectedVotes: Int { us.expectedVotes }

  /// A new view: `infos` are the nodeinfos of its members (ours included), sent before the change.
  /// Mirrors sync_init, the nodeinfo handler for each member in node-id order, then sync_activate.
  public mutating func viewInstalled(ringID: ViewID, members newMembers: [NodeID], infos: [QuorumNodeInfo], now: Duration) {
    let sortedMembers = newMembers.sorted()
    // sync_init
    var leftNodes = false
    for old in members where !sortedMembers.contains(old) {
      leftNodes = true
      nodes[old]?.member = false
    }
    if lastManStanding {
      if (sortedMembers.count >= quorum && leftNodes)
        || (sortedMembers.count <= quorum && config.autoTieBreaker != nil && lowNodeIDPresent())
      {
        lastManStandingDeadline = now + config.lastManStandingWindow
      }
    }
    previousMembers = members
    members = sortedMembers
    if self.ringID != ringID { deviceVoteCast = false }
    self.ringID = ringID
    // nodeinfo from every member, in node-id order
    for info in infos.sorted(by: { $0.nodeID < $1.nodeID }) where sortedMembers.contains(info.nodeID) {
      receiveNodeInfo(info)
    }
    // sync_activate
    recalculate(allowDecrease: false, byCurrentNodes: false)
  }

  /// The arbiter granted (or withdrew) the device's vote for the current view. Returns true when the quorum state
  /// changed.
  public mutating func setDeviceVote(_ cast: Bool) -> Bool {
    guard config.deviceVotes > 0, cast != deviceVoteCast else { return false }
    let before = status()
    deviceVoteCast = cast
    recalculate(allowDecrease: false, byCurrentNodes: false)
    return status() != before
  }

  /// The last_man_standing timer. Returns true when the quorum state changed.
  public mutating func tick(now: Duration) -> Bool {
    guard let deadline = lastManStandingDeadline, now >= deadline else { return false }
    lastManStandingDeadline = nil
    let before = status()
    if quorate { recalculate(allowDecrease: true, byCurrentNodes: true) }
    return status() != before
  }

  private mutating func receiveNodeInfo(_ info: QuorumNodeInfo) {
    if info.nodeID == me {
      nodes[me]!.member = true
      recalculate(allowDecrease: false, byCurrentNodes: false)
      return
    }
    var node = nodes[info.nodeID] ?? NodeState(votes: 0, expectedVotes: 0, member: false, quorate: false, waitForAllPending: false)
    node.votes = info.votes
    node.quorate = info.quorate
    node.waitForAllPending = info.waitForAllPending
    node.member = true
    var allowDowngrade = false
    if !quorate && info.quorate {
      // Joining a quorate partition: take its expected votes (they may have been lowered by last_man_standing).
      allowDowngrade = true
      nodes[me]!.expectedVotes = info.expectedVotes
    }
    node.expectedVotes = info.quorate ? info.expectedVotes : nodes[me]!.expectedVotes
    nodes[info.nodeID] = node
    if lastManStanding && node.votes > 1 {
      lastManStanding = false  // corosync: "supported only when all cluster nodes votes are set to 1"
      lastManStandingDeadline = nil
    }
    recalculate(allowDecrease: allowDowngrade, byCurrentNodes: false)
    if config.waitForAll && !info.waitForAllPending && info.quorate { waitForAllPending = false }
  }

  private func totals() -> (votes: Int, nodes: Int) {
    var v = 0
    var n = 0
    for id in members { if let s = nodes[id], s.member { v += s.votes; n += 1 } }
    return (v + deviceVotesCounted, n)
  }

  private func calculateQuorum(allowDecrease: Bool, maxExpected: Int) -> Int {
    var highestExpected = 0
    var (totalVotes, totalNodes) = (0, 0)
    for id in members {
      guard let s = nodes[id], s.member else { continue }
      highestExpected = max(highestExpected, s.expectedVotes)
      totalVotes += s.votes
      totalNodes += 1
    }
    totalVotes += deviceVotesCounted
    if maxExpected > 0 { highestExpected = maxExpected }
    var q = max((highestExpected + 2) / 2, (totalVotes + 2) / 2)
    if !allowDecrease { q = max(quorum, q) }
    if config.twoNode && totalNodes <= 2 { q = 1 }
    return q
  }

  private mutating func recalculate(allowDecrease: Bool, byCurrentNodes: Bool) {
    let (totalVotes, memberCount) = totals()
    let clusterMembers = byCurrentNodes ? memberCount : 0
    if totalVotes > us.expectedVotes { nodes[me]!.expectedVotes = totalVotes }
    quorum = calculateQuorum(allowDecrease: allowDecrease, maxExpected: clusterMembers)
    if clusterMembers > 0 {
      for id in members where nodes[id]?.member == true { nodes[id]!.expectedVotes = clusterMembers }
    }
    areWeQuorate(totalVotes: totalVotes)
  }

  private mutating func areWeQuorate(totalVotes: Int) {
    if config.waitForAll && waitForAllPending {
      if totalVotes != us.expectedVotes {
        quorate = false
        return
      }
      waitForAllPending = false
    }
    var q: Bool
    if quorum > totalVotes {
      q = false
    } else {
      q = true
      lowestNodeID = min(me, members.filter { nodes[$0]?.member == true }.min() ?? me)
      highestNodeID = max(me, members.filter { nodes[$0]?.member == true }.max() ?? me)
    }
    if config.autoTieBreaker != nil, totalVotes == us.expectedVotes / 2,
      previousMembers.count - members.count < quorum, checkAutoTieBreaker()
    {
      q = true
    }
    quorate = q
    if config.waitForAll { waitForAllPending = !q }
  }

  private func lowNodeIDPresent() -> Bool {
    guard let lowestNodeID else { return false }
    return members.contains(lowestNodeID) && nodes[lowestNodeID]?.member == true
  }

  private func checkAutoTieBreaker() -> Bool {
    switch config.autoTieBreaker {
    case .none: return false
    case .lowest: return lowNodeIDPresent()
    case .highest:
      guard let highestNodeID else { return false }
      return members.contains(highestNodeID) && nodes[highestNodeID]?.member == true
    case .list(let list):
      for (i, id) in list.enumerated() where members.contains(id) {
        // A list node earlier than this one was in the previous partition: it may be in the other half.
        for earlier in list[..<i] where previousMembers.contains(earlier) { return false }
        return true
      }
      return false
    }
  }

  public func status() -> QuorumStatus {
    var highestExpected = 0
    var total = 0
    var rows: [QuorumStatus.MemberVotes] = []
    for id in members {
      guard let s = nodes[id], s.member else { continue }
      highestExpected = max(highestExpected, s.expectedVotes)
      total += s.votes
      rows.append(.init(nodeID: id, votes: s.votes))
    }
    total += deviceVotesCounted
    return QuorumStatus(
      ringID: ringID, localNode: me, quorate: quorate, expectedVotes: us.expectedVotes,
      highestExpected: highestExpected, totalVotes: total, quorum: quorum, members: rows, twoNode: config.twoNode,
      waitForAll: config.waitForAll, lastManStanding: lastManStanding, autoTieBreaker: config.autoTieBreaker != nil)
  }
}
