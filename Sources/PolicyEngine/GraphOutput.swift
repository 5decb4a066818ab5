import CIB

/// Parses a `-t DATE` argument (ISO 8601) into seconds since the epoch.
public func parseISODate(_ text: String) -> Int64? { ISODate.parse(text) }

/// One action of the transition graph as Pacemaker's controller receives it: a resource operation
/// (`rsc_op`), a pseudo event that only marks a point in the ordering (`pseudo_event`: a group's
/// `grp_running_0`, a stop implied by fencing), or a cluster event (`crm_event`: fencing).
public struct GraphAction: Sendable, Equatable {
  public enum Kind: String, Sendable { case rscOp = "rsc_op", pseudo = "pseudo_event", crm = "crm_event" }
  public var id: Int
  public var kind: Kind
  /// The `operation` attribute: start, stop, monitor, promote, running, stopped, stonith, ...
  public var task: String
  /// The `operation_key`: `rsc_start_0`, `grp_running_0`, `stonith-node1-reboot`.
  public var key: String
  public var node: Int?
  public var resource: Int?
  public var intervalMs: Int = 0
  /// OCF result the controller expects: 7 (not running) for probes, 0 otherwise.
  public var targetRC: Int = 0
  /// Role of a role-specific recurring monitor ("Promoted"/"Unpromoted").
  public var role: String?
  /// Ids of the actions that must complete first (Pacemaker's `<inputs>`), ascending.
  public var inputs: [Int] = []

  public var isProbe: Bool { task == "monitor" && intervalMs == 0 }
}

/// The transition graph in the shape Pacemaker writes it: every action the transition runs, including what
/// Vigil's scheduler leaves implicit (probes, recurring monitors, group and clone pseudo events, fencing), each
/// with its inputs. `synapseOrder` lists ids in the order Pacemaker's graph lists synapses (top-level resources
/// in configuration order, a collective's own events before its children's, fencing last).
///
/// Why it exists: `-G`, `-D` and the simulated transition (`-S`, `-O`) all walk the same complete graph, so
/// what the graph file says is exactly what the simulation executes. Invariant: inputs only name actions of
/// this graph and the graph is acyclic (an ordering that would close a cycle is dropped, never emitted).
public struct CompleteGraph: Sendable {
  public var actions: [GraphAction]
  public var synapseOrder: [Int]
  /// Scheduler action id -> graph id.
  public var fromScheduler: [Int: Int]
}

/// Builds the complete graph from a scheduling result (pure; reads the configuration for probes and monitors).
public func completeGraph(_ result: SchedulerResult) -> CompleteGraph {
  var b = GraphBuilder(result: result)
  b.build()
  return CompleteGraph(actions: b.actions, synapseOrder: b.synapseOrder(), fromScheduler: b.fromScheduler)
}

struct GraphBuilder {
  let result: SchedulerResult
  var state: ClusterState { result.state }
  var actions: [GraphAction] = []
  var fromScheduler: [Int: Int] = [:]
  /// Graph ids per resource index (primitives and collectives), in creation order.
  var byResource: [Int: [Int]] = [:]
  var fencingIDs: [Int] = []
  /// (resource, task) -> pseudo event id for collectives: start/running/stop/stopped/promote/promoted/...
  var pseudo: [String: Int] = [:]
  var edges: Set<Edge> = []

  struct Edge: Hashable { var first: Int; var then: Int }

  /// node index -> history id -> recurring monitor intervals whose last result was success (0 or 8).
  let monitorHistory: [Int: [String: Set<Int>]]

  init(result: SchedulerResult) {
    self.result = result
    var h: [Int: [String: Set<Int>]] = [:]
    let st = result.state
    for ns in st.input.nodeStates {
      guard let n = st.nodes.firstIndex(where: { $0.id == ns.id || (ns.uname != nil && $0.name == ns.uname) }) else { continue }
      for r in ns.resources {
        var last: [Int: Int] = [:]
        for op in r.operations where op.task == "monitor" && op.intervalMs > 0 { last[op.intervalMs] = op.rc }
        for (interval, rc) in last where rc == 0 || rc == 8 { h[n, default: [:]][r.id, default: []].insert(interval) }
      }
    }
    monitorHistory = h
  }

  mutating func add(_ a: GraphAction) -> Int {
    var a = a
    a.id = actions.count
    actions.append(a)
    if let r = a.resource { byResource[r, default: []].append(a.id) }
    return a.id
  }

  mutating func edge(_ first: Int, _ then: Int) {
    if first != then { edges.insert(Edge(first: first, then: then)) }
  }

  func inGraph(_ a: Action) -> Bool { !a.optional && a.runnable && a.node != nil }

  mutating func build() {
    // Pacemaker creates probes before any other action, so they carry the lowest ids.
    var probes: [(id: Int, resource: Int)] = []
    for r in state.resources.indices where state.resources[r].isPrimitive {
      probes += createProbes(r).map { ($0, r) }
    }
    for r in state.topLevel { buildResource(r) }
    for p in probes { orderProbe(p.id, p.resource) }
    // Fencing last, as Pacemaker adds non-resource actions after the resources' own.
    for f in result.graph.fencing {
      let node = state.nodes[f.node]
      var a = GraphAction(id: 0, kind: .crm, task: "stonith", key: "stonith-\(node.name)-\(state.options.stonithAction)",
                          node: f.node, resource: nil)
      a.inputs = []
      let id = add(a)
      fencingIDs.append(id)
      for s in result.graph.actions where s.pseudo && s.node == f.node && inGraph(s) {
        if let g = fromScheduler[s.id] { edge(id, g) }
      }
    }
    // Starts of resources that need fencing wait for every fencing action.
    if !fencingIDs.isEmpty {
      for a in actions where (a.task == "start" || a.task == "promote") && a.kind == .rscOp {
        guard let r = a.resource, state.resources[r].requires == "fencing" || state.resources[r].requires == "unfencing"
        else { continue }
        for f in fencingIDs { edge(f, a.id) }
      }
    }
    // Clean shutdowns: the node leaves once everything on it has stopped.
    for node in state.nodes where node.shutdown && node.online && !node.unclean {
      let id = add(GraphAction(id: 0, kind: .crm, task: "do_shutdown", key: "do_shutdown-\(node.name)", node: node.index,
                               resource: nil))
      fencingIDs.append(id)
      for a in actions where a.node == node.index && (a.task == "stop" || a.task == "demote") && a.kind == .rscOp {
        edge(a.id, id)
      }
    }
    addAntiColocationOrders()
    // Fencing is serialized in Pacemaker when concurrent-fencing is off.
    let stonithIDs = fencingIDs.filter { actions[$0].task == "stonith" }
    if !state.options.concurrentFencing {
      for (a, b) in zip(stonithIDs, stonithIDs.dropFirst()) { edge(a, b) }
    }
    addSchedulerOrderings()
    finishInputs()
  }

  mutating func buildResource(_ r: Int) {
    if state.resources[r].isPrimitive {
      buildPrimitive(r)
      return
    }
    for c in state.resources[r].children { buildResource(c) }
    // Collective pseudo events exist when any descendant runs the corresponding action.
    let pairs: [(ActionTask, String, String)] = [(.start, "start", "running"), (.stop, "stop", "stopped"),
                                                 (.promote, "promote", "promoted"), (.demote, "demote", "demoted")]
    for (task, begin, done) in pairs {
      let members = state.resources[r].children.compactMap { entryExit($0, task) }
      guard !members.isEmpty else { continue }
      let b = add(GraphAction(id: 0, kind: .pseudo, task: begin, key: "\(state.resources[r].id)_\(begin)_0", node: nil, resource: r))
      let d = add(GraphAction(id: 0, kind: .pseudo, task: done, key: "\(state.resources[r].id)_\(done)_0", node: nil, resource: r))
      pseudo["\(r)/\(begin)"] = b
      pseudo["\(r)/\(done)"] = d
      edge(b, d)
      for m in members {
        for e in m.entry { edge(b, e) }
        for x in m.exit { edge(x, d) }
      }
    }
    // The collective's phases follow each other: stopped before start, running before promote,
    // demoted before stop.
    func link(_ a: String, _ b: String) {
      if let x = pseudo["\(r)/\(a)"], let y = pseudo["\(r)/\(b)"] { edge(x, y) }
    }
    link("stopped", "start")
    link("running", "promote")
    link("demoted", "stop")
  }

  /// The graph actions that begin and end `task` for resource `r` (a primitive's own actions, or a
  /// collective's begin/done pseudo events); nil when `r` does not run `task` in this transition.
  func entryExit(_ r: Int, _ task: ActionTask) -> (entry: [Int], exit: [Int])? {
    if state.resources[r].isPrimitive {
      let ids = (byResource[r] ?? []).filter {
        actions[$0].task == task.rawValue && actions[$0].intervalMs == 0 && !actions[$0].isProbe
      }
      return ids.isEmpty ? nil : (ids, ids)
    }
    let names: [ActionTask: (String, String)] = [.start: ("start", "running"), .stop: ("stop", "stopped"),
                                                 .promote: ("promote", "promoted"), .demote: ("demote", "demoted")]
    guard let (b, d) = names[task], let x = pseudo["\(r)/\(b)"], let y = pseudo["\(r)/\(d)"] else { return nil }
    return ([x], [y])
  }

  mutating func buildPrimitive(_ r: Int) {
    let sched = result.graph.byResource[r].map { result.graph.actions[$0] }
    // Scheduler actions: starts, stops, promotes, demotes (and stops implied by fencing as pseudo events).
    for task in [ActionTask.stop, .demote, .start, .promote, .migrateTo, .migrateFrom] {
      for a in sched where a.task == task && inGraph(a) {
        // A start done by live migration is only a pseudo event marking the migration's end.
        let pseudo = a.pseudo || a.task == .start && a.migratable
        let kind: GraphAction.Kind = pseudo ? .pseudo : .rscOp
        let g = add(GraphAction(id: 0, kind: kind, task: task.rawValue, key: "\(state.resources[r].id)_\(task.rawValue)_0",
                                node: pseudo ? nil : a.node, resource: r))
        fromScheduler[a.id] = g
        if pseudo { actions[g].node = a.node }
      }
    }
    buildMonitors(r, sched)
  }

  /// Recurring monitors on the node the resource will run on, for its next role, when the monitor is new there:
  /// after a start or a role change, or when the history has no record of it.
  mutating func buildMonitors(_ r: Int, _ sched: [Action]) {
    guard let n = result.assignment.node[r] else { return }
    let nextRole = result.assignment.nextRole[r]
    guard nextRole >= .started, state.resources[r].managed, state.nodes[n].canRunResources || state.nodes[n].online else { return }
    let startHere = sched.first { $0.task == .start && $0.node == n }
    if let s = startHere, !(s.runnable) { return }
    let startInGraph = startHere.map(inGraph) ?? false
    let roleChange = sched.filter { ($0.task == .promote || $0.task == .demote) && $0.node == n && inGraph($0) }
    let running = state.resources[r].runningOn.contains(n)
    if !startInGraph && !running { return }
    var seen = Set<Int>()
    for op in state.resources[r].operations where op.name == "monitor" && op.intervalMs > 0 && op.enabled {
      let opRole = op.role.flatMap { Role(parsing: $0) }
      let applies: Bool
      switch opRole {
      case .some(.promoted): applies = nextRole == .promoted
      case .some(.unpromoted): applies = nextRole == .unpromoted
      case .some(.stopped): applies = false
      default: applies = nextRole != .promoted || !state.isPromotableInstance(r)
      }
      guard applies, seen.insert(op.intervalMs).inserted else { continue }
      let fresh = startInGraph || !roleChange.isEmpty || !historyHasMonitor(r, node: n, intervalMs: op.intervalMs)
      guard fresh else { continue }
      var m = GraphAction(id: 0, kind: .rscOp, task: "monitor", key: "\(state.resources[r].id)_monitor_\(op.intervalMs)", node: n,
                          resource: r)
      m.intervalMs = op.intervalMs
      m.targetRC = opRole == .promoted ? 8 : 0
      if let opRole, state.isPromotableInstance(r) { m.role = opRole.text }
      let id = add(m)
      if startInGraph, let s = startHere, let g = fromScheduler[s.id] { edge(g, id) }
      for a in roleChange { if let g = fromScheduler[a.id] { edge(g, id) } }
    }
  }

  func historyHasMonitor(_ r: Int, node n: Int, intervalMs: Int) -> Bool {
    guard let byRsc = monitorHistory[n] else { return false }
    return byRsc[state.resources[r].id]?.contains(intervalMs) == true || byRsc[state.resources[r].baseID]?.contains(intervalMs) == true
  }

  /// Probes where the resource's state is unknown on an online node (Pacemaker's `rsc_monitor_0`).
  mutating func createProbes(_ r: Int) -> [Int] {
    let rsc = state.resources[r]
    guard !rsc.isOrphan, state.input.clusterOptions["enable-startup-probes"].map(isTrue) ?? true else { return [] }
    let clone = state.isInClone(r)
    var ids: [Int] = []
    for node in state.nodes where node.online && !node.unclean && !node.pending {
      let n = node.index
      if rsc.knownOn.contains(n) || rsc.runningOn.contains(n) { continue }
      if discoveryNever(rsc, n) { continue }
      if let c = clone {
        // One probe per node for a clone: by the instance placed there, else the first unplaced one.
        let instances = state.allPrimitives(under: c).filter { state.resources[$0].baseID == rsc.baseID }
        if instances.contains(where: { state.resources[$0].knownOn.contains(n) || state.resources[$0].runningOn.contains(n) }) {
          continue
        }
        let placed = instances.first { result.assignment.node[$0] == n }
        let chosen = placed ?? instances.first { result.assignment.node[$0] == nil && state.resources[$0].runningOn.isEmpty }
        if chosen != r { continue }
      }
      var p = GraphAction(id: 0, kind: .rscOp, task: "monitor", key: "\(rsc.id)_monitor_0", node: n, resource: r)
      p.targetRC = 7
      ids.append(add(p))
    }
    return ids
  }

  /// A probe completes before the resource (or its clone) starts anywhere.
  mutating func orderProbe(_ id: Int, _ r: Int) {
    let target = state.isInClone(r) ?? r
    if let s = pseudo["\(target)/start"] {
      edge(id, s)
    } else {
      for a in result.graph.byResource[r] where result.graph.actions[a].task == .start {
        if let g = fromScheduler[a] { edge(id, g) }
      }
    }
  }

  func discoveryNever(_ rsc: ResourceState, _ n: Int) -> Bool {
    let name = state.nodes[n].name
    return state.input.locations.contains { l in
      l.discovery == "never" && l.node == name && (l.resource == rsc.baseID || l.resource == rsc.id)
    }
  }

  /// Mandatory anti-colocation between primitives: a start on a node waits until the other resource is known
  /// not to run there (its probe) or has stopped there.
  mutating func addAntiColocationOrders() {
    for c in state.input.colocations where c.score <= -ScoreMath.infinity {
      guard let d = state.resourceByID[c.dependent], let p = state.resourceByID[c.primary],
            state.resources[d].isPrimitive, state.resources[p].isPrimitive else { continue }
      for (x, y) in [(d, p), (p, d)] {
        for s in byResource[x] ?? [] where actions[s].task == "start" {
          for o in byResource[y] ?? [] where actions[o].node == actions[s].node
            && (actions[o].isProbe || (actions[o].task == "stop" && actions[o].kind == .rscOp)) {
            edge(o, s)
          }
        }
      }
    }
  }

  /// The graph ids a scheduler ordering handle stands for, on the given side of the ordering.
  func resolve(_ h: ActionHandle, first: Bool) -> [Int] {
    switch h {
    case .action(let id):
      return fromScheduler[id].map { [$0] } ?? []
    case .resource(let r, let task):
      if state.resources[r].isPrimitive {
        return result.graph.byResource[r].filter { result.graph.actions[$0].task == task }.compactMap { fromScheduler[$0] }
      }
      if let ee = entryExit(r, task) { return first ? ee.exit : ee.entry }
      return state.resources[r].children.flatMap { resolve(.resource($0, task), first: first) }
    }
  }

  mutating func addSchedulerOrderings() {
    for o in result.graph.orderings {
      let fs = resolve(o.first, first: true)
      guard !fs.isEmpty else { continue }
      let ts = resolve(o.then, first: false)
      for f in fs { for t in ts { edge(f, t) } }
    }
  }

  /// Turns the edge set into sorted inputs. The scheduler's orderings are acyclic; a cycle here would leave its
  /// actions unfired in the simulation (never an endless loop).
  mutating func finishInputs() {
    var inputs = [[Int]](repeating: [], count: actions.count)
    for e in edges { inputs[e.then].append(e.first) }
    for i in actions.indices { actions[i].inputs = inputs[i].sorted() }
  }

  /// Pacemaker lists a resource's synapses newest first, a collective's own events before its members'.
  func synapseOrder() -> [Int] {
    var out: [Int] = []
    func visit(_ r: Int) {
      out += (byResource[r] ?? []).sorted(by: >)
      for c in state.resources[r].children { visit(c) }
    }
    for r in state.topLevel { visit(r) }
    out += fencingIDs
    return out
  }
}

/// The transition graph as Pacemaker-style XML (`crm_simulate -G`).
public func transitionGraphXML(_ result: SchedulerResult) -> String {
  transitionGraphXML(result, completeGraph(result))
}

public func transitionGraphXML(_ result: SchedulerResult, _ graph: CompleteGraph) -> String {
  let state = result.state
  let o = state.input.clusterOptions
  let clusterDelay = o["cluster-delay"] ?? "60s"
  let stonithTimeout = o["stonith-timeout"] ?? "60s"
  let batchLimit = o["batch-limit"] ?? "0"
  var head = "<transition_graph cluster-delay=\"\(xmlEscape(clusterDelay))\" stonith-timeout=\"\(xmlEscape(stonithTimeout))\""
  head += " failed-stop-offset=\"INFINITY\" failed-start-offset=\"INFINITY\" batch-limit=\"\(xmlEscape(batchLimit))\""
  if let ml = o["migration-limit"] { head += " migration-limit=\"\(xmlEscape(ml))\"" }
  head += " transition_id=\"0\""
  if graph.actions.isEmpty { return head + "/>\n" }
  var lines = [head + ">"]
  for (i, id) in graph.synapseOrder.enumerated() {
    let a = graph.actions[id]
    lines.append("  <synapse id=\"\(i)\">")
    lines.append("    <action_set>")
    lines += actionElement(state, a, full: true).map { "      " + $0 }
    lines.append("    </action_set>")
    if a.inputs.isEmpty {
      lines.append("    <inputs/>")
    } else {
      lines.append("    <inputs>")
      for input in a.inputs {
        lines.append("      <trigger>")
        lines += actionElement(state, graph.actions[input], full: false).map { "        " + $0 }
        lines.append("      </trigger>")
      }
      lines.append("    </inputs>")
    }
    lines.append("  </synapse>")
  }
  lines.append("</transition_graph>")
  return lines.joined(separator: "\n") + "\n"
}

func xmlEscape(_ s: String) -> String {
  var out = ""
  for ch in s {
    switch ch {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    default: out.append(ch)
    }
  }
  return out
}

/// One action element; `full` adds the primitive and attributes children (inside `<action_set>`).
func actionElement(_ state: ClusterState, _ a: GraphAction, full: Bool) -> [String] {
  var open = "<\(a.kind.rawValue) id=\"\(a.id)\" operation=\"\(a.task)\" operation_key=\"\(xmlEscape(a.key))\""
  if a.kind != .pseudo, let n = a.node {
    open += " on_node=\"\(xmlEscape(state.nodes[n].name))\" on_node_uuid=\"\(xmlEscape(state.nodes[n].id))\""
  }
  guard full else { return [open + "/>"] }
  var lines = [open + ">"]
  var attrs: [(String, String)] = []
  switch a.kind {
  case .crm:
    if let n = a.node {
      attrs = [("CRM_meta_on_node", state.nodes[n].name), ("CRM_meta_on_node_uuid", state.nodes[n].id),
               ("crm_feature_set", "3.16.1")]
      if a.task == "stonith" {
        attrs += [("CRM_meta_probe_complete", "true"), ("CRM_meta_stonith_action", state.options.stonithAction)]
      } else {
        attrs.append(("CRM_meta_op_no_wait", "true"))
      }
    }
  case .pseudo:
    attrs = [("CRM_meta_timeout", "20000"), ("crm_feature_set", "3.16.1")]
    if let r = a.resource, state.resources[r].isPrimitive {
      attrs.append(("CRM_meta_name", a.task))
      attrs += state.resources[r].parameters.map { ($0.key, $0.value) }
    }
    if let r = a.resource, state.resources[r].variant == .clone { attrs += cloneMeta(state, r, instance: nil) }
  case .rscOp:
    guard let r = a.resource, let n = a.node else { break }
    var prim = "<primitive id=\"\(xmlEscape(state.resources[r].id))\""
    if let c = state.isInClone(r), state.resources[r].id != state.resources[r].baseID || state.resources[c].unique {
      prim += " long-id=\"\(xmlEscape(state.resources[c].id)):\(xmlEscape(state.resources[r].id))\""
    }
    let parts = state.resources[r].agent.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    if parts.count == 3 {
      prim += " class=\"\(xmlEscape(parts[0]))\" provider=\"\(xmlEscape(parts[1]))\" type=\"\(xmlEscape(parts[2]))\""
    } else if parts.count == 2 {
      prim += " class=\"\(xmlEscape(parts[0]))\" type=\"\(xmlEscape(parts[1]))\""
    }
    lines.append("  " + prim + "/>")
    attrs = [("CRM_meta_on_node", state.nodes[n].name), ("CRM_meta_on_node_uuid", state.nodes[n].id),
             ("CRM_meta_timeout", String(operationTimeoutMs(state, r, a))), ("crm_feature_set", "3.16.1")]
    if a.intervalMs > 0 { attrs += [("CRM_meta_interval", String(a.intervalMs)), ("CRM_meta_name", a.task)] }
    if a.isProbe { attrs.append(("CRM_meta_op_target_rc", "7")) }
    if a.intervalMs > 0, a.targetRC == 8 { attrs.append(("CRM_meta_op_target_rc", "8")) }
    if let role = a.role { attrs.append(("CRM_meta_role", role)) }
    if let c = state.isInClone(r) { attrs += cloneMeta(state, c, instance: state.resources[r].instanceNumber) }
    attrs += state.resources[r].parameters.map { ($0.key, $0.value) }
  }
  var seen = Set<String>()
  let sorted = attrs.filter { seen.insert($0.0).inserted }.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
  if !sorted.isEmpty {
    lines.append("  <attributes " + sorted.map { "\($0.0)=\"\(xmlEscape($0.1))\"" }.joined(separator: " ") + "/>")
  } else {
    lines.append("  <attributes/>")
  }
  if a.kind == .crm, let n = a.node {
    lines += ["  <downed>", "    <node id=\"\(xmlEscape(state.nodes[n].id))\"/>", "  </downed>"]
  }
  lines.append("</\(a.kind.rawValue)>")
  return lines
}

func cloneMeta(_ state: ClusterState, _ c: Int, instance: Int?) -> [(String, String)] {
  var out: [(String, String)] = []
  if let instance { out.append(("CRM_meta_clone", String(instance))) }
  out += [("CRM_meta_clone_max", String(state.resources[c].cloneMax)), ("CRM_meta_clone_node_max", String(state.resources[c].cloneNodeMax)),
          ("CRM_meta_globally_unique", state.resources[c].unique ? "true" : "false"),
          ("CRM_meta_notify", isTrue(state.resources[c].meta["notify"] ?? "false") ? "true" : "false")]
  if state.resources[c].promotable {
    out += [("CRM_meta_promoted_max", String(state.resources[c].promotedMax)),
            ("CRM_meta_promoted_node_max", String(state.resources[c].promotedNodeMax))]
  }
  return out
}

/// The operation's configured timeout (op, then op_defaults), 20 s by default, in milliseconds.
func operationTimeoutMs(_ state: ClusterState, _ r: Int, _ a: GraphAction) -> Int {
  let name = a.task
  if let op = state.resources[r].operations.first(where: { $0.name == name && $0.intervalMs == a.intervalMs }),
     let t = op.meta["timeout"], let ms = timeMs(t) {
    return ms
  }
  if a.isProbe, let op = state.resources[r].operations.first(where: { $0.name == "monitor" && $0.intervalMs == 0 }),
     let t = op.meta["timeout"], let ms = timeMs(t) {
    return ms
  }
  if let t = state.input.opDefaults["timeout"], let ms = timeMs(t) { return ms }
  return 20_000
}

/// The transition graph in Graphviz dot (`crm_simulate -D`), in Pacemaker's layout: one line per action
/// (bold green when it runs, orange font for pseudo events), then one line per ordering edge.
public func transitionGraphDot(_ result: SchedulerResult) -> String {
  transitionGraphDot(result, completeGraph(result))
}

public func transitionGraphDot(_ result: SchedulerResult, _ graph: CompleteGraph) -> String {
  let state = result.state
  func label(_ a: GraphAction) -> String {
    switch a.kind {
    case .pseudo: return a.key
    case .crm where a.task == "stonith":
      return "stonith '\(state.options.stonithAction)' \(a.node.map { state.nodes[$0].name } ?? "")"
    case .crm: return "\(a.task) \(a.node.map { state.nodes[$0].name } ?? "")"
    case .rscOp: return "\(a.key) \(a.node.map { state.nodes[$0].name } ?? "")"
    }
  }
  var lines = [" digraph \"g\" {"]
  // Pacemaker lists the newest action first.
  let order = graph.actions.indices.reversed()
  for i in order {
    let a = graph.actions[i]
    let font = a.kind == .pseudo ? "orange" : "black"
    lines.append("\"\(label(a))\" [ style=bold color=\"green\" fontcolor=\"\(font)\"]")
  }
  // Unrunnable required actions (blocked) are shown dashed red, as Pacemaker does.
  for a in result.graph.actions where !a.optional && !a.runnable {
    guard let r = a.resource, let n = a.node else { continue }
    lines.append("\"\(state.resources[r].id)_\(a.task.rawValue)_0 \(state.nodes[n].name)\" [ style=dashed color=\"red\" fontcolor=\"black\"]")
  }
  for i in order {
    let a = graph.actions[i]
    for input in a.inputs {
      lines.append("\"\(label(graph.actions[input]))\" -> \"\(label(a))\" [ style = bold]")
    }
  }
  lines.append("}")
  return lines.joined(separator: "\n") + "\n"
}
