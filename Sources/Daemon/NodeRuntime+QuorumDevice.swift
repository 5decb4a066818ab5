import Controller
import Membership
import MembershipCorosync

/// The daemon's part of the quorum device: the timing it adds and what the device client must know of this node.
/// The client itself runs inside the native membership shell (Membership/QuorumDeviceClient.swift).

/// How long a new view may wait for the arbiter before it reports its quorum, added to the lease and the watchdog
/// bound; 0 without `quorum.device` or on the corosync backend (corosync-qdevice's own timing applies there).
func quorumDeviceDecisionMs(config: CorosyncConfig, tokenMs: Int64) -> Int64 {
  guard let device = config.quorum?.device, (try? MembershipBackendChoice(config: config)) != .corosync else { return 0 }
  let heuristics = QuorumDeviceHeuristics.from(device, tokenMs: Int(tokenMs))
  return Int64(QuorumDeviceSettings.decisionMs(tokenMs: Int(tokenMs), heuristics: heuristics))
}

extension NodeRuntime {
  /// Tells the native membership's device client whether resources run here (an even split goes to that side).
  func reportRunsResources() {
    guard config.quorum?.device != nil, let shell = backend as? MembershipShell else { return }
    let runs = core.leaseFacts.resourcesActive
    guard runs != runsResourcesReported else { return }
    runsResourcesReported = runs
    shell.setRunsResources(runs)
  }
}
