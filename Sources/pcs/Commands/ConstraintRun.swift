import CIB

private func listConstraints(_ cmd: some PcsCommand, kind: String?, full: Bool) throws(PcsFailure) {
  let cib = try CIBTarget.load(cmd.global)
  if cmd.global.outputAs == .json {
    Console.out(ConstraintEdits.json(cib).render())
    return
  }
  let cons = Section.find("constraints", in: cib) ?? CIBElement("constraints")
  let lines: [String]
  switch kind {
  case "location": lines = ConstraintEdits.locationLines(cons, full: full)
  case "order": lines = ConstraintEdits.orderLines(cons, full: full)
  case "colocation": lines = ConstraintEdits.colocationLines(cons, full: full)
  default: lines = ConstraintEdits.allLines(cib, full: full)
  }
  Console.outRaw(lines.map { $0 + "\n" }.joined())
}

func runConstraintList(_ cmd: some PcsCommand, kind: String?, full: Bool) throws(PcsFailure) {
  let words = (cmd as? ConstraintConfig)?.args ?? []
  try cmd.rejectUnsupportedOptions(in: words)
  if !words.isEmpty && !typedCommandWord("config") { throw .usage(ConstraintCommand.self) }
  try listConstraints(cmd, kind: kind, full: full)
}

/// pcs warns about negative numbers typed as positional arguments before a `--`.
private func warnNegativePositionals(_ words: [String]) {
  for w in words.prefix(while: { $0 != "--" }) where w.hasPrefix("-") && !w.hasPrefix("--") && w.count > 1 {
    Console.deprecation(
      "Using '\(w)' without '--' is deprecated, those parameters will be considered position independent options in future pcs versions")
  }
}

private func deleteConstraints(_ cmd: some PcsCommand, _ ids: [String]) throws(PcsFailure) {
  guard !ids.isEmpty else { throw .legacy("You must specify constraint id(s) to remove") }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ConstraintEdits.delete(&cib, ids: ids)
  }
}

func runConstraintLocation(_ cmd: some PcsCommand, full: Bool) throws(PcsFailure) {
  let words = (cmd as? ConstraintLocation)?.args ?? []
  warnNegativePositionals(words)
  try cmd.rejectUnsupportedOptions(in: words.filter { $0 != "--" })
  let args = words.filter { $0 != "--" }
  if args.isEmpty || args[0] == "config" || args[0] == "show" {
    try listConstraints(cmd, kind: "location", full: full)
    return
  }
  if args[0] == "delete" || args[0] == "remove" {
    try deleteConstraints(cmd, Array(args.dropFirst()))
    return
  }
  let force = cmd.global.force
  if args[0] == "add" {
    if cmd.global.file != nil { Console.warn("Validation for node existence in the cluster will be skipped") }
    try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
      try ConstraintEdits.locationAdd(&cib, words: Array(args.dropFirst()), force: force)
    }
    return
  }
  guard args.count >= 2 else { throw .usage(ConstraintCommand.self) }
  switch args[1] {
  case "prefers", "avoids":
    guard args.count >= 3 else { throw .usage(ConstraintCommand.self) }
    if cmd.global.file != nil { Console.warn("Validation for node existence in the cluster will be skipped") }
    try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
      try ConstraintEdits.prefers(&cib, rsc: args[0], pairs: Array(args.dropFirst(2)), avoids: args[1] == "avoids", force: force)
    }
  case "rule":
    try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
      try ConstraintEdits.locationRule(&cib, rsc: args[0], words: Array(args.dropFirst(2)), force: force)
    }
  default:
    throw .usage(ConstraintCommand.self)
  }
}

func runConstraintColocation(_ cmd: some PcsCommand, full: Bool) throws(PcsFailure) {
  let words = (cmd as? ConstraintColocation)?.args ?? []
  warnNegativePositionals(words)
  let args = words.filter { $0 != "--" }
  try cmd.rejectUnsupportedOptions(in: args)
  if args.isEmpty || args[0] == "config" || args[0] == "show" {
    try listConstraints(cmd, kind: "colocation", full: full)
    return
  }
  switch args[0] {
  case "delete", "remove": try deleteConstraints(cmd, Array(args.dropFirst()))
  case "add":
    try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
      try ConstraintEdits.colocationAdd(&cib, words: Array(args.dropFirst()), force: cmd.global.force)
    }
  case "set":
    guard let parsed = try SetConstraintEdit.parse(Array(args.dropFirst())) else { throw .usage(ConstraintCommand.self) }
    try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
      try SetConstraintEdit.create(&cib, kind: .colocation, sets: parsed.sets, options: parsed.options, force: cmd.global.force)
    }
  default: throw .usage(ConstraintCommand.self)
  }
}

func runConstraintOrder(_ cmd: some PcsCommand, full: Bool) throws(PcsFailure) {
  let words = (cmd as? ConstraintOrder)?.args ?? []
  warnNegativePositionals(words)
  let args = words.filter { $0 != "--" }
  try cmd.rejectUnsupportedOptions(in: args)
  if args.isEmpty || args[0] == "config" || args[0] == "show" {
    try listConstraints(cmd, kind: "order", full: full)
    return
  }
  switch args[0] {
  case "delete", "remove": try deleteConstraints(cmd, Array(args.dropFirst()))
  case "set":
    guard let parsed = try SetConstraintEdit.parse(Array(args.dropFirst())) else { throw .usage(ConstraintCommand.self) }
    try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
      try SetConstraintEdit.create(&cib, kind: .order, sets: parsed.sets, options: parsed.options, force: cmd.global.force)
    }
  default:
    try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
      try ConstraintEdits.orderAdd(&cib, words: args, force: cmd.global.force)
    }
  }
}

func runConstraintDelete(_ cmd: some PcsCommand, words: [String]) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  try deleteConstraints(cmd, words)
}

func runConstraintRef(_ cmd: some PcsCommand) throws(PcsFailure) {
  let words = (cmd as? ConstraintRef)?.args ?? []
  try cmd.rejectUnsupportedOptions(in: words)
  guard !words.isEmpty else { throw .legacy("Usage: pcs constraint ref <resource>...") }
  let cib = try CIBTarget.load(cmd.global)
  var out = ""
  for rsc in words {
    out += "Resource: \(rsc)\n"
    let refs = ConstraintEdits.references(cib, rsc)
    out += refs.isEmpty ? "  No Matches.\n" : refs.map { "  \($0)\n" }.joined()
  }
  Console.outRaw(out)
}
