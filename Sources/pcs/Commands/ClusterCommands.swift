import ArgumentParser

/// `pcs cluster ...`: setup (writes corosync.conf), cib, verify, start.
struct ClusterCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cluster", abstract: "Configure cluster options and nodes.",
    subcommands: [ClusterSetup.self, ClusterCIB.self, ClusterVerify.self, ClusterStart.self]
      + Pcs.clusterdClusterCommands)
}

/// `pcs cluster setup NAME NODE [addr=ADDR]... --corosync_conf FILE`.
struct ClusterSetup: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "setup", abstract: "Write corosync.conf for a new cluster.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runClusterSetup(self) }
}

/// `pcs cluster cib [FILE]`: print (or save) the CIB.
struct ClusterCIB: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "cib", abstract: "Print the raw CIB, or save it to FILE.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runClusterCIB(self, words: args) }
}

/// `pcs cluster verify [--full]`.
struct ClusterVerify: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the CIB for errors.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runClusterVerify(self, words: args, full: full) }
}

/// `pcs cluster start`: live only.
struct ClusterStart: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "start", abstract: "Start cluster services (live only).")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try liveOnly(self, words: args) }
}
