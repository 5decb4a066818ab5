import CIB

func runResourceDelete(_ cmd: some PcsCommand, stonith: Bool) throws(PcsFailure) {
  let words = cmd.args
  try cmd.rejectUnsupportedOptions(in: words)
  guard words.count == 1 else {
    throw .legacy(stonith ? "Usage: pcs stonith delete <stonith id>" : "Usage: pcs resource delete <resource id|group id|bundle id|clone id>")
  }
  let messages = try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.delete(&cib, id: words[0])
  }
  for m in messages { Console.err(m) }
}

func runResourceTargetRole(_ cmd: some PcsCommand, words: [String], enable: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  guard !words.isEmpty else { throw .legacy("You must specify resource(s) to \(enable ? "enable" : "disable")") }
  try CIBTarget.edit(cmd.global, writeUnchanged: false) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.setTargetRole(&cib, ids: words, enable: enable)
  }
}

func runResourceManage(_ cmd: some PcsCommand, words: [String], manage: Bool, monitor: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  guard !words.isEmpty else { throw .legacy("You must specify resource(s) to \(manage ? "manage" : "unmanage")") }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.setManaged(&cib, ids: words, manage: manage, monitor: monitor)
  }
}

func runResourceUpdate(_ cmd: some PcsCommand) throws(PcsFailure) {
  let words = cmd.args
  try cmd.rejectUnsupportedOptions(in: words)
  guard let id = words.first else { throw .legacy("Usage: pcs resource update <resource id> [resource options]") }
  let arguments = try ResourceArguments.parse(Array(words.dropFirst()), allowClone: false)
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.update(&cib, id: id, arguments: arguments, force: cmd.global.force)
  }
}

func runResourceMeta(_ cmd: some PcsCommand) throws(PcsFailure) {
  let words = cmd.args
  try cmd.rejectUnsupportedOptions(in: words)
  guard words.count >= 2 else { throw .legacy("Usage: pcs resource meta <resource id | group id | clone id> <meta options>") }
  let pairs = try KeyValues.parse(Array(words.dropFirst()))
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.meta(&cib, id: words[0], pairs: pairs)
  }
}

func runOpAdd(_ cmd: some PcsCommand) throws(PcsFailure) {
  let words = cmd.args
  try cmd.rejectUnsupportedOptions(in: words)
  guard words.count >= 3 else { throw .legacy("Usage: pcs resource op add <resource id> <operation action> [operation properties]") }
  let options = try KeyValues.parse(Array(words.dropFirst(2)))
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.opAdd(&cib, id: words[0], name: words[1], options: options, force: cmd.global.force)
  }
}

func runOpRemove(_ cmd: some PcsCommand) throws(PcsFailure) {
  let words = cmd.args
  try cmd.rejectUnsupportedOptions(in: words)
  guard !words.isEmpty else { throw .legacy("Usage: pcs resource op remove <resource id> <operation action> [operation properties]") }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.opRemove(&cib, words: words)
  }
}

func runUngroup(_ cmd: some PcsCommand, words: [String]) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  guard let group = words.first else { throw .legacy("Usage: pcs resource ungroup <group id> [resource id]...") }
  let messages = try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.ungroup(&cib, group: group, members: Array(words.dropFirst()))
  }
  for m in messages { Console.err(m) }
}

func runGroupList(_ cmd: some PcsCommand) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: cmd.args)
  let cib = try CIBTarget.load(cmd.global)
  var out = ""
  Section.find("resources", in: cib)?.forEachDescendant { e in
    if e.name == "group" {
      out += "\(e.id ?? ""): " + e.elements(named: "primitive").compactMap(\.id).joined(separator: " ") + "\n"
    }
  }
  Console.outRaw(out)
}

func runClone(_ cmd: some PcsCommand, words: [String], promotable: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  guard !words.isEmpty else { throw .legacy("Usage: pcs resource \(promotable ? "promotable" : "clone") <resource id | group id> [<clone id>] [clone options]...") }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.clone(&cib, words: words, promotable: promotable, force: cmd.global.force)
  }
}

func runUnclone(_ cmd: some PcsCommand) throws(PcsFailure) {
  let words = cmd.args
  try cmd.rejectUnsupportedOptions(in: words)
  guard words.count == 1 else { throw .legacy("Usage: pcs resource unclone <clone id | resource id | group id>") }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceEdits.unclone(&cib, id: words[0])
  }
}
