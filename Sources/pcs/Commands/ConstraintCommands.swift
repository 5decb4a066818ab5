import ArgumentParser

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
