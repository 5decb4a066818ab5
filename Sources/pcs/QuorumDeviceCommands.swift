import ArgumentParser
import Files
import Membership

// `pcs quorum device add|update|remove|delete` and `pcs quorum device heuristics remove|delete`: edits of
// corosync.conf (`--corosync_conf FILE`, else /etc/corosync/corosync.conf of this node) in pcs 0.11.5's layout
// (QuorumDeviceEdit). The result is parsed back (corosync.conf reader and votequorum's rules) before it is written
// atomically; on any error nothing is written. Like pcs, the cluster must be restarted to use the change; unlike
// pcs, this node's file only is changed (copy it to the other nodes), and the arbiter needs the cluster's authkey
// as KEYDIR/CLUSTER.authkey (pcs exchanges certificates with corosync-qnetd instead).

struct QuorumDeviceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "device", abstract: "Manage the quorum device (Vigil's vigil-arbiter).",
    subcommands: [
      QuorumDeviceAdd.self, QuorumDeviceUpdate.self, QuorumDeviceRemove.self, QuorumDeviceDelete.self,
      QuorumDeviceHeuristics.self, QuorumDeviceStatus.self,
    ])
}

/// `pcs quorum device status`: the running node's device client, as `corosync-qdevice-tool -s` prints it.
struct QuorumDeviceStatus: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the quorum device client's status.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []

  func execute() throws(PcsFailure) {
    if args.contains("--full") {
      throw .legacy("--full is not supported: Vigil's device client does not keep corosync-qdevice-tool's verbose fields")
    }
    try rejectUnsupportedOptions(in: args)
    guard args.isEmpty else { throw .legacy("Usage: pcs quorum device status [--full]") }
    try LiveQuorum.deviceStatus()
  }
}

enum QuorumDeviceFile {
  static func path(_ global: GlobalOptions) -> String { global.corosyncConf ?? "/etc/corosync/corosync.conf" }

  /// Reads and parses the file, applies `edit`, checks the result as clusterd would read it, writes it.
  static func edit(_ global: GlobalOptions, _ edit: (ConfSection, Int) throws(PcsFailure) -> ConfSection) throws(PcsFailure) {
    let path = path(global)
    let text: String
    do { text = try FileIO.readText(path: path, bytesMax: CorosyncConfSyntax.bytesMax) } catch {
      throw .library(["Unable to read \(path): \(error.description)"])
    }
    let root: ConfSection
    let config: CorosyncConfig
    do {
      root = try CorosyncConfSyntax.parse(text)
      config = try CorosyncConfig.decode(root)
    } catch { throw .library(["Unable to parse corosync config: \(error.description)"]) }
    let edited = try edit(root, config.nodes.count)
    let out = CorosyncConfSyntax.render(edited)
    do {
      let check = try CorosyncConfig.parse(out)
      _ = try VotequorumConfig(nodes: check.nodes, options: check.quorum ?? QuorumOptions())
    } catch { throw .library(["The edited corosync config is invalid: \(error)"]) }
    do { try FileIO.writeAtomically(path: path, text: out, mode: 0o644) } catch {
      throw .library(["Unable to write \(path): \(error.description)"])
    }
  }
}

/// `pcs quorum device add [generic options] model net host=... algorithm=... [model options] [heuristics ...]`.
struct QuorumDeviceAdd: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a quorum device to corosync.conf.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []

  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    let a = try QuorumDeviceEdit.parse(args, modelNamed: true)
    guard a.model != nil else { throw .legacy("required quorum device option 'model' is missing") }
    try QuorumDeviceEdit.validate(a, adding: true, force: global.force)
    try QuorumDeviceFile.edit(global) { (root, nodes) throws(PcsFailure) in try QuorumDeviceEdit.add(root, a, nodeCount: nodes) }
  }
}

/// `pcs quorum device update [generic options] [model <model options>] [heuristics <heuristics options>]`.
struct QuorumDeviceUpdate: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "update", abstract: "Change quorum device options.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []

  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    guard !args.isEmpty else {
      throw .legacy("Usage: pcs quorum device update [<generic options>] [model <model options>] [heuristics <heuristics options>]")
    }
    let a = try QuorumDeviceEdit.parse(args, modelNamed: false)
    try QuorumDeviceEdit.validate(a, adding: false, force: global.force)
    try QuorumDeviceFile.edit(global) { (root, _) throws(PcsFailure) in try QuorumDeviceEdit.update(root, a) }
  }
}

struct QuorumDeviceRemove: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove the quorum device from corosync.conf.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try removeDevice(global, args, self) }
}

struct QuorumDeviceDelete: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove the quorum device from corosync.conf.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try removeDevice(global, args, self) }
}

private func removeDevice(_ global: GlobalOptions, _ args: [String], _ cmd: some PcsCommand) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
  guard args.allSatisfy({ $0.hasPrefix("--") }) else { throw .legacy("Usage: pcs quorum device remove") }
  try QuorumDeviceFile.edit(global) { (root, nodes) throws(PcsFailure) in try QuorumDeviceEdit.remove(root, nodeCount: nodes) }
}

struct QuorumDeviceHeuristics: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "heuristics", abstract: "Manage the quorum device's heuristics.",
    subcommands: [QuorumDeviceHeuristicsRemove.self, QuorumDeviceHeuristicsDelete.self])
}

struct QuorumDeviceHeuristicsRemove: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove the quorum device's heuristics.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    try QuorumDeviceFile.edit(global) { (root, _) throws(PcsFailure) in try QuorumDeviceEdit.removeHeuristics(root) }
  }
}

struct QuorumDeviceHeuristicsDelete: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove the quorum device's heuristics.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    try QuorumDeviceFile.edit(global) { (root, _) throws(PcsFailure) in try QuorumDeviceEdit.removeHeuristics(root) }
  }
}
