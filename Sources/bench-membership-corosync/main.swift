#if canImport(Glibc)
  import Glibc
#endif
import CorosyncHarness
import Membership

/// `make bench-membership BACKEND=corosync`: the native benchmark's figures, measured on real corosync 3.1.7 (three
/// network namespaces, knet, aes256+sha256) with one `membership-corosync-node` (the Vigil corosync backend) per node.
/// Prints key=value lines: detect_p50_ms/detect_p99_ms (kill -9 of node 3's corosync until both survivors'
/// backends install the new view) with token=1000 and with the default token, leave_p50_ms (cpg_leave of node 3's
/// Vigil process), stop_p50_ms (SIGTERM of node 3's corosync), msgs_per_s (agreed order, 3 concurrent senders).
/// Environment: TRIALS (default 10), MESSAGES (per sender, default 20000). Needs root (namespaces).

func emit(_ line: String) {
  let bytes = Array((line + "\n").utf8)
  _ = bytes.withUnsafeBytes { write(1, $0.baseAddress!, $0.count) }
}

func errorLine(_ s: String) {
  let bytes = Array((s + "\n").utf8)
  _ = bytes.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
}

func env(_ name: String, _ fallback: Int) -> Int {
  guard let v = getenv(name) else { return fallback }
  return Int(String(cString: v)) ?? fallback
}

func percentile(_ xs: [Int64], _ p: Double) -> Int64 {
  guard !xs.isEmpty else { return -1 }
  let s = xs.sorted()
  return s[min(s.count - 1, max(0, Int((p * Double(s.count)).rounded(.up)) - 1))]
}

let trials = env("TRIALS", 10)
let messages = env("MESSAGES", 20_000)
let exe = CommandLine.arguments[0]
let binDir = exe.contains("/") ? String(exe[..<exe.lastIndex(of: "/")!]) : "."
let client = binDir + "/membership-corosync-node"
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
  let isView = { (l: String) in l.contains(" VIEW ") && l.hasSuffix("members=\(members)") }
  // A freshly started client may have printed its first view before READY (consumed while waiting for READY).
  if let p = c.clients[i], p.transcript.count <= 4, let l = p.transcript.last(where: isView),
    let ms = Int64(l.split(separator: " ")[0])
  {
    return ms
  }
  guard let p = c.clients[i],
    let line = p.waitFor(timeoutMs: timeoutMs, isView),
    let ms = Int64(line.split(separator: " ")[0])
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

func restartClient(_ c: NamespaceCluster, _ i: Int) {
  c.stopClient(i)
  do {
    let p = try c.startClient(i)
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

/// kill -9 of node 3's corosync until nodes 1 and 2 install {1,2}; then node 3 restarts and rejoins.
func detection(_ c: NamespaceCluster) -> [Int64] {
  var xs: [Int64] = []
  for _ in 0..<trials {
    usleep(300_000)
    let t0 = ChildProcess.wallMs()
    c.killCorosync(3)
    let a = waitView(c, 1, "1,2")
    let b = waitView(c, 2, "1,2")
    xs.append(max(a, b) - t0)
    c.stopClient(3)
    startNode(c, 3)
    for i in 1...3 { _ = waitView(c, i, "1,2,3") }
  }
  return xs
}

let fast = cluster(tokenMs: 1000)
let detectFast = detection(fast)

// Graceful leave of the Vigil process (cpg_leave), and graceful stop of corosync itself (SIGTERM).
var leave: [Int64] = []
for _ in 0..<trials {
  usleep(200_000)
  let t0 = ChildProcess.wallMs()
  fast.clients[3]!.send("leave")
  let a = waitView(fast, 1, "1,2")
  let b = waitView(fast, 2, "1,2")
  leave.append(max(a, b) - t0)
  restartClient(fast, 3)
  for i in 1...3 { _ = waitView(fast, i, "1,2,3") }
}
var stop: [Int64] = []
for _ in 0..<max(1, trials / 2) {
  usleep(300_000)
  let t0 = ChildProcess.wallMs()
  fast.stopCorosync(3)
  let a = waitView(fast, 1, "1,2")
  let b = waitView(fast, 2, "1,2")
  stop.append(max(a, b) - t0)
  fast.stopClient(3)
  startNode(fast, 3)
  for i in 1...3 { _ = waitView(fast, i, "1,2,3") }
}

// Agreed-order throughput: three concurrent senders; every node delivers all 3 x MESSAGES.
usleep(300_000)
let total = 3 * messages
for i in 1...3 { fast.clients[i]!.send("expect \(total)") }
let t0 = ChildProcess.wallMs()
for i in 1...3 { fast.clients[i]!.send("broadcast \(messages) 64") }
var reached: [Int64] = []
var digests: Set<String> = []
for i in 1...3 {
  guard let line = fast.clients[i]!.waitFor(timeoutMs: 180_000, { $0.contains(" REACHED ") || $0.contains(" REJECTED ") }),
    line.contains(" REACHED ")
  else { die("node \(i) did not deliver \(total) messages") }
  let parts = line.split(separator: " ")
  reached.append(Int64(parts[0])!)
  digests.insert(String(parts.last!))
}
let elapsedMs = max(1, reached.max()! - t0)
let throughput = Int(Double(total) * 1000 / Double(elapsedMs))
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
emit("msgs_per_s=\(throughput) messages=\(total) elapsed_ms=\(elapsedMs) order_identical=\(digests.count == 1 ? 1 : 0)")
