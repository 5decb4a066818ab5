import CIB

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
  var nodes: [SchedulerNode] = []
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
    applyTicketConstraints()
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
      var node = SchedulerNode(index: index, id: n.id, name: n.uname, type: n.type, attributes: attrs)
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
    if let v = m["failure-timeout"] { r.failureTimeoutS = (intervalMs(v) ?? 0) / 1000 }
    r.priority = m["priority"].flatMap(ScoreMath.parse) ?? 0
    r.targetRole = m["target-role"].flatMap { Role(parsing: $0) }
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
