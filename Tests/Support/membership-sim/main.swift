#if canImport(Glibc)
  import Glibc
#endif
import Membership
import MembershipSimulation
import TestKit

/// `membership-sim [--seeds N] [--seed S] [--first F] [--nodes K] [--heal-ms MS] [--default-quorum] [--large] [--one-way-cuts] [--trace]`: runs the deterministic membership
/// simulation for seeds F..F+N-1 (or just S). Prints each failing seed with the command that replays it; the last
/// line is always `N seeds, V violations`.
var options = SimulationOptions()
let command = SeedArguments(
  usage: "membership-sim [--seeds N] [--first F] [--seed S] [--nodes K] [--heal-ms MS] [--default-quorum] [--large] [--one-way-cuts] [--trace]")
let list = command.seeds(Array(CommandLine.arguments.dropFirst())) { name, value in
  switch name {
  case "--nodes": options.nodeCount = command.valid(Int(value()))
  case "--heal-ms": options.healDuration = .milliseconds(command.valid(Int64(value())))
  case "--default-quorum": options.quorum = QuorumOptions()
  case "--trace": options.trace = true
  case "--large": options.largeMessages = LargeMessages()
  case "--one-way-cuts": options.oneWayCuts = true
  default: return false
  }
  return true
}
var violations = 0
var notConverged = 0
var unpromised = 0
var totals = (views: 0, deliveries: 0, packets: 0, faults: 0)
for seed in list {
  let r = MembershipSimulator.run(seed: seed, options: options)
  totals.views += r.viewsInstalled
  totals.deliveries += r.deliveries
  totals.packets += r.packets
  totals.faults += r.faults
  if options.trace { for line in r.trace { print(line) } }
  if r.unpromisedSplitBrain { unpromised += 1 }
  if let v = r.violation {
    violations += 1
    print("seed \(seed) (\(r.nodeCount) nodes, \(r.quorum)): VIOLATION \(v)")
    print("  replay: swift run -c release membership-sim --seed \(seed)\(options.largeMessages == nil ? "" : " --large")\(options.oneWayCuts ? " --one-way-cuts" : "") --trace")
  } else if let c = r.notConverged {
    notConverged += 1
    print("seed \(seed) (\(r.nodeCount) nodes, \(r.quorum)): did not converge (liveness, not a violation): \(c)")
    print("  replay: swift run -c release membership-sim --seed \(seed)\(options.largeMessages == nil ? "" : " --large")\(options.oneWayCuts ? " --one-way-cuts" : "") --trace")
  }
}
print("faults=\(totals.faults) views=\(totals.views) deliveries=\(totals.deliveries) packets=\(totals.packets) not_converged=\(notConverged) unpromised_split_brains=\(unpromised)")
print("\(list.count) seeds, \(violations) violations")
exit(violations == 0 ? 0 : 1)
