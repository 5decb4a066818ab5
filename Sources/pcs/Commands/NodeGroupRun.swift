import CIB

func runNodeFlag(_ cmd: some PcsCommand, words: [String], all: Bool, name: String, on: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  if words.contains(where: { $0 == "--wait" || $0.hasPrefix("--wait=") }) && cmd.global.file != nil {
    throw .legacy("Cannot use '-f' together with '--wait'")
  }
  if words.isEmpty && !all && cmd.global.file != nil {
    throw .legacy("Node(s) must be specified if -f is used")
  }
  if !words.isEmpty && all {
    throw .legacy("Cannot specify both --all and a list of nodes.")
  }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    let known = NodeEdit.knownNodes(cib)
    var targets: [String] = all ? known : []
    if !all {
      for w in words {
        guard known.contains(w) else { throw .legacy("Node '\(w)' does not appear to exist in configuration") }
        if !targets.contains(w) { targets.append(w) }
      }
    }
    for node in targets {
      NodeEdit.update(&cib, uname: node, tag: "instance_attributes", pairs: [(name, on ? "on" : "")])
    }
  }
}

func runGroupAdd(_ cmd: ResourceGroupAdd) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: cmd.args)
  guard cmd.args.count >= 2 else { throw .legacy("Usage: pcs resource group add <group id> <resource id>...") }
  if cmd.before != nil && cmd.after != nil { throw .legacy("you cannot specify both --before and --after") }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try GroupEdit.add(&cib, group: cmd.args[0], resources: Array(cmd.args.dropFirst()), before: cmd.before, after: cmd.after)
  }
}
