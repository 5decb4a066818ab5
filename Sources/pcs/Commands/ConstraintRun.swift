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
  let words = cmd.args
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

/// How every `constraint location|colocation|order` line starts: pcs's warning about negative numbers, its refusal
/// of options the command does not know, then a listing of that kind (no words, `config`, `show`) or a deletion
/// (`delete|remove ID...`). Returns the words left for the kind's own syntax, nil when the line is done.
private func constraintKindWords(_ cmd: some PcsCommand, kind: String, full: Bool) throws(PcsFailure) -> [String]? {
  warnNegativePositionals(cmd.args)
  let args = cmd.args.filter { $0 != "--" }
  try cmd.rejectUnsupportedOptions(in: args)
  if args.isEmpty || args[0] == "config" || args[0] == "show" {
    try listConstraints(cmd, kind: kind, full: full)
    return nil
  }
  if args[0] == "delete" || args[0] == "remove" {
    try deleteConstraints(cmd, Array(args.dropFirst()))
    return nil
  }
  return args
}

/// `constraint colocation|order set RSC... [options] [set RSC... [options]]... [setoptions k=v...]`.
private func createSetConstraint(_ cmd: some PcsCommand, kind: SetConstraintEdit.Kind, words: [String]) throws(PcsFailure) {
  guard let parsed = try SetConstraintEdit.parse(words) else { throw .usage(ConstraintCommand.self) }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try SetConstraintEdit.create(&cib, kind: kind, sets: parsed.sets, options: parsed.options, force: cmd.global.force)
  }
}

func runConstraintLocation(_ cmd: some PcsCommand, full: Bool) throws(PcsFailure) {
  guard let args = try constraintKindWords(cmd, kind: "location", full: full) else { return }
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
    let upgraded = try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
      try ConstraintEdits.locationRule(&cib, rsc: args[0], words: Array(args.dropFirst(2)), force: force)
    }
    if let upgraded { Console.err(upgraded) }
  default:
    throw .usage(ConstraintCommand.self)
  }
}

func runConstraintColocation(_ cmd: some PcsCommand, full: Bool) throws(PcsFailure) {
  guard let args = try constraintKindWords(cmd, kind: "colocation", full: full) else { return }
  switch args[0] {
  case "add":
    try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
      try ConstraintEdits.colocationAdd(&cib, words: Array(args.dropFirst()), force: cmd.global.force)
    }
  case "set": try createSetConstraint(cmd, kind: .colocation, words: Array(args.dropFirst()))
  default: throw .usage(ConstraintCommand.self)
  }
}

func runConstraintOrder(_ cmd: some PcsCommand, full: Bool) throws(PcsFailure) {
  guard let args = try constraintKindWords(cmd, kind: "order", full: full) else { return }
  switch args[0] {
  case "set": try createSetConstraint(cmd, kind: .order, words: Array(args.dropFirst()))
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
  let words = cmd.args
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
