import Foundation
import TestKit
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Two clusterd nodes and a vigil-arbiter, each in its own network namespace: the nodes' cluster link is a bridge
/// (br0), their link to the arbiter a second one (br1), their link to a gateway namespace (10.213.14.100, which
/// heuristics ping) a third (br2), so each can be cut apart. The quorum device is added with pcs. Everything
/// started is killed by pid and every namespace deleted in `stop()`.
final class ArbiterPair: @unchecked Sendable {
  static let ip = "/usr/sbin/ip"
  static var available: Bool {
    getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
      && FileManager.default.isExecutableFile(atPath: TestCluster.bin + "/vigil-arbiter")
      && FileManager.default.fileExists(atPath: "/usr/lib/ocf/resource.d/heartbeat/Dummy")
  }
  static let gateway = "10.213.14.100"

  let dir: String
  let tag = "vat\(getpid() % 100_000)"
  let names = ["node1", "node2"]
  private var namespaces: [String] = []
  private var pids: [String: pid_t] = [:]
  private let lock = NSLock()

  /// `heuristics`: what follows `heuristics` on `pcs quorum device add` (nil: none).
  init(heuristics: [String]? = nil) throws {
    var template = Array("/tmp/vigil-arbiter-test-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
    dir = String(cString: p)
    do { try build(heuristics: heuristics) } catch {
      stop()
      throw error
    }
  }

  func ns(_ node: String) -> String { tag + node }
  func socket(_ node: String) -> String { dir + "/" + node + "/clusterd.sock" }

  @discardableResult
  func sh(_ args: [String]) throws -> String {
    // TestProcess's default deadline: `ip` waits on the kernel's network-namespace lock, which other suites'
    // namespace teardowns can hold for tens of seconds on a loaded CI machine (an `addr add` took over 30 s once).
    let r = try TestProcess.run(args[0], Array(args.dropFirst()))
    guard r.status == 0 else { throw HarnessError("\(args.joined(separator: " ")): \(r.stdout)\(r.stderr)") }
    return r.stdout
  }

  private func build(heuristics: [String]?) throws {
    let hub = tag + "hub"
    for n in [hub, ns("node1"), ns("node2"), ns("arb"), ns("gw")] {
      try sh([Self.ip, "netns", "add", n])
      namespaces.append(n)
    }
    for br in ["br0", "br1", "br2"] {
      try sh([Self.ip, "-n", hub, "link", "add", br, "type", "bridge"])
      try sh([Self.ip, "-n", hub, "link", "set", br, "up"])
    }
    // (namespace, hub end, address, device, bridge)
    let ends = [
      (ns("node1"), "c1", "10.213.12.1", "eth0", "br0"), (ns("node2"), "c2", "10.213.12.2", "eth0", "br0"),
      (ns("node1"), "a1", "10.213.13.1", "eth1", "br1"), (ns("node2"), "a2", "10.213.13.2", "eth1", "br1"),
      (ns("arb"), "a0", "10.213.13.100", "eth0", "br1"),
      (ns("node1"), "g1", "10.213.14.1", "eth2", "br2"), (ns("node2"), "g2", "10.213.14.2", "eth2", "br2"),
      (ns("gw"), "g0", Self.gateway, "eth0", "br2"),
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
    conf += "}\nquorum {\n    provider: corosync_votequorum\n}\n"
    try conf.write(toFile: dir + "/corosync.conf", atomically: true, encoding: .utf8)
    var add = [
      TestCluster.bin + "/pcs", "--corosync_conf", dir + "/corosync.conf", "quorum", "device", "add", "model", "net",
      "host=10.213.13.100", "algorithm=ffsplit",
    ]
    if let heuristics { add += ["heuristics"] + heuristics }
    try sh(add)
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

  /// Cuts (or restores) a node's cluster link ("c"), arbiter link ("a") or gateway link ("g").
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
    return (try? await blocking { try TestCluster.runTool("pcs", socket: socket, args) })
      ?? TestCluster.Run(status: -1, stdout: "", stderr: "")
  }

  /// Starts the arbiter and both nodes, waits until both count the arbiter's vote, and creates the group web
  /// (VIP, service: Dummy) with stonith off and stickiness 1; returns when it runs on one node.
  func startWithGroup() async throws {
    try startArbiter()
    for n in names { try start(n) }
    #expect(await eventually(timeoutS: 60) {
      for n in names where !(await countsDeviceVote(n)) { return false }
      return true
    }, "both nodes join and count the arbiter's vote")
    for args in [
      ["property", "set", "stonith-enabled=false"], ["resource", "defaults", "update", "resource-stickiness=1"],
      ["resource", "create", "VIP", "ocf:heartbeat:Dummy", "op", "monitor", "interval=1s", "--group", "web"],
      ["resource", "create", "service", "ocf:heartbeat:Dummy", "op", "monitor", "interval=1s", "--group", "web"],
    ] {
      let r = await pcs("node1", args)
      try #require(r.status == 0, "pcs \(args.joined(separator: " "))")
    }
    #expect(await eventually(timeoutS: 30) { running("VIP").count == 1 && running("service") == running("VIP") })
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
    await TestCluster.eventually(timeoutS: timeoutS, condition)
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
    try await pair.startWithGroup()
    let owner = try #require(pair.running("VIP").first)
    let device = await pair.pcs("node2", ["quorum", "device", "status"])
    #expect(device.status == 0 && device.stdout.hasPrefix("Qdevice information\n-------------------\nModel:\t\t\tNet\nNode ID:\t\t2\n"))
    #expect(device.stdout.contains("Membership node list:\t1, 2\n") && device.stdout.contains("State:\t\t\tConnected\n"), "\(device.stdout)")
    let quorum = await pair.pcs("node1", ["status", "quorum"]).stdout
    #expect(quorum.contains("Flags:            Quorate Qdevice \n") && quorum.contains("         1          1    A,V,NMW node1 (local)\n")
      && quorum.contains("         0          1            Qdevice\n"), "\(quorum)")
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

  static var pingAvailable: Bool { ArbiterPair.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/ping") }

  /// Heuristics (mode sync: run on each membership change) ping the gateway. The owner of the group loses its
  /// gateway, then the cluster link: the even split goes to the other node, whose ping still passes, and the group
  /// moves there without ever running on both.
  @Test(.enabled(if: pingAvailable, "needs root, ip, ping (iputils-ping), resource-agents (Dummy) and vigil-arbiter"))
  func theNodeThatLosesItsGatewayLosesTheTie() async throws {
    let pair = try ArbiterPair(heuristics: ["mode=sync", "exec_ping=/usr/bin/ping -q -c 1 -W 1 \(ArbiterPair.gateway)"])
    defer { pair.stop() }
    let conf = try String(contentsOfFile: pair.dir + "/corosync.conf", encoding: .utf8)
    #expect(conf.contains("        heuristics {\n            exec_ping: /usr/bin/ping -q -c 1 -W 1 \(ArbiterPair.gateway)\n            mode: sync\n"), "\(conf)")
    try await pair.startWithGroup()
    let owner = try #require(pair.running("VIP").first)
    let other = pair.names.first { $0 != owner }!
    #expect(await pair.pcs(owner, ["quorum", "device", "status"]).stdout.contains("Heuristics result:\tPass\n"))
    let sampler = OverlapSampler(pair)
    sampler.start()
    defer { sampler.stop() }

    try pair.setLink("g", owner, up: false)
    try pair.setLink("c", "node2", up: false)
    #expect(await pair.eventually(timeoutS: 20) {
      pair.running("VIP") == [other] && pair.running("service") == [other]
    }, "the group moves to \(other), which still reaches the gateway")
    let quorate = await pair.names.asyncFilter { await pair.isQuorate($0) }
    #expect(quorate == [other], "only the side passing its heuristics keeps quorum: \(quorate)")
    sampler.stop()
    print("arbiter_heuristics_cut double_run_ms_max=\(Int(sampler.overlapMsMax)) owner=\(owner) winner=\(other)")
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
