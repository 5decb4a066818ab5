import CIB
import PolicyEngine

/// The recheck timer: the DC plans again when the scheduler's answer may change by the clock alone (a failure-timeout
/// expiring, a constraint's lifetime ending, a date rule's boundary, or cluster-recheck-interval), computed from the
/// CIB each time it plans (`RecheckTimer`), never polled.
extension ControllerCore {
  /// After each scheduler run on the DC: the timer for the next time the clock alone may change its answer.
  mutating func armRecheck(_ input: SchedulerInput, at: ControllerTime, effects: inout [ControllerEffect]) {
    let state = interpretStatus(input)
    guard let nextS = RecheckTimer.next(cib: cib, input: input, state: state, now: at.wallSeconds) else {
      recheckAtMs = nil
      return
    }
    // Wall seconds to the monotonic clock; a boundary at second S is first true at S, so the timer fires then.
    let atMs = at.monotonicMs + max(1, nextS - at.wallSeconds) * 1000
    recheckAtMs = atMs
    askTimer(atMs, &effects)
  }

  /// A tick at or after the recheck time: plan again (without aborting a transition in flight: it completes first).
  mutating func recheckIfDue(_ at: ControllerTime) {
    guard isDC, let due = recheckAtMs, at.monotonicMs >= due else { return }
    recheckAtMs = nil
    dirty = true
  }
}
