#if canImport(Glibc)
  import Glibc
#endif
import Membership

// What the two membership node processes (`membership-node` over native UDP, `membership-corosync-node` over
// corosync) and their two benchmarks (`bench-membership`, `bench-membership-corosync`) share: the line protocol on
// stdout (one timestamped line per event), the delivery-order digest that proves identical order, and the small
// helpers of a benchmark that prints key=value lines. One copy, so both backends are measured the same way.

/// Writes one line to stdout unbuffered (stdout is a pipe to the test or benchmark), retrying short writes.
public func emit(_ line: String) { writeAll(1, line + "\n") }

/// Writes one line to stderr.
public func errorLine(_ line: String) { writeAll(2, line + "\n") }

func writeAll(_ fd: Int32, _ text: String) {
  let bytes = Array(text.utf8)
  var off = 0
  while off < bytes.count {
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
    if n <= 0 { return }
    off += n
  }
}

/// Wall-clock milliseconds: the timestamp of every event line, compared across processes by the benchmarks.
public func wallMs() -> Int64 {
  var ts = timespec()
  clock_gettime(CLOCK_REALTIME, &ts)
  return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// `<ms> VIEW ring=R members=1,2,3`.
public func viewLine(_ v: View) -> String {
  "\(wallMs()) VIEW ring=\(v.id.ringIDText) members=\(v.nodeIDs.map(\.description).joined(separator: ","))"
}

/// The line a node process prints for an event (VIEW, QUORUM, REJECTED, LEFT; REACHED when `record`, which counts a
/// delivery in the caller's `DeliveryLedger` under its lock, says the expected count is reached), or nil.
public func eventLine(_ event: MembershipEvent, record: (Delivery) -> String?) -> String? {
  switch event {
  case .viewInstalled(let v): return viewLine(v)
  case .quorumChanged(let s): return "\(wallMs()) QUORUM \(quorumFields(s))"
  case .delivered(let d): return record(d)
  case .broadcastRejected(let r): return "\(wallMs()) REJECTED \(r)"
  case .broadcastAborted(let p): return "\(wallMs()) ABORTED \(p.count) bytes"
  case .left: return "\(wallMs()) LEFT"
  case .contact: return nil
  }
}

/// The fields of a QUORUM or STATUS line: `quorate= quorum= total= expected= highest= members= flags=`.
public func quorumFields(_ s: QuorumStatus) -> String {
  var flags: [String] = []
  if s.twoNode { flags.append("2Node") }
  if s.quorate { flags.append("Quorate") }
  if s.waitForAll { flags.append("WaitForAll") }
  if s.lastManStanding { flags.append("LastManStanding") }
  if s.autoTieBreaker { flags.append("AutoTieBreaker") }
  return "quorate=\(s.quorate ? 1 : 0) quorum=\(s.quorum) total=\(s.totalVotes) expected=\(s.expectedVotes)"
    + " highest=\(s.highestExpected) members=\(s.members.map { String($0.nodeID.rawValue) }.joined(separator: ","))"
    + " flags=\(flags.joined(separator: ","))"
}

/// The payloads of `broadcast COUNT SIZE`: SIZE bytes each (at least 8), the first byte the sender's node id.
public func benchmarkPayloads(count: Int, size: Int, nodeID: UInt32) -> [[UInt8]] {
  var payloads: [[UInt8]] = []
  payloads.reserveCapacity(max(0, count))
  for i in 0..<max(0, count) {
    var p = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: max(8, size))
    p[0] = UInt8(truncatingIfNeeded: nodeID)
    payloads.append(p)
  }
  return payloads
}

/// Counts deliveries and hashes their order: FNV-1a over (sender node, sender sequence), identical on every node
/// iff every node delivered the same messages in the same order. After `expect(n)`, the delivery that reaches n
/// yields the `REACHED count=N digest=D` line.
public struct DeliveryLedger: Sendable {
  public private(set) var delivered = 0
  public private(set) var digest: UInt64 = 0xcbf2_9ce4_8422_2325
  private var expected: Int?

  public init() {}

  /// Records one delivery; returns the REACHED line if it reached the expected count.
  public mutating func record(_ d: Delivery) -> String? {
    delivered += 1
    for b in [UInt64(d.sender.id.rawValue), d.senderSequence] { digest = (digest ^ b) &* 0x100_0000_01b3 }
    return reached()
  }

  /// Sets (or clears) the count to report; returns the REACHED line at once if it is already reached.
  public mutating func expect(_ n: Int?) -> String? {
    expected = n
    return reached()
  }

  private mutating func reached() -> String? {
    guard let e = expected, delivered >= e else { return nil }
    expected = nil
    return "\(wallMs()) REACHED count=\(delivered) digest=\(String(digest, radix: 16))"
  }
}

// MARK: benchmarks

/// An integer from the environment, or `fallback` when unset or not a number.
public func envInt(_ name: String, _ fallback: Int) -> Int {
  guard let v = getenv(name) else { return fallback }
  return Int(String(cString: v)) ?? fallback
}

/// The p-th percentile (nearest rank) of `xs`; -1 when there is none.
public func percentile(_ xs: [Int64], _ p: Double) -> Int64 {
  guard !xs.isEmpty else { return -1 }
  let s = xs.sorted()
  return s[min(s.count - 1, max(0, Int((p * Double(s.count)).rounded(.up)) - 1))]
}

/// The path of an executable next to this one (benchmarks run the node binary of the same build).
public func siblingExecutable(_ name: String) -> String {
  let exe = CommandLine.arguments[0]
  let dir = exe.contains("/") ? String(exe[..<exe.lastIndex(of: "/")!]) : "."
  return dir + "/" + name
}

/// Times `trials` fault injections: after a pause, `fault()` at t0, then `observed()` returns the wall-clock ms at
/// which its effect was seen (e.g. the later of two survivors' VIEW lines); `recover()` restores the cluster.
public func timedTrials(
  _ trials: Int, pauseMs: Int, fault: () -> Void, observed: () -> Int64, recover: () -> Void
) -> [Int64] {
  var xs: [Int64] = []
  for _ in 0..<trials {
    usleep(UInt32(pauseMs * 1000))
    let t0 = wallMs()
    fault()
    xs.append(observed() - t0)
    recover()
  }
  return xs
}

/// Whether `line` is a VIEW line with exactly these members.
public func isViewLine(_ line: String, members: String) -> Bool {
  line.contains(" VIEW ") && line.hasSuffix("members=\(members)")
}

/// The timestamp (first word) of an event line.
public func lineTimestamp(_ line: String) -> Int64? { line.split(separator: " ").first.flatMap { Int64($0) } }
