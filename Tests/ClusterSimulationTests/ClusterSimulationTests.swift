import ClusterSimulation
import Testing

/// A few seeds of the whole-cluster simulation (the long runs are `make simulate-cluster SEEDS=N`).
@Suite struct ClusterSimulationTests {
  /// The same seed replays the same run: no dictionary order, wall clock or global randomness leaks in.
  @Test func aSeedReplaysExactly() {
    var options = ClusterSimulationOptions()
    options.faultMs = 6_000
    options.healMs = 8_000
    options.trace = true
    let a = ClusterSimulator.run(seed: 7, options: options)
    let b = ClusterSimulator.run(seed: 7, options: options)
    #expect(a.fingerprint == b.fingerprint)
    #expect(a.trace == b.trace)
    #expect(a.events > 1000, "the run did something: \(a.events) events")
    let c = ClusterSimulator.run(seed: 8, options: options)
    #expect(c.fingerprint != a.fingerprint, "another seed, another run")
  }
}

/// Without faults that break the cluster (only wall-clock jumps), writes, recoveries after monitor failures and the
/// end checks (one CIB, monitors exactly as configured) must all hold.
@Suite struct ClusterSimulationBaselineTests {
  @Test(arguments: [1, 2] as [UInt64]) func clockJumpsOnlyLeaveNoViolation(seed: UInt64) {
    var options = ClusterSimulationOptions()
    options.faultMs = 6_000
    options.healMs = 8_000
    options.onlyFaults = ["clockJump"]
    options.stopAtFirstViolation = false
    let r = ClusterSimulator.run(seed: seed, options: options)
    #expect(r.violations.isEmpty, "cluster-sim --seed \(seed) --faults clockJump --fault-ms 6000 --heal-ms 8000 --trace: \(r.violations)")
    #expect(r.writesAcked > 0, "the client wrote")
  }
}

/// Seeds the long runs found, each replayed whole (the full fault mix), for the kind of violation it showed.
@Suite struct ClusterSimulationRegressionTests {
  static func run(_ seed: UInt64) -> ClusterSimulationResult {
    var options = ClusterSimulationOptions()
    options.stopAtFirstViolation = false
    return ClusterSimulator.run(seed: seed, options: options)
  }

  /// A recurring monitor requested behind the lease's local stop outlived its resource; at the rejoin the DC's
  /// probe said "not running" and nobody ever cancelled it.
  @Test(arguments: [12, 31] as [UInt64]) func noRecurringMonitorOutlivesItsResource(seed: UInt64) {
    let r = Self.run(seed)
    #expect(!r.violations.contains { $0.kind == .monitorSpurious }, "cluster-sim --seed \(seed) --trace: \(r.violations)")
  }

  /// A partition's DC raised the epoch with a change no quorum stored; a client that read that copy sent an edit
  /// "based on" the same epoch number to the DC of the quorate side, whose configuration at that epoch held another
  /// acknowledged write: the epoch check passed and the edit dropped it.
  @Test(arguments: [143, 232] as [UInt64]) func anEditOfAnotherHistorysEpochLosesNoWrite(seed: UInt64) {
    let r = Self.run(seed)
    #expect(!r.violations.contains { $0.kind == .lostWrite }, "cluster-sim --seed \(seed) --trace: \(r.violations)")
    #expect(r.writesAcked > 0, "the client wrote")
  }
}

/// Seeds 90 and 128 (default options) ended with no DC after the heal: a member lost the coordinator's stable-point
/// announcement for the join's last messages and never delivered them (MembershipTests
/// `aMemberThatLostTheStableAnnouncementStillDelivers`). Only that kind is asserted: what else a seed finds is
/// another test's business.
@Suite struct ClusterSimulationMembershipTests {
  @Test(arguments: [90, 128] as [UInt64]) func theJoinCompletesAfterTheHeal(seed: UInt64) {
    var options = ClusterSimulationOptions()
    options.stopAtFirstViolation = false
    let r = ClusterSimulator.run(seed: seed, options: options)
    let unsettled = r.violations.filter { $0.kind == .notSettled }
    #expect(unsettled.isEmpty, "cluster-sim --seed \(seed) --keep-going --trace: \(unsettled)")
  }
}
