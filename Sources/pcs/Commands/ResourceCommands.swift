import ArgumentParser

/// `pcs resource ...`: primitives, groups, clones, their options and operations, defaults, moves.
struct ResourceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resource",
    abstract: "Manage cluster resources.",
    subcommands: [
      ResourceStatus.self, ResourceConfig.self, ResourceCreate.self, ResourceDelete.self,
      ResourceEnable.self, ResourceDisable.self, ResourceManage.self, ResourceUnmanage.self,
      ResourceUpdate.self, ResourceMeta.self, ResourceGroupCommand.self, ResourceUngroup.self,
      ResourceClone.self, ResourcePromotable.self, ResourceUnclone.self, ResourceOpCommand.self,
      ResourceDefaults.self, ResourceMoveWithConstraint.self, ResourceMove.self, ResourceBan.self,
      ResourceClear.self, ResourceCleanup.self, ResourceRefresh.self, ResourceFailcount.self,
      ResourceUtilization.self,
    ] + Pcs.lrmResourceCommands,
    defaultSubcommand: ResourceStatus.self)
}

/// `pcs resource [status]`: the resources part of crm_mon.
struct ResourceStatus: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the status of resources.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("hide-inactive")) var hideInactive = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceStatus(self) }
}

/// `pcs resource config [ID]...`.
struct ResourceConfig: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "config", abstract: "Show the configuration of resources.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceConfig(self, stonith: false) }
}

/// `pcs resource create ID AGENT [k=v]... [op NAME k=v...]... [meta k=v...] [clone|promotable ...]`.
struct ResourceCreate: PcsCommand {
  static let configuration = CommandConfiguration(
    commandName: "create", abstract: "Create a resource (default operations come from the agent's metadata).")
  @OptionGroup var global: GlobalOptions
  @Option(name: .customLong("group")) var group: String?
  @Option(name: .customLong("before")) var before: String?
  @Option(name: .customLong("after")) var after: String?
  @Flag(name: .customLong("disabled")) var disabled = false
  @Flag(name: .customLong("no-default-ops")) var noDefaultOps = false
  @Flag(name: .customLong("agent-validation")) var agentValidation = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceCreate(self, stonith: false) }
}

/// `pcs resource delete|remove ID`.
struct ResourceDelete: PcsCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete", abstract: "Delete a resource, group, or clone.", aliases: ["remove"])
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceDelete(self, stonith: false) }
}

/// `pcs resource enable ID...`.
struct ResourceEnable: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "enable", abstract: "Allow the cluster to start resources.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceTargetRole(self, words: args, enable: true) }
}

/// `pcs resource disable ID...`.
struct ResourceDisable: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "disable", abstract: "Stop resources and keep them stopped.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceTargetRole(self, words: args, enable: false) }
}

/// `pcs resource manage ID... [--monitor]`.
struct ResourceManage: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "manage", abstract: "Set resources to managed mode.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("monitor")) var monitor = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceManage(self, words: args, manage: true, monitor: monitor) }
}

/// `pcs resource unmanage ID... [--monitor]`.
struct ResourceUnmanage: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "unmanage", abstract: "Set resources to unmanaged mode.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("monitor")) var monitor = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceManage(self, words: args, manage: false, monitor: monitor) }
}

/// `pcs resource update ID [k=v]... [op NAME k=v...]... [meta k=v...]`.
struct ResourceUpdate: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "update", abstract: "Change options of a resource.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceUpdate(self) }
}

/// `pcs resource meta ID k=v...`.
struct ResourceMeta: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "meta", abstract: "Change meta attributes of a resource.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceMeta(self) }
}

/// `pcs resource group add|remove|list`.
struct ResourceGroupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "group", abstract: "Manage resource groups.",
    subcommands: [ResourceGroupAdd.self, ResourceGroupRemove.self, ResourceGroupList.self])
}

/// `pcs resource group add GROUP RSC... [--before RSC | --after RSC]`.
struct ResourceGroupAdd: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "add", abstract: "Add resources to a group (created if needed).")
  @OptionGroup var global: GlobalOptions
  @Option(name: .customLong("before")) var before: String?
  @Option(name: .customLong("after")) var after: String?
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runGroupAdd(self) }
}

/// `pcs resource group remove|delete GROUP [RSC]...`.
struct ResourceGroupRemove: PcsCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove", abstract: "Remove resources from a group, or the whole group.", aliases: ["delete"])
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runUngroup(self, words: args) }
}

/// `pcs resource group list`.
struct ResourceGroupList: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List groups and their members.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runGroupList(self) }
}

/// `pcs resource ungroup GROUP [RSC]...`.
struct ResourceUngroup: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "ungroup", abstract: "Remove a group, keeping its resources.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runUngroup(self, words: args) }
}

/// `pcs resource clone RSC|GROUP [CLONE_ID] [k=v]...`.
struct ResourceClone: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "clone", abstract: "Clone a resource or group.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runClone(self, words: args, promotable: false) }
}

/// `pcs resource promotable RSC|GROUP [CLONE_ID] [k=v]...`.
struct ResourcePromotable: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "promotable", abstract: "Make a promotable clone.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runClone(self, words: args, promotable: true) }
}

/// `pcs resource unclone CLONE|RSC|GROUP`.
struct ResourceUnclone: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "unclone", abstract: "Remove a clone, keeping its resource.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runUnclone(self) }
}

/// `pcs resource op add|remove|defaults`.
struct ResourceOpCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "op", abstract: "Manage operations of resources.",
    subcommands: [ResourceOpAdd.self, ResourceOpRemove.self, ResourceOpDefaults.self])
}

/// `pcs resource op add RSC NAME k=v...`.
struct ResourceOpAdd: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an operation to a resource.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runOpAdd(self) }
}

/// `pcs resource op remove|delete RSC NAME [k=v]...` or `... OP_ID`.
struct ResourceOpRemove: PcsCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove", abstract: "Remove an operation from a resource.", aliases: ["delete"])
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runOpRemove(self) }
}

/// `pcs resource op defaults [config|update k=v...|k=v...]`.
struct ResourceOpDefaults: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "defaults", abstract: "Show or set operation defaults.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Flag(name: .customLong("full")) var full = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runDefaults(self, words: args, section: .operations, full: full) }
}

/// `pcs resource defaults [config|update k=v...|k=v...]`.
struct ResourceDefaults: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "defaults", abstract: "Show or set resource defaults.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Flag(name: .customLong("full")) var full = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runDefaults(self, words: args, section: .resources, full: full) }
}

/// `pcs resource move-with-constraint RSC [NODE] [lifetime=L] [--promoted]`.
struct ResourceMoveWithConstraint: PcsCommand {
  static let configuration = CommandConfiguration(
    commandName: "move-with-constraint", abstract: "Move a resource by adding a location constraint.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("promoted")) var promoted = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runMoveBan(self, words: args, ban: false, promoted: promoted) }
}

/// `pcs resource move`: needs a live cluster (refused with -f, as in pcs 0.11).
struct ResourceMove: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "move", abstract: "Move a resource (live cluster only).")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try liveOnly(self, words: args) }
}

/// `pcs resource ban RSC [NODE] [lifetime=L] [--promoted]`.
struct ResourceBan: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "ban", abstract: "Keep a resource off a node.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("promoted")) var promoted = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runMoveBan(self, words: args, ban: true, promoted: promoted) }
}

/// `pcs resource clear RSC [NODE]`.
struct ResourceClear: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove move and ban constraints.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("promoted")) var promoted = false
  @Flag(name: .customLong("expired")) var expired = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runClear(self, words: args) }
}

/// `pcs resource cleanup`: needs a live cluster.
struct ResourceCleanup: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "cleanup", abstract: "Forget failed operations (live cluster only).")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try liveOnly(self, words: args) }
}

/// `pcs resource refresh`: needs a live cluster.
struct ResourceRefresh: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "refresh", abstract: "Forget operation history (live cluster only).")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try liveOnly(self, words: args) }
}

/// `pcs resource failcount [show [RSC]]`.
struct ResourceFailcount: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "failcount", abstract: "Show fail counts.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runFailcount(self, words: args, full: full) }
}

/// `pcs resource utilization [RSC [k=v]...]`.
struct ResourceUtilization: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "utilization", abstract: "Show or set resource utilization.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runResourceUtilization(self, words: args) }
}
