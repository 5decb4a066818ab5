import Membership
import TestKit

/// Options of one whole-cluster run. Everything else is drawn from the seed, so a seed alone replays a run.
public struct ClusterSimulationOptions: Sendable {
  /// Simulated time with faults; the heal phase follows.
  public var faultMs: Int64 = 20_000
  /// Simulated time after every fault is undone (network healed, nodes restarted and resumed) before the
  /// convergence and monitor checks run.
  public var healMs: Int64 = 20_000
  /// Node count; nil draws 3...5 from the seed.
  public var nodeCount: Int?
  /// Keep a trace of the run (views, DC changes, transitions, LRM operations, writes, violations).
  public var trace = false
  /// Only these fault kinds (names as `FaultKind`: isolate, halves, randomPartition, oneWayCut, healNetwork,
  /// killClusterd, crashNode, freeze, clockJump); nil = the seed's own mix. The seed's other draws stay the same.
  public var onlyFaults: [String]?
  /// Each node has a watchdog device (1 s timeout, as a whole-second softdog) that clusterd feeds through the
  /// real `WatchdogCore` while it holds its lease; unfed, it resets the machine (agents die). Without it, frozen and
  /// killed clusterds leave their agents running (the `double-run/frozen` and `/clusterd-down` kinds).
  public var watchdog = true
  /// Stop at the first violation (replays stop there too).
  public var stopAtFirstViolation = true
  public init() {}
}

/// What a seed draws: network conditions, the resources' operation durations, and the weights of the faults.
struct FaultPlan: CustomStringConvertible {
  var lossPercent: Int
  var duplicatePercent: Int
  var delayMaxUs: Int64
  /// Mean pause between faults.
  var faultGapMs: ClosedRange<Int64>
  /// Relative weights of each fault kind (0 = never in this seed).
  var weights: [FaultKind: Int]
  /// Per resource: start, stop and monitor durations (ms), and the recurring monitor interval.
  var resources: [ResourcePlan]
  /// Chance per recurring monitor run (per mille) that the resource failed behind the cluster's back.
  var monitorFailurePerMille: Int
  /// Pause between client writes.
  var writeGapMs: ClosedRange<Int64>

  var description: String {
    let w = FaultKind.allCases.filter { (weights[$0] ?? 0) > 0 }.map { "\($0)=\(weights[$0]!)" }.joined(separator: ",")
    let r = resources.map { "\($0.id)(start \($0.startMs) stop \($0.stopMs) monitor \($0.monitorMs)/\($0.intervalMs))" }
      .joined(separator: " ")
    return "loss=\(lossPercent)% dup=\(duplicatePercent)% delay<=\(delayMaxUs)us faults[\(w)] monitor-fail=\(monitorFailurePerMille)/1000 \(r)"
  }

  static func draw(_ rng: inout SplitMix64, resourceIDs: [String], only: [String]?) -> FaultPlan {
    var weights: [FaultKind: Int] = [:]
    for k in FaultKind.allCases {
      // Each kind is in a seed's mix with probability 3/4, so some seeds concentrate on a few kinds.
      weights[k] = Int.random(in: 0..<4, using: &rng) == 0 ? 0 : Int.random(in: 1...4, using: &rng)
    }
    if let only {
      for k in FaultKind.allCases where !only.contains(k.rawValue) { weights[k] = 0 }
      for k in FaultKind.allCases where only.contains(k.rawValue) && weights[k] == 0 { weights[k] = 1 }
    }
    if weights.values.allSatisfy({ $0 == 0 }) { weights[.killClusterd] = 1 }
    let resources = resourceIDs.map { id in
      ResourcePlan(
        id: id, startMs: Int64.random(in: 5...400, using: &rng),
        // Stops stay inside the lease's stop budget (150 ms): the lease's bound is only promised for those.
        stopMs: Int64.random(in: 5...120, using: &rng),
        monitorMs: Int64.random(in: 2...60, using: &rng),
        intervalMs: [1000, 2000, 3000, 5000][Int.random(in: 0..<4, using: &rng)])
    }
    return FaultPlan(
      lossPercent: Int.random(in: 0...10, using: &rng), duplicatePercent: Int.random(in: 0...5, using: &rng),
      delayMaxUs: Int64.random(in: 200...20_000, using: &rng),
      faultGapMs: 300...Int64.random(in: 1500...5000, using: &rng), weights: weights, resources: resources,
      monitorFailurePerMille: Int.random(in: 0...30, using: &rng),
      writeGapMs: 100...Int64.random(in: 300...2000, using: &rng))
  }

  func pick(_ rng: inout SplitMix64) -> FaultKind {
    let total = FaultKind.allCases.reduce(0) { $0 + (weights[$1] ?? 0) }
    var x = Int.random(in: 0..<total, using: &rng)
    for k in FaultKind.allCases {
      let w = weights[k] ?? 0
      if x < w { return k }
      x -= w
    }
    return .healNetwork
  }
}

struct ResourcePlan {
  var id: String
  var startMs: Int64
  var stopMs: Int64
  var monitorMs: Int64
  var intervalMs: Int
}

/// The faults a seed may inject.
enum FaultKind: String, CaseIterable, Comparable {
  case isolate, halves, randomPartition, oneWayCut, healNetwork
  /// kill -9 of clusterd: the agents it started keep running.
  case killClusterd
  /// The whole machine dies: its agents die too.
  case crashNode
  /// SIGSTOP of clusterd for a while, then SIGCONT.
  case freeze
  /// The wall clock of a node jumps (the monotonic clock does not).
  case clockJump
  static func < (a: FaultKind, b: FaultKind) -> Bool { a.rawValue < b.rawValue }
}

/// One broken rule, with what a person needs to find it in the trace.
public struct Violation: Sendable, CustomStringConvertible {
  public enum Kind: String, Sendable, CaseIterable {
    /// A resource active on two nodes at once, both clusterds running and reachable to the harness.
    case doubleRun = "double-run"
    /// The same, while one holder's clusterd was frozen (SIGSTOP) during the resource's activity: only a
    /// watchdog can bound it.
    case doubleRunFrozen = "double-run/frozen"
    /// The same, while one holder's clusterd was dead (kill -9, agents left running): only a watchdog can bound it.
    case doubleRunClusterdDown = "double-run/clusterd-down"
    /// The same, with a one-way cut in place within two leases before it began: the membership can then leave
    /// the cut-off node in a stale quorate view (it hears the others, they do not hear it), so it never stops.
    case doubleRunOneWayCut = "double-run/one-way-cut"
    /// An acknowledged write missing from the CIB of a node that later acts as DC of a quorate partition.
    case lostWrite = "lost-write"
    /// Nodes still hold different CIBs after the heal phase.
    case diverged = "diverged"
    /// A resource active after settling without the recurring monitor its configuration asks for.
    case monitorMissing = "monitor-missing"
    /// A recurring monitor left on a resource that is not active on that node.
    case monitorSpurious = "monitor-spurious"
    /// The cluster did not settle (a DC, every resource placed) within the heal phase.
    case notSettled = "not-settled"
  }
  public var kind: Kind
  public var atMs: Int64
  public var detail: String
  public var description: String { "t=\(atMs)ms \(kind.rawValue): \(detail)" }
}

/// The outcome of one seed.
public struct ClusterSimulationResult: Sendable {
  public var seed: UInt64
  public var nodeCount = 0
  public var plan = ""
  public var violations: [Violation] = []
  public var faults = 0
  public var writesAcked = 0
  public var writesRefused = 0
  public var operations = 0
  public var transitions = 0
  public var events = 0
  /// FNV-1a of every observable step (views, DC changes, operations, writes): equal for equal runs.
  public var fingerprint: UInt64 = 0xcbf2_9ce4_8422_2325
  public var trace: [String] = []
}
