import MembershipNodeKit
import Testing

@testable import Membership

#if canImport(Glibc)
  import Glibc
#endif

/// Three real `membership-node` processes on 127.0.0.1, talking authenticated, encrypted UDP.
@Test(.timeLimit(.minutes(5)))
func threeProcessesKeepQuorumAfterAKillAndAnIsolatedNodeLosesIt() throws {
  let binary = repoRoot() + "/.build/debug/membership-node"
  try #require(access(binary, X_OK) == 0, "build first: \(binary) is missing")
  let dir = "/tmp/vigil-loopback-\(getpid())"
  mkdir(dir, 0o700)
  let basePort = 21_000 + Int(getpid() % 400) * 10
  // token 1000 ms: the suite runs beside other heavy tests; a 400 ms token could see a debug process stall.
  try LoopbackCluster.write(dir: dir, nodes: 3, basePort: basePort, tokenMs: 1000, keySeed: 42)
  func spawn(_ id: Int) throws -> ChildProcess {
    try ChildProcess(
      path: binary, arguments: ["--config", dir + "/corosync.conf", "--authkey", dir + "/authkey", "--nodeid", "\(id)"])
  }
  var nodes: [ChildProcess] = []
  defer {
    for n in nodes { n.stop(timeoutMs: 500) }
    for f in ["corosync.conf", "authkey"] { unlink(dir + "/" + f) }
    rmdir(dir)
  }
  for id in 1...3 { nodes.append(try spawn(id)) }

  func waitView(_ node: ChildProcess, members: String, quorate: Bool, timeoutMs: Int = 15_000) -> Bool {
    guard node.waitFor(timeoutMs: timeoutMs, { $0.contains(" VIEW ") && $0.hasSuffix("members=\(members)") }) != nil
    else { return false }
    return node.waitFor(timeoutMs: 2000, { $0.contains(" QUORUM ") }).map { $0.contains("quorate=\(quorate ? 1 : 0)") }
      ?? false
  }

  for (i, n) in nodes.enumerated() {
    #expect(waitView(n, members: "1,2,3", quorate: true), "node \(i + 1) joins: \(n.transcript.suffix(5))")
  }

  // kill -9 one node: the two survivors agree on a new view and keep quorum.
  nodes[2].signal(SIGKILL)
  nodes[2].stop(timeoutMs: 1000)
  #expect(waitView(nodes[0], members: "1,2", quorate: true), "\(nodes[0].transcript.suffix(5))")
  #expect(waitView(nodes[1], members: "1,2", quorate: true), "\(nodes[1].transcript.suffix(5))")

  // The node restarts (a new incarnation) and is merged back.
  nodes[2] = try spawn(3)
  for (i, n) in nodes.enumerated() {
    #expect(waitView(n, members: "1,2,3", quorate: true), "node \(i + 1) after restart: \(n.transcript.suffix(5))")
  }

  // Isolate node 2 with the transport's fault switch: it loses quorum, the others keep it.
  nodes[1].send("isolate on")
  #expect(waitView(nodes[1], members: "2", quorate: false), "\(nodes[1].transcript.suffix(5))")
  #expect(waitView(nodes[0], members: "1,3", quorate: true), "\(nodes[0].transcript.suffix(5))")
  #expect(waitView(nodes[2], members: "1,3", quorate: true), "\(nodes[2].transcript.suffix(5))")

  // Ordered broadcast across processes: both members deliver the same sequence.
  nodes[0].send("expect 200")
  nodes[2].send("expect 200")
  nodes[0].send("broadcast 100 64")
  nodes[2].send("broadcast 100 64")
  let r1 = nodes[0].waitFor(timeoutMs: 10_000) { $0.contains(" REACHED ") }
  let r3 = nodes[2].waitFor(timeoutMs: 10_000) { $0.contains(" REACHED ") }
  #expect(r1 != nil && r3 != nil)
  #expect(r1?.split(separator: " ").last == r3?.split(separator: " ").last, "same delivery order (digest)")
}
