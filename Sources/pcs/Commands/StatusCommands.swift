import ArgumentParser

/// `pcs status [resources|nodes|--full]`: crm_mon's text, wrapped as pcs does.
struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Show cluster status.",
    subcommands: [StatusCluster.self, StatusResources.self, StatusNodes.self] + Pcs.membershipStatusCommands,
    defaultSubcommand: StatusCluster.self)
}

/// `pcs status` (also `pcs status cluster`, `pcs status --full`).
struct StatusCluster: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "cluster", abstract: "Show the cluster status.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Flag(name: .customLong("hide-inactive")) var hideInactive = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runStatus(self, words: args, view: .cluster, full: full) }
}

struct StatusResources: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "resources", abstract: "Show the status of resources.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("hide-inactive")) var hideInactive = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runStatus(self, words: args, view: .resources, full: false) }
}

struct StatusNodes: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "nodes", abstract: "Show the status of nodes.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runStatus(self, words: args, view: .nodes, full: false) }
}
