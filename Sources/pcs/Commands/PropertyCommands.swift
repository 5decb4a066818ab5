import ArgumentParser

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
