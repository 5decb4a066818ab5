import CIB
import PolicyEngine

#if canImport(Glibc)
  import Glibc
#endif

/// Reads the status section (and the configuration it refers to) into a `StatusModel`.
///
/// One unpacker of the status section: where each resource runs, in which role, whether it failed, and each
/// node's state (online, unclean, standby, maintenance) come from the PolicyEngine's `interpretStatus`, the
/// same stage the scheduler starts from, and so do failed operations, fail counts and node attributes (through
/// `StatusSectionView`). This file only adds what crm_mon prints and the scheduler does not keep: exit reasons and
/// queue/exec times of failed operations, the resource tree as configured, and the summary lines.
enum StatusReader {
  static func read(_ cib: CIBElement) -> StatusModel {
    let configuration = cib.firstElement(named: "configuration") ?? CIBElement("configuration")
    let status = cib.firstElement(named: "status") ?? CIBElement("status")
    let properties = clusterProperties(configuration)

    let configuredNodes = configuration.firstElement(named: "nodes")?.elements(named: "node") ?? []
    let stonithEnabled = isTrue(properties["stonith-enabled"] ?? "true")
    let startupFencing = isTrue(properties["startup-fencing"] ?? "true")

    // Histories: node -> resource id (instance suffix dropped) -> ops.
    var history: [(node: String, resource: String, rawId: String, lrm: CIBElement)] = []
    for s in status.elements(named: "node_state") {
      guard let node = s[attribute: "uname"] else { continue }
      for lrm in s.firstElement(named: "lrm")?.firstElement(named: "lrm_resources")?.elements(named: "lrm_resource") ?? [] {
        guard let raw = lrm.id else { continue }
        let base = raw.split(separator: ":").first.map(String.init) ?? raw
        history.append((node, base, raw, lrm))
      }
    }

    // Roles and node states: the PolicyEngine's interpretation of the status section.
    let interpreted = interpret(cib)
    var onlineNodes = Set<String>()
    var placements: [String: [StatusModel.Placement]] = [:]
    var engineNode: [String: SchedulerNode] = [:]
    if let state = interpreted {
      for n in state.nodes {
        engineNode[n.name] = n
        if n.online { onlineNodes.insert(n.name) }
      }
      for r in state.resources where r.isPrimitive {
        for nodeIndex in r.runningOn.sorted() {
          let node = state.nodes[nodeIndex].name
          let role: Role
          switch r.rolePerNode[nodeIndex] ?? r.role {
          case .promoted: role = .promoted
          case .unpromoted: role = .unpromoted
          default: role = .started
          }
          placements[r.baseID, default: []].append(StatusModel.Placement(node: node, role: role, failed: r.failed))
        }
      }
    }
    // Failed operations: which ones failed is the PolicyEngine's reading; exit reason and queue/exec times
    // are display-only fields the scheduler does not keep, read from the same lrm_rsc_op.
    let facts = interpreted.map(StatusSectionView.init)
    var failed: [StatusModel.FailedOperation] = []
    for f in facts?.failedOperations ?? [] {
      let op = f.operation
      let raw = history.first { $0.node == f.node && $0.rawId == f.resourceHistoryID }?.lrm
        .elements(named: "lrm_rsc_op").first { $0.id == op.id }
      failed.append(
        StatusModel.FailedOperation(
          resource: f.resourceHistoryID, operationKey: op.operationKey ?? op.id, task: op.task,
          intervalMs: op.intervalMs, node: f.node, rc: op.rc, opStatus: op.opStatus,
          exitReason: raw?[attribute: "exit-reason"] ?? "", callId: raw?[attribute: "call-id"] ?? String(op.callID),
          lastRCChange: raw?[attribute: "last-rc-change"].flatMap { Int64($0) }, queueMs: raw?[attribute: "queue-time"] ?? "0",
          execMs: raw?[attribute: "exec-time"] ?? "0"))
    }

    // Resources.
    let nodeCount = configuredNodes.count
    var instances = 0
    var disabledInstances = 0
    var known = Set<String>()
    func build(_ e: CIBElement, inheritedDisabled: Bool, inheritedUnmanaged: Bool, multiplier: Int) -> StatusModel.Resource? {
      let disabled = inheritedDisabled || metaValue(e, "target-role").map { $0.lowercased() == "stopped" } == true
      let unmanaged = inheritedUnmanaged || metaValue(e, "is-managed").map { !isTrue($0) } == true
      switch e.name {
      case "primitive":
        let id = e.id ?? ""
        known.insert(id)
        instances += multiplier
        if disabled { disabledInstances += multiplier }
        let agent = [e[attribute: "class"], e[attribute: "provider"], e[attribute: "type"]].compactMap { $0 }.joined(separator: ":")
        let ps = (placements[id] ?? []).sorted { $0.node < $1.node }
        return .primitive(
          .init(
            id: id, agent: agent, stonith: e[attribute: "class"] == "stonith", placements: ps, disabled: disabled,
            managed: !unmanaged && !isTrue(properties["maintenance-mode"] ?? "false"), orphan: false))
      case "group":
        let members = e.elements.compactMap { build($0, inheritedDisabled: disabled, inheritedUnmanaged: unmanaged, multiplier: multiplier) }
        return .group(id: e.id ?? "", members: members, disabled: disabled)
      case "clone", "master":
        let max = metaValue(e, "clone-max").flatMap { Int($0) } ?? nodeCount
        let promotable = e.name == "master" || metaValue(e, "promotable").map(isTrue) == true
        guard let child = e.elements.first(where: { ["primitive", "group"].contains($0.name) }),
          let built = build(child, inheritedDisabled: disabled, inheritedUnmanaged: unmanaged, multiplier: multiplier * max)
        else { return nil }
        return .clone(id: e.id ?? "", child: built, promotable: promotable, instancesMax: max, disabled: disabled)
      default:
        return nil
      }
    }
    var resources: [StatusModel.Resource] = []
    for e in configuration.firstElement(named: "resources")?.elements ?? [] {
      if let r = build(e, inheritedDisabled: false, inheritedUnmanaged: false, multiplier: 1) { resources.append(r) }
    }
    // Orphans: active in the history but no longer configured.
    var orphanIds: [String] = []
    for h in history where !known.contains(h.resource) && !orphanIds.contains(h.resource) {
      if let ps = placements[h.resource], !ps.isEmpty { orphanIds.append(h.resource) }
    }
    for id in orphanIds {
      let lrm = history.first { $0.resource == id }!.lrm
      let agent = [lrm[attribute: "class"], lrm[attribute: "provider"], lrm[attribute: "type"]].compactMap { $0 }.joined(separator: ":")
      resources.append(
        .primitive(
          .init(
            id: id, agent: agent, stonith: lrm[attribute: "class"] == "stonith",
            placements: (placements[id] ?? []).sorted { $0.node < $1.node }, disabled: false, managed: true, orphan: true)))
    }

    // Nodes, sorted by name as crm_mon prints them.
    var activeNodes = Set<String>()
    for ps in placements.values { for p in ps { activeNodes.insert(p.node) } }
    var nodes: [StatusModel.Node] = []
    for n in configuredNodes {
      guard let name = n[attribute: "uname"] else { continue }
      var state: StatusModel.Node.State
      if let e = engineNode[name] {
        state = e.online ? .online : (e.unclean ? .uncleanOffline : (e.pending ? .pending : .offline))
      } else {
        state = (stonithEnabled && startupFencing) ? .uncleanOffline : .offline
      }
      let permanent = n.elements(named: "instance_attributes").flatMap(NVSets.pairs)
      func flag(_ name: String) -> Bool { permanent.last { $0.name == name }.map { isTrue($0.value) } ?? false }
      let fc = (facts?.failCounts(node: name) ?? []).map { f in
        (resource: f.resource, count: f.count, lastFailure: f.lastFailure,
         migrationThreshold: f.migrationThreshold >= ScoreMath.infinity ? "1000000" : String(f.migrationThreshold))
      }
      nodes.append(
        .init(
          name: name, id: n.id ?? name, state: state, standby: engineNode[name]?.standby ?? flag("standby"),
          maintenance: engineNode[name]?.maintenance ?? flag("maintenance"),
          hasActiveResources: activeNodes.contains(name),
          featureSetKnown: facts?.hasTransientAttribute(node: name, "#feature-set") ?? false,
          attributes: facts?.nodeAttributes(node: name) ?? [], failCounts: fc))
    }
    nodes.sort { $0.name < $1.name }

    let dcId = cib[attribute: "dc-uuid"]
    let dcName = dcId.flatMap { id in configuredNodes.first { $0.id == id }?[attribute: "uname"] }
    var lastChange = cib[attribute: "cib-last-written"] ?? ""
    if let u = cib[attribute: "update-user"] { lastChange += " by \(u)" }
    if let c = cib[attribute: "update-client"] { lastChange += " via \(c)" }
    if let o = cib[attribute: "update-origin"] { lastChange += " on \(o)" }

    var warnings: [String] = []
    let hasStonith = Resources.primitives(cib).contains { $0[attribute: "class"] == "stonith" }
    if stonithEnabled && !hasStonith { warnings.append("No stonith devices and stonith-enabled is not false") }
    let moved = (configuration.firstElement(named: "constraints")?.elements(named: "rsc_location") ?? [])
      .filter { $0.id?.hasPrefix("cli-") == true }.compactMap { $0[attribute: "rsc"] }
    if !moved.isEmpty {
      let list = Array(Set(moved)).sorted().map { "'\($0)'" }.joined(separator: ", ")
      warnings.append("Following resources have been moved and their move constraints are still in place: \(list)")
      warnings.append(
        "Run 'pcs constraint location' or 'pcs resource clear <resource id>' to view or remove the constraints, respectively")
    }

    return StatusModel(
      stack: dcName == nil ? "unknown" : (properties["cluster-infrastructure"] ?? "unknown"), dcName: dcName, dcId: dcId,
      dcVersion: properties["dc-version"] ?? "unknown",
      haveQuorum: isTrue(cib[attribute: "have-quorum"] ?? "0"), lastChange: lastChange,
      nodesConfigured: configuredNodes.count, instancesConfigured: instances, instancesDisabled: disabledInstances,
      nodes: nodes, resources: resources, failedOperations: failed, warnings: warnings)
  }

  /// Whether fencing can run: stonith-enabled (default true) and at least one stonith device.
  static func fencingConfigured(_ cib: CIBElement) -> Bool {
    let configuration = cib.firstElement(named: "configuration") ?? CIBElement("configuration")
    let enabled = isTrue(clusterProperties(configuration)["stonith-enabled"] ?? "true")
    return enabled && Resources.primitives(cib).contains { $0[attribute: "class"] == "stonith" }
  }

  static func isTrue(_ v: String) -> Bool { ["1", "true", "yes", "on", "y"].contains(v.lowercased()) }

  static func clusterProperties(_ configuration: CIBElement) -> [String: String] {
    var out: [String: String] = [:]
    for set in configuration.firstElement(named: "crm_config")?.elements(named: "cluster_property_set") ?? [] {
      for p in NVSets.pairs(set) where out[p.name] == nil { out[p.name] = p.value }
    }
    return out
  }

  static func metaValue(_ e: CIBElement, _ name: String) -> String? { NVSets.value(e, tag: "meta_attributes", name: name) }

  /// The PolicyEngine's first stage on this CIB (nil if it cannot read it: status then shows nothing running).
  static func interpret(_ cib: CIBElement) -> PolicyEngine.ClusterState? {
    guard let input = try? CIBReader.read(cib, now: Int64(time(nil))) else { return nil }
    return interpretStatus(input)
  }
}
