/// The arbiter's limits and timing. Every map is bounded; time is the shell's monotonic milliseconds.
public struct ArbiterConfig: Equatable, Sendable {
  /// How long a granted vote lasts after the request that (re)granted it. Nodes renew it every poll period; a
  /// disjoint partition gets the vote only after it lapsed (the holder counts it for at most this long after its
  /// last request).
  public var voteLeaseMs: Int64
  /// A node not heard for this long no longer holds up a decision (it is dead or cut from the arbiter). With the
  /// membership's token T, T suffices: a live node polls every T/4.
  public var nodeSilenceMs: Int64
  public var clustersMax: Int
  public var nodesPerClusterMax: Int
  /// Unexpired grants kept per cluster (nested views of one splitting partition).
  public var grantsPerClusterMax: Int
  /// A cluster with no request for this long is forgotten.
  public var clusterIdleMs: Int64

  public init(
    voteLeaseMs: Int64 = 400, nodeSilenceMs: Int64 = 400, clustersMax: Int = 1024, nodesPerClusterMax: Int = 32,
    grantsPerClusterMax: Int = 16, clusterIdleMs: Int64 = 600_000
  ) {
    precondition(voteLeaseMs > 0 && nodeSilenceMs > 0 && clusterIdleMs > voteLeaseMs)
    precondition(clustersMax > 0 && nodesPerClusterMax >= 2 && grantsPerClusterMax > 0)
    self.voteLeaseMs = voteLeaseMs
    self.nodeSilenceMs = nodeSilenceMs
    self.clustersMax = clustersMax
    self.nodesPerClusterMax = nodesPerClusterMax
    self.grantsPerClusterMax = grantsPerClusterMax
    self.clusterIdleMs = clusterIdleMs
  }
}

public enum ArbiterInput: Equatable, Sendable {
  /// A verified request arrived on `connection` (the shell's handle for where the reply goes).
  case voteRequested(VoteRequest, connection: UInt64, nowMs: Int64)
  /// Periodic: forget idle clusters and lapsed grants.
  case tick(nowMs: Int64)
}

public enum ArbiterEffect: Equatable, Sendable {
  case reply(VoteReply, connection: UInt64)
  /// A decision worth a log line (a vote granted to a new view, a vote refused because another side holds it).
  case log(String)
}

/// The quorum arbiter's decisions, for many clusters (by cluster name), as a value: no sockets, no clock.
///
/// Invariant: within a cluster, two unexpired grants are always for nested views (one's members contain the
/// other's). Disjoint or crossing partitions therefore never count the vote at the same time: a partition that
/// splits off from a view holding the vote may have it at once (its members came from that view, and a stale member
/// still in the old view is kept apart by the membership and the lease), a partition disjoint from a holder waits
/// until the holder's lease lapsed.
///
/// Decision for a request from partition X: renew if X holds the vote; otherwise wait while any node heard within
/// `nodeSilenceMs` reports a different view that overlaps X (it has not reported its side of the split yet);
/// otherwise X must beat every other live partition by `ranks` (size, then heuristics score, then resources, then
/// the tie breaker); then X waits for disjoint grants to lapse, and gets the vote.
public struct ArbiterCore: Sendable {
  public let config: ArbiterConfig

  struct Report: Sendable {
    var incarnation: UInt64
    var view: PartitionView
    var heardMs: Int64
    var heuristics: HeuristicsResult
    var runsResources: Bool
  }
  struct Grant: Sendable {
    var view: PartitionView
    var expiresMs: Int64
  }
  struct Cluster: Sendable {
    var nodes: [UInt32: Report] = [:]
    var grants: [Grant] = []
    var lastRequestMs: Int64 = 0
  }
  private var clusters: [String: Cluster] = [:]

  public init(config: ArbiterConfig = ArbiterConfig()) { self.config = config }

  public var clusterCount: Int { clusters.count }
  /// The views holding the vote in `cluster` at `nowMs` (for status output and tests), sorted.
  public func holders(of cluster: String, nowMs: Int64) -> [PartitionView] {
    (clusters[cluster]?.grants ?? []).filter { $0.expiresMs > nowMs }.map(\.view)
      .sorted { $0.members.lexicographicallyPrecedes($1.members) }
  }

  public mutating func handle(_ input: ArbiterInput) -> [ArbiterEffect] {
    switch input {
    case .tick(let now):
      clusters = clusters.filter { now - $0.value.lastRequestMs < config.clusterIdleMs }
      for name in clusters.keys { clusters[name]!.grants.removeAll { $0.expiresMs <= now } }
      return []
    case .voteRequested(let request, let connection, let now):
      var fx: [ArbiterEffect] = []
      let answer = decide(request, now: now, &fx)
      fx.append(.reply(VoteReply(sequence: request.sequence, view: request.view, answer: answer), connection: connection))
      return fx
    }
  }

  private mutating func decide(_ r: VoteRequest, now: Int64, _ fx: inout [ArbiterEffect]) -> VoteAnswer {
    guard r.view.members.contains(r.node) else { return .noVote(reason: "node \(r.node) is not in its view \(r.view)") }
    guard r.view.members.count <= config.nodesPerClusterMax else {
      return .noVote(reason: "view of \(r.view.members.count) nodes exceeds \(config.nodesPerClusterMax)")
    }
    if clusters[r.cluster] == nil {
      guard clusters.count < config.clustersMax else {
        return .noVote(reason: "the arbiter serves \(config.clustersMax) clusters already")
      }
      clusters[r.cluster] = Cluster()
    }
    var c = clusters[r.cluster]!
    defer { clusters[r.cluster] = c }
    c.lastRequestMs = now
    if let old = c.nodes[r.node], old.incarnation > r.incarnation {
      return .noVote(reason: "node \(r.node) restarted since (incarnation \(old.incarnation) > \(r.incarnation))")
    }
    if c.nodes[r.node] == nil && c.nodes.count >= config.nodesPerClusterMax {
      return .noVote(reason: "cluster \(r.cluster) has \(config.nodesPerClusterMax) nodes already")
    }
    c.nodes[r.node] = Report(
      incarnation: r.incarnation, view: r.view, heardMs: now, heuristics: r.heuristics, runsResources: r.runsResources)
    c.grants.removeAll { $0.expiresMs <= now }

    if let i = c.grants.firstIndex(where: { $0.view == r.view }) {
      c.grants[i].expiresMs = now + config.voteLeaseMs
      return .vote(leaseMs: UInt32(config.voteLeaseMs))
    }
    let live = c.nodes.filter { now - $0.value.heardMs < config.nodeSilenceMs }
    for (id, report) in live.sorted(by: { $0.key < $1.key }) where report.view != r.view && report.view.overlaps(r.view) {
      return .wait(reason: "node \(id) still reports view \(report.view)")
    }
    let partitions = Set(live.values.map(\.view)).filter { $0 != r.view }
    let mine = Self.standing(of: r.view, reports: live)
    for other in partitions.sorted(by: { $0.members.lexicographicallyPrecedes($1.members) }) {
      let theirs = Self.standing(of: other, reports: live)
      if !Self.ranks(mine, above: theirs, tieBreaker: r.tieBreaker) {
        return .noVote(reason: "partition \(other) wins the tie (\(theirs)) over \(r.view) (\(mine))")
      }
    }
    if let holder = c.grants.first(where: { !$0.view.isSubset(of: r.view) && !r.view.isSubset(of: $0.view) }) {
      return .wait(reason: "partition \(holder.view) holds the vote for \(holder.expiresMs - now) ms more")
    }
    guard c.grants.count < config.grantsPerClusterMax else {
      return .noVote(reason: "\(config.grantsPerClusterMax) grants outstanding in cluster \(r.cluster)")
    }
    c.grants.append(Grant(view: r.view, expiresMs: now + config.voteLeaseMs))
    fx.append(.log("cluster \(r.cluster): vote to \(r.view) (\(mine))"))
    return .vote(leaseMs: UInt32(config.voteLeaseMs))
  }

  /// What ranks a partition, as corosync-qnetd's ffsplit weighs it: its size, its heuristics score (members
  /// reporting + those passing - those failing), whether any member runs resources (Vigil's counterpart of qnetd's
  /// keep-active-partition tie breaker), and its members (for the tie breaker).
  struct Standing: Sendable, CustomStringConvertible {
    var size: Int
    var heuristicsScore: Int
    var runsResources: Bool
    var members: [UInt32]
    var description: String { "nodes \(size), heuristics score \(heuristicsScore), runs resources \(runsResources)" }
  }

  static func standing(of view: PartitionView, reports: [UInt32: Report]) -> Standing {
    let inView = reports.filter { $0.value.view == view }.values
    let passed = inView.filter { $0.heuristics == .pass }.count
    let failed = inView.filter { $0.heuristics == .fail }.count
    return Standing(
      size: view.members.count, heuristicsScore: inView.count + passed - failed,
      runsResources: inView.contains { $0.runsResources }, members: view.members)
  }

  /// Strictly better for the vote: more nodes, then a higher heuristics score, then the side running resources,
  /// then the tie breaker's side (lowest / highest node id of the two partitions, or the named node; a named node
  /// in neither partition falls back to lowest). Total on disjoint partitions, so both sides reach the same verdict.
  static func ranks(_ a: Standing, above b: Standing, tieBreaker: ArbiterTieBreaker) -> Bool {
    if a.size != b.size { return a.size > b.size }
    if a.heuristicsScore != b.heuristicsScore { return a.heuristicsScore > b.heuristicsScore }
    if a.runsResources != b.runsResources { return a.runsResources }
    let all = a.members + b.members
    switch tieBreaker {
    case .highest: return a.members.max() == all.max()
    case .node(let id) where all.contains(id): return a.members.contains(id)
    case .lowest, .node: return a.members.min() == all.min()
    }
  }
}
