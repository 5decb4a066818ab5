import ArgumentParser

/// `pcs stonith ...`: fencing devices (primitives of class stonith).
struct StonithCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stonith", abstract: "Manage fencing devices.",
    subcommands: [
      StonithStatus.self, StonithConfig.self, StonithCreate.self, StonithDelete.self, StonithEnable.self,
      StonithDisable.self, StonithUpdate.self, StonithMeta.self,
    ]
      + Pcs.lrmStonithCommands,
    defaultSubcommand: StonithStatus.self)
}

struct StonithStatus: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the status of fencing devices.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runStonithStatus(self) }
}

struct StonithConfig: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "config", abstract: "Show the configuration of fencing devices.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceConfig(self, stonith: true) }
}

/// `pcs stonith create ID AGENT [k=v]... [op ...] [meta ...]`.
struct StonithCreate: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a fencing device.")
  @OptionGroup var global: GlobalOptions
  @Option(name: .customLong("group")) var group: String?
  @Option(name: .customLong("before")) var before: String?
  @Option(name: .customLong("after")) var after: String?
  @Flag(name: .customLong("disabled")) var disabled = false
  @Flag(name: .customLong("no-default-ops")) var noDefaultOps = false
  @Flag(name: .customLong("agent-validation")) var agentValidation = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runStonithCreate(self) }
}

struct StonithDelete: PcsCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete", abstract: "Delete a fencing device.", aliases: ["remove"])
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceDelete(self, stonith: true) }
}
