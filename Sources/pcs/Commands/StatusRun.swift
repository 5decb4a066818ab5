import CIB

#if canImport(Glibc)
  import Glibc
#endif

func runStatus(_ cmd: some PcsCommand, words: [String], view: StatusView, full: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  if view == .cluster && !words.isEmpty && !typedCommandWord("cluster") { throw .usage(StatusCommand.self) }
  var clusterName = ""
  // Without -f: the running cluster (Sources/pcs/Live).
  if cmd.global.file == nil { return try LiveStatus.run(cmd, view: view, full: full) }
  if view == .cluster {
    guard cmd.global.file != nil else {
      throw PcsFailure(lines: [
        "Error: error running crm_mon, is pacemaker running?", "  error: Could not connect to launcher: Connection refused",
        "  crm_mon: Connection to cluster failed: Connection refused",
      ])
    }
    guard let conf = cmd.global.corosyncConf else {
      throw .legacy("When '-f' is specified, '--corosync_conf' must be specified as well")
    }
    clusterName = try CorosyncConf.clusterName(conf)
  }
  let cib = try CIBTarget.load(cmd.global)
  let model = StatusReader.read(cib)
  if cmd.global.outputAs == .json {
    Console.out(StatusJSON.render(model, view: view).render())
    return
  }
  switch view {
  case .cluster:
    Console.outRaw(StatusText.cluster(model, clusterName: clusterName, full: full, now: StatusClock.now()))
  case .resources:
    let lines = StatusText.resourceLines(model, full: false, includeStonith: false)
    Console.outRaw(lines.isEmpty ? "NO resources configured\n" : lines.joined())
  case .nodes:
    Console.outRaw(StatusText.nodes(model))
  }
}

func runResourceStatus(_ cmd: ResourceStatus) throws(PcsFailure) {
  if !cmd.args.isEmpty && !typedCommandWord("status") { throw .usage(ResourceCommand.self) }
  try runStatus(cmd, words: [], view: .resources, full: false)
}

func runStonithStatus(_ cmd: some PcsCommand) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: [])
  let cib = try CIBTarget.load(cmd.global)
  let model = StatusReader.read(cib)
  var lines: [String] = []
  for r in model.resources {
    if case .primitive(let p) = r, p.stonith { lines += StatusText.resource(r, indent: 2, full: false, nodes: model.nodes.map(\.name)) }
  }
  Console.outRaw(lines.isEmpty ? "NO stonith devices configured\n" : lines.joined())
}

/// The wall clock for crm_mon's "Last updated" line (the only place status output depends on time).
enum StatusClock {
  static func now() -> String { StatusText.ctime(Int64(time(nil))) }
}

/// Reads what pcs needs from corosync.conf (the Membership module owns the full parser).
enum CorosyncConf {
  static func clusterName(_ path: String) throws(PcsFailure) -> String {
    guard let bytes = FileBytes.read(path, bytesMax: 4 << 20) else {
      throw .legacy("Unable to read \(path): No such file or directory")
    }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      let t = line.trimmingCharacters(in: " \t")
      if t.hasPrefix("cluster_name:") {
        return String(t.dropFirst("cluster_name:".count)).trimmingCharacters(in: " \t")
      }
    }
    return ""
  }

  /// Node names from the nodelist (`name:` or `ring0_addr:` of each node block).
  static func nodeNames(_ path: String) -> [String] {
    guard let bytes = FileBytes.read(path, bytesMax: 4 << 20) else { return [] }
    var names: [String] = []
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      let t = line.trimmingCharacters(in: " \t")
      if t.hasPrefix("name:") { names.append(String(t.dropFirst(5)).trimmingCharacters(in: " \t")) }
    }
    return names
  }
}

extension Substring {
  func trimmingCharacters(in set: String) -> String {
    var s = self[...]
    while let f = s.first, set.contains(f) { s = s.dropFirst() }
    while let l = s.last, set.contains(l) { s = s.dropLast() }
    return String(s)
  }
}

extension String {
  func trimmingCharacters(in set: String) -> String { self[...].trimmingCharacters(in: set) }
}

/// What `pcs status` shows.
enum StatusView: Sendable {
  case cluster
  case resources
  case nodes
}
