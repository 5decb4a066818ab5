#if canImport(Glibc)
  import Glibc
#endif
import Membership
import MembershipNodeKit

/// Why the harness could not do something, with the command and its output.
public enum HarnessError: Error, CustomStringConvertible, Sendable {
  case command(String, status: Int32, output: String)
  case spawn(String, String)
  case io(String)
  public var description: String {
    switch self {
    case .command(let c, let s, let o): return "`\(c)` exited with \(s): \(o.suffix(400))"
    case .spawn(let c, let m): return "cannot run \(c): \(m)"
    case .io(let m): return m
    }
  }
}

/// What a namespace cluster runs: the node count, the totem timers and the `quorum` options.
public struct ClusterSpec: Sendable {
  public var nodes: Int
  /// totem `token` in ms; nil leaves corosync's default (3000 ms).
  public var tokenMs: Int?
  /// totem `token_coefficient` in ms; nil leaves corosync's default (650 ms per node beyond two).
  public var tokenCoefficientMs: Int?
  public var quorum: QuorumOptions
  /// Text appended to every node's corosync.conf (e.g. `vigil { membership: corosync }` for clusterd).
  public var extraConfig: String
  public init(
    nodes: Int, tokenMs: Int? = nil, tokenCoefficientMs: Int? = nil, quorum: QuorumOptions = QuorumOptions(),
    extraConfig: String = ""
  ) {
    self.nodes = nodes
    self.tokenMs = tokenMs
    self.tokenCoefficientMs = tokenCoefficientMs
    self.quorum = quorum
    self.extraConfig = extraConfig
  }
}

/// A real corosync cluster on one machine: one network namespace per node (address 10.213.9.<i>/24 on a veth),
/// a hub namespace whose bridges connect the veths' other ends, and per node its own corosync.conf, /run (bind
/// mounted in the node's mount namespace, so each corosync has its own pid file) and state directory.
/// libqb's IPC uses abstract unix sockets, which are per network namespace: a client started in node i's namespace
/// talks to node i's corosync only.
///
/// Faults: `kill(i)` (SIGKILL of that corosync), `setLink(i, up:)` (its veth on the hub side), `partition`
/// (each group of nodes on its own bridge). `destroy()` kills every process this cluster started (by pid), deletes
/// its namespaces and files; call it in a `defer`.
public final class NamespaceCluster: @unchecked Sendable {
  public let spec: ClusterSpec
  public let tag: String
  public let dir: String
  public let clientBinary: String
  public private(set) var corosync: [Int: ChildProcess] = [:]
  public private(set) var clients: [Int: ChildProcess] = [:]
  /// Other daemons started in a node's namespace (`startDaemon`), by node.
  public private(set) var daemons: [Int: ChildProcess] = [:]
  private var startedPIDs: [pid_t] = []
  private var namespaces: [String] = []
  private var destroyed = false
  public static let ip = "/usr/sbin/ip"
  public static let corosyncBinary = "/usr/sbin/corosync"
  private static let counterLock = CounterLock()

  public var hub: String { tag + "h" }
  public func namespace(_ i: Int) -> String { tag + "n\(i)" }
  public func address(_ i: Int) -> String { "10.213.9.\(i)" }
  public func nodeDir(_ i: Int) -> String { dir + "/n\(i)" }

  /// Nil when this machine can run the cluster (root, corosync and iproute2 installed, namespaces allowed);
  /// otherwise the reason, for the tests to print when they skip.
  public static func unavailableReason() -> String? {
    if geteuid() != 0 { return "not root: network namespaces need CAP_SYS_ADMIN" }
    for f in [ip, corosyncBinary, "/bin/sh", "/usr/bin/mount"] where access(f, X_OK) != 0 { return "\(f) is missing" }
    let probe = "vcsprobe\(getpid())"
    guard (try? run(ip, ["netns", "add", probe])) != nil else { return "cannot create a network namespace here" }
    _ = try? run(ip, ["netns", "del", probe])
    return nil
  }

  /// Creates the namespaces, the bridge and veths, the authkey and each node's files. Nothing is started yet.
  public init(spec: ClusterSpec, clientBinary: String) throws(HarnessError) {
    precondition(spec.nodes >= 1 && spec.nodes <= 16)
    self.spec = spec
    self.clientBinary = clientBinary
    let n = Self.counterLock.next()
    tag = "vcs\(getpid() % 100_000)x\(n)"
    dir = "/tmp/vigil-corosync-\(tag)"
    do {
      try build()
    } catch {
      destroy()
      throw error
    }
  }

  private func build() throws(HarnessError) {
    guard mkdir(dir, 0o700) == 0 else { throw .io("mkdir \(dir): errno \(errno)") }
    try netnsAdd(hub)
    for b in 0..<3 {
      try Self.run(Self.ip, ["-n", hub, "link", "add", "br\(b)", "type", "bridge"])
      try Self.run(Self.ip, ["-n", hub, "link", "set", "br\(b)", "up"])
    }
    // A 256-byte key from the kernel's generator, as corosync-keygen writes it.
    var key = [UInt8](repeating: 0, count: 256)
    let rnd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    guard rnd >= 0 else { throw .io("open /dev/urandom: errno \(errno)") }
    defer { close(rnd) }
    var filled = 0
    while filled < key.count {
      let r = key.withUnsafeMutableBytes { read(rnd, $0.baseAddress! + filled, $0.count - filled) }
      guard r > 0 else { throw .io("read /dev/urandom failed: errno \(errno)") }
      filled += r
    }
    try write(dir + "/authkey", key, mode: 0o400)
    for i in 1...spec.nodes {
      let ns = namespace(i)
      try netnsAdd(ns)
      try Self.run(Self.ip, ["-n", hub, "link", "add", "p\(i)", "type", "veth", "peer", "name", "eth0", "netns", ns])
      try Self.run(Self.ip, ["-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0"])
      try Self.run(Self.ip, ["-n", ns, "link", "set", "eth0", "up"])
      try Self.run(Self.ip, ["-n", ns, "link", "set", "lo", "up"])
      try Self.run(Self.ip, ["-n", hub, "link", "set", "p\(i)", "master", "br0", "up"])
      for sub in ["", "/run", "/state"] {
        guard mkdir(nodeDir(i) + sub, 0o700) == 0 else { throw .io("mkdir \(nodeDir(i) + sub): errno \(errno)") }
      }
      try write(nodeDir(i) + "/corosync.conf", Array(config(for: i).utf8), mode: 0o600)
    }
  }

  private func netnsAdd(_ name: String) throws(HarnessError) {
    try Self.run(Self.ip, ["netns", "add", name])
    namespaces.append(name)
  }

  /// The corosync.conf of node i (the nodelist is the same everywhere; logs and state are per node).
  public func config(for i: Int) -> String {
    var s = "totem {\n  version: 2\n  cluster_name: vigiltest\n  transport: knet\n"
    s += "  crypto_cipher: aes256\n  crypto_hash: sha256\n  keyfile: \(dir)/authkey\n"
    if let t = spec.tokenMs { s += "  token: \(t)\n" }
    if let c = spec.tokenCoefficientMs { s += "  token_coefficient: \(c)\n" }
    s += "}\n\nnodelist {\n"
    for n in 1...spec.nodes {
      s += "  node {\n    ring0_addr: \(address(n))\n    name: n\(n)\n    nodeid: \(n)\n  }\n"
    }
    s += "}\n\nquorum {\n  provider: corosync_votequorum\n"
    let q = spec.quorum
    if let v = q.expectedVotes { s += "  expected_votes: \(v)\n" }
    if let v = q.twoNode { s += "  two_node: \(v ? 1 : 0)\n" }
    if let v = q.waitForAll { s += "  wait_for_all: \(v ? 1 : 0)\n" }
    if let v = q.lastManStanding { s += "  last_man_standing: \(v ? 1 : 0)\n" }
    if let v = q.lastManStandingWindowMs { s += "  last_man_standing_window: \(v)\n" }
    if let v = q.autoTieBreaker { s += "  auto_tie_breaker: \(v ? 1 : 0)\n" }
    switch q.autoTieBreakerNode {
    case .none: break
    case .lowest: s += "  auto_tie_breaker_node: lowest\n"
    case .highest: s += "  auto_tie_breaker_node: highest\n"
    case .list(let ids): s += "  auto_tie_breaker_node: \(ids.map(\.description).joined(separator: " "))\n"
    }
    s += "}\n\nlogging {\n  to_logfile: yes\n  logfile: \(nodeDir(i))/corosync.log\n  to_syslog: no\n"
    s += "  to_stderr: no\n  timestamp: hires\n}\n\nsystem {\n  state_dir: \(nodeDir(i))/state\n}\n"
    if !spec.extraConfig.isEmpty { s += "\n" + spec.extraConfig + (spec.extraConfig.hasSuffix("\n") ? "" : "\n") }
    return s
  }

  /// Starts corosync in node i's namespace, in the foreground (-f), with node i's own /run.
  public func startCorosync(_ i: Int) throws(HarnessError) {
    let d = nodeDir(i)
    let script = "mount --bind \(d)/run /run && exec \(Self.corosyncBinary) -f -c \(d)/corosync.conf >>\(d)/stdout.log 2>&1"
    let p = try spawn(Self.ip, ["netns", "exec", namespace(i), "/bin/sh", "-c", script])
    corosync[i] = p
  }

  /// Starts a membership client (the node executable) in node i's namespace; it retries connecting to corosync.
  @discardableResult
  public func startClient(_ i: Int, arguments: [String] = ["--connect-wait-ms", "20000"]) throws(HarnessError)
    -> ChildProcess
  {
    let p = try spawn(Self.ip, ["netns", "exec", namespace(i), clientBinary] + arguments)
    clients[i] = p
    return p
  }

  /// Starts `path arguments` in node i's namespace (one daemon per node, e.g. clusterd), standard output and
  /// error appended to `log`. `destroy()` kills it; `killDaemon(i)` kills it earlier.
  @discardableResult
  public func startDaemon(_ i: Int, path: String, arguments: [String], log: String) throws(HarnessError) -> ChildProcess {
    precondition(daemons[i] == nil, "node \(i) already runs a daemon")
    let command = ([path] + arguments).map(Self.shellQuoted).joined(separator: " ")
    let p = try spawn(Self.ip, ["netns", "exec", namespace(i), "/bin/sh", "-c", "exec \(command) >>\(Self.shellQuoted(log)) 2>&1"])
    daemons[i] = p
    return p
  }

  /// SIGKILL of node i's daemon (by pid), reaped.
  public func killDaemon(_ i: Int) {
    guard let p = daemons.removeValue(forKey: i) else { return }
    p.signal(SIGKILL)
    p.stop(timeoutMs: 2000)
  }

  static func shellQuoted(_ s: String) -> String {
    var out = "'"
    for c in s { if c == "'" { out += "'\\''" } else { out.append(c) } }
    return out + "'"
  }

  private func spawn(_ path: String, _ args: [String]) throws(HarnessError) -> ChildProcess {
    do {
      let p = try ChildProcess(path: path, arguments: args)
      startedPIDs.append(p.pid)
      return p
    } catch {
      throw .spawn(path, "\(error)")
    }
  }

  /// SIGKILL of node i's corosync (by pid), reaped.
  public func killCorosync(_ i: Int) {
    guard let p = corosync.removeValue(forKey: i) else { return }
    p.signal(SIGKILL)
    p.stop(timeoutMs: 2000)
  }

  /// SIGTERM of node i's corosync: a graceful leave. Waits (bounded) for it to exit.
  public func stopCorosync(_ i: Int, timeoutMs: Int = 10_000) {
    guard let p = corosync.removeValue(forKey: i) else { return }
    p.signal(SIGTERM)
    p.stop(timeoutMs: timeoutMs)
  }

  /// Stops node i's client: closing its stdin makes it shut down; SIGKILL after `timeoutMs`.
  public func stopClient(_ i: Int, timeoutMs: Int = 2000) {
    guard let p = clients.removeValue(forKey: i) else { return }
    p.stop(timeoutMs: timeoutMs)
  }

  /// Takes node i's veth down or up on the hub side: the node is cut off from every other node.
  public func setLink(_ i: Int, up: Bool) throws(HarnessError) {
    try Self.run(Self.ip, ["-n", hub, "link", "set", "p\(i)", up ? "up" : "down"])
  }

  /// Puts each group of nodes on its own bridge (at most 3 groups); nodes not named stay where they are.
  public func partition(_ groups: [[Int]]) throws(HarnessError) {
    precondition(groups.count <= 3)
    for (b, g) in groups.enumerated() {
      for i in g { try Self.run(Self.ip, ["-n", hub, "link", "set", "p\(i)", "master", "br\(b)"]) }
    }
  }

  /// Every node back on one bridge.
  public func heal() throws(HarnessError) {
    try partition([Array(1...spec.nodes)])
  }

  /// Runs a tool in node i's namespace (e.g. corosync-quorumtool) and returns its standard output.
  public func runInNode(_ i: Int, _ path: String, _ args: [String]) throws(HarnessError) -> String {
    try Self.run(Self.ip, ["netns", "exec", namespace(i), path] + args)
  }

  /// The tail of node i's corosync log, for failure messages.
  public func logTail(_ i: Int, lines: Int = 15) -> String { Self.tail(nodeDir(i) + "/corosync.log", lines: lines) }

  /// The last `lines` lines of a file (read with a bounded window), or "(no PATH)".
  public static func tail(_ path: String, lines: Int) -> String {
    guard let f = fopen(path, "r") else { return "(no \(path))" }
    defer { fclose(f) }
    var all: [String] = []
    var buf = [CChar](repeating: 0, count: 4096)
    while fgets(&buf, Int32(buf.count), f) != nil {
      all.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
      if all.count > 4 * lines { all.removeFirst(all.count - lines) }
    }
    return all.suffix(lines).joined()
  }

  /// Kills every process this cluster started (SIGKILL by pid, reaped), deletes its namespaces, its files and the
  /// libqb ring files its corosync processes left in /dev/shm. Safe to call twice.
  public func destroy() {
    if destroyed { return }
    destroyed = true
    for (_, p) in daemons.sorted(by: { $0.key < $1.key }) {
      p.signal(SIGKILL)
      p.stop(timeoutMs: 2000)
    }
    daemons = [:]
    for (_, p) in clients.sorted(by: { $0.key < $1.key }) {
      p.signal(SIGKILL)
      p.stop(timeoutMs: 1000)
    }
    for (_, p) in corosync.sorted(by: { $0.key < $1.key }) {
      p.signal(SIGKILL)
      p.stop(timeoutMs: 2000)
    }
    clients = [:]
    corosync = [:]
    for ns in namespaces.reversed() { _ = try? Self.run(Self.ip, ["netns", "del", ns]) }
    namespaces = []
    removeStaleSharedMemory()
    _ = try? Self.run("/bin/rm", ["-rf", "--one-file-system", dir])
  }

  private func removeStaleSharedMemory() {
    guard let d = opendir("/dev/shm") else { return }
    var victims: [String] = []
    while let e = readdir(d) {
      let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      for pid in startedPIDs where name.hasPrefix("qb-\(pid)-") || name.contains("-\(pid)-") && name.hasPrefix("qb-") {
        victims.append("/dev/shm/" + name)
        break
      }
    }
    closedir(d)
    if !victims.isEmpty { _ = try? Self.run("/bin/rm", ["-rf"] + victims.sorted()) }
  }

  deinit { destroy() }

  private func write(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(HarnessError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw .io("open \(path): errno \(errno)") }
    defer { close(fd) }
    var off = 0
    while off < bytes.count {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
      guard n > 0 else { throw .io("write \(path): errno \(errno)") }
      off += n
    }
    guard fsync(fd) == 0 else { throw .io("fsync \(path): errno \(errno)") }
  }

  /// Runs a command to completion, stdout and stderr captured (bounded: 64 KiB kept; killed after `timeoutMs`);
  /// throws unless it exits 0.
  @discardableResult
  public static func run(_ path: String, _ args: [String], timeoutMs: Int = 20_000) throws(HarnessError) -> String {
    var outPipe: [Int32] = [0, 0]
    guard pipe(&outPipe) == 0 else { throw .spawn(path, "pipe failed") }
    _ = fcntl(outPipe[0], F_SETFD, FD_CLOEXEC)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 2)
    let argv = ([path] + args).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
    close(outPipe[1])
    guard rc == 0 else {
      close(outPipe[0])
      throw .spawn(path, String(cString: strerror(rc)))
    }
    defer { close(outPipe[0]) }
    var output: [UInt8] = []
    let deadline = ChildProcess.monotonicMs() + Int64(timeoutMs)
    var buf = [UInt8](repeating: 0, count: 4096)
    while ChildProcess.monotonicMs() < deadline {
      var pfd = pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0)
      if poll(&pfd, 1, 100) <= 0 { continue }
      let n = buf.withUnsafeMutableBytes { read(outPipe[0], $0.baseAddress, $0.count) }
      if n <= 0 { break }
      if output.count < 65_536 { output.append(contentsOf: buf[0..<n]) }
    }
    var status: Int32 = 0
    if ChildProcess.monotonicMs() >= deadline { kill(pid, SIGKILL) }
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let text = String(decoding: output, as: UTF8.self)
    if code != 0 { throw .command(([path] + args).joined(separator: " "), status: code, output: text) }
    return text
  }
}

/// A process-wide counter so that two clusters of one test process get different names.
final class CounterLock: @unchecked Sendable {
  private var m = pthread_mutex_t()
  private var value = 0
  init() { pthread_mutex_init(&m, nil) }
  func next() -> Int {
    pthread_mutex_lock(&m)
    defer { pthread_mutex_unlock(&m) }
    value += 1
    return value
  }
}

