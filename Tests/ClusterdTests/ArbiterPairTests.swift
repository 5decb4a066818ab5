import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Two clusterd nodes and a vigil-arbiter, each in its own network namespace: the nodes' cluster link is a bridge
/// (br0), their link to the arbiter a second one (br1), so each can be cut apart. Everything started is killed by
/// pid and every namespace deleted in `stop()`.
final class ArbiterPair: @unchecked Sendable {
  static let ip = "/usr/sbin/ip"
  static var available: Bool {
    getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
      && FileManager.default.isExecutableFile(atPath: TestCluster.bin + "/vigil-arbiter")
      && FileManager.default.fileExists(atPath: "/usr/lib/ocf/resource.d/heartbeat/Dummy")
  }

  let dir: String
  let tag = "vat\(getpid() % 100_000)"
  let names = ["node1", "node2"]
  private var namespaces: [String] = []
  private var pids: [String: pid_t] = [:]
  private let lock = NSLock()

  init() throws {
    var template = Array("/tmp/vigil-arbiter-test-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
    dir = String(cString: p)
    do { try build() } catch {
      stop()
      throw error
    }
  }

  func ns(_ node: String) -> String { tag + node }
  func socket(_ node: String) -> String { dir + "/" + node + "/clusterd.sock" }

  @discardableResult
  func sh(_ args: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: args[0])
    p.arguments = Array(args.dropFirst())
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw HarnessError("\(args.joined(separator: " ")): \(text)") }
    return text
  }

  private func build() throws {
    let hub = tag + "hub"
    for n in [hub, ns("node1"), ns("node2"), ns("arb")] {
      try sh([Self.ip, "netns", "add", n])
      namespaces.append(n)
    }
    for br in ["br0", "br1"] {
      try sh([Self.ip, "-n", hub, "link", "add", br, "type", "bridge"])
      try sh([Self.ip, "-n", hub, "link", "set", br, "up"])
    }
    // (namespace, hub end, address, device, bridge)
    let ends = [
      (ns("node1"), "c1", "10.213.12.1", "eth0", "br0"), (ns("node2"), "c2", "10.213.12.2", "eth0", "br0"),
      (ns("node1"), "a1", "10.213.13.1", "eth1", "br1"), (ns("node2"), "a2", "10.213.13.2", "eth1", "br1"),
      (ns("arb"), "a0", "10.213.13.100", "eth0", "br1"),
    ]
    for (n, hubEnd, addr, dev, br) in ends {
      try sh([Self.ip, "-n", hub, "link", "add", hubEnd, "type", "veth", "peer", "name", dev, "netns", n])
      try sh([Self.ip, "-n", n, "addr", "add", addr + "/24", "dev", dev])
      try sh([Self.ip, "-n", n, "link", "set", dev, "up"])
      try sh([Self.ip, "-n", n, "link", "set", "lo", "up"])
      try sh([Self.ip, "-n", hub, "link", "set", hubEnd, "master", br, "up"])
    }
    var conf = "totem {\n    version: 2\n    cluster_name: pair\n    token: 400\n}\nnodelist {\n"
    for (i, n) in names.enumerated() {
      conf += "    node {\n        ring0_addr: 10.213.12.\(i + 1)\n        name: \(n)\n        nodeid: \(i + 1)\n    }\n"
    }
    conf += """
      }
      quorum {
          provider: corosync_votequorum

          device {
              model: net
              votes: 1

              net {
                  algorithm: ffsplit
                  host: 10.213.13.100
              }
          }
      }

      """
    try conf.write(toFile: dir + "/corosync.conf", atomically: true, encoding: .utf8)
    var key = [UInt8](repeating: 0, count: 256)
    for i in key.indices { key[i] = UInt8.random(in: 0...255) }
    try FileManager.default.createDirectory(atPath: dir + "/keys", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: dir + "/authkey", contents: Data(key), attributes: [.posixPermissions: 0o600])
    FileManager.default.createFile(atPath: dir + "/keys/pair.authkey", contents: Data(key), attributes: [.posixPermissions: 0o600])
    for n in names { try FileManager.default.createDirectory(atPath: dir + "/" + n, withIntermediateDirectories: true) }
  }

  private func spawn(_ name: String, namespace: String, _ args: [String], log: String) throws {
    let argv0 = [Self.ip, "netns", "exec", namespace] + args
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = argv0.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    let rc = posix_spawn(&pid, argv0[0], &actions, nil, argv, environ)
    guard rc == 0 else { throw HarnessError("cannot start \(name): \(String(cString: strerror(rc)))") }
    lock.withLock { pids[name] = pid }
  }

  func startArbiter() throws {
    try spawn("arbiter", namespace: ns("arb"), [
      TestCluster.bin + "/vigil-arbiter", "--listen", "10.213.13.100", "--key-dir", dir + "/keys",
    ], log: dir + "/arbiter.log")
  }

  func start(_ node: String) throws {
    try spawn(node, namespace: ns(node), [
      TestCluster.bin + "/clusterd", "--corosync-conf", dir + "/corosync.conf", "--authkey", dir + "/authkey",
      "--state-dir", dir + "/" + node, "--node", node, "--socket", socket(node), "--private-agent-dirs",
    ], log: dir + "/" + node + "/clusterd.log")
  }

  func kill9(_ name: String) {
    guard let pid = lock.withLock({ pids.removeValue(forKey: name) }) else { return }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
  }

  /// Cuts (or restores) a node's cluster link ("c") or arbiter link ("a").
  func setLink(_ kind: String, _ node: String, up: Bool) throws {
    try sh([Self.ip, "-n", tag + "hub", "link", "set", kind + String(node.last!), up ? "up" : "down"])
  }

  func stop() {
    for name in lock.withLock({ Array(pids.keys) }) { kill9(name) }
    // Dummy leaves only state files; nothing else to kill.
    for n in namespaces.reversed() { _ = try? sh([Self.ip, "netns", "del", n]) }
    if ProcessInfo.processInfo.environment["VIGIL_KEEP_TEST_CLUSTER"] == nil { try? FileManager.default.removeItem(atPath: dir) }
  }

  func pcs(_ node: String, _ args: [String]) async -> TestCluster.Run {
    let socket = socket(node)
    return (try? await blocking {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: TestCluster.bin + "/pcs")
      p.arguments = args
      var env = ProcessInfo.processInfo.environment
      env["VIGIL_SOCKET"] = socket
      p.environment = env
      let out = Pipe()
      p.standardOutput = out
      p.standardError = FileHandle.nullDevice
      try p.run()
      let o = out.fileHandleForReading.readDataToEndOfFile()
      p.waitUntilExit()
      return TestCluster.Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: "")
    }) ?? TestCluster.Run(status: -1, stdout: "", stderr: "")
  }

  func isQuorate(_ node: String) async -> Bool { await pcs(node, ["status"]).stdout.contains("partition with quorum") }
  /// `pcs quorum status` says the arbiter's vote is counted (total votes 3 = two nodes + the device).
  func countsDeviceVote(_ node: String) async -> Bool {
    await pcs(node, ["quorum", "status"]).stdout.contains("Total votes:      3")
  }

  /// Nodes whose private state folder holds the Dummy state file of `resource`.
  func running(_ resource: String) -> [String] {
    names.filter { FileManager.default.fileExists(atPath: dir + "/" + $0 + "/agents/rsctmp/Dummy-\(resource).state") }
  }

  func eventually(timeoutS: Double, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeoutS)
    while Date() < deadline {
      if await condition() { return true }
      try? await Task.sleep(for: .milliseconds(100))
    }
    return await condition()
  }
}

/// Samples where VIP and service run every 5 ms on a thread of its own; `overlapMsMax` is the longest time either
/// ran on both nodes at once.
final class OverlapSampler: @unchecked Sendable {
  private let pair: ArbiterPair
  private let lock = NSLock()
  private var running = true
  private var since: [String: Date] = [:]
  private var longest = 0.0
  private var thread: Thread?

  init(_ pair: ArbiterPair) { self.pair = pair }

  func start() {
    let t = Thread { [self] in
      while lock.withLock({ running }) {
        let now = Date()
        lock.withLock {
          for r in ["VIP", "service"] {
            if pair.running(r).count > 1 {
              let s = since[r] ?? now
              since[r] = s
              longest = max(longest, now.timeIntervalSince(s) * 1000)
            } else {
              since[r] = nil
            }
          }
        }
        usleep(5000)
      }
    }
    thread = t
    t.start()
  }

  var overlapMsMax: Double { lock.withLock { longest } }
  func stop() { lock.withLock { running = false } }
}

@Suite(.serialized) struct ArbiterPairTests {
  /// Cut the cluster link: exactly one side keeps quorum and runs the group, the other has stopped it, never both.
  /// Then the arbiter dies: the pair keeps running; it comes back: both count its vote again.
  @Test(.enabled(if: ArbiterPair.available, "needs root, ip, resource-agents (Dummy) and .build/debug/vigil-arbiter"))
  func cutLeavesOneSideRunningAndTheArbitersDeathIsSurvived() async throws {
    let pair = try ArbiterPair()
    defer { pair.stop() }
    try pair.startArbiter()
    for n in pair.names { try pair.start(n) }
    #expect(await pair.eventually(timeoutS: 60) {
      for n in pair.names where !(await pair.countsDeviceVote(n)) { return false }
      return true
    }, "both nodes join and count the arbiter's vote")
    for args in [
      ["property", "set", "stonith-enabled=false"], ["resource", "defaults", "update", "resource-stickiness=1"],
      ["resource", "create", "VIP", "ocf:heartbeat:Dummy", "op", "monitor", "interval=1s", "--group", "web"],
      ["resource", "create", "service", "ocf:heartbeat:Dummy", "op", "monitor", "interval=1s", "--group", "web"],
    ] {
      let r = await pair.pcs("node1", args)
      try #require(r.status == 0, "pcs \(args.joined(separator: " "))")
    }
    #expect(await pair.eventually(timeoutS: 30) { pair.running("VIP").count == 1 && pair.running("service") == pair.running("VIP") })
    let owner = try #require(pair.running("VIP").first)
    let sampler = OverlapSampler(pair)
    sampler.start()
    defer { sampler.stop() }

    try pair.setLink("c", "node2", up: false)
    try await Task.sleep(for: .seconds(4))
    let quorate = await pair.names.asyncFilter { await pair.isQuorate($0) }
    #expect(quorate == [owner], "only the side running the group keeps quorum: \(quorate)")
    #expect(pair.running("VIP") == [owner] && pair.running("service") == [owner])
    try pair.setLink("c", "node2", up: true)
    #expect(await pair.eventually(timeoutS: 30) {
      for n in pair.names where !(await pair.isQuorate(n)) { return false }
      return pair.running("VIP").count == 1
    }, "the pair rejoins")

    pair.kill9("arbiter")
    try await Task.sleep(for: .seconds(2))
    for n in pair.names { #expect(await pair.isQuorate(n), "\(n) stays quorate without the arbiter (2 of 3 votes)") }
    #expect(pair.running("VIP").count == 1 && pair.running("service").count == 1)
    try pair.startArbiter()
    #expect(await pair.eventually(timeoutS: 10) {
      for n in pair.names where !(await pair.countsDeviceVote(n)) { return false }
      return true
    }, "the arbiter is back: both count its vote again")
    sampler.stop()
    print("arbiter_pair_cut double_run_ms_max=\(Int(sampler.overlapMsMax)) owner=\(owner)")
    #expect(sampler.overlapMsMax == 0, "the group ran on both nodes for \(sampler.overlapMsMax) ms")
  }
}

extension Array {
  func asyncFilter(_ keep: (Element) async -> Bool) async -> [Element] {
    var out: [Element] = []
    for e in self where await keep(e) { out.append(e) }
    return out
  }
}
