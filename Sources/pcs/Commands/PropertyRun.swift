import CIB

func runPropertySet(_ cmd: some PcsCommand, words: [String], unset: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  let pairs: [(String, String)]
  if unset {
    if words.isEmpty { throw .legacy("Usage: pcs property unset <property>...") }
    pairs = words.map { ($0, "") }
  } else {
    if words.isEmpty { throw .legacy("Usage: pcs property set <property>=[<value>]...") }
    pairs = try KeyValues.parse(words)
  }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try PropertyEdit.apply(&cib, pairs: pairs, unset: unset, force: cmd.global.force)
  }
}

func runPropertyConfig(
  _ cmd: some PcsCommand, words: [String], all: Bool, defaults: Bool, deprecatedAs: String?
) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  if deprecatedAs != nil {
    Console.deprecation("This command is deprecated and will be removed. Please use 'pcs property config' instead.")
  }
  let cib = try CIBTarget.load(cmd.global)
  let configured = PropertyEdit.configured(cib)
  var lines: [(name: String, value: String)]
  if defaults || all {
    var merged: [String: String] = [:]
    // pcs lists every option with a default except the two the DC alone writes.
    for o in ClusterOptions.table where !["cluster-infrastructure", "dc-version"].contains(o.name) {
      merged[o.name] = o.defaultValue
    }
    if all { for p in configured { merged[p.name] = p.value } }
    lines = merged.map { ($0.key, $0.value) }.sorted { $0.name < $1.name }
  } else {
    lines = configured
  }
  if !words.isEmpty { lines = lines.filter { words.contains($0.name) } }
  if cmd.global.outputAs == .json {
    Console.out(JSON.object([("properties", .array(lines.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) }))]).render())
    return
  }
  var out = "Cluster Properties:\n"
  for l in lines { out += " \(l.name): \(l.value)\n" }
  Console.outRaw(out)
}
