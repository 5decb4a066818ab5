import ArgumentParser

// MARK: stonith

/// `pcs stonith ...`: fencing devices (primitives of class stonith).
struct StonithCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stonith", abstract: "Manage fencing devices.",
    subcommands: [StonithStatus.self, StonithConfig.self, StonithCreate.self, StonithDelete.self]
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

// MARK: property

/// `pcs property ...`: cluster options in `cib-bootstrap-options`.
struct PropertyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "property", abstract: "Manage cluster properties.",
    subcommands: [PropertyConfig.self, PropertySet.self, PropertyUnset.self, PropertyList.self, PropertyShow.self],
    defaultSubcommand: PropertyConfig.self)
}

struct PropertyConfig: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "config", abstract: "List cluster properties.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Flag(name: .customLong("defaults")) var defaults = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runPropertyConfig(self, words: args, all: all, defaults: defaults, deprecatedAs: nil) }
}

/// `pcs property list` (deprecated spelling of `config`).
struct PropertyList: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "Deprecated: use 'property config'.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Flag(name: .customLong("defaults")) var defaults = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runPropertyConfig(self, words: args, all: all, defaults: defaults, deprecatedAs: "list") }
}

/// `pcs property show` (deprecated spelling of `config`).
struct PropertyShow: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "show", abstract: "Deprecated: use 'property config'.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all")) var all = false
  @Flag(name: .customLong("defaults")) var defaults = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runPropertyConfig(self, words: args, all: all, defaults: defaults, deprecatedAs: "show") }
}

struct PropertySet: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "set", abstract: "Set cluster properties: NAME=VALUE...")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runPropertySet(self, words: args, unset: false) }
}

struct PropertyUnset: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "unset", abstract: "Remove cluster properties: NAME...")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runPropertySet(self, words: args, unset: true) }
}

// MARK: constraint

/// `pcs constraint ...`: location, colocation and order constraints.
struct ConstraintCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "constraint", abstract: "Manage constraints.",
    subcommands: [
      ConstraintConfig.self, ConstraintLocation.self, ConstraintColocation.self, ConstraintOrder.self,
      ConstraintDelete.self, ConstraintRef.self,
    ],
    defaultSubcommand: ConstraintConfig.self)
}

struct ConstraintConfig: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "config", abstract: "List all constraints.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runConstraintList(self, kind: nil, full: full) }
}

/// `pcs constraint location RSC prefers|avoids NODE[=SCORE]...`, `location add ID RSC NODE SCORE`,
/// `location RSC rule ...`, `location [config]`, `location delete|remove ID`.
struct ConstraintLocation: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "location", abstract: "Location constraints.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runConstraintLocation(self, full: full) }
}

/// `pcs constraint colocation add [ROLE] RSC with [ROLE] RSC2 [SCORE] [k=v]...`, `colocation [config]`, `... delete`.
struct ConstraintColocation: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "colocation", abstract: "Colocation constraints.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runConstraintColocation(self, full: full) }
}

/// `pcs constraint order [ACTION] RSC then [ACTION] RSC2 [k=v]...`, `order [config]`, `... delete`.
struct ConstraintOrder: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "order", abstract: "Order constraints.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Flag(name: .customLong("all")) var all = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runConstraintOrder(self, full: full) }
}

/// `pcs constraint delete|remove ID...`.
struct ConstraintDelete: PcsCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete", abstract: "Delete constraints by id.", aliases: ["remove"])
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runConstraintDelete(self, words: args) }
}

/// `pcs constraint ref RSC...`.
struct ConstraintRef: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "ref", abstract: "List constraints referencing a resource.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runConstraintRef(self) }
}

// MARK: node

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

// MARK: status

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

// MARK: cluster

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

// MARK: config

/// `pcs config`: cluster name, corosync nodes, resources, stonith, constraints, properties.
struct ConfigCommand: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "config", abstract: "Show the whole cluster configuration.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runConfig(self) }
}
