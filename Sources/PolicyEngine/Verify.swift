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
  var out: [VerifyMessage] = []
  let o = state.options
  if !o.haveQuorum && o.noQuorumPolicy != .ignore {
    out.append(VerifyMessage(severity: .warning, origin: "cluster_status",
                             text: "Fencing and resource management disabled due to lack of quorum", verbose: true,
                             counts: false))
  }
  if o.stonithEnabled && !o.haveStonithResource {
    for text in ["Resource start-up disabled since no STONITH resources have been defined",
                 "Either configure some or disable STONITH with the stonith-enabled option",
                 "NOTE: Clusters with shared data need STONITH to ensure data integrity"] {
      out.append(VerifyMessage(severity: .error, origin: "unpack_resources", text: text, verbose: false))
    }
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
