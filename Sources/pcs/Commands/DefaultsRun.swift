import CIB

func runDefaults(_ cmd: some PcsCommand, words: [String], section: DefaultsSection, full: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  let tag = section == .resources ? "rsc_defaults" : "op_defaults"
  let updateCommand = section == .resources ? "pcs resource defaults update" : "pcs resource op defaults update"
  var rest = words[...]
  if rest.isEmpty || rest.first == "config" {
    let cib = try CIBTarget.load(cmd.global)
    let sets = Section.find(tag, in: cib)?.elements(named: "meta_attributes") ?? []
    if cmd.global.outputAs == .json {
      Console.out(JSON.array(sets.map(DefaultsView.json)).render())
      return
    }
    if sets.isEmpty {
      Console.out("No defaults set")
      return
    }
    var out = ""
    for set in sets { out += DefaultsView.text(set) }
    Console.outRaw(out)
    return
  }
  if rest.first == "update" {
    rest = rest.dropFirst()
  } else {
    Console.deprecation("This command is deprecated and will be removed. Please use '\(updateCommand)' instead.")
  }
  let pairs = try KeyValues.parse(Array(rest))
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    var ids = IdProvider(cib)
    let sectionPath = Section.path(tag, &cib)
    let setPath: ElementPath
    if let i = cib[path: sectionPath].childIndex(named: "meta_attributes") {
      setPath = sectionPath + [i]
    } else {
      let id = ids.allocate("\(tag)-meta_attributes")
      cib.insert(CIBElement("meta_attributes", ["id": id]), into: sectionPath, at: 0)
      setPath = sectionPath + [0]
    }
    NVSets.update(&cib, set: setPath, pairs: pairs, ids: &ids)
  }
  Console.warn("Defaults do not apply to resources which override them with their own defined values")
}

/// How `resource [op] defaults` shows a set.
enum DefaultsView {
  static func text(_ set: CIBElement) -> String {
    var out = "Meta Attrs: \(set.id ?? "")\n"
    for p in NVSets.pairs(set).sorted(by: { $0.name < $1.name }) { out += "  \(p.name)=\(p.value)\n" }
    return out
  }

  static func json(_ set: CIBElement) -> JSON {
    .object([
      ("id", .string(set.id ?? "")),
      ("nvpairs", .array(NVSets.pairs(set).sorted { $0.name < $1.name }.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })),
    ])
  }
}

/// Which defaults `resource [op] defaults` edits: `rsc_defaults` or `op_defaults`.
enum DefaultsSection: Sendable {
  case resources
  case operations
}
