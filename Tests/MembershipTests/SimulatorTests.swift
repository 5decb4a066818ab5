import Testing

@testable import Membership

@Test func simulatorSeedsHaveNoViolations() {
  var violations: [String] = []
  for seed in UInt64(1)...20 {
    let r = MembershipSimulator.run(seed: seed)
    if let v = r.violation { violations.append("seed \(seed): \(v)") }
    #expect(r.viewsInstalled > r.nodeCount, "seed \(seed) did change views")
  }
  #expect(violations.isEmpty, "\(violations)")
}

@Test func simulatorIsDeterministicPerSeed() {
  let a = MembershipSimulator.run(seed: 7)
  let b = MembershipSimulator.run(seed: 7)
  #expect(a.packets == b.packets && a.deliveries == b.deliveries && a.viewsInstalled == b.viewsInstalled)
  #expect(a.deliveries > 0)
}
