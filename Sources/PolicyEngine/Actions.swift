import CIB

/// What an action does.
public enum ActionTask: String, Sendable, Equatable {
  case start, stop, promote, demote, monitor
  case migrateTo = "migrate_to", migrateFrom = "migrate_from"
  case fence = "stonith"
  case shutdown = "do_shutdown"
}

/// One action of the transition (Pacemaker's pe_action_t, minus the shared mutable blob).
///
/// Invariant: `node` is nil only for actions that cannot run (no assigned node); fencing actions name their
/// target in `node`.
public struct Action: Sendable, Equatable {
  public var id: Int
  public var resource: Int?
  public var task: ActionTask
  public var node: Int?
  public var optional: Bool
  public var runnable: Bool
  /// Implied by fencing: the stop completes when the node is fenced.
  public var pseudo: Bool = false
  public var reason: String?
  public var intervalMs: Int = 0
  public var probe: Bool = false
  /// Part of a live migration that can still go ahead (Pacemaker's pe_action_migrate_runnable); a start that
  /// stays migratable is done by migrate_to/migrate_from and is only a pseudo action.
  public var migratable: Bool = false
}

/// How an ordering binds its two actions (the subset of Pacemaker's pe_order flags the scheduler needs).
public struct OrderingFlags: OptionSet, Sendable, Equatable {
  public let rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }
  /// 'first' required -> 'then' required.
  public static let impliesThen = OrderingFlags(rawValue: 1 << 0)
  /// 'then' required -> 'first' required.
  public static let impliesFirst = OrderingFlags(rawValue: 1 << 1)
  /// 'first' unrunnable -> 'then' unrunnable.
  public static let runnableLeft = OrderingFlags(rawValue: 1 << 2)
  /// Stop/start of one resource: restart semantics.
  public static let restart = OrderingFlags(rawValue: 1 << 3)
  /// Asymmetrical mandatory order.
  public static let asymmetrical = OrderingFlags(rawValue: 1 << 4)
  /// Migration steps: 'then' not migratable and runnable -> 'first' unrunnable; 'then' required -> 'first' required.
  public static let impliesFirstMigratable = OrderingFlags(rawValue: 1 << 5)
  /// 'first' unrunnable -> 'then' no longer migratable (the start becomes a real start).
  public static let pseudoLeft = OrderingFlags(rawValue: 1 << 6)
}

/// One end of an ordering: a resource (primitive or collective) and a task, or a concrete action.
public enum ActionHandle: Sendable, Hashable {
  case action(Int)
  case resource(Int, ActionTask)
}

public struct Ordering: Sendable, Equatable {
  public var first: ActionHandle
  public var then: ActionHandle
  public var flags: OrderingFlags
}

/// Stage 4+5 output: actions with their final flags and the orderings between them.
public struct TransitionGraph: Sendable {
  public var actions: [Action]
  public var orderings: [Ordering]
  /// Nodes to fence, in order, with the reason.
  public var fencing: [(node: Int, reason: String)]
  /// Action ids per primitive resource index.
  public var byResource: [[Int]]
  /// Primitives whose changed parameters can be reloaded in place.
  public var reloads: Set<Int> = []
  /// Nodes to unfence ("Fence (on)") before resources are probed or started there, with the reason.
  public var unfencing: [(node: Int, reason: String)] = []
}

/// Stage 4: current state + assignment -> actions (start/stop/promote/demote, fencing, probes).
/// Stage 5 (inside): orderings and their flag propagation (required/runnable) to a fixpoint.
public func scheduleActions(_ state: ClusterState, _ assignment: Assignment) -> TransitionGraph {
  var b = ActionBuilder(state: state, assignment: assignment)
  b.build()
  b.propagate()
  return TransitionGraph(actions: b.actions, orderings: b.orderings, fencing: b.fencing, byResource: b.byResource,
                         reloads: b.reloads, unfencing: b.unfencing)
}

struct ActionBuilder {
  let state: ClusterState
  let assignment: Assignment
  var actions: [Action] = []
  var orderings: [Ordering] = []
  var fencing: [(node: Int, reason: String)] = []
  var byResource: [[Int]]
  var fencedNodes: Set<Int> = []
  var reloads: Set<Int> = []
  var unfencing: [(node: Int, reason: String)] = []

  init(state: ClusterState, assignment: Assignment) {
    self.state = state
    self.assignment = assignment
    byResource = [[Int]](repeating: [], count: state.resources.count)
  }

  func canFence(_ n: Int) -> Bool {
    let o = state.options
    guard o.stonithEnabled, o.haveStonithResource else { return false }
    if o.haveQuorum || o.noQuorumPolicy == .ignore { return true }
    return state.nodes[n].online
  }

  @discardableResult
  mutating func add(_ r: Int?, _ task: ActionTask, _ node: Int?, optional: Bool) -> Int {
    let id = actions.count
    var a = Action(id: id, resource: r, task: task, node: node, optional: optional, runnable: true)
    a.runnable = initialRunnable(a)
    actions.append(a)
    if let r { byResource[r].append(id) }
    return id
  }

  func initialRunnable(_ a: Action) -> Bool {
    guard let r = a.resource else { return true }
    guard let n = a.node else { return false }
    let node = state.nodes[n]
    if !node.online && !fencedNodes.contains(n) { return false }
    if fencedNodes.contains(n) { return a.task == .stop || a.task == .demote }
    if node.pending { return false }
    guard [.start, .promote, .migrateTo, .migrateFrom].contains(a.task) else { return true }
    if state.resources[r].requires == "nothing" { return true }
    var policy = state.options.noQuorumPolicy
    if state.options.haveQuorum { policy = .ignore }
    if policy == .demote {
      policy = (state.resources[r].role == .promoted || state.resources[r].role == .unpromoted) ? .ignore : .stop
    }
    switch policy {
    case .stop, .suicide: return false
    case .freeze:
      let active = !state.resources[r].runningOn.isEmpty
      return active && !(assignment.nextRole[r] > state.resources[r].role)
    default: return true
    }
  }

  // MARK: build

  mutating func build() {
    // Fencing first, so stops on fenced nodes become implied.
    for node in state.nodes where node.unclean {
      if canFence(node.index) {
        fencedNodes.insert(node.index)
        fencing.append((node.index, node.fenceReason ?? "node is unclean"))
      }
    }
    for r in state.resources where r.isPrimitive { createPrimitiveActions(r.index) }
    scheduleUnfencing()
    createInternalOrderings()
    createUserOrderings()
  }

  mutating func createPrimitiveActions(_ r: Int) {
    let next = assignment.node[r]
    let nextRole = assignment.nextRole[r]
    let current = state.resources[r].runningOn
    let managed = state.resources[r].managed && !(state.options.stonithEnabled && !state.options.haveStonithResource)
    let migration = migrationPlan(r)
    var multiple = current.filter { !fencedNodes.contains($0) }.count > 1
    if case .continuePartial = migration { multiple = false }
    var needStop = false
    if multiple { needStop = true }
    if case .abandonPartial = migration { needStop = true }
    if let n = next, let c = state.currentNode(r), c != n { needStop = true }
    if state.resources[r].failed && state.resources[r].stopOnFail { needStop = true }
    if next == nil && !current.isEmpty { needStop = true }
    var reload = false
    if let c = state.currentNode(r), next == c, let r0 = state.resources[r].definitionChanged[c] {
      if r0 { reload = true } else { needStop = true }
    }
    if !managed {
      needStop = false
      reload = false
    }
    if reload { reloads.insert(r) }
    let promotable = state.isPromotableInstance(r)

    // Stops (and demotes) on current nodes.
    for c in current {
      // A partial migration continues on its target: nothing to stop there.
      if case .continuePartial(_, let target) = migration, c == target { continue }
      var stopRequired = needStop
      if case .abandonPartial = migration { stopRequired = true }
      if let n = next, n == c, !multiple, !(state.resources[r].failed && state.resources[r].stopOnFail) { stopRequired = false }
      if !managed { stopRequired = false }
      let role = state.resources[r].rolePerNode[c] ?? state.resources[r].role
      if promotable && role == .promoted {
        let demoteRequired = stopRequired || nextRole < .promoted || next != c
        let d = add(r, .demote, c, optional: !(demoteRequired && managed))
        if fencedNodes.contains(c) { actions[d].pseudo = true; actions[d].runnable = true }
      }
      let s = add(r, .stop, c, optional: !stopRequired)
      if fencedNodes.contains(c) { actions[s].pseudo = true; actions[s].runnable = true }
      if !managed { actions[s].runnable = false }
    }
    // Start (and promote) on the next node.
    if let n = next {
      let runningThere = current.contains(n)
      let startRequired = !runningThere || needStop
      let st = add(r, .start, n, optional: !startRequired || !managed)
      if !managed && !runningThere { actions[st].runnable = false }
      if promotable {
        let curRole = state.resources[r].rolePerNode[n] ?? (runningThere ? state.resources[r].role : .stopped)
        if nextRole == .promoted {
          let required = curRole != .promoted || needStop
          add(r, .promote, n, optional: !required || !managed)
        }
      }
    } else if state.resources[r].role == .stopped && current.isEmpty && nextRole != .stopped {
      // Nothing to start anywhere; orderings will see a missing start as unrunnable.
    }
    for n in state.resources[r].danglingMigrations where !current.contains(n) && managed {
      let s = add(r, .stop, n, optional: false)
      if fencedNodes.contains(n) { actions[s].pseudo = true; actions[s].runnable = true }
    }
    switch migration {
    case .migrate(let source, let target): createMigrationActions(r, source: source, target: target, partial: false)
    case .continuePartial(let source, let target): createMigrationActions(r, source: source, target: target, partial: true)
    case .none, .abandonPartial: break
    }
  }

  // MARK: orderings

  mutating func order(_ first: ActionHandle, _ then: ActionHandle, _ flags: OrderingFlags) {
    orderings.append(Ordering(first: first, then: then, flags: flags))
  }

  /// Pairs already ordered by a configured constraint. Pacemaker keeps only the first ordering between the same
  /// two actions when their kinds overlap, and every configured kind does (all include "optional"), so a
  /// later constraint between the same pair is dropped (e.g. an Optional order followed by a Mandatory one).
  var configuredPairs: Set<OrderPair> = []

  struct OrderPair: Hashable {
    var first: ActionHandle
    var then: ActionHandle
  }

  mutating func configuredOrder(_ first: ActionHandle, _ then: ActionHandle, _ flags: OrderingFlags) {
    guard configuredPairs.insert(OrderPair(first: first, then: then)).inserted else { return }
    order(first, then, flags)
  }

  func primitiveActions(_ r: Int, _ task: ActionTask) -> [Int] {
    byResource[r].filter { actions[$0].task == task }
  }

  mutating func createInternalOrderings() {
    for rsc in state.resources where rsc.isPrimitive {
      let r = rsc.index
      for s in primitiveActions(r, .stop) {
        for st in primitiveActions(r, .start) {
          order(.action(s), .action(st), [.impliesThen, .restart])
        }
        for d in primitiveActions(r, .demote) where actions[d].node == actions[s].node {
          order(.action(d), .action(s), [.impliesFirst])
        }
      }
      for st in primitiveActions(r, .start) {
        for p in primitiveActions(r, .promote) { order(.action(st), .action(p), [.runnableLeft]) }
      }
      // Fencing: stops on a fenced node are implied by the fencing.
    }
    for rsc in state.resources where rsc.variant == .group {
      let kids = rsc.children
      guard isTrue(rsc.meta["ordered"] ?? "true") else { continue }
      for i in kids.indices.dropFirst() {
        order(.resource(kids[i - 1], .start), .resource(kids[i], .start), [.impliesThen, .runnableLeft])
        order(.resource(kids[i], .stop), .resource(kids[i - 1], .stop), [.restart])
      }
    }
  }

  func inverse(_ t: ActionTask) -> ActionTask {
    switch t {
    case .start: return .stop
    case .stop: return .start
    case .promote: return .demote
    case .demote: return .promote
    default: return t
    }
  }

  func task(_ s: String) -> ActionTask? {
    switch s {
    case "start": return .start
    case "stop": return .stop
    case "promote": return .promote
    case "demote": return .demote
    default: return nil
    }
  }

  mutating func createUserOrderings() {
    for o in state.input.orders {
      guard let f = constraintResource(state, o.first), let t = constraintResource(state, o.then), f != t,
            let fa = task(o.firstAction), let ta = task(o.thenAction) else { continue }
      var flags: OrderingFlags = []
      switch o.kind {
      case .mandatory:
        if o.symmetrical {
          flags = [.impliesThen]
          if fa == .start || fa == .promote { flags.insert(.runnableLeft) }
        } else {
          flags = [.asymmetrical]
        }
      case .optional, .serialize:
        flags = []
      }
      // Deprecated restart-type=restart turns an optional order into a restarting one.
      let restartType = state.resources[t].meta["restart-type"] == "restart"
      if o.kind == .optional && restartType { flags.insert(.impliesThen) }
      addResourceOrder(f, fa, t, ta, flags, pairInstances: o.requireAll && state.resources[f].meta["clone-min"] == nil)
      if o.symmetrical && o.kind != .serialize {
        var inv: OrderingFlags = o.kind == .mandatory ? [.impliesFirst] : []
        if o.kind == .optional && restartType { inv.insert(.impliesFirst) }
        addResourceOrder(t, inverse(ta), f, inverse(fa), inv, pairInstances: true)
      }
    }
  }

  mutating func addResourceOrder(_ f: Int, _ fa: ActionTask, _ t: Int, _ ta: ActionTask, _ flags: OrderingFlags,
                                 pairInstances: Bool) {
    let fr = state.resources[f], tr = state.resources[t]
    if pairInstances && fr.variant == .clone && tr.variant == .clone && tr.interleave {
      // Interleaved clones: each 'then' instance follows the 'first' instance on its own node.
      for ti in tr.children {
        let node = nodeOfInstance(ti)
        let peer = fr.children.first { nodeOfInstance($0) == node && node != nil }
        if let p = peer {
          configuredOrder(.resource(p, fa), .resource(ti, ta), flags)
        } else if flags.contains(.runnableLeft) {
          configuredOrder(.resource(f, fa), .resource(ti, ta), [.runnableLeft])
        }
      }
      return
    }
    configuredOrder(.resource(f, fa), .resource(t, ta), flags)
  }

  func nodeOfInstance(_ inst: Int) -> Int? {
    for p in state.allPrimitives(under: inst) {
      if let n = assignment.node[p] { return n }
    }
    for p in state.allPrimitives(under: inst) {
      if let n = state.resources[p].runningOn.first { return n }
    }
    return nil
  }

  // MARK: propagation

  struct Flags { var optional: Bool; var runnable: Bool; var migratable = false }

  /// Flags of a handle: a primitive's action(s), or the summary of a collective's children.
  /// For a clone 'first', Pacemaker judges the clone by its instances on the 'then' action's node only.
  func flags(_ h: ActionHandle, onNode node: Int?) -> Flags? {
    guard let node, case .resource(let r, let task) = h, state.resources[r].variant == .clone else { return flags(h) }
    var f = Flags(optional: true, runnable: false)
    for c in state.resources[r].children {
      let cf: Flags?
      if state.resources[c].isPrimitive {
        let list = primitiveActions(c, task).filter { actions[$0].node == node }
        if list.isEmpty { continue }
        cf = Flags(optional: list.allSatisfy { actions[$0].optional }, runnable: list.allSatisfy { actions[$0].runnable })
      } else {
        cf = flags(.resource(c, task))
      }
      guard let cf else { continue }
      if !cf.optional { f.optional = false }
      if cf.runnable { f.runnable = true }
    }
    return f
  }

  /// The node Pacemaker uses to scope a clone 'first': the 'then' action's node (a group's: its location).
  func thenNode(_ h: ActionHandle) -> Int? {
    switch h {
    case .action(let id): return actions[id].node
    case .resource(let r, _):
      switch state.resources[r].variant {
      case .primitive: return assignment.node[r]
      case .group: return state.resources[r].children.lazy.compactMap { self.assignment.node[$0] }.first
      case .clone: return nil
      }
    }
  }

  func flags(_ h: ActionHandle) -> Flags? {
    switch h {
    case .action(let id):
      return Flags(optional: actions[id].optional, runnable: actions[id].runnable, migratable: actions[id].migratable)
    case .resource(let r, let task):
      if state.resources[r].isPrimitive {
        let list = primitiveActions(r, task)
        if list.isEmpty {
          if task == .start || task == .promote {
            // Pacemaker creates a node-less, optional, unrunnable action for an ordering on a resource
            // that will not run; stopping something already stopped needs nothing.
            if assignment.node[r] == nil { return Flags(optional: true, runnable: false) }
            if task == .promote { return nil }
            return nil
          }
          return nil
        }
        var f = Flags(optional: true, runnable: true, migratable: true)
        for a in list {
          if !actions[a].optional { f.optional = false }
          if !actions[a].runnable { f.runnable = false }
          if !actions[a].migratable { f.migratable = false }
        }
        return f
      }
      var f = Flags(optional: true, runnable: state.resources[r].variant == .group)
      var any = false
      for c in state.resources[r].children {
        guard let cf = flags(.resource(c, task)) else {
          if state.resources[r].variant == .group && (task == .start) && assignment.node[c] == nil && !state.allPrimitives(under: c).isEmpty {
            any = true
            f.runnable = false
          }
          continue
        }
        any = true
        if !cf.optional { f.optional = false }
        if state.resources[r].variant == .group {
          if !cf.runnable { f.runnable = false }
        } else if cf.runnable {
          f.runnable = true
        }
      }
      if !any {
        if task == .start || task == .promote { return Flags(optional: true, runnable: false) }
        return nil
      }
      return f
    }
  }

  func targets(_ h: ActionHandle) -> [Int] {
    switch h {
    case .action(let id): return [id]
    case .resource(let r, let task):
      if state.resources[r].isPrimitive { return primitiveActions(r, task) }
      return state.resources[r].children.flatMap { targets(.resource($0, task)) }
    }
  }

  mutating func propagate() {
    var changed = true
    var passes = 0
    let passesMax = 64
    while changed && passes < passesMax {
      changed = false
      passes += 1
      for o in orderings {
        if apply(o) { changed = true }
      }
      if blockColocationDependents() { changed = true }
    }
  }

  func isBlockedStop(_ h: ActionHandle, _ r: Int) -> Bool {
    let task: ActionTask
    switch h {
    case .action(let id): task = actions[id].task
    case .resource(_, let t): task = t
    }
    guard task == .stop else { return false }
    return state.allPrimitives(under: r).contains { state.resources[$0].blocked && !state.resources[$0].managed }
  }

  /// Mandatory colocations: a dependent cannot start where its primary cannot start at all
  /// (Pacemaker's pcmk__block_colocation_dependents).
  mutating func blockColocationDependents() -> Bool {
    var changed = false
    for c in state.input.colocations where c.score >= ScoreMath.infinity {
      guard let d = constraintResource(state, c.dependent), let p = constraintResource(state, c.primary) else { continue }
      let primaryRole = c.primaryRole.flatMap { Role(parsing: $0) }
      let task: ActionTask = primaryRole == .promoted ? .promote : .start
      var prims: [Int] = []
      if state.resources[p].variant == .group {
        prims = state.resources[p].children
      } else {
        prims = state.allPrimitives(under: p)
      }
      guard !prims.isEmpty else { continue }
      var allUnrunnable = true
      for x in prims {
        let list = primitiveActions(x, task)
        if list.isEmpty || list.contains(where: { actions[$0].runnable }) { allUnrunnable = false; break }
      }
      guard allUnrunnable else { continue }
      let depTask: ActionTask = c.dependentRole.flatMap { Role(parsing: $0) } == .promoted ? .promote : .start
      for t in targets(.resource(d, depTask)) where actions[t].runnable {
        actions[t].runnable = false
        actions[t].reason = "colocation with \(state.resources[p].id)"
        changed = true
      }
    }
    return changed
  }

  func resourceOf(_ h: ActionHandle) -> Int? {
    switch h {
    case .action(let id): return actions[id].resource
    case .resource(let r, _): return r
    }
  }

  mutating func apply(_ o: Ordering) -> Bool {
    guard !o.flags.isEmpty, let ff = flags(o.first, onNode: thenNode(o.then)) else { return false }
    var changed = false
    // A migratable 'first' (a migrating start or stop) does not force its dependents to restart.
    if o.flags.contains(.impliesThen) && !ff.optional && !ff.migratable {
      for t in targets(o.then) where actions[t].optional {
        actions[t].optional = false
        changed = true
      }
    }
    if o.flags.contains(.runnableLeft) && !ff.runnable {
      for t in targets(o.then) where actions[t].runnable && !actions[t].pseudo {
        actions[t].runnable = false
        actions[t].migratable = false
        changed = true
      }
    }
    if o.flags.contains(.asymmetrical) && !ff.runnable {
      for t in targets(o.then) {
        let a = actions[t]
        if a.optional, let r = a.resource {
          if state.resources[r].role == .stopped && a.task == .stop { continue }
          if state.resources[r].role >= .started && a.task == .start && state.resources[r].runningOn == [a.node].compactMap({ $0 }) { continue }
        }
        if actions[t].optional || actions[t].runnable {
          actions[t].optional = false
          actions[t].runnable = false
          changed = true
        }
      }
    }
    // Requiring a clone's stop pseudo-action does not reach its instances (Pacemaker updates only 'then' children).
    let firstIsClone = resourceOf(o.first).map { state.resources[$0].variant == .clone } ?? false
    if o.flags.contains(.impliesFirst), !firstIsClone, let tf = flags(o.then), !tf.optional {
      for f in targets(o.first) where actions[f].optional || (actions[f].migratable && !tf.migratable) {
        actions[f].optional = false
        if !tf.migratable { actions[f].migratable = false }
        changed = true
      }
    }
    // A blocked, unmanaged resource's unrunnable stop holds back everything ordered after it.
    if !o.flags.intersection([.impliesThen, .impliesFirst, .restart]).isEmpty, !ff.runnable,
       let fr = resourceOf(o.first), isBlockedStop(o.first, fr) {
      for t in targets(o.then) where actions[t].runnable && !actions[t].pseudo {
        actions[t].runnable = false
        changed = true
      }
    }
    if o.flags.contains(.restart), let tf = flags(o.then) {
      if !tf.migratable {
        for f in targets(o.first) where actions[f].migratable { actions[f].migratable = false; changed = true }
      }
      let sameResource = resourceOf(o.first) == resourceOf(o.then)
      var reason = !tf.optional
      if !tf.runnable && sameResource, let r = resourceOf(o.then), state.resources[r].managed { reason = true }
      if reason {
        for f in targets(o.first) where actions[f].optional && (actions[f].runnable || !tf.optional) {
          actions[f].optional = false
          changed = true
        }
      }
      if let f2 = flags(o.first), !f2.optional && !f2.runnable {
        for t in targets(o.then) where actions[t].runnable && !actions[t].pseudo {
          actions[t].runnable = false
          changed = true
        }
      }
    }
    if !o.flags.intersection([.impliesFirstMigratable, .pseudoLeft]).isEmpty {
      if applyMigrationFlags(o, first: ff) { changed = true }
    }
    return changed
  }
}
