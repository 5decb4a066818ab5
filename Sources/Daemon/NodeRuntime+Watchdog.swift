import CIB
import Controller
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

  /// `timing`: the controller's (built from the timeout the device reported); nil exactly when there is no device.
  init(device: WatchdogDevice?, timing: WatchdogTiming?, leaseMs: Int64) {
    precondition((device == nil) == (timing == nil), "a watchdog timing without a device, or the reverse")
    self.device = device
    core = WatchdogCore(timing: timing, freezeGapMs: leaseMs)
  }
}

extension NodeRuntime {
  /// One turn of the daemon loop for the watchdog: the lease facts in, keepalives and freeze handling out.
  func watchdogTurn() {
    guard let watchdog else { return }
    perform(watchdog.core.handle(.loopTurned(core.leaseFacts, atMs: nowMs())), watchdog)
    // The survivors' wait depends on the CIB's stonith-watchdog-timeout: checked when the CIB changes.
    let version = try? CIBVersion(of: core.cib)
    guard version != watchdog.checkedVersion else { return }
    watchdog.checkedVersion = version
    let warning = core.controller.survivorWait.warning
    if warning != watchdog.warned {
      watchdog.warned = warning
      if let warning { logger.critical("\(warning)") }
    }
  }

  /// clusterd is exiting: disarm the device (magic close) only if nothing runs here any more.
  func watchdogExit() {
    guard let watchdog else { return }
    perform(watchdog.core.handle(.exiting(resourcesActive: core.leaseFacts.resourcesActive)), watchdog)
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
        for effect in core.resumedAfterFreeze(gapMs: gapMs, freezeGapMs: watchdog.core.freezeGapMs, at: now()) {
          perform(effect)
        }
      case .disarmWatchdog:
        watchdog.device?.disarm()
        logger.info("watchdog disarmed (magic close)")
      }
    }
  }
}
