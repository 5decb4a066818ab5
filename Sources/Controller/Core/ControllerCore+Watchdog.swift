import CIB

extension ControllerCore {
  /// How long after a lost node was last heard its resources may start elsewhere: the lease, or with a watchdog
  /// in the cluster the watchdog bound (or `stonith-watchdog-timeout`), see `SurvivorWait.compute`.
  public var survivorWait: SurvivorWait {
    SurvivorWait.compute(leaseMs: config.lease.leaseMs, watchdog: config.watchdog,
                         stonithWatchdogTimeout: clusterOption(cib, "stonith-watchdog-timeout"))
  }
}
