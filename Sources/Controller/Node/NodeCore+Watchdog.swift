import CIB
import LRM

extension NodeCore {
  /// What the watchdog's lease is made of, as this core knows it (`WatchdogCore` decides from it).
  public var leaseFacts: LeaseFacts {
    LeaseFacts(quorate: leaseQuorate && view != nil, resourcesActive: localResourcesActive,
               quorumContactMs: contact?.quorumSinceMs)
  }

  /// Something may run here: a resource started or found running and not stopped since, or a start or stop in
  /// flight on the local LRM (the previous life's leftovers being stopped count too).
  var localResourcesActive: Bool {
    !localActive.isEmpty
      || pendingOps.contains { key, requests in
        key.intervalMs == 0 && requests.contains { Self.changesWhatRuns.contains($0.task) }
      }
  }

  static let changesWhatRuns: Set<String> = ["start", "stop", "promote", "demote", "migrate_from", "migrate_to"]

  /// The daemon loop did not turn for `gapMs`, longer than the lease (`WatchdogCore`'s `.resumedAfterFreeze`): the
  /// survivors may have started this node's resources meanwhile, so every local resource is stopped now, without
  /// waiting for a DC (the DC records the stops' results like any others).
  public mutating func resumedAfterFreeze(gapMs: Int64, freezeGapMs: Int64, at: ControllerTime) -> [NodeEffect] {
    out = []
    now = at
    log(.critical, "this node did not run for \(gapMs) ms (longer than the \(freezeGapMs) ms lease): the survivors "
          + "may have started its resources; stopping everything here now")
    stopAllLocal()
    let effects = out
    out = []
    return effects
  }
}
