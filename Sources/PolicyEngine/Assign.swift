import CIB

/// Stage 3 output: where each resource goes and in which role.
///
/// Invariant: `node[r]` is set only for primitives that will run (and, for groups, mirrors the first member);
/// `nextRole[r]` is `.stopped` exactly when `node[r]` is nil for a primitive.
public struct Assignment: Sendable, Equatable {
  public var node: [Int?]
  public var nextRole: [Role]
  /// Score lines in the `.scores` format ("pcmk__primitive_assign: rsc allocation score on node1: 0"), rendered
  /// on demand from `scoreLog` (building them costs more than scheduling on large clusters).
  public var scoreLines: [String] {
    var out: [String] = []
    for e in scoreLog {
      for (n, w) in e.scores.enumerated() {
        guard let w else { continue }
        out.append("\(e.function): \(resourceIDs[e.resource]) allocation score on \(nodeNames[n]): \(ScoreMath.text(w))")
      }
    }
    return out
  }
  /// The node scores of each resource at the moment it was assigned, in assignment order.
  public var scoreLog: [ScoreLogEntry]
  var resourceIDs: [String]
  var nodeNames: [String]
  /// Promotion scores for promotable instances ("rsc:0 promotion score on node1: 10").
  public var promotionLines: [String]
}

/// One resource's node scores as logged by an assignment function (`pcmk__primitive_assign`, ...).
public struct ScoreLogEntry: Sendable, Equatable {
  public var function: String
  public var resource: Int
  /// Score per node index; nil where the node is not allowed at all.
  public var scores: [Int?]
}

/// Every resource's node scores during assignment, with a per-resource cache of the nodes whose effective score
/// (the score on an available node, -INFINITY elsewhere) is not 0: the colocation walk reads these lists
/// thousands of times, and on large clusters a resource prefers only a few nodes. Any write to a row drops its
/// list (the `_modify` accessor), so the cache can never be stale; copies carry their cache with them.
struct ScoreRows {
  private var rows: [[Int?]]
  private var nonZero: [[(node: Int32, score: Int)]?]
  private let available: [Bool]

  init(_ rows: [[Int?]], available: [Bool]) {
    self.rows = rows
    self.available = available
    nonZero = [[(node: Int32, score: Int)]?](repeating: nil, count: rows.count)
  }

  subscript(r: Int) -> [Int?] {
    get { rows[r] }
    _modify {
      nonZero[r] = nil
      yield &rows[r]
    }
  }

  mutating func nonZeroEffectiveScores(_ r: Int) -> [(node: Int32, score: Int)] {
    if let cached = nonZero[r] { return cached }
    var list: [(node: Int32, score: Int)] = []
    let row = rows[r]
    for n in row.indices {
      let score: Int
      if available[n], let x = row[n], x > ScoreMath.minusInfinity { score = x } else { score = ScoreMath.minusInfinity }
      if score != 0 { list.append((Int32(n), score)) }
    }
    nonZero[r] = list
    return list
  }
}

/// The node scores a colocation walk works on, with an undo log and a count of the nodes that can still run
/// the resource (score >= 0 on an available node), so a rollback restores only what it changed and the
/// "any node left?" test is O(1).
struct WalkTable {
  private(set) var scores: [Int?]
  private(set) var availableCount = 0
  private var undo: [(node: Int, previous: Int?)] = []
  private let available: [Bool]

  init(_ scores: [Int?], available: [Bool]) {
    precondition(scores.count == available.count, "one score per node")
    self.scores = scores
    self.available = available
    for n in scores.indices where available[n] { if let w = scores[n], w >= 0 { availableCount += 1 } }
  }

  var undoCount: Int { undo.count }

  private func counts(_ n: Int, _ w: Int?) -> Bool {
    guard let w else { return false }
    return w >= 0 && available[n]
  }

  mutating func set(_ n: Int, _ value: Int) {
    let old = scores[n]
    undo.append((n, old))
    if counts(n, old) { availableCount -= 1 }
    if counts(n, value) { availableCount += 1 }
    scores[n] = value
  }

  mutating func rollBack(to mark: Int) {
    while undo.count > mark {
      let (n, old) = undo.removeLast()
      if counts(n, scores[n]) { availableCount -= 1 }
      if counts(n, old) { availableCount += 1 }
      scores[n] = old
    }
  }
}

/// A colocation between two resources of the working set (indices), roles normalized (Started = any).
struct Colocation: Sendable {
  var id: String
  var dependent: Int
  var primary: Int
  var score: Int
  var dependentRole: Role
  var primaryRole: Role
  var nodeAttribute: String?
  var influence: Bool
}

/// Stage 3: node scores + colocations -> assignment of every resource, in Pacemaker's order
/// (priority, then configuration order), with its tie-breaking (score, fewest assigned resources, current node,
/// node name).
public func assign(_ state: ClusterState, _ scores: NodeScores) -> Assignment {
  var a = Assigner(state: state, scores: scores)
  a.run()
  return Assignment(node: a.assigned, nextRole: a.nextRole, scoreLog: a.scoreLog,
                    resourceIDs: state.resources.map { $0.id }, nodeNames: state.nodes.map { $0.name },
                    promotionLines: a.promotionLines)
}

/// Resolves a constraint's resource id: anonymous clone children and instances map to their clone.
func constraintResource(_ state: ClusterState, _ id: String) -> Int? {
  guard let r = state.resourceByID[id] else { return nil }
  if state.resources[r].id != id || state.resources[r].instanceNumber != nil {
    if let clone = state.isInClone(r) { return clone }
  }
  return r
}

struct Assigner {
  let state: ClusterState
  var allowed: ScoreRows
  var assigned: [Int?]
  var nextRole: [Role]
  var provisional: [Bool]
  var assigning: [Bool]
  var merging: [Bool]
  var nodeLoad: [Int]
  /// Each node's utilization capacity left after the resources assigned so far.
  var capacity: [[String: Int]]
  var thisWith: [[Colocation]]
  var withThis: [[Colocation]]
  var cloneNodeCount: [Int: [Int]] = [:]
  var scoreLog: [ScoreLogEntry] = []
  var promotionLines: [String] = []
  var priority: [Int]
  let roleLocations: [[RoleLocation]]
  let nodeCount: Int
  /// Per node: can it run resources at all (precomputed; read in the hot colocation loops).
  let availableNode: [Bool]
  /// Node classes for colocation attributes (see attributeClasses), for node names and each attribute used.
  let unameClasses: [Int]
  let attrClasses: [String: [Int]]
  /// Position of each node in name order (node names compare as bytes, as Pacemaker's strcmp does).
  let nodeNameRank: [Int]
  /// No two node names are equal ignoring case (then colocations by node name match each node only itself).
  let uniqueNames: Bool
  let minimalPlacement: Bool
  let balancedPlacement: Bool

  init(state: ClusterState, scores: NodeScores) {
    self.state = state
    allowed = ScoreRows(scores.allowed, available: state.nodes.map { $0.canRunResources })
    roleLocations = scores.roleLocations
    let n = state.resources.count
    assigned = [Int?](repeating: nil, count: n)
    nextRole = [Role](repeating: .unknown, count: n)
    provisional = [Bool](repeating: true, count: n)
    assigning = [Bool](repeating: false, count: n)
    merging = [Bool](repeating: false, count: n)
    nodeCount = state.nodes.count
    availableNode = state.nodes.map { $0.canRunResources }
    unameClasses = Self.attributeClasses(state.nodes, nil)
    var byAttr: [String: [Int]] = [:]
    for c in state.input.colocations {
      if let a = c.nodeAttribute, byAttr[a] == nil { byAttr[a] = Self.attributeClasses(state.nodes, a) }
    }
    attrClasses = byAttr
    var rank = [Int](repeating: 0, count: state.nodes.count)
    let byName = state.nodes.indices.sorted {
      state.nodes[$0].name.utf8.lexicographicallyPrecedes(state.nodes[$1].name.utf8)
    }
    for (i, n) in byName.enumerated() { rank[n] = i }
    nodeNameRank = rank
    uniqueNames = Set(unameClasses).count == state.nodes.count
    minimalPlacement = state.options.placementStrategy == "minimal"
    balancedPlacement = state.options.placementStrategy == "balanced"
    nodeLoad = [Int](repeating: 0, count: state.nodes.count)
    capacity = state.nodes.map { $0.utilization }
    thisWith = [[Colocation]](repeating: [], count: n)
    withThis = [[Colocation]](repeating: [], count: n)
    priority = state.resources.map { $0.priority }
    for r in state.resources {
      if let fromStatus = r.nextRoleFromStatus { nextRole[r.index] = fromStatus }
      if let t = r.targetRole, nextRole[r.index] == .unknown || t < nextRole[r.index] {
        nextRole[r.index] = t
      }
    }
    buildColocations()
  }

  // MARK: helpers

  func available(_ n: Int) -> Bool { availableNode[n] }

  func weightForSort(_ r: Int, _ n: Int) -> Int {
    guard let w = allowed[r][n] else { return ScoreMath.minusInfinity }
    return available(n) ? w : ScoreMath.minusInfinity
  }

  /// Does node `a` come before node `b` in Pacemaker's node order for `r` (pcmk__sort_nodes: score with
  /// unavailable nodes last, then fewer assigned resources, then the current node, then name)?
  func nodeBefore(_ a: Int, _ b: Int, _ r: Int, active: Int?) -> Bool {
    let wa = weightForSort(r, a), wb = weightForSort(r, b)
    if wa != wb { return wa > wb }
    if !minimalPlacement {
      if balancedPlacement {
        let c = compareCapacities(a, b)
        if c != 0 { return c < 0 }
      }
      if nodeLoad[a] != nodeLoad[b] { return nodeLoad[a] < nodeLoad[b] }
      if let act = active {
        if a == act && b != act { return true }
        if b == act && a != act { return false }
      }
    }
    return nodeNameRank[a] < nodeNameRank[b]
  }

  /// The first of `r`'s allowed nodes in Pacemaker's node order, in one pass (no sort).
  func bestNode(_ r: Int, active: Int?) -> Int? {
    var best: Int?
    let table = allowed[r]
    for n in 0..<nodeCount where table[n] != nil {
      if let b = best, !nodeBefore(n, b, r, active: active) { continue }
      best = n
    }
    return best
  }

  func anyAvailable(_ table: [Int?]) -> Bool {
    for n in 0..<nodeCount { if let w = table[n], w >= 0, available(n) { return true } }
    return false
  }

  func currentNode(_ r: Int) -> Int? { state.currentNode(r) }

  func nodeAttribute(_ n: Int, _ attr: String?) -> String? {
    guard let attr else { return state.nodes[n].name }
    if attr == "#uname" { return state.nodes[n].name }
    if attr == "#id" { return state.nodes[n].id }
    return state.nodes[n].attributes[attr]
  }

  // MARK: driver

  mutating func run() {
    let byPriority = stableSorted(state.topLevel) { state.resources[$0].priority > state.resources[$1].priority }
    let order = checksUtilization ? utilizationOrder(byPriority) : byPriority
    for r in order { _ = assignResource(r, prefer: nil) }
    inhibitUnpairedInterleavedInstances()
    // Anything never reached (e.g. dependency loops) stays where it is if unmanaged, else stops.
    for r in state.resources.indices where provisional[r] { provisional[r] = false }
    for r in state.resources.indices where state.resources[r].isPrimitive {
      if assigned[r] == nil { nextRole[r] = .stopped } else if nextRole[r] == .unknown || nextRole[r] == .stopped {
        nextRole[r] = state.isPromotableInstance(r) ? .unpromoted : .started
      }
    }
  }

  /// Mandatory orders between interleaved clones: a 'then' instance with no 'first' instance on its node
  /// cannot be active (Pacemaker unassigns it).
  mutating func inhibitUnpairedInterleavedInstances() {
    for o in state.input.orders where o.kind == .mandatory && o.symmetrical && o.requireAll {
      guard o.firstAction == "start" || o.firstAction == "promote",
            let f = constraintResource(state, o.first), let t = constraintResource(state, o.then),
            state.resources[f].variant == .clone, state.resources[t].variant == .clone,
            state.resources[t].interleave, state.resources[f].meta["clone-min"] == nil else { continue }
      let firstNodes = Set(state.resources[f].children.compactMap { locationOf($0) })
      for inst in state.resources[t].children {
        guard let n = locationOf(inst), !firstNodes.contains(n) else { continue }
        for x in subtree(inst) where assigned[x] != nil {
          nodeLoad[assigned[x]!] -= state.resources[x].isPrimitive ? 1 : 0
          if state.resources[x].isPrimitive { consumeCapacity(assigned[x]!, x, release: true) }
          assigned[x] = nil
          nextRole[x] = .stopped
        }
      }
    }
  }

  mutating func assignResource(_ r: Int, prefer: Int?) -> Int? {
    switch state.resources[r].variant {
    case .primitive: return assignPrimitive(r, prefer: prefer)
    case .group: return assignGroup(r, prefer: prefer)
    case .clone: assignClone(r, prefer: prefer); return nil
    }
  }
}

/// A stable sort (Swift's `sorted` is not guaranteed stable), as Pacemaker's list sorts are.
func stableSorted<T>(_ items: [T], by less: (T, T) -> Bool) -> [T] {
  let indexed = Array(items.enumerated())
  return indexed.sorted { a, b in
    if less(a.element, b.element) { return true }
    if less(b.element, a.element) { return false }
    return a.offset < b.offset
  }.map { $0.element }
}
