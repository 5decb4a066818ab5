import CIB
import Controller
import Membership
import PolicyEngine
import Testing
import Foundation

struct ExploreRNG: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct JoinExploreTests {
  @Test func explore() throws {
    var failing: [String] = []
    let only = ProcessInfo.processInfo.environment["SEED"].flatMap { UInt64($0) }
    for seed in only.map({ $0...$0 }) ?? 1...50 as ClosedRange<UInt64> {
      var rng = ExploreRNG(state: seed)
      var sim = NodeSimulation(nodeCount: 3, cib: try simulationCIB())
      for i in 0..<3 { sim.start(i) }
      sim.installView([0, 1, 2])
      sim.run(forMs: 3_000)
      var up: Set<Int> = [0, 1, 2]
      for _ in 0..<6 {
        sim.quorumDelayMs = [0, 0, 5, 60][Int.random(in: 0..<4, using: &rng)]
        if up.count == 3 || (up.count > 1 && Bool.random(using: &rng)) {
          let victim = up.sorted()[Int.random(in: 0..<up.count, using: &rng)]
          sim.log.append("\(sim.nowMs) === crash \(victim)")
          let leftovers = Int.random(in: 0..<3, using: &rng) == 0
          sim.crash(victim, killAgents: !leftovers, diskLag: Int.random(in: 0..<3, using: &rng))
          if leftovers {
            // A fast restart: the node is back before the others could start its resources.
            sim.log.append("\(sim.nowMs) === fast restart \(victim)")
            sim.start(victim)
            sim.installView(up.sorted())
            sim.run(forMs: Int64.random(in: 10...3_000, using: &rng))
            continue
          }
          up.remove(victim)
          sim.installView(up.sorted())
        } else {
          let back = Set(0..<3).subtracting(up).sorted()
          let n = back[Int.random(in: 0..<back.count, using: &rng)]
          sim.log.append("\(sim.nowMs) === start \(n)")
          sim.start(n)
          if Bool.random(using: &rng) {
            sim.installView([n])
            sim.run(forMs: Int64.random(in: 1...100, using: &rng))
          }
          up.insert(n)
          sim.installView(up.sorted())
        }
        sim.log.append("\(sim.nowMs) === up \(up.sorted()) quorumDelay \(sim.quorumDelayMs)")
        sim.run(forMs: Int64.random(in: 10...3_000, using: &rng))
      }
      if only != nil { print(sim.log.joined(separator: "\n")); print(sim.overlaps) }
      if !sim.overlaps.isEmpty { failing.append("seed \(seed): \(sim.overlaps.first!)") }
    }
    #expect(failing.isEmpty, "\(failing.count) failing: \(failing.prefix(10))")
  }
}
