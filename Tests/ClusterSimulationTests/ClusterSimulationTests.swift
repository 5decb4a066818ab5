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
