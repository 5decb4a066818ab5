import ArgumentParser

/// `pcs node ...`: standby, maintenance, node attributes and utilization.
struct NodeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "node", abstract: "Manage cluster nodes.",
    subcommands: [
      NodeStandby.self, NodeUnstandby.self, NodeMaintenance.self, NodeUnmaintenance.self,
      NodeAttribute.self, NodeUtilization.self,
    ])
}

struct NodeStandby: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "standby", abstract: "Put nodes into standby.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runNodeFlag(self, words: args, all: all, name: "standby", on: true) }
}

struct NodeUnstandby: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "unstandby", abstract: "Take nodes out of standby.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runNodeFlag(self, words: args, all: all, name: "standby", on: false) }
}

struct NodeMaintenance: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "maintenance", abstract: "Put nodes into maintenance.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runNodeFlag(self, words: args, all: all, name: "maintenance", on: true) }
}

struct NodeUnmaintenance: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "unmaintenance", abstract: "Take nodes out of maintenance.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runNodeFlag(self, words: args, all: all, name: "maintenance", on: false) }
}

/// `pcs node attribute [NODE [k=v]...]`.
struct NodeAttribute: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "attribute", abstract: "Show or set node attributes.")
  @OptionGroup var global: GlobalOptions
  @Option(name: .customLong("name")) var name: String?
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runNodeAttribute(self, words: args, utilization: false, filterName: name) }
}

/// `pcs node utilization [NODE [k=v]...]`.
struct NodeUtilization: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "utilization", abstract: "Show or set node utilization.")
  @OptionGroup var global: GlobalOptions
  @Option(name: .customLong("name")) var name: String?
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runNodeAttribute(self, words: args, utilization: true, filterName: name) }
}
