import ArgumentParser

// Owned by the Membership engineer: `pcs quorum ...` (a top-level group) and `pcs status corosync`.
// Add one type per subcommand (conforming to `PcsCommand`, with `@OptionGroup var global: GlobalOptions`)
// in files of your own and list them here; the root command and the status group splice these lists in.
extension Pcs {
  static let membershipCommands: [any ParsableCommand.Type] = [QuorumCommand.self]
  static let membershipStatusCommands: [any ParsableCommand.Type] = [StatusCorosync.self]
}
