import ArgumentParser
import Membership

// `pcs quorum [config|status]` and `pcs status corosync`. The texts come from Membership's pure renderers
// (QuorumStatusText); the live commands need a running node, which this build has no IPC to yet, so they fail
// with pcs's own messages for "corosync is not running".

/// `pcs quorum`: quorum configuration (default) and status.
struct QuorumCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quorum", abstract: "Manage cluster quorum settings.",
    subcommands: [QuorumConfig.self, QuorumStatusCommand.self, QuorumDeviceCommand.self], defaultSubcommand: QuorumConfig.self)
}

/// `pcs quorum [config]`: the votequorum options set in corosync.conf, as pcs lists them.
struct QuorumConfig: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "config", abstract: "Show quorum configuration.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []

  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args)
    let path = global.corosyncConf ?? "/etc/corosync/corosync.conf"
    let conf: CorosyncConfig
    do {
      conf = try CorosyncConfig.load(path: path)
    } catch {
      if case .io = error { throw .library("Unable to read \(path): \(error.description)") }
      throw .library("Unable to parse corosync config: \(error.description)")
    }
    Console.outRaw(QuorumConfigText.render(conf.quorum ?? QuorumOptions(provider: nil)))
  }
}

/// `pcs quorum status`: `corosync-quorumtool -s` of the running node.
struct QuorumStatusCommand: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "status", abstract: "Show quorum runtime status.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []

  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args)
    try LiveQuorum.quorumStatus()  // the running node's state, through clusterd (Sources/pcs/Live)
  }
}

/// `pcs status quorum`: the same as `pcs quorum status`.
struct StatusQuorum: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "quorum", abstract: "Show quorum runtime status.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []

  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args)
    try LiveQuorum.quorumStatus()
  }
}

/// `pcs status corosync`: the membership table of the running node.
struct StatusCorosync: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "corosync", abstract: "Show corosync membership.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []

  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args)
    if global.corosyncConf != nil { throw .legacy("Specified option '--corosync_conf' is not supported in this command") }
    try LiveQuorum.corosync()
  }
}

/// `pcs quorum config` text: "Options:" then the options pcs shows, sorted by name.
enum QuorumConfigText {
  static func render(_ q: QuorumOptions) -> String {
    var options: [(String, String)] = []
    if let v = q.autoTieBreaker { options.append(("auto_tie_breaker", v ? "1" : "0")) }
    if let v = q.lastManStanding { options.append(("last_man_standing", v ? "1" : "0")) }
    if let v = q.lastManStandingWindowMs { options.append(("last_man_standing_window", String(v))) }
    if let v = q.waitForAll { options.append(("wait_for_all", v ? "1" : "0")) }
    var out = "Options:\n"
    for (k, v) in options.sorted(by: { $0.0 < $1.0 }) { out += "  \(k): \(v)\n" }
    if let d = q.device?.section { out += device(d) }
    return out
  }
}

extension QuorumConfigText {
  /// pcs's "Device:" block: generic options sorted, "Model: NAME" with its options, "Heuristics:" with theirs.
  static func device(_ d: ConfSection) -> String {
    func sortedPairs(_ s: ConfSection) -> [(String, String)] {
      var o: [String: String] = [:]
      for case .pair(let k, let v, _) in s.entries { o[k] = v }
      return o.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    var out = "Device:\n"
    let generic = sortedPairs(d)
    for (k, v) in generic where k != "model" { out += "  \(k): \(v)\n" }
    if let model = generic.first(where: { $0.0 == "model" })?.1 {
      out += "  Model: \(model)\n"
      if let m = d.sections(named: model).last { for (k, v) in sortedPairs(m) { out += "    \(k): \(v)\n" } }
    }
    if let h = d.sections(named: "heuristics").last {
      out += "  Heuristics:\n"
      for (k, v) in sortedPairs(h) { out += "    \(k): \(v)\n" }
    }
    return out
  }
}
