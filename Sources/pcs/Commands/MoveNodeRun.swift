import CIB

func runMoveBan(_ cmd: some PcsCommand, words: [String], ban: Bool, promoted: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  guard let rsc = words.first else {
    throw .legacy("Usage: pcs resource \(ban ? "ban" : "move-with-constraint") <resource id> [node]")
  }
  let rest = words.dropFirst()
  let node = rest.first { !$0.contains("=") }
  if rest.contains(where: { $0.hasPrefix("lifetime=") }) { throw cmd.notYetImplemented("lifetime=") }
  let messages = try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) -> [String] in
    guard Resources.find(rsc, in: cib) != nil else {
      throw .library("bundle/clone/group/resource '\(rsc)' does not exist")
    }
    guard let node else { throw .legacy("You must specify a node when moving/banning a stopped resource") }
    let role = promoted ? "Promoted" : "Started"
    let cons = ConstraintEdits.constraintsPath(&cib)
    var e = cib[path: cons]
    let id = ban ? "cli-ban-\(rsc)-on-\(node)" : "cli-prefer-\(rsc)"
    // crm_resource replaces its own constraint, and a move to a node lifts the ban on that node.
    e.children.removeAll { c in
      guard case .element(let l) = c, l.name == "rsc_location" else { return false }
      return l.id == id || (!ban && l.id == "cli-ban-\(rsc)-on-\(node)")
    }
    e.append(
      CIBElement("rsc_location", ["id": id, "rsc": rsc, "role": role, "node": node, "score": ban ? "-INFINITY" : "INFINITY"]))
    cib[path: cons] = e
    if ban {
      return [
        "Warning: Creating location constraint '\(id)' with a score of -INFINITY for resource \(rsc) on \(node).",
        "\tThis will prevent \(rsc) from running on \(node) until the constraint is removed",
        "\tThis will be the case even if \(node) is the last node in the cluster",
      ]
    }
    return ["Warning: A move constraint has been created and the resource '\(rsc)' may or may not move depending on other configuration"]
  }
  for m in messages { Console.err(m) }
}

func runClear(_ cmd: some PcsCommand, words: [String]) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  guard let rsc = words.first else { throw .legacy("Usage: pcs resource clear <resource id> [node]") }
  let node = words.dropFirst().first
  let removed = try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) -> [String] in
    guard Resources.find(rsc, in: cib) != nil else {
      throw .library("bundle/clone/group/resource '\(rsc)' does not exist")
    }
    let cons = ConstraintEdits.constraintsPath(&cib)
    var e = cib[path: cons]
    var removed: [String] = []
    e.children.removeAll { c in
      guard case .element(let l) = c, l.name == "rsc_location", let id = l.id else { return false }
      let prefer = id == "cli-prefer-\(rsc)" && (node == nil || l[attribute: "node"] == node)
      let hit = prefer || (node.map { id == "cli-ban-\(rsc)-on-\($0)" } ?? id.hasPrefix("cli-ban-\(rsc)-on-"))
      if hit { removed.append(id) }
      return hit
    }
    cib[path: cons] = e
    return removed.sorted()
  }
  for id in removed { Console.err("Removing constraint: \(id)") }
}

func runNodeAttribute(_ cmd: some PcsCommand, words: [String], utilization: Bool, filterName: String?) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  let tag = utilization ? "utilization" : "instance_attributes"
  if words.count <= 1 {
    let cib = try CIBTarget.load(cmd.global)
    var rows: [(String, [(name: String, value: String)])] = []
    for n in Section.find("nodes", in: cib)?.elements(named: "node") ?? [] {
      guard let name = n[attribute: "uname"] else { continue }
      if let only = words.first, only != name { continue }
      var pairs = n.elements(named: tag).flatMap(NVSets.pairs)
      if let filterName { pairs = pairs.filter { $0.name == filterName } }
      if !pairs.isEmpty { rows.append((name, pairs.sorted { $0.name < $1.name })) }
    }
    rows.sort { $0.0 < $1.0 }
    if cmd.global.outputAs == .json {
      Console.out(JSON.object(rows.map { ($0.0, JSON.object($0.1.map { ($0.name, .string($0.value)) })) }).render())
      return
    }
    var out = utilization ? "Node Utilization:\n" : "Node Attributes:\n"
    for (node, pairs) in rows { out += " \(node): " + pairs.map { "\($0.name)=\($0.value)" }.joined(separator: " ") + "\n" }
    Console.outRaw(out)
    return
  }
  let node = words[0]
  let pairs = try KeyValues.parse(Array(words.dropFirst()))
  if utilization {
    for (k, v) in pairs where !v.isEmpty && !Values.isInteger(v) {
      throw .legacy("Value of utilization attribute must be integer: '\(k)=\(v)'")
    }
  }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    guard NodeEdit.knownNodes(cib).contains(node) else {
      if utilization { throw .legacy("Unable to find a node: \(node)") }
      throw .legacy("unable to set attribute \(pairs.first?.0 ?? "")", details: ["crm_attribute: Could not map name=\(node) to a UUID", ""])
    }
    NodeEdit.update(&cib, uname: node, tag: tag, pairs: pairs)
  }
}
