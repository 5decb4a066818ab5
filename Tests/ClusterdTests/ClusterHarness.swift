import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A real 3-node cluster for a test: three `clusterd` processes (from .build/debug) on loopback UDP ports, each
/// with its own state folder and control socket under one temporary folder. `stop()` kills every process it
/// started (and the services their agents started, found by their pid files) and removes the folder; tests call
/// it in a `defer`, so it also runs when an expectation fails.
final class TestCluster: @unchecked Sendable {
  static let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()
  static var bin: String { root + "/.build/debug" }

  let dir: String
  let names = ["node1", "node2", "node3"]
  private var pids: [String: pid_t] = [:]
  private let lock = NSLock()

  init(tokenMs: Int = 400) throws {
    var template = Array("/tmp/vigil-clusterd-test-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
    dir = String(cString: p)
    let ports = try Self.freeUDPPorts(3)
    var conf = "totem {\n    version: 2\n    cluster_name: testcluster\n    token: \(tokenMs)\n}\nnodelist {\n"
    for (i, n) in names.enumerated() {
      conf += "    node {\n        ring0_addr: 127.0.0.1\n        name: \(n)\n        nodeid: \(i + 1)\n"
      conf += "        vigil_port: \(ports[i])\n    }\n"
    }
    conf += "}\nquorum {\n    provider: corosync_votequorum\n}\n"
    try conf.write(toFile: dir + "/corosync.conf", atomically: true, encoding: .utf8)
    var key = [UInt8](repeating: 0, count: 256)
    for i in key.indices { key[i] = UInt8.random(in: 0...255) }
    FileManager.default.createFile(atPath: dir + "/authkey", contents: Data(key), attributes: [.posixPermissions: 0o600])
    for n in names { try FileManager.default.createDirectory(atPath: dir + "/" + n, withIntermediateDirectories: true) }
    try FileManager.default.createDirectory(atPath: dir + "/fence", withIntermediateDirectories: true)
  }

  /// UDP ports free right now (bound to port 0 and released).
  static func freeUDPPorts(_ count: Int) throws -> [Int] {
    var out: [Int] = []
    var fds: [Int32] = []
    defer { for fd in fds { close(fd) } }
    for _ in 0..<count {
      let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
      fds.append(fd)
      var a = sockaddr_in()
      a.sin_family = sa_family_t(AF_INET)
      a.sin_addr.s_addr = inet_addr("127.0.0.1")
      a.sin_port = 0
      var len = socklen_t(MemoryLayout<sockaddr_in>.size)
      let ok = withUnsafeMutablePointer(to: &a) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
      }
      guard ok else { throw HarnessError("cannot find a free UDP port") }
      out.append(Int(UInt16(bigEndian: a.sin_port)))
    }
    return out
  }

  func socket(_ node: String) -> String { dir + "/" + node + "/clusterd.sock" }

  /// `extraArguments` go to clusterd's command line; with `cgroup` the process joins that cgroup right after it
  /// is spawned (before it can start any agent), so its agents are in it too.
  func start(_ node: String, extraArguments: [String] = [], cgroup: String? = nil) throws {
    let args = [
      Self.bin + "/clusterd", "--corosync-conf", dir + "/corosync.conf", "--authkey", dir + "/authkey",
      "--state-dir", dir + "/" + node, "--node", node, "--socket", socket(node), "--private-agent-dirs",
      "--fence-agent-dir", dir + "/fence",
    ] + extraArguments
    let log = dir + "/" + node + "/clusterd.log"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    let rc = posix_spawn(&pid, args[0], &actions, nil, argv, environ)
    guard rc == 0 else { throw HarnessError("cannot start clusterd: \(String(cString: strerror(rc)))") }
    lock.withLock { pids[node] = pid }
    if let cgroup { try "\(pid)\n".write(toFile: cgroup + "/cgroup.procs", atomically: false, encoding: .utf8) }
  }

  func startAll() throws { for n in names { try start(n) } }

  func pid(_ node: String) -> pid_t? { lock.withLock { pids[node] } }

  /// SIGKILL: the node dies without a word (its agents' services keep running, as on a real crash).
  func kill9(_ node: String) {
    guard let pid = lock.withLock({ pids.removeValue(forKey: node) }) else { return }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
  }

  /// SIGTERM, then waits for the process to exit (at most `timeoutS`, then SIGKILL). Returns whether it exited.
  @discardableResult
  func terminate(_ node: String, timeoutS: Double = 40) -> Bool {
    guard let pid = lock.withLock({ pids.removeValue(forKey: node) }) else { return true }
    kill(pid, SIGTERM)
    return reap(pid, timeoutS: timeoutS)
  }

  func reap(_ pid: pid_t, timeoutS: Double) -> Bool {
    let deadline = Date().addingTimeInterval(timeoutS)
    var status: Int32 = 0
    while Date() < deadline {
      if waitpid(pid, &status, WNOHANG) == pid { return true }
      usleep(20_000)
    }
    kill(pid, SIGKILL)
    waitpid(pid, &status, 0)
    return false
  }

  /// Waits for a process that exits on its own (pcs cluster stop).
  func waitExit(_ node: String, timeoutS: Double = 40) async -> Bool {
    guard let pid = lock.withLock({ pids.removeValue(forKey: node) }) else { return true }
    return (try? await blocking { self.reap(pid, timeoutS: timeoutS) }) ?? false
  }

  func stop() {
    let all = lock.withLock { () -> [pid_t] in
      let v = Array(pids.values)
      pids.removeAll()
      return v
    }
    for pid in all { kill(pid, SIGKILL) }
    for pid in all {
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
    // Services our agents started (anything's pid files in each node's private run folder).
    for n in names {
      let run = dir + "/" + n + "/agents/run"
      for f in (try? FileManager.default.contentsOfDirectory(atPath: run)) ?? [] where f.hasSuffix(".pid") {
        if let text = try? String(contentsOfFile: run + "/" + f, encoding: .utf8),
          let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
        {
          kill(pid, SIGKILL)
        }
      }
    }
    // VIGIL_KEEP_TEST_CLUSTER=1 keeps the folder (logs, CIBs) for a post-mortem.
    if ProcessInfo.processInfo.environment["VIGIL_KEEP_TEST_CLUSTER"] == nil { try? FileManager.default.removeItem(atPath: dir) }
  }

  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs our pcs against `node`'s socket, on a GCD thread: waiting for a child process must never block the
  /// Swift concurrency pool that the other test suites (the LRM's agent runs) need.
  @discardableResult
  func pcs(_ node: String, _ args: [String]) async throws -> Run {
    try await blocking { try self.pcsNow(node, args) }
  }

  func pcsNow(_ node: String, _ args: [String]) throws -> Run { try toolNow("pcs", node, args) }

  /// Runs one of our tools (pcs, cibadmin) against `node`'s socket.
  func tool(_ name: String, _ node: String, _ args: [String]) async throws -> Run {
    try await blocking { try self.toolNow(name, node, args) }
  }

  func toolNow(_ name: String, _ node: String, _ args: [String]) throws -> Run {
    try Self.runTool(name, socket: socket(node), args)
  }

  /// Runs one of our tools against the clusterd listening on `socket`.
  static func runTool(_ name: String, socket: String, _ args: [String]) throws -> Run {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Self.bin + "/" + name)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["VIGIL_SOCKET"] = socket
    p.environment = env
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
  }

  /// Polls `condition` every 100 ms until it holds or `timeoutS` passes; returns whether it held. A bound on
  /// waiting, not a timing assertion: the tests only check that the state is eventually reached.
  /// Whether `pcs status` through `node`'s socket says its partition has quorum.
  func isQuorate(_ node: String) async -> Bool {
    ((try? await pcs(node, ["status"]))?.stdout ?? "").contains("partition with quorum")
  }

  func allQuorate(_ nodes: [String]) async -> Bool {
    for n in nodes where !(await isQuorate(n)) { return false }
    return true
  }

  func eventually(timeoutS: Double = 30, _ condition: () async throws -> Bool) async rethrows -> Bool {
    try await Self.eventually(timeoutS: timeoutS, condition)
  }

  static func eventually(timeoutS: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeoutS)
    while Date() < deadline {
      if try await condition() { return true }
      try? await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
  }

  /// `pcs status resources` of `node`, as (resource -> "Started nodeX" / "Stopped" ...).
  func resourceStates(_ node: String) async -> [String: String] {
    guard let r = try? await pcs(node, ["status", "resources"]), r.status == 0 else { return [:] }
    var out: [String: String] = [:]
    for line in r.stdout.split(separator: "\n") {
      let parts = line.split(separator: "\t")
      guard parts.count >= 3 else { continue }
      let name = parts[0].trimmingCharacters(in: CharacterSet(charactersIn: " *"))
      out[name] = parts[2].trimmingCharacters(in: .whitespaces)
    }
    return out
  }

  /// The node where both group members run, if they run together on one node.
  func groupNode(_ node: String, members: [String] = ["VIP", "service"]) async -> String? {
    let s = await resourceStates(node)
    let places = members.map { s[$0] ?? "" }
    guard let first = places.first, first.hasPrefix("Started "), places.allSatisfy({ $0 == first }) else { return nil }
    let node = String(first.dropFirst("Started ".count))
    // One node name only: "Started [ node1 node2 ]" (active on several nodes) is not "running together".
    guard names.contains(node) else { return nil }
    return node
  }

  /// The nodes whose private run folder holds VIP's Dummy state file (the resource "runs" there).
  func nodesRunningVIP() -> [String] {
    names.filter { FileManager.default.fileExists(atPath: dir + "/" + $0 + "/agents/rsctmp/Dummy-VIP.state") }
  }

  func dcName(_ node: String) async -> String? {
    guard let r = try? await pcs(node, ["status"]), r.status == 0 else { return nil }
    for line in r.stdout.split(separator: "\n") where line.contains("Current DC:") {
      let words = line.split(separator: " ")
      if let i = words.firstIndex(of: "DC:"), i + 1 < words.count, words[i + 1] != "NONE" { return String(words[i + 1]) }
    }
    return nil
  }

  func log(_ node: String) -> String { (try? String(contentsOfFile: dir + "/" + node + "/clusterd.log", encoding: .utf8)) ?? "" }

  /// Creates the user's group (VIP + service) with stonith off and stickiness 1, as the demo does.
  func createUserGroup(via node: String) async throws {
    for args in [
      ["property", "set", "stonith-enabled=false"],
      ["resource", "defaults", "update", "resource-stickiness=1"],
      ["resource", "create", "VIP", "ocf:heartbeat:Dummy", "op", "monitor", "interval=1s", "--group", "web"],
      [
        "resource", "create", "service", "ocf:heartbeat:anything", "binfile=/bin/sleep", "cmdline_options=infinity",
        "op", "monitor", "interval=1s", "--group", "web",
      ],
    ] {
      let r = try await pcs(node, args)
      guard r.status == 0 else { throw HarnessError("pcs \(args.joined(separator: " ")) failed: \(r.stderr)") }
    }
  }
}

/// Runs blocking work (waitpid, pipes) on a GCD thread and awaits it.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
  }
}

struct HarnessError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
