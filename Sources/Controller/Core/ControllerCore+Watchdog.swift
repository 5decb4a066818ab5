import CIB

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
