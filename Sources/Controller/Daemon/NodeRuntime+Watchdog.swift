import CIB
import Logging

/// The watchdog inside clusterd: the device (absent without `--watchdog-device`) and the pure `WatchdogCore` that
/// says when to feed it. Owned by `NodeRuntime` and touched only by the daemon loop, so keepalives stop when the
/// loop stops.
final class WatchdogShell {
  var core: WatchdogCore
  let device: WatchdogDevice?
  /// The last `stonith-watchdog-timeout` warning logged, so it is logged once per change.
  var warned: String?
  var checkedVersion: CIBVersion?

  init(device: WatchdogDevice?, tokenMs: Int64, leaseMs: Int64) {
    self.device = device
    core = WatchdogCore(timing: device.map { WatchdogTiming(timeoutS: $0.timeoutS, tokenMs: tokenMs) },
                        freezeGapMs: leaseMs)
  }

  /// What `pcs status` prints in the cluster summary (after "Watchdog: ").
  func summary(wait: SurvivorWait, leaseMs: Int64) -> String {
    if let device {
      return "armed (\(device.path), timeout \(device.timeoutS)s); a lost node's resources start after \(wait.waitMs)ms"
    }
    return "none: split-brain protection is the lease only (a node frozen longer than \(leaseMs)ms may run resources "
      + "alongside the survivors until it resumes)"
  }
}

extension NodeRuntime {
  /// Something may run here: a resource started or found running and not stopped since, or a start or stop in
  /// flight on the local LRM (the previous life's leftovers being stopped count too).
  var localResourcesActive: Bool {
    !localActive.isEmpty
      || pendingOps.contains { key, requests in
        key.intervalMs == 0 && requests.contains { ["start", "stop", "promote", "demote", "migrate_from", "migrate_to"].contains($0.task) }
      }
  }

  /// One turn of the daemon loop for the watchdog: the lease facts in, keepalives and freeze handling out.
  func watchdogTurn() {
    guard let watchdog else { return }
    let facts = LeaseFacts(quorate: quorate && view != nil, resourcesActive: localResourcesActive)
    perform(watchdog.core.handle(.loopTurned(facts, atMs: nowMs())), watchdog)
    // The survivors' wait depends on the CIB's stonith-watchdog-timeout: checked when the CIB changes.
    guard version != watchdog.checkedVersion else { return }
    watchdog.checkedVersion = version
    let warning = core.survivorWait.warning
    if warning != watchdog.warned {
      watchdog.warned = warning
      if let warning { logger.critical("\(warning)") }
    }
  }

  /// clusterd is exiting: disarm the device (magic close) only if nothing runs here any more.
  func watchdogExit() {
    guard let watchdog else { return }
    perform(watchdog.core.handle(.exiting(resourcesActive: localResourcesActive)), watchdog)
  }

  private func perform(_ effects: [WatchdogCore.Effect], _ watchdog: WatchdogShell) {
    for effect in effects {
      switch effect {
      case .feedWatchdog:
        if watchdog.device?.keepalive() == false {
          logger.critical("cannot feed the watchdog \(watchdog.device?.path ?? ""): this node will be reset")
        }
      case .stopFeeding(let reason):
        logger.critical("watchdog: no more keepalives (\(reason)); this node is reset in \(watchdog.device?.timeoutS ?? 0) s unless the lease returns")
      case .resumeFeeding:
        logger.notice("watchdog: the lease is held again, keepalives resume")
      case .resumedAfterFreeze(let gapMs):
        logger.critical("this node did not run for \(gapMs) ms (longer than the \(watchdog.core.freezeGapMs) ms lease): the survivors may have started its resources; stopping everything here now")
        stopAllLocal()
      case .disarmWatchdog:
        watchdog.device?.disarm()
        logger.info("watchdog disarmed (magic close)")
      }
    }
  }
}
