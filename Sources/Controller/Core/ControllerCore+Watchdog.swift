import CIB
import PolicyEngine

extension ControllerCore {
  /// How long after a lost node was last heard its resources may start elsewhere: the lease, or with a watchdog
  /// in the cluster the watchdog bound (or `stonith-watchdog-timeout`), see `SurvivorWait.compute`.
  public var survivorWait: SurvivorWait {
    SurvivorWait.compute(leaseMs: config.lease.leaseMs, watchdog: config.watchdog,
                         stonithWatchdogTimeout: clusterOption(cib, "stonith-watchdog-timeout"))
  }

  /// The watchdog line of `pcs status`'s cluster summary, in crm_mon's terse style.
  public var watchdogSummary: String {
    if let w = config.watchdog {
      return "armed (timeout \(w.timeoutS)s); a lost node's resources start \(survivorWait.waitMs)ms after it was last heard"
    }
    return "none: split-brain protection is the lease only (a node frozen longer than \(config.lease.leaseMs)ms may "
      + "run resources alongside the survivors until it resumes)"
  }
}

extension ControllerCore {
  /// Leases for nodes outside the new view that this node's previous view did not contain but some member heard
  /// recently (`lastHeard` carries the latest time any member of the view heard each node): this DC may have just
  /// restarted or come from a view without quorum, while such a node, lost from another member's view only a moment
  /// ago, may still run what it ran. Its resources wait out the same bound as a lost node's.
  mutating func leaseNodesHeardElsewhere(_ lastHeard: [UInt32: Int64], lost: [ControllerNode], left: Set<UInt32>,
                                         state: ClusterState?, at: ControllerTime, _ effects: inout [ControllerEffect]) {
    let nodes = configuredNodes()
    for id in lastHeard.keys.sorted() where !members.contains(where: { $0.id == id }) && !left.contains(id)
      && !lost.contains(where: { $0.id == id }) {
      guard let n = nodes.first(where: { $0.id == id }) else { continue }
      let until = lastHeard[id]! + survivorWait.waitMs
      guard until > at.monotonicMs, (leases[n.name]?.untilMs ?? Int64.min) < until else { continue }
      let active = state.map { activeResources(on: n.name, $0) } ?? []
      leases[n.name] = Lease(node: n.name, untilMs: until, resources: active, incident: leases[n.name]?.incident)
      askTimer(until, &effects)
    }
  }
}
