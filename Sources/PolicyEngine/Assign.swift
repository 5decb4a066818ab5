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
    nodeLoad = [Int](repeating: 0, count: state.nodes.count)
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

  // MARK: colocations

  /// Pacemaker keeps each resource's colocation lists sorted (g_list_insert_sorted): "this with" lists by the
  /// primary's priority, variant (clones first), promotable, id; "with this" lists likewise by the dependent.
  /// A new entry goes before existing equal ones, exactly as the GLib insertion does.
  func colocationKeyLess(_ a: Int, _ b: Int) -> Int {
    let ra = state.resources[a], rb = state.resources[b]
    if ra.priority != rb.priority { return ra.priority > rb.priority ? -1 : 1 }
    let va = variantRank(ra.variant), vb = variantRank(rb.variant)
    if va != vb { return va > vb ? -1 : 1 }
    if ra.variant == .clone && ra.promotable != rb.promotable { return ra.promotable ? -1 : 1 }
    if ra.id == rb.id { return 0 }
    return ra.id.utf8.lexicographicallyPrecedes(rb.id.utf8) ? -1 : 1
  }

  func variantRank(_ v: ResourceState.Variant) -> Int {
    switch v {
    case .primitive: return 0
    case .group: return 1
    case .clone: return 2
    }
  }

  mutating func addThisWith(_ r: Int, _ c: Colocation) {
    var list = thisWith[r]
    var i = 0
    while i < list.count && colocationKeyLess(c.primary, list[i].primary) > 0 { i += 1 }
    list.insert(c, at: i)
    thisWith[r] = list
  }

  mutating func addWithThis(_ r: Int, _ c: Colocation) {
    var list = withThis[r]
    var i = 0
    while i < list.count && colocationKeyLess(c.dependent, list[i].dependent) > 0 { i += 1 }
    list.insert(c, at: i)
    withThis[r] = list
  }

  mutating func addColocation(_ c: Colocation) {
    addThisWith(c.dependent, c)
    addWithThis(c.primary, c)
  }

  mutating func buildColocations() {
    // Configured colocations first, as Pacemaker unpacks them before creating the implicit ones. Groups keep
    // their own lists until they are assigned (expandGroupColocations), as Pacemaker's groups do.
    for c in state.input.colocations {
      guard c.score != 0, let d = constraintResource(state, c.dependent), let p = constraintResource(state, c.primary),
            d != p else { continue }
      func role(_ s: String?) -> Role {
        guard let s, let r = Role(text: s) else { return .unknown }
        return r == .started ? .unknown : r
      }
      addColocation(Colocation(id: c.id, dependent: d, primary: p, score: c.score, dependentRole: role(c.dependentRole),
                               primaryRole: role(c.primaryRole), nodeAttribute: c.nodeAttribute,
                               influence: c.influence))
    }
    // Group internals: each member with the previous one.
    for r in state.resources where r.variant == .group {
      let collocated = isTrue(r.meta["collocated"] ?? "true")
      guard collocated else { continue }
      for (i, m) in r.children.enumerated() where i > 0 {
        addColocation(Colocation(id: "group:internal_colocation", dependent: m, primary: r.children[i - 1],
                                 score: ScoreMath.infinity, dependentRole: .unknown, primaryRole: .unknown,
                                 nodeAttribute: nil, influence: true))
      }
    }
  }

  /// When a group is assigned, "group with X" becomes "first member with X" and "X with group" becomes
  /// "X with last member" (Pacemaker's expand_group_colocations). Before that, walks through the group's
  /// members do not see the group's own colocations.
  mutating func expandGroupColocations(_ g: Int) {
    let kids = state.resources[g].children
    guard let first = kids.first, let last = kids.last else { return }
    let own = thisWith[g]
    for c in own { addThisWith(first, c) }
    var anyUnmanaged = !state.resources[first].managed
    for m in kids.dropFirst() {
      if anyUnmanaged {
        for c in own where c.score == ScoreMath.infinity { addThisWith(m, c) }
      } else if !state.resources[m].managed {
        anyUnmanaged = true
      }
    }
    thisWith[g] = []
    for c in withThis[g] { addWithThis(last, c) }
    withThis[g] = []
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
    let order = stableSorted(state.topLevel) { state.resources[$0].priority > state.resources[$1].priority }
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

  // MARK: primitives

  mutating func assignPrimitive(_ r: Int, prefer: Int?) -> Int? {
    if let p = state.resources[r].parent, !assigning[p], provisional[p] {
      _ = assignResource(p, prefer: prefer)
    }
    guard provisional[r] else { return assigned[r] }
    guard !assigning[r] else { return nil }
    assigning[r] = true

    for c in thisWith[r] { applyThisWith(r, c) }
    for c in withThis[r] where c.influence || state.resources[r].runningOn.isEmpty {
      let factor = Float(c.score) / Float(ScoreMath.infinity)
      var table = allowed[r]
      addColocatedNodeScores(c.dependent, into: &table, attr: c.nodeAttribute, factor: factor,
                             onlyPositive: false, thisWithMode: false)
      allowed[r] = table
    }

    if nextRole[r] == .stopped {
      for n in 0..<nodeCount { allowed[r][n] = ScoreMath.minusInfinity }
    } else if nextRole[r] > state.resources[r].role && !state.options.haveQuorum && state.options.noQuorumPolicy == .freeze {
      nextRole[r] = state.resources[r].role
    }

    logScores("pcmk__primitive_assign", r)

    var managed = state.resources[r].managed
    if state.options.stonithEnabled && !state.options.haveStonithResource { managed = false }
    if !managed {
      let to = currentNode(r)
      nextRole[r] = state.resources[r].role
      finalize(r, to, force: true)
    } else if state.options.stopAllResources {
      finalize(r, nil, force: true)
    } else {
      assignBestNode(r, prefer: prefer)
    }
    assigning[r] = false
    return assigned[r]
  }

  mutating func assignBestNode(_ r: Int, prefer: Int?) {
    let running = currentNode(r)
    guard let best = bestNode(r, active: running) else { finalize(r, nil, force: false); return }
    var chosen: Int?
    if let p = prefer, let w = allowed[r][p] {
      if w >= (allowed[r][best] ?? ScoreMath.minusInfinity), available(p), w >= 0 { chosen = p }
    }
    if chosen == nil {
      chosen = best
      // Among the nodes tied with the best, stay on the current one (assign_best_node).
      let bw = allowed[r][best] ?? ScoreMath.minusInfinity
      let uniqueInstance = state.isInClone(r).map { state.resources[$0].unique } ?? false
      if !uniqueInstance && bw > 0 && available(best), let running, available(running),
         (allowed[r][running] ?? ScoreMath.minusInfinity) == bw {
        chosen = running
      }
    }
    finalize(r, chosen, force: false)
  }

  mutating func finalize(_ r: Int, _ node: Int?, force: Bool) {
    provisional[r] = false
    var chosen = node
    if !force, let n = chosen {
      let w = allowed[r][n] ?? ScoreMath.minusInfinity
      if w < 0 || !available(n) { chosen = nil }
    }
    guard let n = chosen else {
      assigned[r] = nil
      nextRole[r] = .stopped
      return
    }
    assigned[r] = n
    if nextRole[r] == .unknown || nextRole[r] == .stopped && !force {
      nextRole[r] = state.isPromotableInstance(r) ? .unpromoted : .started
    }
    nodeLoad[n] += 1
  }

  /// Records `r`'s scores, and for a collective its members' too (Pacemaker's pe__show_node_weights shows
  /// the whole subtree, skipping orphans).
  mutating func logScores(_ fn: String, _ r: Int) {
    scoreLog.append(ScoreLogEntry(function: fn, resource: r, scores: allowed[r]))
    for c in state.resources[r].children where !state.resources[c].isOrphan { logScores(fn, c) }
  }

  // MARK: colocation application

  mutating func applyThisWith(_ r: Int, _ c: Colocation) {
    let primary = c.primary
    let archive: [Int?]? = (c.dependentRole >= .promoted || (c.score < 0 && c.score > ScoreMath.minusInfinity))
      ? allowed[r] : nil
    _ = assignResource(primary, prefer: nil)
    applyColocScore(dependent: r, primary: primary, c)
    if let archive, !anyAvailable(allowed[r]) { allowed[r] = archive }
  }

  /// Apply colocation `c` to primitive `dependent`'s scores from `primary` (any variant).
  mutating func applyColocScore(dependent: Int, primary: Int, _ c: Colocation) {
    switch state.resources[primary].variant {
    case .primitive:
      applyColocToWeights(dependent: dependent, primaryNode: primaryNodeIfAffects(dependent, primary, c), c,
                          primaryProvisional: provisional[primary])
    case .group:
      guard !provisional[primary] else { return }
      let kids = state.resources[primary].children
      guard let member = c.score >= ScoreMath.infinity ? kids.last : kids.first else { return }
      applyColocScore(dependent: dependent, primary: member, c)
    case .clone:
      guard !provisional[primary] else { return }
      let instances = state.resources[primary].children
      if c.score >= ScoreMath.infinity {
        var nodes = Set<Int>()
        for i in instances {
          if let n = locationOf(i), !state.resources[i].blocked {
            if c.primaryRole == .unknown || roleOf(i) == c.primaryRole { nodes.insert(n) }
          }
        }
        for n in 0..<nodeCount where !nodes.contains(n) && allowed[dependent][n] != nil {
          allowed[dependent][n] = ScoreMath.minusInfinity
        }
        return
      }
      for i in instances {
        if c.primaryRole != .unknown && roleOf(i) != c.primaryRole { continue }
        if let n = locationOf(i) {
          applyColocToWeights(dependent: dependent, primaryNode: n, c, primaryProvisional: false, single: true)
        }
      }
    }
  }

  func locationOf(_ r: Int) -> Int? {
    if state.resources[r].isPrimitive { return assigned[r] }
    for c in state.resources[r].children { if let n = locationOf(c) { return n } }
    return nil
  }

  func roleOf(_ r: Int) -> Role {
    if state.resources[r].isPrimitive { return nextRole[r] }
    var role = Role.stopped
    for c in state.resources[r].children { role = max(role, roleOf(c)) }
    return role
  }

  /// Pacemaker's pcmk__colocation_affects for a primitive primary: nil when it does not apply.
  func primaryNodeIfAffects(_ dependent: Int, _ primary: Int, _ c: Colocation) -> Int?? {
    if provisional[primary] { return .none }
    if c.score > 0 && c.dependentRole != .unknown && c.dependentRole != nextRole[dependent] && !(c.dependentRole == .started) {
      if !(c.dependentRole == .unpromoted && nextRole[dependent] == .unknown) { return .none }
    }
    if c.score > 0 && c.primaryRole != .unknown && c.primaryRole != nextRole[primary] { return .none }
    if c.score < 0 && c.dependentRole != .unknown && c.dependentRole == nextRole[dependent] { return .none }
    if c.score < 0 && c.primaryRole != .unknown && c.primaryRole == nextRole[primary] { return .none }
    return .some(assigned[primary])
  }

  mutating func applyColocToWeights(dependent: Int, primaryNode: Int??, _ c: Colocation, primaryProvisional: Bool,
                                    single: Bool = false) {
    guard case .some(let pn) = primaryNode else { return }
    if pn == nil && c.score < 0 { return }
    var work = allowed[dependent]
    let cls = classes(c.nodeAttribute)
    // A node matches the primary's node when their attribute values are equal (a missing value matches none).
    let primaryClass = pn.flatMap { p in nodeAttribute(p, c.nodeAttribute) == nil ? nil : cls[p] }
    for n in 0..<nodeCount {
      guard let w = work[n] else { continue }
      if pn == nil {
        work[n] = ScoreMath.add(-c.score, w)
      } else if let pc = primaryClass, cls[n] == pc {
        if c.score < ScoreMath.infinity { work[n] = ScoreMath.add(c.score, w) }
      } else if c.score >= ScoreMath.infinity && !single {
        work[n] = ScoreMath.add(-c.score, w)
      }
    }
    if c.score <= ScoreMath.minusInfinity || c.score >= ScoreMath.infinity || anyAvailable(work) {
      allowed[dependent] = work
    }
  }

  /// Pacemaker's pcmk__add_colocated_node_scores: fold `rsc`'s (and, recursively, its dependents') preferences
  /// into `nodes`, attenuated by `factor`. `active` is Pacemaker's pcmk__coloc_select_active: when the merged
  /// scores leave no node available, the whole contribution of `rsc` is rolled back.
  ///
  /// A group contributes through its first member (whose walk follows the internal colocations down the
  /// members) and then through the "with group" colocations its last member holds once the group is assigned.
  mutating func addColocatedNodeScores(_ rsc: Int, into nodes: inout [Int?], attr: String?, factor: Float,
                                       onlyPositive: Bool, thisWithMode: Bool, active: Bool = true) {
    var table = WalkTable(nodes, available: availableNode)
    walkColocated(rsc, &table, attr: attr, factor: factor, onlyPositive: onlyPositive, thisWithMode: thisWithMode,
                  active: active)
    nodes = table.scores
  }

  /// One step of the walk, in place on `table`: a rollback undoes exactly the changes made since this step
  /// began (the table's undo log), so no level copies the scores.
  mutating func walkColocated(_ rsc: Int, _ table: inout WalkTable, attr: String?, factor: Float,
                              onlyPositive: Bool, thisWithMode: Bool, active: Bool) {
    guard !merging[rsc] else { return }
    merging[rsc] = true
    defer { merging[rsc] = false }
    let mark = table.undoCount
    let isGroup = state.resources[rsc].variant == .group
    if isGroup {
      guard let first = state.resources[rsc].children.first else { return }
      walkColocated(first, &table, attr: attr, factor: factor, onlyPositive: onlyPositive,
                    thisWithMode: thisWithMode, active: active)
    } else {
      addNodeScoresMatchingAttr(&table, from: rsc, attr: attr, factor: factor, onlyPositive: onlyPositive)
    }
    if table.availableCount > 0 {
      let multiplier: Float = factor < 0 ? -1 : 1
      let owner = thisWithMode || !isGroup ? rsc : (state.resources[rsc].children.last ?? rsc)
      let count = thisWithMode ? thisWith[owner].count : withThis[owner].count
      for i in 0..<count {
        let c = thisWithMode ? thisWith[owner][i] : withThis[owner][i]
        let other: Int
        if thisWithMode {
          other = c.primary
        } else {
          guard c.influence || state.resources[c.primary].runningOn.isEmpty else { continue }
          other = c.dependent
        }
        let f = multiplier * Float(c.score) / Float(ScoreMath.infinity)
        walkColocated(other, &table, attr: c.nodeAttribute, factor: f, onlyPositive: onlyPositive,
                      thisWithMode: thisWithMode, active: true)
      }
    } else if active {
      table.rollBack(to: mark)
      return
    }
    if onlyPositive {
      for n in 0..<nodeCount where table.scores[n] == Self.infinityHack { table.set(n, 1) }
    }
  }

  /// Pacemaker marks a node it must not make negative with this value while merging (INFINITY * -100).
  static let infinityHack = ScoreMath.infinity * -100

  /// Node classes per colocation attribute: nodes with equal (case-insensitive) values share a class; a missing
  /// value is a class of its own (it matches other missing values, as Pacemaker's string comparison does).
  static func attributeClasses(_ nodes: [NodeState], _ attr: String?) -> [Int] {
    var ids: [String?: Int] = [:]
    return nodes.map { node in
      let v: String?
      if attr == nil || attr == "#uname" { v = node.name.lowercased() }
      else if attr == "#id" { v = node.id.lowercased() }
      else { v = node.attributes[attr!]?.lowercased() }
      if let id = ids[v] { return id }
      let id = ids.count
      ids[v] = id
      return id
    }
  }

  func classes(_ attr: String?) -> [Int] {
    guard let attr, attr != "#uname" else { return unameClasses }
    return attrClasses[attr] ?? Self.attributeClasses(state.nodes, attr)
  }

  /// For each node of `table`, add `factor` times `rsc`'s best score among available nodes with the same
  /// attribute value (Pacemaker's add_node_scores_matching_attr), in O(nodes).
  mutating func addNodeScoresMatchingAttr(_ table: inout WalkTable, from rsc: Int, attr: String?, factor: Float,
                                          onlyPositive: Bool) {
    let cls = classes(attr)
    // With one node per class (node names), each node gets the source's own score, and only the nodes where
    // that score is not 0 can change: those come from the rows' cached list, not a scan of every node.
    let identity = cls.count == nodeCount && (attr == nil || attr == "#uname") && uniqueNames
    if identity {
      let entries = allowed.nonZeroEffectiveScores(rsc)
      for e in entries {
        addWeighted(&table, node: Int(e.node), score: e.score, factor: factor, onlyPositive: onlyPositive)
      }
      return
    }
    let source = allowed[rsc]
    var best = [Int](repeating: ScoreMath.minusInfinity, count: nodeCount)
    for m in 0..<nodeCount {
      guard let w = source[m], w > best[cls[m]], availableNode[m] else { continue }
      best[cls[m]] = w
    }
    for n in 0..<nodeCount {
      let score = best[cls[n]]
      // A zero score adds nothing (weight 0, and add(0, x) == x).
      if score == 0 { continue }
      addWeighted(&table, node: n, score: score, factor: factor, onlyPositive: onlyPositive)
    }
  }

  /// Adds `factor` times `score` to one node of the walk (Pacemaker's rounding, and the INFINITY*-100 marker
  /// for nodes that must not become negative when only positive preferences count).
  @inline(__always)
  func addWeighted(_ table: inout WalkTable, node n: Int, score: Int, factor: Float, onlyPositive: Bool) {
    guard let current = table.scores[n] else { return }
    if factor < 0 && score < 0 { return }
    let hack = Self.infinityHack
    if current == hack { return }
    let wf = factor * Float(score)
    var weight = Int(wf < 0 ? wf - 0.5 : wf + 0.5)
    if weight == 0 && score != 0 { weight = factor > 0 ? 1 : (factor < 0 ? -1 : 0) }
    let newScore = ScoreMath.add(weight, current)
    if onlyPositive && newScore < 0 && current > 0 { table.set(n, hack); return }
    if onlyPositive && newScore < 0 && current == 0 { return }
    if newScore != current { table.set(n, newScore) }
  }

  // MARK: groups

  mutating func assignGroup(_ r: Int, prefer: Int?) -> Int? {
    guard provisional[r] else { return assigned[r] }
    guard !assigning[r] else { return nil }
    let kids = state.resources[r].children
    guard !kids.isEmpty else { provisional[r] = false; return nil }
    assigning[r] = true
    // Group-level colocations were routed to the first/last member when the lists were built.
    expandGroupColocations(r)
    logScores("pcmk__group_assign", r)
    var first: Int?
    for m in kids {
      let n = assignResource(m, prefer: prefer)
      if first == nil { first = n }
    }
    nextRole[r] = nextRole[kids[0]]
    provisional[r] = false
    assigning[r] = false
    assigned[r] = first
    return first
  }

  // MARK: clones

  mutating func assignClone(_ r: Int, prefer: Int?) {
    guard provisional[r], !assigning[r] else { return }
    assigning[r] = true
    let clone = state.resources[r]
    for c in thisWith[r] { _ = assignResource(c.primary, prefer: prefer) }
    for c in withThis[r] where c.influence || clone.runningOn.isEmpty {
      let factor = Float(c.score) / Float(ScoreMath.infinity)
      var table = allowed[r]
      addColocatedNodeScores(c.dependent, into: &table, attr: c.nodeAttribute, factor: factor,
                             onlyPositive: true, thisWithMode: false)
      allowed[r] = table
    }
    if clone.promotable { addPromotionScores(r) }
    logScores("pcmk__clone_allocate", r)

    // Instances inherit the clone's colocations.
    let available0 = (0..<nodeCount).filter { available($0) }.count
    let allColoc = clone.cloneMax < available0
    for inst in clone.children {
      for c in thisWith[r] where allColoc || c.score < 0 || c.score == ScoreMath.infinity {
        var ic = c
        ic.dependent = inst
        thisWith[firstPrimitiveOrSelf(inst)].append(ic)
      }
    }

    let instances = sortInstances(clone.children, clone: r)
    var count = [Int](repeating: 0, count: nodeCount)
    let maxTotal = clone.cloneMax
    let perNode = clone.cloneNodeMax
    let availableNodes = (0..<nodeCount).filter { available($0) }.count
    var loopMax = availableNodes > 0 ? maxTotal / availableNodes : 0
    if loopMax < 1 { loopMax = 1 }
    var done = 0

    // Keep active instances where they are when possible.
    for inst in instances where done < maxTotal {
      let rsc = state.resources[inst]
      guard let cur = currentNodeOfInstance(inst), provisional[inst], !instanceFailed(inst) else { continue }
      guard available(cur), (allowed[r][cur] ?? ScoreMath.minusInfinity) >= 0 || allowed[r][cur] == nil && false else {
        continue
      }
      if count[cur] >= loopMax { continue }
      _ = rsc
      if assignInstance(inst, prefer: cur, perNode: perNode, count: &count, clone: r) { done += 1 }
    }
    for inst in instances {
      guard provisional[inst] else { continue }
      if done >= maxTotal {
        banEverywhere(inst)
        markStopped(inst)
      } else if assignInstance(inst, prefer: nil, perNode: perNode, count: &count, clone: r) {
        done += 1
      }
    }
    cloneNodeCount[r] = count
    if clone.promotable { setPromotableRoles(r) }
    provisional[r] = false
    assigning[r] = false
  }

  func firstPrimitiveOrSelf(_ r: Int) -> Int {
    if state.resources[r].variant == .group, let f = state.resources[r].children.first { return f }
    return r
  }

  func currentNodeOfInstance(_ inst: Int) -> Int? {
    let prims = state.allPrimitives(under: inst)
    for p in prims { if let n = state.currentNode(p) { return n } }
    return nil
  }

  func instanceFailed(_ inst: Int) -> Bool {
    state.allPrimitives(under: inst).contains { state.resources[$0].failed }
  }

  mutating func banEverywhere(_ inst: Int) {
    for x in subtree(inst) { for n in 0..<nodeCount where allowed[x][n] != nil { allowed[x][n] = ScoreMath.minusInfinity } }
  }

  mutating func markStopped(_ inst: Int) {
    for x in subtree(inst) {
      provisional[x] = false
      assigned[x] = nil
      nextRole[x] = .stopped
    }
  }

  func subtree(_ r: Int) -> [Int] {
    var out = [r]
    for c in state.resources[r].children { out += subtree(c) }
    return out
  }

  /// Pacemaker's instance order: fewer active nodes, allowed, priority, active, current node usable, fewer
  /// instances on the current node, not failed, instance number.
  func sortInstances(_ list: [Int], clone: Int) -> [Int] {
    func activeCount(_ i: Int) -> Int {
      var s = Set<Int>()
      for p in state.allPrimitives(under: i) { s.formUnion(state.resources[p].runningOn) }
      return s.count
    }
    return stableSorted(list) { a, b in
      let na = activeCount(a), nb = activeCount(b)
      if na > 0 && nb > 0 && na != nb { return na < nb }
      let ca = currentNodeOfInstance(a), cb = currentNodeOfInstance(b)
      let alA = ca.map { (allowed[a][$0] ?? ScoreMath.minusInfinity) >= 0 } ?? true
      let alB = cb.map { (allowed[b][$0] ?? ScoreMath.minusInfinity) >= 0 } ?? true
      let canA = ca != nil ? alA : false, canB = cb != nil ? alB : false
      _ = canA; _ = canB
      if state.resources[a].priority != state.resources[b].priority {
        return state.resources[a].priority > state.resources[b].priority
      }
      if ca == nil && cb == nil { return false }
      if ca == nil { return false }
      if cb == nil { return true }
      let avA = available(ca!), avB = available(cb!)
      if avA != avB { return avA }
      let fa = instanceFailed(a), fb = instanceFailed(b)
      if fa != fb { return !fa }
      return (state.resources[a].instanceNumber ?? 0) < (state.resources[b].instanceNumber ?? 0)
    }
  }

  mutating func assignInstance(_ inst: Int, prefer: Int?, perNode: Int, count: inout [Int], clone: Int) -> Bool {
    guard provisional[inst] else { return locationOf(inst) != nil }
    // can_run_instance: nodes unavailable or at the per-node limit are excluded.
    for x in [inst] + (state.resources[inst].variant == .group ? state.resources[inst].children : []) {
      for n in 0..<nodeCount {
        guard allowed[x][n] != nil else { continue }
        let top = allowed[clone][n]
        if !available(n) || state.resources[inst].isOrphan || top == nil {
          allowed[x][n] = ScoreMath.minusInfinity
        } else if let t = top, t < 0 {
          allowed[x][n] = ScoreMath.add(allowed[x][n]!, t) < t ? ScoreMath.add(allowed[x][n]!, t) : t
          allowed[x][n] = min(allowed[x][n]!, t)
        } else if count[n] >= perNode {
          allowed[x][n] = ScoreMath.minusInfinity
        }
      }
    }
    if let p = prefer {
      guard let w = allowed[inst][p], w >= 0 else { return false }
    }
    let backup = allowed
    let backupLoad = nodeLoad
    let chosen = assignResource(inst, prefer: prefer)
    if let c = chosen, let p = prefer, c != p {
      // Not pre-assigning to the preferred node because another is better: undo.
      allowed = backup
      nodeLoad = backupLoad
      for x in subtree(inst) { provisional[x] = true; assigned[x] = nil; nextRole[x] = initialNextRole(x) }
      return false
    }
    if prefer != nil && chosen == nil {
      allowed = backup
      nodeLoad = backupLoad
      for x in subtree(inst) { provisional[x] = true; assigned[x] = nil; nextRole[x] = initialNextRole(x) }
      return false
    }
    if let c = chosen { count[c] += 1; return true }
    return false
  }

  func initialNextRole(_ r: Int) -> Role {
    var role = Role.unknown
    if let s = state.resources[r].nextRoleFromStatus { role = s }
    if let t = state.resources[r].targetRole, role == .unknown || t < role { role = t }
    return role
  }

  // MARK: promotion

  /// Promotion score of an instance on a node from the `master-<id>` node attribute (crm_master), or nil when
  /// none applies; cloned groups sum their members.
  func promotionScore(_ inst: Int, _ n: Int) -> Int? {
    if !state.resources[inst].isPrimitive {
      var total = 0
      var any = false
      for c in state.resources[inst].children {
        if let s = promotionScore(c, n) { total = ScoreMath.add(total, s); any = true }
      }
      return any ? total : nil
    }
    guard promotionScoreApplies(inst, n) else { return nil }
    let attrs = state.nodes[n].attributes
    if let v = attrs["master-\(state.resources[inst].id)"] { return ScoreMath.parseOrZero(v) }
    if let v = attrs["master-\(state.resources[inst].baseID)"] { return ScoreMath.parseOrZero(v) }
    return nil
  }

  func promotionScoreApplies(_ inst: Int, _ n: Int) -> Bool {
    guard let clone = state.isInClone(inst) else { return false }
    func allowedHere() -> Bool { (allowed[inst][n] ?? ScoreMath.minusInfinity) >= 0 }
    if !state.resources[clone].unique {
      let same = state.allPrimitives(under: clone).filter { state.resources[$0].baseID == state.resources[inst].baseID }
      let active = same.first { state.resources[$0].runningOn.contains(n) }
      if active == inst { return allowedHere() }
      if active == nil && same.contains(where: { state.resources[$0].knownOn.contains(n) }) { return allowedHere() }
    }
    if state.resources[inst].runningOn.isEmpty && state.resources[inst].knownOn.isEmpty { return allowedHere() }
    if state.resources[inst].knownOn.contains(n) || state.resources[inst].runningOn.contains(n) { return allowedHere() }
    return false
  }

  /// Before placing a promotable clone's instances, positive promotion scores raise node preferences.
  mutating func addPromotionScores(_ r: Int) {
    for inst in state.resources[r].children {
      for n in 0..<nodeCount where allowed[inst][n] != nil && available(n) {
        guard let score = promotionScore(inst, n) else { continue }
        if score > 0 { allowed[inst][n] = ScoreMath.add(allowed[inst][n]!, score) }
        if score > priority[inst] { priority[inst] = score }
      }
    }
  }

  /// Pacemaker's pcmk__set_instance_roles: promotion priorities, sort, then promote the first eligible ones.
  mutating func setPromotableRoles(_ r: Int) {
    let clone = state.resources[r]
    var sortIndex = [Int: Int]()
    var prio = [Int: Int]()
    for inst in clone.children {
      guard let n = locationOf(inst) else { sortIndex[inst] = 0; prio[inst] = priority[inst]; continue }
      let explicit = initialNextRole(inst)
      var p: Int
      switch explicit {
      case .unpromoted, .stopped:
        p = ScoreMath.minusInfinity
      case .promoted:
        p = priority[inst]
      default:
        p = promotionScore(inst, n) ?? -1
      }
      for loc in roleLocations[inst] where loc.node == n && loc.role == .promoted {
        p = ScoreMath.add(p, loc.score)
      }
      for c in thisWith[r] where c.dependentRole == .promoted || c.dependentRole == .unpromoted {
        guard let pn = locationOf(c.primary) else { continue }
        let same = nodeAttribute(pn, c.nodeAttribute)?.lowercased() == nodeAttribute(n, c.nodeAttribute)?.lowercased()
        if !same {
          if c.score >= ScoreMath.infinity && c.dependentRole == .promoted { p = ScoreMath.minusInfinity }
          continue
        }
        if c.primaryRole != .unknown && c.primaryRole != roleOf(c.primary) { continue }
        p = ScoreMath.add((c.dependentRole == .unpromoted ? -1 : 1) * c.score, p)
      }
      prio[inst] = p
      sortIndex[inst] = explicit == .promoted ? ScoreMath.infinity : p
    }
    // Merge per-node preferences into the clone's scores.
    var weights = allowed[r]
    for inst in clone.children {
      guard let si = sortIndex[inst], si >= 0, let n = locationOf(inst) else { continue }
      weights[n] = ScoreMath.add(si, weights[n] ?? 0)
    }
    for c in thisWith[r] where c.dependentRole == .promoted {
      let factor = Float(c.score) / Float(ScoreMath.infinity)
      addColocatedNodeScores(c.primary, into: &weights, attr: c.nodeAttribute, factor: factor, onlyPositive: false,
                             thisWithMode: false)
    }
    for c in withThis[r] where c.primaryRole == .promoted && (c.influence || clone.runningOn.isEmpty) {
      let factor = Float(c.score) / Float(ScoreMath.infinity)
      addColocatedNodeScores(c.dependent, into: &weights, attr: c.nodeAttribute, factor: factor, onlyPositive: true,
                             thisWithMode: false)
    }
    for inst in clone.children {
      let managed = state.resources[inst].managed
      if !managed && state.resources[inst].role == .promoted {
        sortIndex[inst] = ScoreMath.infinity
      } else if let n = locationOf(inst), let si = sortIndex[inst], si >= 0 {
        sortIndex[inst] = weights[n] ?? si
      }
    }
    let ordered = stableSorted(sortInstances(clone.children, clone: r)) { a, b in
      let sa = sortIndex[a] ?? 0, sb = sortIndex[b] ?? 0
      if sa != sb { return sa > sb }
      return state.resources[a].role > state.resources[b].role
    }
    var promoted = 0
    var perNode = [Int](repeating: 0, count: nodeCount)
    for inst in ordered {
      if let n = locationOf(inst) {
        let score = sortIndex[inst] ?? 0
        promotionLines.append("\(state.resources[inst].id) promotion score on \(state.nodes[n].name): \(ScoreMath.text(score))")
      }
      var role = Role.unpromoted
      if (sortIndex[inst] ?? 0) >= 0 && (promoted < clone.promotedMax || !clone.managed), let n = locationOf(inst) {
        var ok = true
        let managed = state.resources[inst].managed
        if !managed && state.resources[inst].role != .promoted { ok = false }
        if managed && (prio[inst] ?? 0) < 0 { ok = false }
        if !available(n) { ok = false }
        if allowed[r][n] == nil { ok = false }
        if managed && perNode[n] >= clone.promotedNodeMax { ok = false }
        if ok && state.resources[inst].role < .promoted && !state.options.haveQuorum
          && state.options.noQuorumPolicy == .freeze { ok = false }
        if ok {
          role = .promoted
          promoted += 1
          perNode[n] += 1
        }
      }
      for x in subtree(inst) where state.resources[x].isPrimitive && assigned[x] != nil {
        nextRole[x] = role
      }
      nextRole[inst] = role
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
