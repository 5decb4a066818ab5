#if canImport(Glibc)
  import Glibc
#endif
import ClusterSimulation
import TestKit

/// `cluster-sim [--seeds N] [--first F] [--seed S] [--nodes K] [--fault-ms MS] [--heal-ms MS] [--faults a,b] [--no-watchdog] [--keep-going] [--trace] [--fingerprints]`: runs the
/// whole-cluster deterministic simulation for seeds F..F+N-1 (or just S). Each failing seed is printed with its
/// violation and the command that replays it; then `violations_by_kind ...` and a figures line; the last line is
/// always `N seeds, V violations` (V: seeds with a violation; each run stops at its first).
var options = ClusterSimulationOptions()
/// One line per seed with the run's fingerprint: two builds that print the same lines ran the same simulations.
var fingerprints = false
let command = SeedArguments(
  usage: "cluster-sim [--seeds N] [--first F] [--seed S] [--nodes K] [--fault-ms MS] [--heal-ms MS] [--faults a,b] "
    + "[--no-watchdog] [--keep-going] [--trace] [--fingerprints]")
let list = command.seeds(Array(CommandLine.arguments.dropFirst())) { name, value in
  switch name {
  case "--nodes": options.nodeCount = command.valid(Int(value()).flatMap { (3...5).contains($0) ? $0 : nil })
  case "--fault-ms": options.faultMs = command.valid(Int64(value()))
  case "--heal-ms": options.healMs = command.valid(Int64(value()))
  case "--faults": options.onlyFaults = value().split(separator: ",").map(String.init)
  case "--no-watchdog": options.watchdog = false
  case "--keep-going": options.stopAtFirstViolation = false
  case "--trace": options.trace = true
  case "--fingerprints": fingerprints = true
  default: return false
  }
  return true
}
var failing = 0
var byKind: [String: Int] = [:]
var totals = (faults: 0, acked: 0, operations: 0, transitions: 0, events: 0)
let started = timespec.now()
for seed in list {
  let r = ClusterSimulator.run(seed: seed, options: options)
  totals.faults += r.faults
  totals.acked += r.writesAcked
  totals.operations += r.operations
  totals.transitions += r.transitions
  totals.events += r.events
  if options.trace { for line in r.trace { print(line) } }
  if fingerprints { print("seed \(seed) fingerprint=\(r.fingerprint) events=\(r.events) violations=\(r.violations.count)") }
  guard let v = r.violations.first else { continue }
  failing += 1
  // Each kind once per seed (with --keep-going a run goes on past its first violation).
  var seen: [String] = []
  for w in r.violations where !seen.contains(w.kind.rawValue) {
    seen.append(w.kind.rawValue)
    byKind[w.kind.rawValue, default: 0] += 1
    if w.kind != v.kind { print("seed \(seed) (\(r.nodeCount) nodes): also \(w)") }
  }
  print("seed \(seed) (\(r.nodeCount) nodes): VIOLATION \(v)")
  print("  replay: cluster-sim --seed \(seed) --trace   (make simulate-cluster SEEDS=1 FIRST=\(seed) for the run alone)")
}
let seconds = max(0.001, timespec.now().seconds - started.seconds)
let kinds = byKind.keys.sorted().map { "\($0)=\(byKind[$0]!)" }.joined(separator: " ")
print("violations_by_kind \(kinds.isEmpty ? "none" : kinds)")
print("faults=\(totals.faults) acked_writes=\(totals.acked) operations=\(totals.operations) transitions=\(totals.transitions) events=\(totals.events) seconds=\(String(format: "%.1f", seconds)) seeds_per_s=\(String(format: "%.1f", Double(list.count) / seconds))")
print("\(list.count) seeds, \(failing) violations")
exit(failing == 0 ? 0 : 1)

extension timespec {
  static func now() -> timespec {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t
  }
  var seconds: Double { Double(tv_sec) + Double(tv_nsec) / 1e9 }
}
