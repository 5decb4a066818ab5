#if canImport(Glibc)
  import Glibc
#endif
import CorosyncHarness
import Dispatch
import Membership
import MembershipNodeKit
import Testing

/// The user's flow on the corosync backend, with real processes only: three network namespaces, each running real
/// corosync 3.1.7 and our clusterd with `vigil { membership: corosync }` in corosync.conf. A group of a real
/// ocf:heartbeat:IPaddr2 (the address really appears on the node's eth0) and an ocf:heartbeat:anything service
/// starts on one node, `pcs node standby` moves it, unstandby leaves it (stickiness), and kill -9 of the holder's
/// clusterd and corosync moves it to a survivor. `pcs quorum status` through clusterd prints what
/// corosync-quorumtool prints on that node.
@Suite(.serialized, .enabled(if: CorosyncClusterdEndToEnd.unavailable == nil, "needs root, corosync, namespaces, clusterd, pcs"))
struct CorosyncClusterdEndToEndTests {
  @Test(.timeLimit(.minutes(4)))
  func groupStandbyAndKillNineFailoverOnCorosync() async throws {
    try await CorosyncClusterdEndToEnd().run()
  }
}

struct CorosyncClusterdEndToEnd {
  static let bin = corosyncRepoRoot() + "/.build/debug"
  static let clusterd = bin + "/clusterd"
  static let pcs = bin + "/pcs"
  static let agents = ["IPaddr2", "anything"].map { "/usr/lib/ocf/resource.d/heartbeat/" + $0 }
  static let vip = "10.213.9.100"

  /// Nil when the test can run here; otherwise why not (printed once, so a skipped run says so).
  static let unavailable: String? = {
    var reason = NamespaceCluster.unavailableReason()
    for f in [clusterd, pcs] + agents where reason == nil && access(f, X_OK) != 0 { reason = "\(f) is missing" }
    if let reason { print("CorosyncClusterdEndToEndTests: SKIPPED: \(reason)") }
    return reason
  }()

  let names = [1: "n1", 2: "n2", 3: "n3"]

  func run() async throws {
    let t0 = ChildProcess.monotonicMs()
    func mark(_ phase: String) { print("CorosyncClusterdEndToEnd: \(phase) at +\(ChildProcess.monotonicMs() - t0) ms") }
    let cluster = try NamespaceCluster(
      spec: ClusterSpec(nodes: 3, tokenMs: 1000, extraConfig: "vigil {\n  membership: corosync\n}\n"),
      clientBinary: Self.clusterd)
    // Services the agents started outlive a kill -9 of clusterd (as on a real crash): killed by their pid files.
    defer {
      for i in 1...3 { killAgentServices(stateDir(cluster, i)) }
      cluster.destroy()
    }
    func context(_ i: Int) -> String {
      "n\(i) clusterd log:\n\(NamespaceCluster.tail(cluster.nodeDir(i) + "/clusterd.log", lines: 25))\ncorosync:\n\(cluster.logTail(i, lines: 6))"
    }

    for i in 1...3 { try cluster.startCorosync(i) }
    // clusterd connects to a running corosync: wait until each node's corosync is up and quorate.
    for i in 1...3 {
      try #require(
        await eventually(timeoutMs: 30_000) {
          (try? await onThread { try cluster.runInNode(i, "/usr/sbin/corosync-quorumtool", ["-s"]) }) != nil
        },
        "corosync on n\(i) never became quorate: \(cluster.logTail(i))")
    }
    mark("corosync quorate")
    for i in 1...3 {
      try cluster.startDaemon(
        i, path: Self.clusterd,
        arguments: [
          "--corosync-conf", cluster.nodeDir(i) + "/corosync.conf", "--state-dir", stateDir(cluster, i),
          "--node", names[i]!, "--socket", socket(cluster, i), "--private-agent-dirs",
        ],
        log: cluster.nodeDir(i) + "/clusterd.log")
    }
    for i in 1...3 {
      try #require(
        await eventually(timeoutMs: 60_000) {
          let s = await pcs(cluster, i, ["status"])
          return s.status == 0 && s.output.contains("partition with quorum") && s.output.contains("Online: [ n1 n2 n3 ]")
        }, "clusterd on n\(i) never saw a quorate 3-node cluster: \(context(i))")
    }
    let status = await pcs(cluster, 1, ["status"]).output
    #expect(status.contains("corosync"), "pcs status names the membership backend:\n\(status)")
    mark("clusterd up")

    // pcs quorum status (clusterd over votequorum) prints what corosync-quorumtool -s prints in that namespace.
    for i in [1, 3] {
      let ours = await pcs(cluster, i, ["quorum", "status"])
      let real = try await onThread { try cluster.runInNode(i, "/usr/sbin/corosync-quorumtool", ["-s"]) }
      #expect(ours.status == 0, "\(ours.output)")
      #expect(comparable(ours.output) == comparable(real), "n\(i) ours:\n\(ours.output)\nreal:\n\(real)")
      let membership = await pcs(cluster, i, ["status", "corosync"])
      #expect(membership.status == 0)
      #expect(membership.output.contains(" n\(i) (local)"), "\(membership.output)")
      for n in 1...3 { #expect(membership.output.contains(" n\(n)"), "\(membership.output)") }
    }

    // The user's group: a real IP address and a service.
    for args in [
      ["property", "set", "stonith-enabled=false"],
      ["resource", "defaults", "update", "resource-stickiness=1"],
      [
        "resource", "create", "VIP", "ocf:heartbeat:IPaddr2", "ip=\(Self.vip)", "cidr_netmask=24", "op", "monitor",
        "interval=2s", "--group", "web",
      ],
      [
        "resource", "create", "service", "ocf:heartbeat:anything", "binfile=/bin/sleep", "cmdline_options=infinity",
        "op", "monitor", "interval=2s", "--group", "web",
      ],
    ] {
      let r = await pcs(cluster, 2, args)
      try #require(r.status == 0, "pcs \(args.joined(separator: " ")): \(r.output)")
    }
    var home: Int?
    #expect(
      await eventually(timeoutMs: 60_000) {
        home = await groupNode(cluster, 1)
        guard let h = home else { return false }
        return await nodesHoldingVIP(cluster, among: [1, 2, 3]) == [h]
      }, "the group never started together on one node with its address: \(context(1))")
    guard let first = home else { return }
    mark("group started on n\(first)")

    // Standby moves the group (and the address) away; unstandby leaves it where it is (stickiness 1).
    try #require(await pcs(cluster, 3, ["node", "standby", "n\(first)"]).status == 0)
    var second: Int?
    #expect(
      await eventually(timeoutMs: 60_000) {
        second = await groupNode(cluster, 1)
        guard let s = second, s != first else { return false }
        return await nodesHoldingVIP(cluster, among: [1, 2, 3]) == [s]
      }, "standby did not move the group: \(context(1))")
    #expect(await pcs(cluster, 1, ["status"]).output.contains("Node n\(first): standby"))
    guard let holder = second else { return }
    #expect(await pcs(cluster, 3, ["node", "unstandby", "n\(first)"]).status == 0)
    #expect(
      await eventually(timeoutMs: 30_000) { !(await pcs(cluster, 1, ["status"]).output.contains("standby")) },
      "unstandby did not show")
    #expect(await groupNode(cluster, 1) == holder, "unstandby moved the group despite stickiness")
    mark("standby/unstandby done, group on n\(holder)")

    // kill -9 of the holder's clusterd and corosync: the group runs on a survivor, which keeps quorum.
    try await onThread {
      cluster.killDaemon(holder)
      cluster.killCorosync(holder)
    }
    let survivors = [1, 2, 3].filter { $0 != holder }
    var third: Int?
    #expect(
      await eventually(timeoutMs: 60_000) {
        third = await groupNode(cluster, survivors[0])
        guard let t = third, survivors.contains(t) else { return false }
        return await nodesHoldingVIP(cluster, among: survivors) == [t]
      }, "the group did not move to a survivor: \(context(survivors[0]))")
    let after = await pcs(cluster, survivors[1], ["quorum", "status"]).output
    #expect(after.contains("Quorate:          Yes"), "\(after)")
    #expect(!after.contains(" n\(holder)"), "the killed node is still listed:\n\(after)")
    mark("failover to n\(third ?? 0) done")
  }

  // MARK: helpers

  func stateDir(_ c: NamespaceCluster, _ i: Int) -> String { c.nodeDir(i) + "/clusterd" }
  func socket(_ c: NamespaceCluster, _ i: Int) -> String { c.nodeDir(i) + "/clusterd.sock" }

  /// Our pcs against node i's clusterd (its control socket); output is stdout and stderr together.
  func pcs(_ c: NamespaceCluster, _ i: Int, _ args: [String]) async -> (status: Int32, output: String) {
    let argv = ["VIGIL_SOCKET=" + socket(c, i), Self.pcs] + args
    let r: Result<String, HarnessError>? = try? await onThread {
      Result { () throws(HarnessError) -> String in try NamespaceCluster.run("/usr/bin/env", argv, timeoutMs: 40_000) }
    }
    switch r {
    case .success(let out): return (0, out)
    case .failure(.command(_, let status, let output)): return (status, output)
    case .failure(let e): return (-1, "\(e)")
    case nil: return (-1, "pcs did not run")
    }
  }

  /// The node (1...3) where both group members run, if they run together on exactly one node (as `pcs status
  /// resources` on node `via` shows it).
  func groupNode(_ c: NamespaceCluster, _ via: Int) async -> Int? {
    let r = await pcs(c, via, ["status", "resources"])
    guard r.status == 0 else { return nil }
    var state: [String: String] = [:]
    for line in r.output.split(separator: "\n") {
      let parts = line.split(separator: "\t")
      guard parts.count >= 3 else { continue }
      var name = Substring(parts[0])
      while let f = name.first, f == " " || f == "*" { name.removeFirst() }
      var value = Substring(parts[2])
      while value.first == " " { value.removeFirst() }
      while value.last == " " { value.removeLast() }
      state[String(name)] = String(value)
    }
    guard let v = state["VIP"], v == state["service"], v.hasPrefix("Started n") else { return nil }
    guard let n = Int(v.dropFirst("Started n".count)), names[n] != nil else { return nil }
    return n
  }

  /// The nodes whose eth0 holds the group's address (IPaddr2 really added it there), sorted.
  func nodesHoldingVIP(_ c: NamespaceCluster, among nodes: [Int]) async -> [Int] {
    var out: [Int] = []
    for i in nodes.sorted() {
      let ns = c.namespace(i)
      let text = (try? await onThread { try NamespaceCluster.run(NamespaceCluster.ip, ["-n", ns, "-4", "addr", "show", "dev", "eth0"]) }) ?? ""
      if text.contains(" \(Self.vip)/") { out.append(i) }
    }
    return out
  }

  /// corosync-quorumtool's lines without the date (and trailing blanks), for comparison.
  func comparable(_ text: String) -> [String] {
    text.split(separator: "\n").map { l in
      var t = Substring(l)
      while t.last == " " { t.removeLast() }
      return String(t)
    }.filter { !$0.hasPrefix("Date:") && !$0.isEmpty }
  }

  /// Polls `condition` every 200 ms until it holds or `timeoutMs` passes: a bound on waiting, not a timing check.
  func eventually(timeoutMs: Int, _ condition: () async -> Bool) async -> Bool {
    let deadline = ChildProcess.monotonicMs() + Int64(timeoutMs)
    while ChildProcess.monotonicMs() < deadline {
      if await condition() { return true }
      try? await Task.sleep(for: .milliseconds(200))
    }
    return await condition()
  }

  /// SIGKILL of every pid named by a pid file in the node's private agent run folder.
  func killAgentServices(_ stateDir: String) {
    guard let d = opendir(stateDir + "/agents/run") else { return }
    var files: [String] = []
    while let e = readdir(d) {
      let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name.hasSuffix(".pid") { files.append(stateDir + "/agents/run/" + name) }
    }
    closedir(d)
    for f in files.sorted() {
      let text = NamespaceCluster.tail(f, lines: 1).filter { $0.isNumber }
      if let pid = Int32(text), pid > 1 { kill(pid, SIGKILL) }
    }
  }
}

/// Runs blocking work on a GCD thread and awaits it.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
  }
}
