import CIB

/// One finding of crm_verify's scheduler checks, with the function name Pacemaker logs it under.
public struct VerifyMessage: Sendable, Equatable {
  public enum Severity: String, Sendable { case error, warning }
  public var severity: Severity
  /// Pacemaker's log tag, e.g. "unpack_resources", printed as "(unpack_resources) \terror: ...".
  public var origin: String
  public var text: String
  /// Shown only at -VV (Pacemaker logs it one level lower).
  public var verbose: Bool
  /// Whether it makes the configuration "not valid"/"may not be valid" (configuration findings do; plain
  /// log warnings such as the quorum notice do not).
  public var counts: Bool = true

  public var line: String { "(\(origin)) \t\(severity.rawValue): \(text)" }
}

/// crm_verify's checks that need the scheduler's view (fencing, quorum, unclean nodes), as data.
/// Schema-level problems come from the CIB module's `validateCIB`; this covers what Pacemaker only notices
/// while unpacking and scheduling.
public func verifyConfiguration(_ state: ClusterState) -> [VerifyMessage] {
  // Pacemaker's order: unpack_config, the quorum notice, unpack_resources (per resource, then the STONITH
  // summary), fencing, and the second unpack of operations during action creation.
  let findings = configurationFindings(state)
  var out = findings.config
  let o = state.options
  if !o.haveQuorum && o.noQuorumPolicy != .ignore {
    out.append(VerifyMessage(severity: .warning, origin: "cluster_status",
                             text: "Fencing and resource management disabled due to lack of quorum", verbose: true,
                             counts: false))
  }
  out += findings.resources + findings.duplicates
  if o.stonithEnabled && !o.haveStonithResource {
    for text in ["Resource start-up disabled since no STONITH resources have been defined",
                 "Either configure some or disable STONITH with the stonith-enabled option",
                 "NOTE: Clusters with shared data need STONITH to ensure data integrity"] {
      out.append(VerifyMessage(severity: .error, origin: "unpack_resources", text: text, verbose: false))
    }
  }
  // Action creation: the second unpack of operations, and resources found active on several nodes (logged as
  // an error, yet Pacemaker does not count it: crm_verify still exits 0).
  // Action creation: the second unpack of operations, and resources found active on several nodes.
  out += findings.duplicates
  for rsc in state.resources where rsc.isPrimitive && rsc.runningOn.count > 1 {
    let what: String
    switch rsc.multipleActive {
    case "block": what = "waiting for an administrator"
    case "stop_unexpected": what = "stopping unexpected instances"
    case "stop_start": what = "attempting recovery"
    default: continue
    }
    out.append(VerifyMessage(severity: .error, origin: "pcmk__primitive_create_actions",
                             text: "\(rsc.agentClass) resource \(rsc.id) might be active on \(rsc.runningOn.count) nodes (\(what))",
                             verbose: false, counts: false))
  }
  let canFenceAny = o.stonithEnabled && o.haveStonithResource
  for node in state.nodes where node.unclean {
    let fenceable = canFenceAny && (o.haveQuorum || o.noQuorumPolicy == .ignore || node.online)
    if fenceable {
      out.append(VerifyMessage(severity: .warning, origin: "pe_fence_node",
                               text: "Cluster node \(node.name) will be fenced: \(node.fenceReason ?? "node is unclean")",
                               verbose: true))
    } else {
      out.append(VerifyMessage(severity: .warning, origin: "schedule_fencing_and_shutdowns",
                               text: "Node \(node.name) is unclean but cannot be fenced", verbose: true))
    }
  }
  return out
}

/// Findings Pacemaker makes while unpacking the configuration (not by schema validation): operations it
/// ignores or resets, and deprecated options. Pacemaker logs the per-operation errors once per unpack of each
/// resource instance (twice in a crm_verify run); they are repeated here the same way.
func configurationFindings(_ state: ClusterState)
  -> (config: [VerifyMessage], resources: [VerifyMessage], duplicates: [VerifyMessage])
{
  var config: [VerifyMessage] = []
  var out: [VerifyMessage] = []
  let input = state.input
  if !state.options.startupFencing || !state.options.stonithEnabled {
    // Logged as a warning, but not a configuration finding: it does not change the exit code.
    config.append(VerifyMessage(severity: .warning, origin: "unpack_config", text: "Blind faith: not fencing unseen nodes",
                             verbose: true, counts: false))
  }
  if input.clusterOptions["stonith-action"] == "poweroff" {
    config.append(VerifyMessage(severity: .warning, origin: "unpack_config",
                             text: "Support for stonith-action of 'poweroff' is deprecated and will be removed in a future release (use 'off' instead)",
                             verbose: true))
  }
  var duplicates: [VerifyMessage] = []
  for rsc in state.resources {
    if rsc.variant == .group, let ordered = rsc.meta["ordered"], !isTrue(ordered) {
      out.append(VerifyMessage(severity: .warning, origin: "set_group_flag",
                               text: "Support for the 'ordered' group meta-attribute is deprecated and will be removed in a future release (use a resource set instead)",
                               verbose: true))
    }
    guard rsc.isPrimitive else { continue }
    if rsc.meta["restart-type"] != nil {
      out.append(VerifyMessage(severity: .warning, origin: "pe__unpack_resource",
                               text: "Support for restart-type is deprecated and will be removed in a future release",
                               verbose: true))
    }
    if let role = rsc.meta["target-role"], ["unpromoted", "slave"].contains(role.lowercased()),
       !state.isPromotableInstance(rsc.index) {
      out.append(VerifyMessage(severity: .error, origin: "get_target_role",
                               text: "Ignoring 'target-role' for \(rsc.id) because '\(role)' only makes sense for promotable clones",
                               verbose: false))
    }
    if rsc.failureTimeoutS > 0, rsc.operations.contains(where: { $0.onFail == "block" }) {
      out.append(VerifyMessage(severity: .warning, origin: "pe_get_failcount",
                               text: "Ignoring failure timeout \(rsc.failureTimeoutS) for \(rsc.id) because it conflicts with on-fail=block",
                               verbose: true))
    }
    var firstByKey: [String: String] = [:]
    for op in rsc.operations {
      let key = "\(op.name)_\(op.intervalMs)"
      let id = op.meta["id"] ?? key
      if let first = firstByKey[key] {
        duplicates.append(VerifyMessage(severity: .error, origin: "is_op_dup",
                                        text: "Operation \(id) is duplicate of \(first) (do not use same name and interval combination more than once per resource)",
                                        verbose: false))
      } else {
        firstByKey[key] = id
      }
    }
  }
  return (config, out, duplicates)
}

/// CIB validation findings that Pacemaker does not treat as schema violations (its RelaxNG schema accepts them)
/// but reports, if at all, while unpacking; crm_verify reports those through `configurationFindings`.
public func isUnpackLevelFinding(_ kind: CIBValidationIssue.Kind) -> Bool {
  switch kind {
  case .duplicateOperation, .onFailNotAllowed, .roleNeedsPromotable, .invalidDuration: return true
  default: return false
  }
}
