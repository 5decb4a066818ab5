#if canImport(Glibc)
  import Glibc
#endif
import CorosyncHarness
import Membership
import MembershipCorosync
import MembershipNodeKit

/// `make bench-membership BACKEND=corosync`: the native benchmark's figures, measured on real corosync 3.1.7 (three
/// network namespaces, knet, aes256+sha256) with one `membership-corosync-node` (the Vigil corosync backend) per node.
/// Prints key=value lines: detect_p50_ms/detect_p99_ms (kill -9 of node 3's corosync until both survivors'
/// backends install the new view) with token=1000 and with the default token, leave_p50_ms (cpg_leave of node 3's
/// Vigil process), stop_p50_ms (SIGTERM of node 3's corosync), msgs_per_s (agreed order, 3 concurrent senders,
/// broadcasts batched per cpg_mcast_joined) and msgs_per_s_unbatched (the same, one cpg_mcast_joined each).
/// Environment: TRIALS (default 10), MESSAGES (per sender, default 20000). Needs root (namespaces).

let trials = envInt("TRIALS", 10)
let messages = envInt("MESSAGES", 20_000)
let client = siblingExecutable("membership-corosync-node")
guard access(client, X_OK) == 0 else {
  errorLine("bench-membership-corosync: \(client) not found (swift build -c release first)")
  exit(1)
}
if let why = NamespaceCluster.unavailableReason() {
  errorLine("bench-membership-corosync: cannot build the namespace cluster: \(why)")
  exit(1)
}

nonisolated(unsafe) var current: NamespaceCluster?

func die(_ message: String) -> Never {
  errorLine("bench-membership-corosync: \(message)")
  if let c = current {
    for i in 1...3 {
      if let p = c.clients[i] { errorLine("  node \(i): \(p.transcript.suffix(5))") }
      errorLine(c.logTail(i, lines: 5))
    }
    c.destroy()
  }
  exit(1)
}

/// Waits for a VIEW line with exactly these members on node i; returns its wall-clock ms.
func waitView(_ c: NamespaceCluster, _ i: Int, _ members: String, timeoutMs: Int = 60_000) -> Int64 {
  let isView = { (l: String) in isViewLine(l, members: members) }
  // A freshly started client may have printed its first view before READY (consumed while waiting for READY).
  if let p = c.clients[i], p.transcript.count <= 4, let l = p.transcript.last(where: isView), let ms = lineTimestamp(l) {
    return ms
  }
  guard let p = c.clients[i],
    let line = p.waitFor(timeoutMs: timeoutMs, isView),
    let ms = lineTimestamp(line)
  else { die("node \(i) did not install members=\(members)") }
  return ms
}

func startNode(_ c: NamespaceCluster, _ i: Int) {
  do {
    try c.startCorosync(i)
    let p = try c.startClient(i)
    guard p.waitFor(timeoutMs: 30_000, { $0.contains(" READY ") }) != nil else { die("node \(i) did not connect") }
  } catch {
    die("cannot start node \(i): \(error)")
  }
}

func restartClient(_ c: NamespaceCluster, _ i: Int, batch: Int? = nil) {
  c.stopClient(i)
  do {
    let p = try c.startClient(i, arguments: ["--connect-wait-ms", "20000"] + (batch.map { ["--batch", "\($0)"] } ?? []))
    guard p.waitFor(timeoutMs: 30_000, { $0.contains(" READY ") }) != nil else { die("node \(i) did not connect") }
  } catch {
    die("cannot start client \(i): \(error)")
  }
}

func cluster(tokenMs: Int?) -> NamespaceCluster {
  do {
    let c = try NamespaceCluster(spec: ClusterSpec(nodes: 3, tokenMs: tokenMs), clientBinary: client)
    current = c
    for i in 1...3 { startNode(c, i) }
    for i in 1...3 { _ = waitView(c, i, "1,2,3") }
    return c
  } catch {
    die("cannot build the cluster: \(error)")
  }
}

func survivorsSawLoss(_ c: NamespaceCluster) -> Int64 { max(waitView(c, 1, "1,2"), waitView(c, 2, "1,2")) }

/// Node 3's corosync and client started again, and every node back in {1,2,3}.
func restartThird(_ c: NamespaceCluster) {
  c.stopClient(3)
  startNode(c, 3)
  for i in 1...3 { _ = waitView(c, i, "1,2,3") }
}

/// kill -9 of node 3's corosync until nodes 1 and 2 install {1,2}; then node 3 restarts and rejoins.
func detection(_ c: NamespaceCluster) -> [Int64] {
  timedTrials(
    trials, pauseMs: 300, fault: { c.killCorosync(3) }, observed: { survivorsSawLoss(c) }, recover: { restartThird(c) })
}

let fast = cluster(tokenMs: 1000)
let detectFast = detection(fast)

// Graceful leave of the Vigil process (cpg_leave), and graceful stop of corosync itself (SIGTERM).
let leave = timedTrials(
  trials, pauseMs: 200, fault: { fast.clients[3]!.send("leave") }, observed: { survivorsSawLoss(fast) },
  recover: {
    restartClient(fast, 3)
    for i in 1...3 { _ = waitView(fast, i, "1,2,3") }
  })
let stop = timedTrials(
  max(1, trials / 2), pauseMs: 300, fault: { fast.stopCorosync(3) }, observed: { survivorsSawLoss(fast) },
  recover: { restartThird(fast) })

/// Agreed-order throughput: three concurrent senders; every node delivers all 3 x MESSAGES (same order digest).
func throughput(_ c: NamespaceCluster) -> (perSecond: Int, elapsedMs: Int64, identical: Bool) {
  usleep(300_000)
  let total = 3 * messages
  for i in 1...3 { c.clients[i]!.send("expect \(total)") }
  let t0 = ChildProcess.wallMs()
  for i in 1...3 { c.clients[i]!.send("broadcast \(messages) 64") }
  var reached: [Int64] = []
  var digests: Set<String> = []
  for i in 1...3 {
    guard let line = c.clients[i]!.waitFor(timeoutMs: 180_000, { $0.contains(" REACHED ") || $0.contains(" REJECTED ") }),
      line.contains(" REACHED "), let ms = lineTimestamp(line)
    else { die("node \(i) did not deliver \(total) messages") }
    reached.append(ms)
    digests.insert(String(line.split(separator: " ").last!))
  }
  let elapsedMs = max(1, reached.max()! - t0)
  return (Int(Double(total) * 1000 / Double(elapsedMs)), elapsedMs, digests.count == 1)
}

let batched = throughput(fast)
// The same with one cpg_mcast_joined per broadcast (clients restarted with --batch 1), to show what batching buys.
for i in 1...3 { restartClient(fast, i, batch: 1) }
for i in 1...3 { _ = waitView(fast, i, "1,2,3") }
let unbatched = throughput(fast)
let total = 3 * messages
fast.destroy()

let slow = cluster(tokenMs: nil)
let detectDefault = detection(slow)
slow.destroy()
current = nil

emit("backend=corosync trials=\(trials) nodes=3 transport=knet-netns crypto=aes256+sha256")
emit("token_ms=1000 detect_p50_ms=\(percentile(detectFast, 0.5)) detect_p99_ms=\(percentile(detectFast, 0.99))")
emit("token_ms=3000(default) detect_p50_ms=\(percentile(detectDefault, 0.5)) detect_p99_ms=\(percentile(detectDefault, 0.99))")
emit("leave_p50_ms=\(percentile(leave, 0.5)) leave_p99_ms=\(percentile(leave, 0.99))")
emit("stop_p50_ms=\(percentile(stop, 0.5)) stop_p99_ms=\(percentile(stop, 0.99))")
emit(
  "msgs_per_s=\(batched.perSecond) messages=\(total) elapsed_ms=\(batched.elapsedMs) order_identical=\(batched.identical ? 1 : 0)"
    + " batch_max=\(CorosyncBackendOptions().batchBroadcastsMax)")
emit(
  "msgs_per_s_unbatched=\(unbatched.perSecond) elapsed_ms=\(unbatched.elapsedMs) order_identical=\(unbatched.identical ? 1 : 0)"
    + " batch_max=1")
