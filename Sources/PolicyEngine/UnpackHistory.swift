import CIB

/// Replaying each resource's operation history (lrm_rsc_op, by call id) on each node: where it runs, in which
/// role, what failed and how to respond; orphans and anonymous clone instances are matched here (Pacemaker's
/// unpack_rsc_op and friends in unpack.c).
extension StatusInterpreter {
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
        updateState(r, node: node, historyID: h.id, op: op, rc: target, lastFailureKey: &lastFailureKey, onFail: &onFail)
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
        updateState(r, node: node, historyID: h.id, op: op, rc: rc, lastFailureKey: &lastFailureKey, onFail: &onFail)
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
        updateState(r, node: node, historyID: h.id, op: op, rc: target, lastFailureKey: &lastFailureKey, onFail: &onFail)
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
        unpackMigrateToFailure(r, node: node, history: h.id, op)
      case "migrate_from":
        unpackMigrateFromFailure(r, node: node, history: h.id, op)
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
    let all = OperationDigests.digest(params)
    for op in ops[start...] where op.intervalMs == 0 {
      guard ["monitor", "start", "promote", "migrate_from"].contains(op.task) else { continue }
      var restartChanged = false
      if let restartDigest = op.restartDigest {
        let keep = Set((op.forceRestart ?? "").split(separator: " ").map(String.init))
        restartChanged = OperationDigests.digest(params.filter { keep.contains($0.key) }) != restartDigest
      }
      if !restartChanged && op.opDigest == all { continue }
      // Simulations see sanitized secrets: a change only there is not a change.
      if let secure = op.secureDigest, let list = op.secureParams {
        let hidden = Set(list.split(separator: " ").map(String.init))
        let visible = params.filter { !hidden.contains($0.key) }
        if OperationDigests.digest(visible) == secure { continue }
        // Older controllers hashed fence devices without Pacemaker's own pcmk_* parameters.
        if resources[r].agentClass == "stonith",
           OperationDigests.digest(visible.filter { !$0.key.hasPrefix("pcmk_") }) == secure { continue }
      }
      let reload = !restartChanged && op.restartDigest != nil && !resources[r].failed
      resources[r].definitionChanged[node] = reload
    }
  }

  mutating func updateState(_ r: Int, node: Int, historyID: String, op: OperationRecord, rc: Int,
                            lastFailureKey: inout String?,
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
      unpackMigrateToSuccess(r, node: node, history: historyID, op)
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
}
