import CIB

/// Live migration in the operation history (Pacemaker's unpack_migrate_to_success, unpack_migrate_to_failure and
/// unpack_migrate_from_failure): a migration is migrate_to on the source, migrate_from on the target, then a stop
/// on the source. Which of these are recorded, and whether anything newer was recorded on either node, decides
/// where the resource is active, whether the migration is partial (may continue), dangling (only the source's
/// stop is missing) or failed (forces a full recovery). The other node's history is read from the input.
extension StatusInterpreter {
  /// The history of resource `id` on the node named `node`, if that node recorded any.
  func migrationHistory(_ id: String, on node: String) -> ResourceHistory? {
    for ns in input.nodeStates {
      let name = ns.uname ?? nodeByID[ns.id].map { nodes[$0].name }
      guard name == node else { continue }
      return ns.resources.first { $0.id == id }
    }
    return nil
  }

  /// The first recorded `task` of resource `id` on `node` (for migrate_to: towards `peer`; for migrate_from:
  /// from `peer`), and only if it completed with `expectedRC` when one is given.
  func findMigrationOp(_ id: String, _ task: String, on node: String, peer: String?, expectedRC: Int?)
    -> OperationRecord?
  {
    guard let h = migrationHistory(id, on: node) else { return nil }
    let op = h.operations.first { op in
      guard op.task == task else { return false }
      guard let peer else { return true }
      if task == "migrate_to" { return op.migrateTarget == peer }
      if task == "migrate_from" { return op.migrateSource == peer }
      return true
    }
    guard let op else { return nil }
    if let expectedRC, op.rc != expectedRC || op.opStatus != 0 { return nil }
    return op
  }

  /// Pacemaker's pe__is_newer_op: call ids on the same node, otherwise last-rc-change. > 0 when `a` is newer.
  func compareOps(_ a: OperationRecord, _ b: OperationRecord, sameNodeDefault: Bool) -> Int {
    var sameNode = sameNodeDefault
    if let na = a.onNode, let nb = b.onNode { sameNode = na.lowercased() == nb.lowercased() }
    if sameNode && a.id == b.id { return 0 }
    let ca = a.callID, cb = b.callID
    if ca == -1 && cb == -1 { return 0 }
    if sameNode && ca >= 0 && ca < cb { return -1 }
    if sameNode && cb >= 0 && ca > cb { return 1 }
    if ca >= 0 && cb >= 0 && (!sameNode || ca == cb) {
      let la = a.lastRCChange ?? -1, lb = b.lastRCChange ?? -1
      if la >= 0 && la < lb { return -1 }
      if lb >= 0 && la > lb { return 1 }
      return 0
    }
    if ca >= 0 && cb < 0 { return -1 }
    if cb >= 0 && ca < 0 { return 1 }
    return 0
  }

  /// Was a start, stop or migration of `id` recorded on `node` after `op`?
  func nonMonitorAfter(_ id: String, on node: String, _ op: OperationRecord, sameNode: Bool) -> Bool {
    guard let h = migrationHistory(id, on: node) else { return false }
    for other in h.operations where !(other.id == op.id && other.callID == op.callID && other.task == op.task) {
      guard ["start", "stop", "migrate_to", "migrate_from"].contains(other.task) else { continue }
      if compareOps(other, op, sameNodeDefault: sameNode) > 0 { return true }
    }
    return false
  }

  /// Did a monitor after `op` find `id` not running on `node`?
  func monitorNotRunningAfter(_ id: String, on node: String, _ op: OperationRecord, sameNode: Bool) -> Bool {
    guard let monitor = findMigrationOp(id, "monitor", on: node, peer: nil, expectedRC: 7) else { return false }
    return compareOps(monitor, op, sameNodeDefault: sameNode) > 0
  }

  /// Does `node` have state newer than the migration (any start/stop/migration, or a monitor finding it
  /// stopped), compared with the migration event recorded on that same node when there is one?
  func newerStateAfterMigrate(_ id: String, on node: String, migrateTo: OperationRecord?,
                              migrateFrom: OperationRecord?) -> Bool {
    guard var op = migrateFrom ?? migrateTo else { return false }
    var sameNode = false
    let source = op.migrateSource, target = op.migrateTarget
    if node.lowercased() == target?.lowercased() {
      if let f = migrateFrom { op = f; sameNode = true } else if let t = migrateTo { op = t }
    } else if node.lowercased() == source?.lowercased() {
      if let t = migrateTo { op = t; sameNode = true } else if let f = migrateFrom { op = f }
    }
    return nonMonitorAfter(id, on: node, op, sameNode: sameNode)
      || monitorNotRunningAfter(id, on: node, op, sameNode: sameNode)
  }

  /// Marks `r` active on `node` as well (native_add_running), as the role it takes when started.
  mutating func addRunning(_ r: Int, on node: Int) {
    guard !resources[r].runningOn.contains(node) else { return }
    resources[r].runningOn.append(node)
    resources[r].rolePerNode[node] = .started
    resources[r].knownOn.insert(node)
  }

  /// A failed migration on the source can no longer migrate: it is recovered with a full stop and start.
  mutating func forceRecoveryAfterMigration(_ r: Int) {
    resources[r].failed = true
    resources[r].stopOnFail = true
    resources[r].allowMigrate = false
  }

  mutating func unpackMigrateToSuccess(_ r: Int, node: Int, history id: String, _ op: OperationRecord) {
    guard let source = op.migrateSource, let target = op.migrateTarget, source == nodes[node].name else { return }
    let sourceNewerOp = nonMonitorAfter(id, on: source, op, sameNode: true)
    let migrateFrom = findMigrationOp(id, "migrate_from", on: target, peer: source, expectedRC: nil)
    if sourceNewerOp && migrateFrom != nil { return }
    let targetNewerState = newerStateAfterMigrate(id, on: target, migrateTo: op, migrateFrom: migrateFrom)
    if sourceNewerOp && targetNewerState { return }

    resources[r].role = .started
    let targetNode = nodeByName[target]
    let sourceNode = nodeByName[source]
    if let from = migrateFrom, from.rc == 0, from.opStatus == 0 {
      // Migrated, but the source's stop is missing: stop it there without touching the target.
      resources[r].role = .stopped
      if !resources[r].danglingMigrations.contains(node) { resources[r].danglingMigrations.append(node) }
    } else if let from = migrateFrom, from.opStatus != -1 {
      if !targetNewerState, let t = targetNode, nodes[t].online {
        addRunning(r, on: t)
      } else {
        forceRecoveryAfterMigration(r)
      }
    } else {
      // Pending, or completed but erased: a partial migration that may continue if the target stays the same.
      if !targetNewerState, let t = targetNode, nodes[t].online {
        addRunning(r, on: t)
        if let s = sourceNode, nodes[s].online {
          resources[r].partialMigrationTarget = t
          resources[r].partialMigrationSource = s
        }
      } else if !sourceNewerOp {
        forceRecoveryAfterMigration(r)
      }
    }
  }

  mutating func unpackMigrateToFailure(_ r: Int, node: Int, history id: String, _ op: OperationRecord) {
    guard let source = op.migrateSource, let target = op.migrateTarget, source == nodes[node].name else { return }
    resources[r].role = .started
    let migrateFrom = findMigrationOp(id, "migrate_from", on: target, peer: source, expectedRC: 0)
    let unknownOnTarget = migrationHistory(id, on: target)?.operations.isEmpty ?? true
    if !unknownOnTarget && !newerStateAfterMigrate(id, on: target, migrateTo: op, migrateFrom: migrateFrom) {
      if let t = nodeByName[target], nodes[t].online { addRunning(r, on: t) }
    } else if !nonMonitorAfter(id, on: source, op, sameNode: true) {
      if !resources[r].danglingMigrations.contains(node) { resources[r].danglingMigrations.append(node) }
    }
  }

  mutating func unpackMigrateFromFailure(_ r: Int, node: Int, history id: String, _ op: OperationRecord) {
    guard let source = op.migrateSource, let target = op.migrateTarget, target == nodes[node].name else { return }
    resources[r].role = .started
    let migrateTo = findMigrationOp(id, "migrate_to", on: source, peer: target, expectedRC: 0)
    let unknownOnSource = migrationHistory(id, on: source)?.operations.isEmpty ?? true
    if !unknownOnSource && !newerStateAfterMigrate(id, on: source, migrateTo: migrateTo, migrateFrom: op) {
      if let s = nodeByName[source], nodes[s].online { addRunning(r, on: s) }
    }
  }
}
