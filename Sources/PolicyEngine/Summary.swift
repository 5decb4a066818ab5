import CIB

/// One line of the Transition Summary, as data (what `compare.py` normalizes).
public struct SummaryLine: Sendable, Equatable {
  public var verb: String
  public var resource: String
  public var details: String
  public var tail: String
}

/// Stage 6: the Transition Summary, Pacemaker's per-resource verdict (Start, Stop, Move, Recover, Restart,
/// Promote, Demote, Re-promote) derived from the actions' final flags.
public func transitionSummary(_ state: ClusterState, _ a: Assignment, _ g: TransitionGraph) -> [String] {
  var lines: [String] = []
  for f in g.fencing {
    lines.append("Fence (\(state.options.stonithAction)) \(state.nodes[f.node].name) '\(f.reason)'")
  }
  for u in g.unfencing {
    lines.append("Fence (on) \(state.nodes[u.node].name) '\(u.reason)'")
  }
  var items: [SummaryLine] = []
  for r in summaryOrder(state) { items += summarize(state, a, g, r) }
  let rscWidth = items.map { $0.resource.count }.max() ?? 0
  let detailWidth = items.map { $0.details.count }.max() ?? 0
  for i in items {
    let verb = i.verb.padding(toLength: max(8, i.verb.count), withPad: " ", startingAt: 0)
    let rsc = i.resource.padding(toLength: max(rscWidth, i.resource.count), withPad: " ", startingAt: 0)
    let pad = String(repeating: " ", count: max(0, detailWidth - i.details.count))
    lines.append("\(verb)   \(rsc)   ( \(pad)\(i.details) )\(i.tail.isEmpty ? "" : "  " + i.tail)")
  }
  return lines
}

/// Primitives in display order (configuration order, depth first; orphans last).
func summaryOrder(_ state: ClusterState) -> [Int] {
  var out: [Int] = []
  func visit(_ r: Int) {
    if state.resources[r].isPrimitive { out.append(r) } else { for c in state.resources[r].children { visit(c) } }
  }
  for r in state.topLevel { visit(r) }
  return out
}

func summarize(_ state: ClusterState, _ a: Assignment, _ g: TransitionGraph, _ r: Int) -> [SummaryLine] {
  let current = state.currentNode(r)
  let next = a.node[r]
  let managed = state.resources[r].managed && !(state.options.stonithEnabled && !state.options.haveStonithResource)
  if !managed || (current == nil && next == nil) { return [] }
  let role = state.resources[r].role
  let nextRole = a.nextRole[r]
  let acts = g.byResource[r].map { g.actions[$0] }
  func find(_ task: ActionTask, _ node: Int?) -> Action? {
    acts.first { $0.task == task && (node == nil || $0.node == node) }
  }
  let moving = current != nil && next != nil && current != next
  let start = next.flatMap { find(.start, $0) }
  let startNode: Int? = (start == nil || !start!.runnable) ? nil : current
  let stop = find(.stop, startNode)
  let promote = next.flatMap { find(.promote, $0) }
  let demote = find(.demote, next)
  let failed = state.resources[r].failed

  func item(_ verb: String, _ origin: Int?, _ dest: Int?, _ action: Action?, roleOverride: Role? = nil) -> SummaryLine {
    let needRole = role > .started || nextRole > .unpromoted
    let sameHost = origin != nil && dest != nil && origin == dest
    let sameRole = role == nextRole
    func name(_ n: Int?) -> String { n.map { state.nodes[$0].name } ?? "" }
    var details: String
    if needRole && origin == nil {
      details = "\(role.text) -> \(nextRole.text) \(name(dest))"
    } else if origin == nil {
      details = name(dest)
    } else if needRole && dest == nil {
      details = "\(role.text) \(name(origin))"
    } else if dest == nil {
      details = name(origin)
    } else if needRole && sameRole && sameHost {
      details = "\(role.text) \(name(origin))"
    } else if sameRole && sameHost {
      details = name(origin)
    } else if needRole && sameRole {
      details = "\(name(origin)) -> \(name(dest)) \(role.text)"
    } else if sameRole {
      details = "\(name(origin)) -> \(name(dest))"
    } else if sameHost {
      details = "\(role.text) -> \(nextRole.text) \(name(origin))"
    } else {
      details = "\(role.text) \(name(origin)) -> \(nextRole.text) \(name(dest))"
    }
    var tail = ""
    if let action, !action.runnable { tail = "blocked" }
    return SummaryLine(verb: verb, resource: state.resources[r].id, details: details, tail: tail)
  }

  if role == nextRole {
    guard let n = next else { return [] }
    if current != nil, let migrateFrom = find(.migrateFrom, n), migrateFrom.runnable {
      return [item("Migrate", current, next, start)]
    }
    if g.reloads.contains(r) && (start == nil || start!.optional) {
      return [item("Reload", current, next, start)]
    }
    if start == nil || start!.optional {
      if let d = demote, let p = promote, !d.optional, !p.optional {
        return [item("Re-promote", current, next, p)]
      }
      return []
    }
    if !start!.runnable {
      return [item("Stop", current, nil, stop ?? start)]
    }
    if moving, current != nil {
      return [item(failed ? "Recover" : "Move", current, next, stop)]
    }
    if failed { return [item("Recover", current, nil, stop)] }
    return [item("Restart", current, next, start)]
  }

  if let stop, nextRole == .stopped || (start != nil && !start!.runnable) {
    var out: [SummaryLine] = []
    for n in state.resources[r].runningOn {
      let s = find(.stop, n)
      out.append(item("Stop", n, nil, s ?? stop))
    }
    return out
  }
  if stop != nil && failed && state.resources[r].stopOnFail {
    return [item("Recover", current, next, stop)]
  }
  if moving { return [item("Move", current, next, stop)] }
  if let stop, !stop.optional { return [item("Restart", current, next, start)] }
  if role == .promoted { return [item("Demote", current, next, demote)] }
  if nextRole == .promoted { return [item("Promote", current, next, promote)] }
  if role == .stopped && nextRole > .stopped { return [item("Start", current, next, start)] }
  return []
}
