import CIB

/// How a primitive's move is carried out (Pacemaker's pcmk_sched_migration.c and the migration part of
/// pcmk__primitive_create_actions).
enum MigrationPlan: Equatable {
  /// No live migration: a move is a stop then a start.
  case none
  /// migrate_to on the source, migrate_from on the target, then the source's stop; the start is a pseudo action.
  case migrate(source: Int, target: Int)
  /// migrate_to already succeeded on the source and the target is unchanged: only migrate_from and the stop remain.
  case continuePartial(source: Int, target: Int)
  /// A recorded partial migration that cannot continue (target changed, or active elsewhere too): full recovery.
  case abandonPartial
}

extension ActionBuilder {
  /// Can `r` migrate live from `source` (pcmk__rsc_can_migrate)? Only a managed, healthy primitive with
  /// allow-migrate whose start is not pending, between two clean nodes.
  func canMigrate(_ r: Int, from source: Int, to target: Int) -> Bool {
    let rsc = state.resources[r]
    guard rsc.allowMigrate, rsc.managed, !rsc.failed, rsc.pendingTask != "start" else { return false }
    if state.options.stonithEnabled && !state.options.haveStonithResource { return false }
    return !state.nodes[source].unclean && !state.nodes[target].unclean
  }

  func migrationPlan(_ r: Int) -> MigrationPlan {
    let rsc = state.resources[r]
    let current = state.currentNode(r)
    let next = assignment.node[r]
    var allow = false
    if let c = current, let n = next, c != n, assignment.nextRole[r] >= .started {
      allow = canMigrate(r, from: c, to: n)
    }
    if let source = rsc.partialMigrationSource, let target = rsc.partialMigrationTarget {
      if allow && rsc.runningOn.count == 2 && current == source && next == target {
        return .continuePartial(source: source, target: target)
      }
      return .abandonPartial
    }
    if rsc.partialMigrationSource != nil || rsc.partialMigrationTarget != nil { return .abandonPartial }
    if allow, let c = current, let n = next { return .migrate(source: c, target: n) }
    return .none
  }

  /// The migration's actions and their internal orderings (pcmk__create_migration_actions): the start on the
  /// target and the stop on the source become migratable; migrate_to (unless already done) and migrate_from are
  /// created optional and become required through the orderings below.
  mutating func createMigrationActions(_ r: Int, source: Int, target: Int, partial: Bool) {
    guard let start = primitiveActions(r, .start).first(where: { actions[$0].node == target }),
          let stop = primitiveActions(r, .stop).first(where: { actions[$0].node == source }) else { return }
    actions[start].migratable = true
    actions[stop].migratable = true
    var migrateTo: Int?
    if !partial {
      let m = add(r, .migrateTo, source, optional: true)
      actions[m].runnable = actions[start].runnable && actions[m].runnable
      actions[m].migratable = true
      migrateTo = m
    }
    let from = add(r, .migrateFrom, target, optional: true)
    if partial { actions[from].runnable = actions[start].runnable && actions[from].runnable }
    actions[from].migratable = true
    if let m = migrateTo { order(.action(m), .action(from), [.impliesFirstMigratable]) }
    order(.action(from), .action(stop), [.impliesFirstMigratable])
    order(.action(from), .action(start), [.impliesFirstMigratable, .pseudoLeft])
  }

  /// The migration-specific flag rules of an ordering (pcmk__update_ordered_actions), applied to concrete actions.
  mutating func applyMigrationFlags(_ o: Ordering, first ff: Flags) -> Bool {
    var changed = false
    if o.flags.contains(.impliesFirstMigratable), let tf = flags(o.then) {
      for f in targets(o.first) {
        if !(tf.migratable && tf.runnable) && actions[f].runnable { actions[f].runnable = false; changed = true }
        if !tf.optional && actions[f].optional { actions[f].optional = false; changed = true }
      }
    }
    if o.flags.contains(.pseudoLeft) && !ff.runnable {
      for t in targets(o.then) where actions[t].migratable { actions[t].migratable = false; changed = true }
    }
    return changed
  }
}
