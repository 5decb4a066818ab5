#if canImport(Glibc)
  import Glibc
#endif
import CorosyncHarness
import Membership
import MembershipNodeKit
import Testing

/// A real corosync 3.1.7 cluster of three network namespaces, each with its own corosync and one Vigil membership
/// process (`membership-corosync-node`, i.e. `CorosyncBackend`). The same cluster-level checks as the native
/// backend's loopback test: concurrent senders see one order, an isolated node loses quorum, survivors of a kill -9
/// keep it, and the status renders as corosync-quorumtool prints it.
@Suite(.serialized, .enabled(if: corosyncClusterUnavailable == nil, "needs root, corosync and network namespaces"))
struct CorosyncClusterTests {
  @Test(.timeLimit(.minutes(6)))
  func threeNamespacesOrderQuorumIsolationAndKill() throws {
    // token 1000 ms: detection in about 3.4 s; corosync runs with real-time priority, so the loaded machine does
    // not make it miss tokens.
    let t0 = ChildProcess.monotonicMs()
    let cluster = try NamespaceCluster(spec: ClusterSpec(nodes: 3, tokenMs: 1000), clientBinary: corosyncClientBinary)
    defer { cluster.destroy() }
    print("CorosyncClusterTests: namespaces built at +\(ChildProcess.monotonicMs() - t0) ms")
    for i in 1...3 { try cluster.startCorosync(i) }
    var c: [Int: ChildProcess] = [:]
    for i in 1...3 { c[i] = try cluster.startClient(i) }

    func waitView(_ i: Int, _ members: String, timeoutMs: Int = 30_000) -> Bool {
      c[i]!.waitFor(timeoutMs: timeoutMs) { $0.contains(" VIEW ") && $0.hasSuffix("members=\(members)") } != nil
    }
    func quorate(_ i: Int, _ q: Bool, members: [Int]) -> Bool {
      c[i]!.pollStatus(timeoutMs: 20_000) { $0.quorate == q && $0.members == members }.ok
    }
    func mark(_ phase: String) { print("CorosyncClusterTests: \(phase) at +\(ChildProcess.monotonicMs() - t0) ms") }
    func context(_ i: Int) -> String { "node \(i): \(c[i]!.transcript.suffix(6))\n\(cluster.logTail(i, lines: 8))" }

    for i in 1...3 {
      try #require(c[i]!.expectLine(" READY ") != nil, "client \(i) connects: \(context(i))")
      try #require(waitView(i, "1,2,3"), "node \(i) sees all three: \(context(i))")
      #expect(quorate(i, true, members: [1, 2, 3]), "\(context(i))")
    }

    mark("cluster up")
    // Concurrent senders: every node delivers the same 3 x 500 messages in the same order.
    // (corosync runs with real-time priority: a long burst would starve the other suites running beside this one.)
    let perSender = 500
    for i in 1...3 { c[i]!.send("expect \(3 * perSender)") }
    for i in 1...3 { c[i]!.send("broadcast \(perSender) 64") }
    var digests: [String] = []
    for i in 1...3 {
      let line = c[i]!.expectLine(" REACHED ", timeoutMs: 60_000)
      #expect(line != nil, "node \(i) delivers everything: \(context(i))")
      digests.append(line.map { String($0.split(separator: " ").last!) } ?? "none-\(i)")
    }
    #expect(Set(digests).count == 1, "identical delivery order on all nodes: \(digests)")

    mark("ordered burst done")
    // Isolate node 3 (its veth goes down): it loses quorum, the other two keep it.
    try cluster.setLink(3, up: false)
    #expect(waitView(1, "1,2"), "\(context(1))")
    #expect(waitView(2, "1,2"), "\(context(2))")
    #expect(quorate(1, true, members: [1, 2]), "\(context(1))")
    #expect(quorate(2, true, members: [1, 2]), "\(context(2))")
    #expect(quorate(3, false, members: [3]), "isolated node loses quorum: \(context(3))")
    try cluster.setLink(3, up: true)
    for i in 1...3 {
      #expect(waitView(i, "1,2,3"), "merge after the link returns: \(context(i))")
      #expect(quorate(i, true, members: [1, 2, 3]), "\(context(i))")
    }

    mark("isolation and merge done")
    // The status renders as corosync-quorumtool -s prints it (every line but the date).
    c[1]!.send("quorumtool")
    var ours: [String] = []
    while let l = c[1]!.readLine(timeoutMs: 5000), !l.hasSuffix("STATUS-END") { ours.append(l) }
    let real = try cluster.runInNode(1, "/usr/sbin/corosync-quorumtool", ["-s"])
    func comparable(_ lines: [String]) -> [String] {
      lines.filter { !$0.hasPrefix("Date:") && !$0.isEmpty }.map { l in
        var t = l
        while t.last == " " { t.removeLast() }
        return t
      }
    }
    #expect(
      comparable(ours) == comparable(real.split(separator: "\n").map(String.init)),
      "ours:\n\(ours.joined(separator: "\n"))\nreal:\n\(real)")

    mark("quorumtool compared")
    // A graceful leave of node 2's Vigil process (cpg_leave): the others install a view without it at once, and
    // corosync's quorum is untouched (node 2's corosync still votes).
    c[2]!.send("leave")
    #expect(c[2]!.expectLine(" LEFT") != nil, "\(context(2))")
    #expect(waitView(1, "1,3"), "\(context(1))")
    #expect(quorate(1, true, members: [1, 2, 3]), "\(context(1))")

    mark("leave done")
    // kill -9 of node 3's corosync: the survivors keep quorum; node 3's process sees its daemon go.
    cluster.killCorosync(3)
    #expect(c[3]!.expectLine(" LEFT") != nil, "client loses its daemon: \(context(3))")
    #expect(quorate(1, true, members: [1, 2]), "\(context(1))")
    #expect(quorate(2, true, members: [1, 2]), "\(context(2))")
    c[3]!.send("status")
    #expect(c[3]!.expectLine(" ERROR ") != nil, "status after the daemon died is an error")
    mark("kill done")
  }
}
