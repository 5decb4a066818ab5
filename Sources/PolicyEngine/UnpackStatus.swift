/// Stage 1: configuration + status -> the scheduler's working view of the cluster (`ClusterState`).
///
/// Reads node states (online, unclean, standby, ...), expands clones into instances, and replays every
/// resource's operation history (lrm_rsc_op, sorted by call id) to find where it runs, in which role, and
/// whether it failed. Mirrors Pacemaker's status unpacking rules; never touches XML.
public func interpretStatus(_ input: SchedulerInput) -> ClusterState {
  var u = StatusInterpreter(input: input)
  return u.run()
}

struct StatusInterpreter {
  let input: SchedulerInput
  var options = ClusterOptions()
  var nodes: [NodeState] = []
  var resources: [ResourceState] = []
  var topLevel: [Int] = []
  var nodeByName: [String: Int] = [:]
  var nodeByID: [String: Int] = [:]
  var resourceByID: [String: Int] = [:]
  var dcNode: Int?

  init(input: SchedulerInput) { self.input = input }

  mutating func run() -> ClusterState {
    readOptions()
    readNodes()
    for r in input.resources { topLevel.append(addResource(r, parent: nil, instance: nil)) }
    options.haveStonithResource = resources.contains { $0.isPrimitive && $0.agentClass == "stonith" }
    readNodeStates()
    unpackHistories()
    readFailCounts()
    finishResources()
    return ClusterState(
      options: options, nodes: nodes, resources: resources, topLevel: topLevel, input: input,
      nodeByName: nodeByName, resourceByID: resourceByID, dcNode: dcNode)
  }

  // MARK: options

  mutating func readOptions() {
    let o = input.clusterOptions
    func flag(_ name: String, _ def: Bool) -> Bool { o[name].map(isTrue) ?? def }
    options.stonithEnabled = flag("stonith-enabled", true)
    options.symmetricCluster = flag("symmetric-cluster", true)
    options.stopOrphanResources = flag("stop-orphan-resources", true)
    options.stopOrphanActions = flag("stop-orphan-actions", true)
    options.startFailureIsFatal = flag("start-failure-is-fatal", true)
    options.maintenanceMode = flag("maintenance-mode", false)
    options.stopAllResources = flag("stop-all-resources", false)
    options.startupFencing = flag("startup-fencing", true)
    options.concurrentFencing = flag("concurrent-fencing", false)
    options.stonithAction = o["stonith-action"] ?? "reboot"
    if options.stonithAction == "poweroff" { options.stonithAction = "off" }
    options.placementStrategy = (o["placement-strategy"] ?? "default").lowercased()
    options.haveQuorum = input.haveQuorum
    options.nodeHealthStrategy = o["node-health-strategy"] ?? "none"
    options.nodeScoreRed = o["node-health-red"].flatMap(ScoreMath.parse) ?? 0
    options.nodeScoreYellow = o["node-health-yellow"].flatMap(ScoreMath.parse) ?? 0
    options.nodeScoreGreen = o["node-health-green"].flatMap(ScoreMath.parse) ?? 0
    switch options.nodeHealthStrategy {
    case "migrate-on-red": options.nodeScoreRed = ScoreMath.minusInfinity; options.nodeScoreYellow = 0; options.nodeScoreGreen = 0
    case "only-green": options.nodeScoreRed = ScoreMath.minusInfinity; options.nodeScoreYellow = ScoreMath.minusInfinity; options.nodeScoreGreen = 0
    default: break
    }
    options.clusterDefaultStickiness = o["default-resource-stickiness"].flatMap(ScoreMath.parse) ?? 0
    switch (o["no-quorum-policy"] ?? "stop").lowercased() {
    case "ignore": options.noQuorumPolicy = .ignore
    case "freeze": options.noQuorumPolicy = .freeze
    case "demote": options.noQuorumPolicy = .demote
    case "suicide":
      // Only once the cluster has had quorum (or no-quorum-panic is set) does suicide apply.
      options.noQuorumPolicy = options.stonithEnabled && (input.haveQuorum || input.quorumPanic) ? .suicide : .stop
    default: options.noQuorumPolicy = .stop
    }
  }

  // MARK: nodes

  mutating func readNodes() {
    for n in input.nodes where n.type != "ping" {
      let index = nodes.count
      var attrs = n.attributes
      attrs["#uname"] = n.uname
      attrs["#id"] = n.id
      attrs["#kind"] = n.type == "remote" ? "remote" : "cluster"
      var node = NodeState(index: index, id: n.id, name: n.uname, type: n.type, attributes: attrs)
      for (k, v) in n.utilization { node.utilization[k] = Int(v) ?? 0 }
      // Until its node_state is seen, a node is unclean when fencing is on (startup-fencing).
      node.unclean = options.stonithEnabled && options.startupFencing
      if node.unclean { node.fenceReason = "node is unclean" }
      nodes.append(node)
      nodeByName[n.uname] = index
      nodeByID[n.id] = index
    }
  }

  mutating func readNodeStates() {
    for ns in input.nodeStates {
      guard let i = nodeByID[ns.id] ?? ns.uname.flatMap({ nodeByName[$0] }) else { continue }
      var node = nodes[i]
      node.seen = true
      node.unclean = false
      node.fenceReason = nil
      for (k, v) in ns.transientAttributes { node.attributes[k] = v }
      if input.dcUUID == ns.id { dcNode = i; node.attributes["#is_dc"] = "true" } else { node.attributes["#is_dc"] = "false" }
      if let sd = node.attributes["shutdown"], sd != "0", !sd.isEmpty { node.shutdown = true }
      node.expectedUp = ns.expected == "member"
      if isTrue(node.attributes["standby"] ?? "false") { node.standby = true }
      if isTrue(node.attributes["maintenance"] ?? "false") { node.maintenance = true }
      nodes[i] = node
      if options.stonithEnabled {
        determineOnlineFencing(i, ns)
      } else {
        determineOnlineNoFencing(i, ns)
      }
      if !options.haveQuorum && nodes[i].online && options.noQuorumPolicy == .suicide {
        fence(i, "cluster does not have quorum")
      }
    }
    // Node health attributes (#health-*) adjust nothing here; scores stage reads them.
  }

  mutating func fence(_ i: Int, _ reason: String) {
    if !nodes[i].unclean || nodes[i].fenceReason == nil {
      nodes[i].fenceReason = reason
    }
    nodes[i].unclean = true
  }

  mutating func determineOnlineNoFencing(_ i: Int, _ ns: NodeStateRecord) {
    let inCluster = isTrue(ns.inCCM ?? "false")
    if !inCluster {
      nodes[i].online = false
    } else if (ns.crmd ?? "") == "online" {
      nodes[i].online = ns.join == "member"
      if ns.join != "member" { nodes[i].pending = true }
    } else if !nodes[i].expectedUp {
      nodes[i].online = false
    } else {
      fence(i, "peer is unexpectedly down")
      nodes[i].online = false
    }
  }

  mutating func determineOnlineFencing(_ i: Int, _ ns: NodeStateRecord) {
    let terminate = nodes[i].attributes["terminate"] ?? ""
    var doTerminate = isTrue(terminate)
    if !doTerminate, let c = terminate.first, c != "0", c.isNumber { doTerminate = true }
    let inCluster = ns.inCCM.map(isTrue)
    let crmdOnline = (ns.crmd ?? "") == "online"
    let expected = ns.expected ?? "down"
    var online = inCluster ?? false
    if nodes[i].shutdown {
      online = crmdOnline
    } else if ns.inCCM == nil {
      fence(i, "peer has not been seen by the cluster")
    } else if ns.join == "banned" {
      fence(i, "peer failed Pacemaker membership criteria")
    } else if !doTerminate && expected == "down" {
      if inCluster == true || crmdOnline {
        nodes[i].standby = true
        nodes[i].pending = true
      }
    } else if doTerminate && ns.join == "down" && inCluster != true && !crmdOnline {
      online = false
    } else if inCluster != true {
      fence(i, "peer is no longer part of the cluster")
    } else if !crmdOnline {
      fence(i, "peer process is no longer available")
    } else if doTerminate {
      fence(i, "termination was requested")
    } else if ns.join == "member" {
      // active
    } else if ns.join == "pending" || ns.join == "down" {
      nodes[i].standby = true
      nodes[i].pending = true
    } else {
      fence(i, "peer was in an unknown state")
    }
    nodes[i].online = online
  }

  // MARK: resources

  func effectiveMeta(_ own: [String: String], parent: Int?) -> [String: String] {
    var m = own
    if let p = parent { for (k, v) in resources[p].meta where m[k] == nil { m[k] = v } }
    return m
  }

  mutating func addResource(_ cfg: ResourceConfig, parent: Int?, instance: Int?) -> Int {
    let index = resources.count
    let suffix = instance.map { ":\($0)" } ?? ""
    var r = ResourceState(index: index, id: cfg.id + suffix, baseID: cfg.id, variant: .primitive, parent: parent)
    r.instanceNumber = instance
    var meta = effectiveMeta(cfg.meta, parent: parent)
    if parent == nil || cfg.variant == .clone {
      for (k, v) in input.rscDefaults where meta[k] == nil { meta[k] = v }
    }
    if parent != nil {
      for (k, v) in input.rscDefaults where meta[k] == nil { meta[k] = v }
    }
    switch cfg.variant {
    case .primitive: r.variant = .primitive
    case .group: r.variant = .group
    case .clone: r.variant = .clone
    case .bundle: r.variant = .group  // unsupported: an empty group that does nothing
    }
    if cfg.variant == .clone && meta["resource-stickiness"] == nil && meta["default-resource-stickiness"] == nil {
      meta["resource-stickiness"] = "1"
    }
    r.meta = meta
    r.agentClass = cfg.agentClass
    r.agent = cfg.agentText
    r.operations = cfg.operations
    r.parameters = cfg.instanceAttributes
    for (k, v) in cfg.utilization { r.utilization[k] = Int(v) ?? 0 }
    applyMeta(&r)
    // A Promoted target role means nothing outside a promotable clone (Pacemaker ignores it).
    if r.targetRole == .promoted, !(parent.map { inPromotable($0) } ?? false) || cfg.variant == .clone && !cfg.promotable {
      if cfg.variant != .clone || !cfg.promotable { r.targetRole = nil }
    }
    resources.append(r)
    if instance == nil || cfg.variant != .clone { resourceByID[r.id] = index }
    if instance != nil && resourceByID[cfg.id] == nil && parent.map({ resources[$0].variant }) == .clone {
      // Anonymous lookups by base name resolve to the clone's first instance (clone_zero).
    }

    switch cfg.variant {
    case .primitive, .bundle:
      break
    case .group:
      var kids: [Int] = []
      for c in cfg.children { kids.append(addResource(c, parent: index, instance: instance)) }
      resources[index].children = kids
    case .clone:
      guard let child = cfg.children.first else { break }
      let nodeCount = max(nodes.count, 0)
      var c = resources[index]
      c.promotable = cfg.promotable
      // Only OCF and fencing agents can be globally unique; other classes force an anonymous clone.
      let templates = child.variant == .group ? child.children : [child]
      let uniqueCapable = templates.allSatisfy { $0.agentClass == "ocf" || $0.agentClass == "stonith" }
      c.unique = isTrue(meta["globally-unique"] ?? "false") && uniqueCapable
      c.interleave = isTrue(meta["interleave"] ?? "false")
      c.ordered = isTrue(meta["ordered"] ?? "false")
      c.cloneMax = meta["clone-max"].flatMap { Int($0) } ?? nodeCount
      c.cloneNodeMax = meta["clone-node-max"].flatMap { Int($0) } ?? 1
      c.promotedMax = (meta["promoted-max"] ?? meta["master-max"]).flatMap { Int($0) } ?? 1
      c.promotedNodeMax = (meta["promoted-node-max"] ?? meta["master-node-max"]).flatMap { Int($0) } ?? 1
      resources[index] = c
      var kids: [Int] = []
      for n in 0..<max(c.cloneMax, 0) { kids.append(addResource(child, parent: index, instance: n)) }
      resources[index].children = kids
      resourceByID[child.id] = resourceByID[child.id] ?? kids.first
      cloneTemplates[index] = child
      cloneByTemplate[child.id] = index
      for m in child.children { cloneByTemplate[m.id] = index }
    }
    return index
  }

  func inPromotable(_ p: Int) -> Bool {
    var i: Int? = p
    while let x = i {
      if resources[x].variant == .clone { return resources[x].promotable }
      i = resources[x].parent
    }
    return false
  }

  var cloneTemplates: [Int: ResourceConfig] = [:]
  var cloneByTemplate: [String: Int] = [:]

  func applyMeta(_ r: inout ResourceState) {
    let m = r.meta
    r.managed = !options.maintenanceMode
    if let v = m["is-managed"] { r.managed = r.managed && isTrue(v) }
    if let v = m["maintenance"], isTrue(v) { r.managed = false }
    r.stickiness = m["resource-stickiness"].flatMap(ScoreMath.parse) ?? m["default-resource-stickiness"].flatMap(ScoreMath.parse) ?? options.clusterDefaultStickiness
    if let v = m["migration-threshold"].flatMap(ScoreMath.parse) {
      r.migrationThreshold = v < 0 ? 1 : v
    }
    if let v = m["failure-timeout"] { r.failureTimeoutS = (Duration.parseMilliseconds(v) ?? 0) / 1000 }
    r.priority = m["priority"].flatMap(ScoreMath.parse) ?? 0
    r.targetRole = m["target-role"].flatMap { Role(text: $0) }
    r.multipleActive = m["multiple-active"] ?? "stop_start"
    r.allowMigrate = isTrue(m["allow-migrate"] ?? "false")
    if let req = m["requires"] {
      r.requires = req
    } else if r.agentClass == "stonith" || !options.stonithEnabled {
      r.requires = "quorum"
    } else {
      r.requires = "fencing"
    }
    if r.requires == "fencing" && !options.stonithEnabled { r.requires = "quorum" }
  }

  // MARK: history

  mutating func unpackHistories() {
    for ns in input.nodeStates {
      guard let n = nodeByID[ns.id] ?? ns.uname.flatMap({ nodeByName[$0] }) else { continue }
      if !options.stonithEnabled && !nodes[n].online { continue }
      for h in ns.resources {
        guard !h.operations.isEmpty else { continue }
        guard let r = findResource(h, node: n) else { continue }
        unpackResourceHistory(r, node: n, history: h)
      }
    }
  }

  func isAnonymousCloneInstance(_ r: Int) -> Int? {
    var i = resources[r].parent
    while let p = i {
      if resources[p].variant == .clone { return resources[p].unique ? nil : p }
      i = resources[p].parent
    }
    return nil
  }

  func activeOrPendingNodes(_ r: Int) -> Set<Int> {
    var s = Set<Int>()
    for p in allPrimitives(r) {
      s.formUnion(resources[p].runningOn)
      if let pn = resources[p].pendingNode { s.insert(pn) }
    }
    return s
  }

  func allPrimitives(_ r: Int) -> [Int] {
    if resources[r].isPrimitive { return [r] }
    return resources[r].children.flatMap { allPrimitives($0) }
  }

  /// The primitive under `instance` whose configured id is `base`.
  func member(of instance: Int, base: String) -> Int? {
    allPrimitives(instance).first { resources[$0].baseID == base }
  }

  mutating func findResource(_ h: ResourceHistory, node: Int) -> Int? {
    var found = resourceByID[h.id]
    if let f = found, !resources[f].isPrimitive { return nil }
    if found == nil, let colon = h.id.lastIndex(of: ":"), Int(h.id[h.id.index(after: colon)...]) != nil {
      let base = String(h.id[..<colon])
      if let f = resourceByID[base], isAnonymousCloneInstance(f) != nil { found = f }
    }
    if found == nil {
      // A clone with no instances (clone-max=0) still owns its template's history, as orphans.
      var base = h.id
      if let colon = h.id.lastIndex(of: ":"), Int(h.id[h.id.index(after: colon)...]) != nil { base = String(h.id[..<colon]) }
      if let clone = cloneByTemplate[base], !resources[clone].unique {
        return findAnonymousInstance(clone: clone, base: base, node: node, history: h)
      }
    }
    if let f = found, let clone = isAnonymousCloneInstance(f) {
      let base = resources[f].baseID
      return findAnonymousInstance(clone: clone, base: base, node: node, history: h)
    }
    if let f = found { return f }
    return makeOrphan(h, parentClone: nil, node: node)
  }

  mutating func findAnonymousInstance(clone: Int, base: String, node: Int, history h: ResourceHistory) -> Int {
    var chosen: Int?
    var inactive: Int?
    var skipInactive = false
    for child in resources[clone].children {
      let locations = activeOrPendingNodes(child)
      if !locations.isEmpty {
        if locations.contains(node), let m = member(of: child, base: base) {
          if !resources[m].runningOn.isEmpty {
            skipInactive = true
          } else {
            chosen = m
          }
        }
      } else if !skipInactive && inactive == nil && !resources[child].blocked {
        if let m = member(of: child, base: base) {
          if let pn = resources[m].pendingNode, pn != node {} else { inactive = m }
        }
      }
      if chosen != nil { break }
    }
    if chosen == nil && !skipInactive { chosen = inactive }
    if let c = chosen, resources[c].requires != "fencing", !nodes[node].online || nodes[node].unclean {
      chosen = nil
    }
    if let c = chosen { return c }
    return makeCloneOrphan(clone: clone, base: base, node: node)
  }

  mutating func makeCloneOrphan(clone: Int, base: String, node: Int) -> Int {
    guard let template = cloneTemplates[clone] else { return resources[clone].children.first ?? clone }
    let number = resources[clone].children.count
    let inst = addResource(template, parent: clone, instance: number)
    resources[clone].children.append(inst)
    for p in allPrimitives(inst) {
      resources[p].isOrphan = true
      if options.stopOrphanResources { resources[p].targetRole = .stopped } else { resources[p].managed = false }
    }
    resources[inst].isOrphan = true
    return member(of: inst, base: base) ?? inst
  }

  mutating func makeOrphan(_ h: ResourceHistory, parentClone: Int?, node: Int) -> Int {
    var cfg = ResourceConfig(id: h.id, variant: .primitive)
    cfg.agentClass = h.agentClass ?? ""
    cfg.agentProvider = h.agentProvider
    cfg.agentType = h.agentType ?? ""
    let r = addResource(cfg, parent: nil, instance: nil)
    resources[r].isOrphan = true
    if options.stopOrphanResources {
      resources[r].targetRole = .stopped
    } else {
      resources[r].managed = false
    }
    topLevel.append(r)
    return r
  }

  func onFailFor(_ r: Int, task: String, intervalMs: Int) -> (FailureResponse, Role?) {
    let rsc = resources[r]
    var text: String?
    for op in rsc.operations where op.name == task && op.intervalMs == intervalMs {
      text = op.onFail
      break
    }
    if text == nil, task == "monitor" || task == "start" || task == "stop" || task == "promote" || task == "demote" {
      text = input.opDefaults["on-fail"]
    }
    var response: FailureResponse
    var failRole: Role? = nil
    switch (text ?? "").lowercased() {
    case "ignore": response = .ignore
    case "block": response = .block
    case "fence":
      if options.stonithEnabled { response = .fence } else { response = .stop; failRole = .stopped }
    case "standby": response = .standby
    case "stop": response = .stop; failRole = .stopped
    case "demote": response = .demote
    case "restart-container": response = .restartContainer
    case "restart", "": 
      response = .recover
      if text == nil || text == "" {
        if task == "stop" {
          response = options.stonithEnabled ? .fence : .block
        }
      }
    default: response = .recover
    }
    if response == .recover, task == "start", text == nil || text == "", !options.startFailureIsFatal {
      response = .recover
    }
    return (response, failRole)
  }

  mutating func banNode(_ r: Int, _ node: Int?, onParent: Bool) {
    resources[r].historyLocations.append(HistoryLocation(node: node, score: ScoreMath.minusInfinity, onParent: onParent))
  }

  mutating func setActive(_ r: Int) {
    resources[r].role = isAnonymousOrUniquePromotable(r) ? .unpromoted : .started
  }

  func isAnonymousOrUniquePromotable(_ r: Int) -> Bool {
    var i = resources[r].parent
    while let p = i {
      if resources[p].variant == .clone { return resources[p].promotable }
      i = resources[p].parent
    }
    return false
  }

  mutating func unpackResourceHistory(_ r: Int, node: Int, history h: ResourceHistory) {
    let savedRole = resources[r].role
    resources[r].role = .unknown
    var onFail = FailureResponse.ignore
    var lastFailureKey: String?
    let ops = h.operations.enumerated().sorted { a, b in
      let ka = a.element.callID < 0 ? Int.max : a.element.callID
      let kb = b.element.callID < 0 ? Int.max : b.element.callID
      if ka != kb { return ka < kb }
      return a.offset < b.offset
    }.map { $0.element }
    let managed = resources[r].managed
    let parentForBan = isAnonymousCloneInstance(r).map { _ in true } ?? false

    func opKey(_ op: OperationRecord) -> String { "\(op.task)_\(op.intervalMs)" }

    for op in ops {
      if op.task == "notify" || op.task == "meta-data" { continue }
      let isProbe = op.task == "monitor" && op.intervalMs == 0
      var rc = op.rc
      var status = op.opStatus
      let target = op.targetRC
      // Expired failures (failure-timeout) are ignored.
      var expired = false
      if resources[r].failureTimeoutS > 0, let last = op.lastRCChange, rc != target,
         last + Int64(resources[r].failureTimeoutS) <= input.now {
        expired = true
      }
      if op.task == "monitor" {
        if rc == 190 { rc = 0 } else if rc == 191 { rc = 8 }
      }
      let maskable = isProbe && (rc == 5 || rc == 2 || status == 7)
      if maskable {
        status = 0
        rc = 7
      }
      if status == 0 || status == 4 {
        status = 0
        if target != rc { status = 4 }
        switch rc {
        case 0:
          if isProbe && target == 7 { status = 0 }
        case 7:
          if isProbe || target == rc || !managed {
            status = 0
            resources[r].role = .stopped
            onFail = .ignore
            resources[r].nextRoleFromStatus = nil
          }
        case 8:
          if isProbe && rc != target { status = 0 }
          resources[r].role = .promoted
        case 9, 191:
          resources[r].role = .promoted
          status = 4
        case 6: status = 6
        case 3: status = op.intervalMs == 0 ? 5 : 3
        case 5, 2, 4:
          if op.task == "stop" && !(options.stonithEnabled && options.haveStonithResource) {
            resources[r].managed = false
            resources[r].blocked = true
          }
          status = 5
        default:
          if status == 0 { status = 4 }
        }
      }
      if expired && maskable && op.rc != target {
        if resources[r].role <= .stopped { resources[r].role = .unknown }
        continue
      }
      if expired && rc != target && op.intervalMs == 0 { continue }
      if expired && rc != target { continue }
      if maskable {
        updateState(r, op: op, rc: target, lastFailureKey: &lastFailureKey, onFail: &onFail)
        banNode(r, node, onParent: parentForBan)
        continue
      }
      switch status {
      case -1:
        if op.task == "start" {
          resources[r].pendingTask = "start"
          setActive(r)
        } else if op.task == "promote" {
          resources[r].role = .promoted
        }
        if resources[r].pendingTask == nil && (op.intervalMs != 0 || op.task != "monitor") {
          resources[r].pendingTask = op.task
        }
        if op.task != "monitor" || op.intervalMs != 0 { resources[r].pendingNode = node }
        continue
      case 0:
        updateState(r, op: op, rc: rc, lastFailureKey: &lastFailureKey, onFail: &onFail)
        continue
      case 1:
        continue
      default:
        break
      }
      // Failure handling.
      let (strategy, failRole) = onFailFor(r, task: op.task, intervalMs: op.intervalMs)
      if status == 7 {
        banNode(r, node, onParent: parentForBan)
      }
      if strategy == .ignore && status != 7 {
        updateState(r, op: op, rc: target, lastFailureKey: &lastFailureKey, onFail: &onFail)
        resources[r].failureIgnored = true
        continue
      }
      lastFailureKey = opKey(op)
      if onFail < strategy || (status == 7 && onFail < .migrate && strategy == .ignore) {
        onFail = strategy == .ignore ? .migrate : strategy
      }
      switch op.task {
      case "stop":
        banNode(r, node, onParent: false)
      case "promote":
        resources[r].role = .promoted
      case "demote":
        if strategy == .block {
          resources[r].role = .promoted
          resources[r].nextRoleFromStatus = .stopped
        } else if rc == 7 {
          resources[r].role = .stopped
        } else {
          resources[r].role = .unpromoted
        }
      case "migrate_to":
        resources[r].role = .started
      default: break
      }
      if isProbe && rc == 5 {
        resources[r].role = .stopped
      } else if resources[r].role < .started {
        setActive(r)
      }
      if let fr = failRole {
        if resources[r].nextRoleFromStatus == nil || resources[r].nextRoleFromStatus! < fr {
          resources[r].nextRoleFromStatus = fr
        }
        if fr == .stopped {
          // Never start it again under current conditions; anonymous clones ban the whole clone.
          banNode(r, nil, onParent: parentForBan)
        }
      }
      if status == 5 {
        banNode(r, node, onParent: parentForBan)
      } else if status == 6 {
        banNode(r, nil, onParent: parentForBan)
      }
    }
    processState(r, node: node, onFail: onFail)
    if savedRole > resources[r].role { resources[r].role = savedRole }
    checkDefinition(r, node: node, ops: ops)
  }

  /// Pacemaker's check of operation definitions since the last start: a changed digest means restart (or
  /// reload, when only reloadable parameters changed).
  mutating func checkDefinition(_ r: Int, node: Int, ops: [OperationRecord]) {
    guard resources[r].runningOn.contains(node), !resources[r].isOrphan else { return }
    var start = -1, stop = -1, impliedMonitor = -1, impliedClone = -1
    for (i, op) in ops.enumerated() {
      if op.task == "stop" && op.opStatus == 0 { stop = i }
      else if op.task == "start" || op.task == "migrate_from" { start = i }
      else if impliedMonitor <= stop && op.task == "monitor" && (op.rc == 0 || op.rc == 8) { impliedMonitor = i }
      else if op.task == "promote" || op.task == "demote" { impliedClone = i }
    }
    if start == -1 { start = impliedClone != -1 ? impliedClone : impliedMonitor }
    guard start >= 0, start >= stop else { return }
    let params = resources[r].parameters
    let all = OperationDigest.digest(params)
    for op in ops[start...] where op.intervalMs == 0 {
      guard ["monitor", "start", "promote", "migrate_from"].contains(op.task) else { continue }
      var restartChanged = false
      if let restartDigest = op.restartDigest {
        let keep = Set((op.forceRestart ?? "").split(separator: " ").map(String.init))
        restartChanged = OperationDigest.digest(params.filter { keep.contains($0.key) }) != restartDigest
      }
      if !restartChanged && op.opDigest == all { continue }
      // Simulations see sanitized secrets: a change only there is not a change.
      if let secure = op.secureDigest, let list = op.secureParams {
        let hidden = Set(list.split(separator: " ").map(String.init))
        let visible = params.filter { !hidden.contains($0.key) }
        if OperationDigest.digest(visible) == secure { continue }
        // Older controllers hashed fence devices without Pacemaker's own pcmk_* parameters.
        if resources[r].agentClass == "stonith",
           OperationDigest.digest(visible.filter { !$0.key.hasPrefix("pcmk_") }) == secure { continue }
      }
      let reload = !restartChanged && op.restartDigest != nil && !resources[r].failed
      resources[r].definitionChanged[node] = reload
    }
  }

  mutating func updateState(_ r: Int, op: OperationRecord, rc: Int, lastFailureKey: inout String?,
                            onFail: inout FailureResponse) {
    var clear = false
    let isMaskedProbe = op.task == "monitor" && op.intervalMs == 0 && (op.rc == 5 || op.rc == 2 || op.opStatus == 7)
    if rc == 5 || isMaskedProbe {
      resources[r].role = .stopped
    } else if rc == 7 {
      clear = true
      resources[r].role = .stopped
    } else if op.task == "monitor" {
      if let lk = lastFailureKey, lk == "\(op.task)_\(op.intervalMs)" { clear = true }
      if rc == 8 { resources[r].role = .promoted }
      if resources[r].role < .started { setActive(r) }
    } else if op.task == "start" {
      resources[r].role = .started
      if isAnonymousOrUniquePromotable(r) { resources[r].role = .unpromoted }
      clear = true
    } else if op.task == "stop" {
      resources[r].role = .stopped
      clear = true
    } else if op.task == "promote" {
      resources[r].role = .promoted
      clear = true
    } else if op.task == "demote" {
      if onFail == .demote { clear = true }
      resources[r].role = .unpromoted
    } else if op.task == "migrate_from" {
      resources[r].role = .started
      clear = true
    } else if op.task == "migrate_to" {
      // Partial migration: still active here until the target's migrate_from and our stop are seen.
      resources[r].role = .started
      if let t = op.migrateTarget, let tn = nodeByName[t] { resources[r].partialMigrationTarget = tn }
    } else if resources[r].role < .started {
      setActive(r)
    }
    if clear {
      switch onFail {
      case .stop, .fence, .migrate, .standby: break
      case .block, .ignore, .demote, .recover, .restartContainer:
        onFail = .ignore
        resources[r].nextRoleFromStatus = nil
      case .resetRemote:
        onFail = .ignore
      }
    }
  }

  mutating func processState(_ r: Int, node: Int, onFail onFail0: FailureResponse) {
    var onFail = onFail0
    let role = resources[r].role
    if role != .unknown { resources[r].knownOn.insert(node) }
    if role > .stopped && !nodes[node].online && !nodes[node].maintenance && resources[r].managed {
      if options.stonithEnabled {
        fence(node, "\(resources[r].id) is thought to be active there")
      }
    }
    if nodes[node].unclean { onFail = .ignore }
    switch onFail {
    case .ignore: break
    case .demote: resources[r].failed = true
    case .fence: fence(node, "\(resources[r].id) failed there")
    case .standby:
      nodes[node].standby = true
      nodes[node].standbyOnFail = true
    case .block:
      resources[r].managed = false
      resources[r].blocked = true
    case .migrate:
      banNode(r, node, onParent: false)
    case .stop:
      resources[r].nextRoleFromStatus = .stopped
    case .recover:
      if role != .stopped && role != .unknown {
        resources[r].failed = true
        resources[r].stopOnFail = true
      }
    case .restartContainer, .resetRemote:
      resources[r].failed = true
      resources[r].stopOnFail = true
    }
    if role != .stopped && role != .unknown {
      if !resources[r].runningOn.contains(node) { resources[r].runningOn.append(node) }
      resources[r].rolePerNode[node] = role
      switch onFail {
      case .ignore: break
      case .demote, .block: resources[r].failed = true
      default:
        resources[r].failed = true
        resources[r].stopOnFail = true
      }
    }
  }

  // MARK: fail counts

  mutating func readFailCounts() {
    for ns in input.nodeStates {
      guard let n = nodeByID[ns.id] ?? ns.uname.flatMap({ nodeByName[$0] }) else { continue }
      for (name, value) in ns.transientAttributes.sorted(by: { $0.key < $1.key }) {
        var rest: Substring
        let isCount: Bool
        if name.hasPrefix("fail-count-") {
          rest = name.dropFirst("fail-count-".count); isCount = true
        } else if name.hasPrefix("last-failure-") {
          rest = name.dropFirst("last-failure-".count); isCount = false
        } else { continue }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let rid = String(rest)
        // Apply to the primitive(s) with this id (anonymous instances on this node, or the primitive).
        var targets: [Int] = []
        if let r = resourceByID[rid], resources[r].isPrimitive {
          if isAnonymousCloneInstance(r) != nil {
            let clone = isAnonymousCloneInstance(r)!
            let base = resources[r].baseID
            targets = allPrimitives(clone).filter { resources[$0].baseID == base && resources[$0].runningOn.contains(n) }
            if targets.isEmpty { targets = allPrimitives(clone).filter { resources[$0].baseID == base } }
          } else {
            targets = [r]
          }
        } else if let colon = rid.lastIndex(of: ":"), let r = resourceByID[String(rid[..<colon])],
                  resources[r].isPrimitive {
          targets = [r]
        }
        for t in targets {
          if isCount {
            let v = ScoreMath.parse(value) ?? 0
            resources[t].failCounts[n] = ScoreMath.add(resources[t].failCounts[n] ?? 0, v)
          } else if let v = Int64(value) {
            resources[t].lastFailure[n] = max(resources[t].lastFailure[n] ?? 0, v)
          }
        }
      }
    }
  }

  // MARK: finish

  mutating func finishResources() {
    // Collective roles: a group or clone is as active as its most active child.
    for i in resources.indices.reversed() where !resources[i].isPrimitive {
      var role = Role.stopped
      for c in resources[i].children { role = max(role, resources[c].role) }
      resources[i].role = role
      var on: [Int] = []
      for c in resources[i].children { for n in resources[c].runningOn where !on.contains(n) { on.append(n) } }
      resources[i].runningOn = on
      if resources[i].children.contains(where: { resources[$0].failed }) { resources[i].failed = true }
    }
    for i in resources.indices where resources[i].isPrimitive && resources[i].role == .unknown {
      resources[i].role = .stopped
    }
    // Active on more than one node: multiple-active decides (clone instances are per node already).
    for i in resources.indices where resources[i].isPrimitive && resources[i].runningOn.count > 1 {
      switch resources[i].multipleActive {
      case "block":
        resources[i].managed = false
        resources[i].blocked = true
        // A group configured to block blocks as a whole.
        if let p = resources[i].parent, resources[p].variant == .group, resources[p].meta["multiple-active"] == "block" {
          for m in resources[p].children {
            resources[m].managed = false
            resources[m].blocked = true
          }
        }
      case "stop_only":
        resources[i].nextRoleFromStatus = .stopped
      default:
        break
      }
    }
  }
}
