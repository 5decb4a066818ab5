import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Three clusterd nodes, each in its own network namespace, on a cluster bridge (br0), and a second bridge (br1) to
/// a "gateway" namespace holding the address the ping clone pings. Cutting a node's br1 link (its eth1, in its own
/// namespace) makes its ping fail at once ("Network is unreachable"). Everything started is killed by pid and every
/// namespace deleted in `stop()`.
final class PingCluster: @unchecked Sendable {
  static let ip = "/usr/sbin/ip"
  static var available: Bool {
    getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
      && FileManager.default.fileExists(atPath: "/usr/lib/ocf/resource.d/heartbeat/Dummy")
      && FileManager.default.fileExists(atPath: "/usr/lib/ocf/resource.d/pacemaker/ping")
      && FileManager.default.isExecutableFile(atPath: "/usr/bin/ping")
  }

  let dir: String
  let tag = "vpg\(getpid() % 100_000)"
  let names = ["node1", "node2", "node3"]
  static let target = "10.213.33.100"
  private var namespaces: [String] = []
  private var pids: [String: pid_t] = [:]
  private let lock = NSLock()

  init() throws {
    var template = Array("/tmp/vigil-ping-test-XXXXXX".utf8CString)
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
    for n in [hub, ns("gw")] + names.map(ns) {
      try sh([Self.ip, "netns", "add", n])
      namespaces.append(n)
    }
    for br in ["br0", "br1"] {
      try sh([Self.ip, "-n", hub, "link", "add", br, "type", "bridge"])
      try sh([Self.ip, "-n", hub, "link", "set", br, "up"])
    }
    // (namespace, hub end, address, device, bridge)
    var ends = [(ns("gw"), "g0", Self.target, "eth0", "br1")]
    for (i, n) in names.enumerated() {
      ends.append((ns(n), "c\(i + 1)", "10.213.32.\(i + 1)", "eth0", "br0"))
      ends.append((ns(n), "p\(i + 1)", "10.213.33.\(i + 1)", "eth1", "br1"))
    }
    for (n, hubEnd, addr, dev, br) in ends {
      try sh([Self.ip, "-n", hub, "link", "add", hubEnd, "type", "veth", "peer", "name", dev, "netns", n])
      try sh([Self.ip, "-n", n, "addr", "add", addr + "/24", "dev", dev])
      try sh([Self.ip, "-n", n, "link", "set", dev, "up"])
      try sh([Self.ip, "-n", n, "link", "set", "lo", "up"])
      try sh([Self.ip, "-n", hub, "link", "set", hubEnd, "master", br, "up"])
    }
    var conf = "totem {\n    version: 2\n    cluster_name: pingtest\n    token: 400\n}\nnodelist {\n"
    for (i, n) in names.enumerated() {
      conf += "    node {\n        ring0_addr: 10.213.32.\(i + 1)\n        name: \(n)\n        nodeid: \(i + 1)\n    }\n"
    }
    conf += "}\nquorum {\n    provider: corosync_votequorum\n}\n"
    try conf.write(toFile: dir + "/corosync.conf", atomically: true, encoding: .utf8)
    var key = [UInt8](repeating: 0, count: 256)
    for i in key.indices { key[i] = UInt8.random(in: 0...255) }
    FileManager.default.createFile(atPath: dir + "/authkey", contents: Data(key), attributes: [.posixPermissions: 0o600])
    for n in names { try FileManager.default.createDirectory(atPath: dir + "/" + n, withIntermediateDirectories: true) }
  }

  func start(_ node: String) throws {
    let argv0 = [Self.ip, "netns", "exec", ns(node), TestCluster.bin + "/clusterd", "--corosync-conf",
                 dir + "/corosync.conf", "--authkey", dir + "/authkey", "--state-dir", dir + "/" + node, "--node", node,
                 "--socket", socket(node), "--private-agent-dirs"]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, dir + "/" + node + "/clusterd.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = argv0.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    let rc = posix_spawn(&pid, argv0[0], &actions, nil, argv, environ)
    guard rc == 0 else { throw HarnessError("cannot start \(node): \(String(cString: strerror(rc)))") }
    lock.withLock { pids[node] = pid }
  }

  /// Cuts (or restores) the node's route to the ping target: its eth1 goes down inside its namespace.
  func setPingLink(_ node: String, up: Bool) throws {
    try sh([Self.ip, "-n", ns(node), "link", "set", "eth1", up ? "up" : "down"])
  }

  func stop() {
    for pid in lock.withLock({ () -> [pid_t] in let v = Array(pids.values); pids.removeAll(); return v }) {
      kill(pid, SIGKILL)
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
    for n in namespaces.reversed() { _ = try? sh([Self.ip, "netns", "del", n]) }
    if ProcessInfo.processInfo.environment["VIGIL_KEEP_TEST_CLUSTER"] == nil { try? FileManager.default.removeItem(atPath: dir) }
  }

  func tool(_ name: String, _ node: String, _ args: [String]) async -> TestCluster.Run {
    let socket = socket(node)
    return (try? await blocking { try TestCluster.runTool(name, socket: socket, args) })
      ?? TestCluster.Run(status: -1, stdout: "", stderr: "could not run \(name)")
  }

  func log(_ node: String) -> String { (try? String(contentsOfFile: dir + "/" + node + "/clusterd.log", encoding: .utf8)) ?? "" }

  /// The nodes whose private state folder holds the VIP's Dummy state file.
  func nodesRunningVIP() -> [String] {
    names.filter { FileManager.default.fileExists(atPath: dir + "/" + $0 + "/agents/rsctmp/Dummy-VIP.state") }
  }

  func eventually(timeoutS: Double, pollMs: Int = 100, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeoutS)
    while Date() < deadline {
      if await condition() { return true }
      try? await Task.sleep(for: .milliseconds(pollMs))
    }
    return await condition()
  }
}

/// The live ping test of issue 16's "done when": a cloned real ocf:pacemaker:ping and the standard rule keep a VIP
/// (Dummy: IPaddr2 inside these namespaces would add nothing to what is measured) off a node whose ping fails.
@Suite(.serialized)
struct PingLiveTests {
  static let monitorS = 2.0
  static let dampenS = 2.0

  @Test(.enabled(if: PingCluster.available, "root, ip, ping, Dummy and ocf:pacemaker:ping"))
  func theVIPLeavesANodeWhosePingFails() async throws {
    let c = try PingCluster()
    defer { c.stop() }
    for n in c.names { try c.start(n) }
    #expect(await c.eventually(timeoutS: 30) {
      await c.tool("pcs", "node1", ["status"]).stdout.contains("partition with quorum")
    }, "no quorate DC\n\(c.log("node1"))")
    for args in [
      ["property", "set", "stonith-enabled=false"], ["resource", "defaults", "update", "resource-stickiness=100"],
      ["resource", "create", "ping", "ocf:pacemaker:ping", "host_list=\(PingCluster.target)", "dampen=\(Int(Self.dampenS))s",
       "multiplier=1000", "attempts=1", "timeout=1", "use_fping=0", "op", "monitor", "interval=\(Int(Self.monitorS))s",
       "timeout=10s", "clone"],
      ["resource", "create", "VIP", "ocf:heartbeat:Dummy", "op", "monitor", "interval=1s"],
      ["constraint", "location", "VIP", "rule", "score=-INFINITY", "not_defined", "pingd", "or", "pingd", "lte", "0"],
    ] {
      let r = await c.tool("pcs", "node1", args)
      #expect(r.status == 0, "pcs \(args): \(r.stderr)")
    }
    #expect(await c.eventually(timeoutS: 40) {
      let q = await c.tool("attrd_updater", "node2", ["-Q", "-n", "pingd", "-A"]).stdout
      return c.names.allSatisfy { q.contains("host=\"\($0)\" value=\"1000\"") }
    }, "pingd never reached 1000 everywhere\n\(c.log("node1"))")
    #expect(await c.eventually(timeoutS: 30) { c.nodesRunningVIP().count == 1 }, "the VIP never started")
    guard let home = c.nodesRunningVIP().first else { return }

    try c.setPingLink(home, up: false)
    let cut = Date()
    let bound = Self.monitorS + Self.dampenS + 1
    #expect(await c.eventually(timeoutS: 30, pollMs: 20) {
      let r = c.nodesRunningVIP()
      return r.count == 1 && r != [home]
    }, "the VIP did not leave \(home)\n\(c.log("node1"))")
    let moved = Date().timeIntervalSince(cut)
    print("ping-vip-move seconds=\(String(format: "%.2f", moved)) bound=\(bound) monitor=\(Self.monitorS) dampen=\(Self.dampenS)")
    // The bound (monitor + dampen + 1 s) is a figure for the notes, measured on a quiet machine, not asserted here:
    // under load the daemons' loops lag. What must hold: the value was not written before its dampening ran out.
    #expect(moved >= Self.dampenS - 0.1, "the VIP moved \(moved) s after the cut, before the dampening of \(Self.dampenS) s")
    let q = await c.tool("attrd_updater", "node1", ["-Q", "-n", "pingd", "-N", home]).stdout
    #expect(q == "name=\"pingd\" host=\"\(home)\" value=\"0\"\n", "\(q)")

    // The route back: pingd returns to 1000 there; the VIP stays where it is (stickiness).
    try c.setPingLink(home, up: true)
    #expect(await c.eventually(timeoutS: 20) {
      await c.tool("attrd_updater", "node1", ["-Q", "-n", "pingd", "-N", home]).stdout.contains("value=\"1000\"")
    })
  }
}
