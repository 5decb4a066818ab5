#if canImport(Glibc)
  import Glibc
#endif
import CorosyncHarness
import Membership
import MembershipNodeKit
import Testing

/// The repository root, from this file's path (Tests/CorosyncTests/Support.swift).
func corosyncRepoRoot(_ file: String = #filePath) -> String {
  var parts = file.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}

/// The node process the tests run in each namespace (built by `swift build --build-tests`).
let corosyncClientBinary = corosyncRepoRoot() + "/.build/debug/membership-corosync-node"

/// Nil when the namespace cluster can run here; otherwise why not. Printed once when the real-corosync tests skip
/// (CI without root or without corosync), so a skipped run says so.
let corosyncClusterUnavailable: String? = {
  var reason = NamespaceCluster.unavailableReason()
  if reason == nil && access(corosyncClientBinary, X_OK) != 0 { reason = "\(corosyncClientBinary) is not built" }
  if let reason { print("CorosyncTests: real-corosync tests SKIPPED: \(reason)") }
  return reason
}()

/// One `STATUS`/`QUORUM` line of the node process, parsed.
struct StatusLine: Equatable, CustomStringConvertible {
  var quorate: Bool
  var quorum: Int
  var total: Int
  var expected: Int
  var members: [Int]
  var flags: String

  init?(_ line: String) {
    var f: [String: String] = [:]
    for w in line.split(separator: " ") {
      guard let eq = w.firstIndex(of: "=") else { continue }
      f[String(w[..<eq])] = String(w[w.index(after: eq)...])
    }
    guard let q = f["quorate"], let quorum = f["quorum"].flatMap({ Int($0) }), let total = f["total"].flatMap({ Int($0) }),
      let expected = f["expected"].flatMap({ Int($0) }), let m = f["members"]
    else { return nil }
    self.quorate = q == "1"
    self.quorum = quorum
    self.total = total
    self.expected = expected
    self.members = m.split(separator: ",").compactMap { Int($0) }
    self.flags = f["flags"] ?? ""
  }

  init(_ s: QuorumStatus) {
    quorate = s.quorate
    quorum = s.quorum
    total = s.totalVotes
    expected = s.expectedVotes
    members = s.members.map { Int($0.nodeID.rawValue) }
    flags = ""
  }

  /// The quorum decision and the figures behind it (flags are compared separately).
  func sameDecision(_ o: StatusLine) -> Bool {
    quorate == o.quorate && quorum == o.quorum && total == o.total && expected == o.expected && members == o.members
  }

  var description: String {
    "quorate=\(quorate ? 1 : 0) quorum=\(quorum) total=\(total) expected=\(expected) members=\(members.map(String.init).joined(separator: ","))"
  }
}

extension ChildProcess {
  /// Asks the node process for its status until `accept` holds (polling, bounded); returns the last one seen.
  func pollStatus(timeoutMs: Int, _ accept: (StatusLine) -> Bool) -> (ok: Bool, last: StatusLine?) {
    let deadline = ChildProcess.monotonicMs() + Int64(timeoutMs)
    var last: StatusLine?
    while ChildProcess.monotonicMs() < deadline {
      send("status")
      if let line = waitFor(timeoutMs: 5000, { $0.contains(" STATUS ") || $0.contains(" ERROR ") }),
        let s = StatusLine(line)
      {
        last = s
        if accept(s) { return (true, s) }
      }
      usleep(100_000)
    }
    return (false, last)
  }

  /// Waits for a line containing `text` (bounded).
  func expectLine(_ text: String, timeoutMs: Int = 30_000) -> String? {
    waitFor(timeoutMs: timeoutMs) { $0.contains(text) }
  }
}
