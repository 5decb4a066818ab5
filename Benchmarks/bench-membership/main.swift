#if canImport(Glibc)
  import Glibc
#endif
import Membership
import MembershipNodeKit

/// `bench-membership`: three real membership-node processes on 127.0.0.1 (authenticated, AES-256-GCM).
/// Prints key=value lines: detect_p50_ms/detect_p99_ms (kill -9 of one node until both survivors install the new
/// view), leave_p50_ms (graceful stop), msgs_per_s (ordered broadcast, 3 concurrent senders), false_suspicions (view
/// changes while both cores are saturated by CPU hogs for DURATION seconds; the soak is DURATION=600).
/// Environment: DURATION (default 60), TRIALS (default 10), MESSAGES (per sender, default 20000), TOKEN_MS (totem
/// token; default the native 400 ms).

let duration = envInt("DURATION", 60)
let trials = envInt("TRIALS", 10)
let messages = envInt("MESSAGES", 20_000)
/// totem `token` for the run (as `--token-ms`); 0 keeps the native default (400 ms).
let tokenMs = envInt("TOKEN_MS", 0)
let nodeBinary = siblingExecutable("membership-node")
guard access(nodeBinary, X_OK) == 0 else {
  errorLine("bench-membership: \(nodeBinary) not found (swift build -c release first)")
  exit(1)
}

let dir = "/tmp/vigil-bench-membership-\(getpid())"
mkdir(dir, 0o700)
let basePort = 23_000 + Int(getpid() % 500) * 10
do {
  try LoopbackCluster.write(
    dir: dir, nodes: 3, basePort: basePort, tokenMs: tokenMs > 0 ? tokenMs : nil, keySeed: UInt64(getpid()))
} catch {
  errorLine("bench-membership: \(error)")
  exit(1)
}

var nodes: [ChildProcess?] = [nil, nil, nil]
var hogs: [ChildProcess] = []
@MainActor func cleanup() {
  for n in nodes { n?.stop(timeoutMs: 300) }
  for h in hogs {
    h.signal(SIGKILL)
    h.stop(timeoutMs: 300)
  }
  for f in ["corosync.conf", "authkey"] { unlink(dir + "/" + f) }
  rmdir(dir)
}

@MainActor func die(_ message: String) -> Never {
  errorLine("bench-membership: \(message)")
  for n in nodes { if let n { errorLine("  node transcript: \(n.transcript.suffix(6))") } }
  cleanup()
  exit(1)
}

@MainActor func spawn(_ i: Int) {
  do {
    nodes[i] = try ChildProcess(
      path: nodeBinary,
      arguments: ["--config", dir + "/corosync.conf", "--authkey", dir + "/authkey", "--nodeid", "\(i + 1)"]
        + (tokenMs > 0 ? ["--token-ms", "\(tokenMs)"] : []))
  } catch {
    die("cannot start node \(i + 1): \(error)")
  }
}

/// Waits for a VIEW line with exactly these members; returns its wall-clock ms.
@MainActor func waitView(_ i: Int, _ members: String, timeoutMs: Int = 20_000) -> Int64 {
  guard let line = nodes[i]!.waitFor(timeoutMs: timeoutMs, { isViewLine($0, members: members) }),
    let ms = lineTimestamp(line)
  else { die("node \(i + 1) did not install members=\(members)") }
  return ms
}

for i in 0..<3 { spawn(i) }
for i in 0..<3 { _ = waitView(i, "1,2,3") }

// 1. Hard failure detection: kill -9 of node 3 until both survivors install {1,2}; then it restarts and rejoins.
@MainActor func survivorsSawLoss() -> Int64 { max(waitView(0, "1,2"), waitView(1, "1,2")) }
@MainActor func restartThird(stopTimeoutMs: Int) {
  nodes[2]!.stop(timeoutMs: stopTimeoutMs)
  spawn(2)
  for i in 0..<3 { _ = waitView(i, "1,2,3") }
}
let detect = timedTrials(
  trials, pauseMs: 300, fault: { nodes[2]!.signal(SIGKILL) }, observed: survivorsSawLoss,
  recover: { restartThird(stopTimeoutMs: 500) })

// 2. Graceful leave (SIGTERM: the node sends leave).
let leave = timedTrials(
  trials, pauseMs: 300, fault: { nodes[2]!.signal(SIGTERM) }, observed: survivorsSawLoss,
  recover: { restartThird(stopTimeoutMs: 1000) })

// 3. Ordered broadcast throughput: three concurrent senders, every node delivers all 3 x MESSAGES.
usleep(300_000)
let total = 3 * messages
for i in 0..<3 { nodes[i]!.send("expect \(total)") }
let t0 = ChildProcess.wallMs()
for i in 0..<3 { nodes[i]!.send("broadcast \(messages) 64") }
var reached: [Int64] = []
var digests: Set<String> = []
for i in 0..<3 {
  guard let line = nodes[i]!.waitFor(timeoutMs: 120_000, { $0.contains(" REACHED ") }) else {
    die("node \(i + 1) did not deliver \(total) messages")
  }
  let parts = line.split(separator: " ")
  reached.append(Int64(parts[0])!)
  digests.insert(String(parts.last!))
}
let elapsedMs = max(1, reached.max()! - t0)
let throughput = Int(Double(total) * 1000 / Double(elapsedMs))

// 4. False suspicions under CPU saturation.
for _ in 0..<2 {
  if let h = try? ChildProcess(path: "/bin/sh", arguments: ["-c", "while :; do :; done"]) { hogs.append(h) }
}
var viewChanges = 0
let soakEnd = ChildProcess.monotonicMs() + Int64(duration) * 1000
var round = 0
while ChildProcess.monotonicMs() < soakEnd {
  round += 1
  if round % 10 == 0 { nodes[round % 3]!.send("broadcast 100 64") }  // some traffic, as in a real cluster
  for i in 0..<3 {
    while let line = nodes[i]!.readLine(timeoutMs: 30) {
      if line.contains(" VIEW ") { viewChanges += 1 }
    }
  }
}
for h in hogs {
  h.signal(SIGKILL)
  h.stop(timeoutMs: 500)
}
hogs = []

emit("trials=\(trials) nodes=3 transport=udp-loopback crypto=aes256+hmac-sha256")
emit("token_ms=\(tokenMs > 0 ? String(tokenMs) : "400(default)") detect_p50_ms=\(percentile(detect, 0.5)) detect_p99_ms=\(percentile(detect, 0.99))")
emit("leave_p50_ms=\(percentile(leave, 0.5)) leave_p99_ms=\(percentile(leave, 0.99))")
emit("msgs_per_s=\(throughput) messages=\(total) elapsed_ms=\(elapsedMs) order_identical=\(digests.count == 1 ? 1 : 0)")
emit("false_suspicions=\(viewChanges) soak_s=\(duration) cpu_hogs=2")
cleanup()
