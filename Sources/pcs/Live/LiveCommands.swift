import ArgumentParser
import CIB
import ControlProtocol
import Controller
import PolicyEngine
import Processes

#if canImport(Glibc)
  import Glibc
#endif

/// pcs commands that only make sense against the running cluster (refused with `-f`, as pcs refuses them):
/// resource cleanup/refresh/move, cluster start/stop, cluster timeline, quorum status, status corosync.
enum LiveCommands {
  /// Entry from `liveOnly`: dispatches on the command's name.
  static func run(_ cmd: some PcsCommand, words: [String]) throws(PcsFailure) {
    switch type(of: cmd).configuration.commandName {
    case "cleanup": try cleanup(words, refresh: false)
    case "refresh": try cleanup(words, refresh: true)
    case "move": try move(words)
    case "start": try clusterStart(words, all: (cmd as? ClusterStart)?.all ?? false)
    default: throw .legacy("unable to get cib")
    }
  }

  // MARK: cleanup / refresh

  static func cleanup(_ words: [String], refresh: Bool) throws(PcsFailure) {
    var resource: String?
    var node: String?
    for w in words {
      if w.hasPrefix("node=") { node = String(w.dropFirst(5)) } else if w.contains("=") {
        continue  // operation=, interval=: accepted, the whole resource is cleaned
      } else if resource == nil { resource = w } else {
        throw .legacy("Usage: pcs resource \(refresh ? "refresh" : "cleanup") [<resource id>] [node=<node>]")
      }
    }
    let cib = try LiveCIB.load()
    if let resource, Resources.find(resource, in: cib) == nil {
      throw .legacy("Unable to find resource: \(resource)")
    }
    _ = try LiveCIB.send(.cleanup(resource: resource, node: node, refresh: refresh))
    if refresh {
      Console.out("Waiting for 1 reply from the controller")
      Console.out("... got reply (done)")
      return
    }
    guard let resource else {
      Console.out("Cleaned up all resources on \(node ?? "all nodes")")
      return
    }
    let nodes = node.map { [$0] } ?? NodeEdit.knownNodes(cib).sorted()
    for n in nodes { Console.out("Cleaned up \(resource) on \(n)") }
  }

  // MARK: move (pcs 0.11: a temporary constraint, removed once the resource has moved)

  static func move(_ words: [String]) throws(PcsFailure) {
    guard let rsc = words.first, !rsc.contains("=") else {
      throw .legacy("Usage: pcs resource move <resource id> [destination node] [--promoted] [--strict] [--wait[=n]]")
    }
    let target = words.dropFirst().first { !$0.contains("=") }
    var cib = try LiveCIB.load()
    let base = cib
    guard Resources.find(rsc, in: cib) != nil else {
      throw .library("bundle/clone/group/resource '\(rsc)' does not exist")
    }
    let before = runningNodes(rsc, cib)
    if let target, !NodeEdit.knownNodes(cib).contains(target) {
      throw .library("Node '\(target)' does not appear to exist in configuration")
    }
    guard target != nil || before.count == 1 else {
      throw .library("Resource '\(rsc)' is not running on any node, specify a destination node")
    }
    let id = target != nil ? "cli-prefer-\(rsc)" : "cli-ban-\(rsc)-on-\(before[0])"
    let constraint = CIBElement(
      "rsc_location",
      ["id": id, "rsc": rsc, "role": "Started", "node": target ?? before[0], "score": target != nil ? "INFINITY" : "-INFINITY"])
    let cons = ConstraintEdits.constraintsPath(&cib)
    var e = cib[path: cons]
    e.children.removeAll { if case .element(let l) = $0 { l.id == id } else { false } }
    e.append(constraint)
    cib[path: cons] = e
    try LiveCIB.replace(cib, base: base)
    Console.err("Location constraint to move resource '\(rsc)' has been created")
    Console.err("Waiting for the cluster to apply configuration changes...")
    try waitSettled(timeoutS: 60)
    var after = try LiveCIB.load()
    let afterBase = after
    let afterCons = ConstraintEdits.constraintsPath(&after)
    var e2 = after[path: afterCons]
    e2.children.removeAll { if case .element(let l) = $0 { l.id == id } else { false } }
    after[path: afterCons] = e2
    try LiveCIB.replace(after, base: afterBase)
    Console.err("Location constraint created to move resource '\(rsc)' has been removed")
    Console.err("Waiting for the cluster to apply configuration changes...")
    let settled = try waitSettled(timeoutS: 60)
    let now = runningNodes(rsc, settled)
    if now.isEmpty {
      throw .library("Resource '\(rsc)' is not running on any node")
    }
    Console.err("resource '\(rsc)' is running on node '\(now.joined(separator: "', '"))'")
  }

  /// Nodes where the resource (for a group: its first member) runs, from the live CIB.
  static func runningNodes(_ rsc: String, _ cib: CIBElement) -> [String] {
    guard let input = try? CIBReader.read(cib, now: Int64(time(nil))) else { return [] }
    let state = interpretStatus(input)
    guard let r = state.resourceByID[rsc] else { return [] }
    let prims = state.allPrimitives(under: r)
    guard let first = prims.first ?? (state.resources[r].isPrimitive ? r : nil) else { return [] }
    return state.resources[first].runningOn.map { state.nodes[$0].name }.sorted()
  }

  /// Waits until the DC would have nothing left to do for the live CIB (the controller core's own test), at most `timeoutS`.
  @discardableResult
  static func waitSettled(timeoutS: Int) throws(PcsFailure) -> CIBElement {
    var waitedMs = 0
    var idleSeen = 0
    while true {
      let cib = try LiveCIB.load()
      if ControllerCore.isSettled(cib, now: Int64(time(nil))) {
        idleSeen += 1
        if idleSeen >= 3 { return cib }
      } else {
        idleSeen = 0
      }
      if waitedMs >= timeoutS * 1000 {
        throw .library("Waiting timeout: the cluster did not settle within \(timeoutS) s")
      }
      usleep(100_000)
      waitedMs += 100
    }
  }

  static func onlineNodeIDs(_ cib: CIBElement) -> [String] {
    guard let status = cib.firstElement(named: "status") else { return [] }
    return status.elements(named: "node_state").filter { $0[attribute: "in_ccm"] == "true" }.compactMap(\.id)
  }

  // MARK: cluster start / stop

  static func clusterStart(_ words: [String], all: Bool) throws(PcsFailure) {
    if (try? LiveCIB.client(timeoutMs: 5_000).send(.status)) != nil {
      Console.out("Starting Cluster...")
      return
    }
    if all || !words.isEmpty {
      throw .legacy("Starting other machines' nodes needs 'pcs cluster setup' access to them (see docs/ARCHITECTURE.md, clusterd)")
    }
    Console.out("Starting Cluster...")
    // systemd's own start timeout is 90 s by default: past 120 s systemctl itself is stuck.
    let outcome = ProcessRunner.runBlocking(
      "/usr/bin/systemctl", ["start", "clusterd.service"], limits: ProcessLimits(timeout: .seconds(120)))
    if !outcome.succeeded {
      throw .legacy("Unable to start clusterd: systemctl start clusterd.service: \(outcome.reason)")
    }
  }

  static func clusterStop(_ words: [String], all: Bool) throws(PcsFailure) {
    let notRunning = PcsFailure.legacy("Unable to stop the cluster: clusterd is not running")
    if all || !words.isEmpty {
      _ = try LiveCIB.send(.stopNodes(all ? [] : words), notRunning: notRunning)
      for n in (all ? [] : words) { Console.out("\(n): Stopping Cluster...") }
      if all { Console.out("Stopping Cluster (all nodes)...") }
      return
    }
    Console.out("Stopping Cluster...")
    _ = try LiveCIB.send(.shutdown, notRunning: notRunning)
    // Wait until this node's clusterd has moved its resources away and exited (its socket goes away).
    for _ in 0..<600 {
      if (try? LiveCIB.client(timeoutMs: 2_000).send(.status)) == nil { return }
      usleep(100_000)
    }
    throw .legacy("clusterd did not stop within 60 s")
  }


  // MARK: timeline

  static func timeline(json: Bool) throws(PcsFailure) {
    let response = try LiveCIB.send(.timeline)
    let timeline = response.timeline ?? FailoverTimeline()
    if json {
      Console.out(timeline.json())
    } else {
      Console.outRaw(timeline.text())
    }
  }
}

/// `pcs cluster stop [--all | NODE...]`: stops clusterd gracefully (resources move away first).
struct ClusterStop: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop cluster services (live only).")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    try LiveCommands.clusterStop(args, all: all)
  }
}

/// `pcs cluster timeline [--output-as json]`: the failover timeline of each incident this node saw.
struct ClusterTimeline: PcsCommand {
  static let configuration = CommandConfiguration(
    commandName: "timeline", abstract: "Show the failover timeline (detection, new view, transition, stop, start).")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    try LiveCommands.timeline(json: global.outputAs == .json)
  }
}

/// Test-only (hidden): `pcs cluster isolate on|off` flips this node's membership fault switch.
struct ClusterIsolate: PcsCommand {
  static let configuration = CommandConfiguration(
    commandName: "isolate", abstract: "Test only: drop this node's cluster traffic.", shouldDisplay: false)
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    guard args == ["on"] || args == ["off"] else { throw .legacy("Usage: pcs cluster isolate on|off") }
    _ = try LiveCIB.send(.setIsolated(args == ["on"]))
  }
}

/// Quorum and membership of the running node (`pcs quorum status`, `pcs status corosync`).
enum LiveQuorum {
  static func quorumStatus() throws(PcsFailure) {
    let r = try LiveCIB.send(.quorum, notRunning: .legacy("Unable to get quorum status: Cannot initialize CMAP service"))
    Console.outRaw(r.quorum?.quorumtoolText ?? "")
  }
  /// pcs prints corosync-qdevice-tool's text and a newline; without a running device client, its error.
  static func deviceStatus() throws(PcsFailure) {
    let notRunning = PcsFailure.legacy(
      "Unable to get quorum status: corosync-qdevice-tool: Can't connect to QDevice socket (is QDevice running?): "
        + "No such file or directory")
    let r = try LiveCIB.send(.quorum, notRunning: notRunning)
    guard let text = r.quorum?.qdeviceText else { throw notRunning }
    Console.outRaw(text + "\n")
  }
  static func corosync() throws(PcsFailure) {
    let r = try LiveCIB.send(.quorum, notRunning: .legacy("corosync not running"))
    Console.outRaw(r.quorum?.membershipText ?? "")
  }
}

extension Pcs {
  /// `pcs cluster` subcommands that need the running cluster.
  static let clusterdClusterCommands: [any ParsableCommand.Type] = [ClusterStop.self, ClusterTimeline.self, ClusterIsolate.self]
}

/// Commands that need a running cluster: pcs refuses `-f` for them.
func liveOnly(_ cmd: some PcsCommand, words: [String]) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words, alsoRefuseFile: true)
  try LiveCommands.run(cmd, words: words)
}
