// Commands whose logic has not landed yet: each says so and fails, never pretends to work.


/// Commands that need a running cluster: pcs refuses `-f` for them.
func liveOnly(_ cmd: some PcsCommand, words: [String]) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words, alsoRefuseFile: true)
  try LiveCommands.run(cmd, words: words)  // Sources/pcs/Live (engineer "clusterd")
}

/// Which defaults `resource [op] defaults` edits: `rsc_defaults` or `op_defaults`.
enum DefaultsSection: Sendable {
  case resources
  case operations
}

/// What `pcs status` shows.
enum StatusView: Sendable {
  case cluster
  case resources
  case nodes
}
