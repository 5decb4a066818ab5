import ArgumentParser

// The membership commands: `pcs quorum ...` (a top-level group) and `pcs status corosync`. One type per subcommand
// (conforming to `PcsCommand`, with `@OptionGroup var global: GlobalOptions`), listed here; the root command and the
// status group splice these lists in.
extension Pcs {
  static let membershipCommands: [any ParsableCommand.Type] = [QuorumCommand.self, QdeviceCommand.self]
  static let membershipStatusCommands: [any ParsableCommand.Type] = [StatusCorosync.self, StatusQuorum.self]
}
