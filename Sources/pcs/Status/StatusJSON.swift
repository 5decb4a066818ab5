/// `--output-as json` for status: Vigil's documented, stable shape (docs/PCS-JSON.md).
enum StatusJSON {
  static func render(_ m: StatusModel, view: StatusView) -> JSON {
    let nodes = JSON.array(m.nodes.map { n in
      .object([
        ("name", .string(n.name)), ("id", .string(n.id)), ("online", .bool(n.online)),
        ("unclean", .bool(n.state == .uncleanOffline)), ("standby", .bool(n.standby)),
        ("maintenance", .bool(n.maintenance)), ("resources_running", .bool(n.hasActiveResources)),
        ("attributes", .object(n.attributes.map { ($0.name, .string($0.value)) })),
        ("fail_counts", .array(n.failCounts.map { f in
          .object([
            ("resource", .string(f.resource)), ("fail_count", .number(f.count)),
            ("last_failure", f.lastFailure.map { JSON.number(Int($0)) } ?? .null),
            ("migration_threshold", .string(f.migrationThreshold)),
          ])
        })),
      ])
    })
    let resources = JSON.array(m.resources.compactMap { r in
      if view != .cluster, case .primitive(let p) = r, p.stonith { return nil }
      return resource(r)
    })
    switch view {
    case .nodes: return .object([("nodes", nodes)])
    case .resources: return .object([("resources", resources)])
    case .cluster:
      return .object([
        ("summary", .object([
          ("stack", .string(m.stack)), ("dc", m.dcName.map(JSON.string) ?? .null), ("dc_version", .string(m.dcVersion)),
          ("have_quorum", .bool(m.haveQuorum)), ("last_change", .string(m.lastChange)),
          ("nodes_configured", .number(m.nodesConfigured)), ("resource_instances_configured", .number(m.instancesConfigured)),
          ("resource_instances_disabled", .number(m.instancesDisabled)),
        ])),
        ("warnings", .array(m.warnings.map(JSON.string))),
        ("nodes", nodes),
        ("resources", resources),
        ("failed_actions", .array(m.failedOperations.map { f in
          .object([
            ("resource", .string(f.resource)), ("operation_key", .string(f.operationKey)), ("task", .string(f.task)),
            ("interval_ms", .number(f.intervalMs)), ("node", .string(f.node)), ("rc", .number(f.rc)),
            ("op_status", .number(f.opStatus)), ("exit_reason", .string(f.exitReason)), ("call_id", .string(f.callId)),
            ("last_rc_change", f.lastRCChange.map { JSON.number(Int($0)) } ?? .null),
            ("queued_ms", .string(f.queueMs)), ("exec_ms", .string(f.execMs)),
          ])
        })),
      ])
    }
  }

  static func resource(_ r: StatusModel.Resource) -> JSON {
    switch r {
    case .primitive(let p):
      return .object([
        ("type", .string("primitive")), ("id", .string(p.id)), ("agent", .string(p.agent)), ("stonith", .bool(p.stonith)),
        ("disabled", .bool(p.disabled)), ("managed", .bool(p.managed)), ("orphaned", .bool(p.orphan)),
        ("instances", .array(p.placements.map { pl in
          .object([("node", .string(pl.node)), ("role", .string(pl.role.text)), ("failed", .bool(pl.failed))])
        })),
      ])
    case .group(let id, let members, let disabled):
      return .object([("type", .string("group")), ("id", .string(id)), ("disabled", .bool(disabled)), ("members", .array(members.map(resource)))])
    case .clone(let id, let child, let promotable, let max, let disabled):
      return .object([
        ("type", .string("clone")), ("id", .string(id)), ("promotable", .bool(promotable)), ("clone_max", .number(max)),
        ("disabled", .bool(disabled)), ("child", resource(child)),
      ])
    }
  }
}
