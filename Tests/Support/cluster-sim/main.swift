#if canImport(Glibc)
  import Glibc
#endif
import ClusterSimulation
import Dispatch
import Synchronization
import TestKit

/// `cluster-sim [--seeds N] [--first F] [--seed S] [--jobs J] [--nodes K] [--fault-ms MS] [--heal-ms MS] [--faults a,b]
/// [--no-watchdog] [--keep-going] [--trace] [--fingerprints]`: runs the whole-cluster deterministic simulation for
/// seeds F..F+N-1 (or just S), J seeds at a time on J threads (each seed's run is the same whatever J; the report is
/// printed in seed order). Each failing seed is printed with its violation and the command that replays it; then
/// `violations_by_kind ...` and a figures line; the last line is always `N seeds, V violations` (V: seeds with a
/// violation; each run stops at its first unless --keep-going).
struct Settings: Sendable {
  var list: [UInt64] = []
  var jobs = 1
  var options = ClusterSimulationOptions()
  /// One line per seed with the run's fingerprint: two builds that print the same lines ran the same simulations.
  var fingerprints = false
}

func parse(_ arguments: [String]) -> Settings {
  var s = Settings()
  let command = SeedArguments(
    usage: "cluster-sim [--seeds N] [--first F] [--seed S] [--jobs J] [--nodes K] [--fault-ms MS] [--heal-ms MS] "
      + "[--faults a,b] [--no-watchdog] [--keep-going] [--trace] [--fingerprints]")
  s.list = command.seeds(arguments) { name, value in
    switch name {
    case "--jobs": s.jobs = command.valid(Int(value()).flatMap { (1...64).contains($0) ? $0 : nil })
    case "--nodes": s.options.nodeCount = command.valid(Int(value()).flatMap { (3...5).contains($0) ? $0 : nil })
    case "--fault-ms": s.options.faultMs = command.valid(Int64(value()))
    case "--heal-ms": s.options.healMs = command.valid(Int64(value()))
    case "--faults": s.options.onlyFaults = value().split(separator: ",").map(String.init)
    case "--no-watchdog": s.options.watchdog = false
    case "--keep-going": s.options.stopAtFirstViolation = false
    case "--trace": s.options.trace = true
    case "--fingerprints": s.fingerprints = true
    default: return false
    }
    return true
  }
  return s
}

/// The report, built in seed order whatever order the runs finish in.
struct Report {
  var failing = 0
  var byKind: [String: Int] = [:]
  var faults = 0, acked = 0, operations = 0, transitions = 0, events = 0

  mutating func add(_ r: ClusterSimulationResult, _ settings: Settings) {
    faults += r.faults
    acked += r.writesAcked
    operations += r.operations
    transitions += r.transitions
    events += r.events
    if settings.options.trace { for line in r.trace { print(line) } }
    if settings.fingerprints {
      print("seed \(r.seed) fingerprint=\(r.fingerprint) events=\(r.events) violations=\(r.violations.count)")
    }
    guard let v = r.violations.first else { return }
    failing += 1
    // Each kind once per seed (with --keep-going a run goes on past its first violation).
    var seen: [String] = []
    for w in r.violations where !seen.contains(w.kind.rawValue) {
      seen.append(w.kind.rawValue)
      byKind[w.kind.rawValue, default: 0] += 1
      if w.kind != v.kind { print("seed \(r.seed) (\(r.nodeCount) nodes): also \(w)") }
    }
    print("seed \(r.seed) (\(r.nodeCount) nodes): VIOLATION \(v)")
    print("  replay: cluster-sim --seed \(r.seed) --trace   (make simulate-cluster SEEDS=1 FIRST=\(r.seed) for the run alone)")
  }
}

/// Seeds handed out to worker threads one at a time; finished runs are reported in seed order.
final class Runs: Sendable {
  struct State {
    var next = 0
    var done: [Int: ClusterSimulationResult] = [:]
    var reported = 0
    var report = Report()
  }
  let list: [UInt64]
  let settings: Settings
  let state = Mutex(State())

  init(_ list: [UInt64], _ settings: Settings) {
    self.list = list
    self.settings = settings
  }

  func work() {
    while true {
      let k: Int? = state.withLock { s in
        guard s.next < list.count else { return nil }
        s.next += 1
        return s.next - 1
      }
      guard let k else { return }
      let r = ClusterSimulator.run(seed: list[k], options: settings.options)
      state.withLock { s in
        s.done[k] = r
        while let d = s.done.removeValue(forKey: s.reported) {
          s.report.add(d, settings)
          s.reported += 1
        }
      }
    }
  }
}

extension timespec {
  static func now() -> timespec {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t
  }
  var seconds: Double { Double(tv_sec) + Double(tv_nsec) / 1e9 }
}

let settings = parse(Array(CommandLine.arguments.dropFirst()))
let list = settings.list
let runs = Runs(list, settings)
let started = timespec.now()
// The first run alone: whatever the libraries set up once (libxml2's parser) is set up before threads share them.
if !list.isEmpty {
  let r = ClusterSimulator.run(seed: list[0], options: settings.options)
  runs.state.withLock { s in
    s.next = 1
    s.reported = 1
    s.report.add(r, settings)
  }
}
DispatchQueue.concurrentPerform(iterations: min(settings.jobs, max(1, list.count - 1))) { _ in runs.work() }
let report = runs.state.withLock { $0.report }
let seconds = max(0.001, timespec.now().seconds - started.seconds)
let kinds = report.byKind.keys.sorted().map { "\($0)=\(report.byKind[$0]!)" }.joined(separator: " ")
print("violations_by_kind \(kinds.isEmpty ? "none" : kinds)")
print("faults=\(report.faults) acked_writes=\(report.acked) operations=\(report.operations) transitions=\(report.transitions) events=\(report.events) jobs=\(settings.jobs) seconds=\(String(format: "%.1f", seconds)) seeds_per_s=\(String(format: "%.1f", Double(list.count) / seconds))")
print("\(list.count) seeds, \(report.failing) violations")
exit(report.failing == 0 ? 0 : 1)
