import CIB

func runResourceCreate(_ cmd: ResourceCreate, stonith: Bool) throws(PcsFailure) {
  try createCommon(
    cmd, words: cmd.args, viaStonith: false, group: cmd.group, before: cmd.before, after: cmd.after,
    disabled: cmd.disabled, noDefaultOps: cmd.noDefaultOps)
}

func runStonithCreate(_ cmd: StonithCreate) throws(PcsFailure) {
  try createCommon(
    cmd, words: cmd.args, viaStonith: true, group: cmd.group, before: cmd.before, after: cmd.after,
    disabled: cmd.disabled, noDefaultOps: cmd.noDefaultOps)
}

private func createCommon(
  _ cmd: some PcsCommand, words: [String], viaStonith: Bool, group: String?, before: String?, after: String?,
  disabled: Bool, noDefaultOps: Bool
) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  guard words.count >= 2 else {
    throw .legacy(viaStonith ? "Usage: pcs stonith create <stonith id> <stonith device type> [stonith device options]" : "Usage: pcs resource create <resource id> [<standard>:[<provider>:]]<type> [resource options]")
  }
  let arguments = try ResourceArguments.parse(Array(words.dropFirst(2)))
  let request = ResourceCreateRequest(
    id: words[0], agent: words[1], arguments: arguments, viaStonithCommand: viaStonith, group: group, before: before,
    after: after, disabled: disabled, noDefaultOps: noDefaultOps, force: cmd.global.force)
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    try ResourceCreateEdit.apply(&cib, request)
  }
}
