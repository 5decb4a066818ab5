import CIB

#if canImport(Glibc)
  import Glibc
#endif

func runMoveBan(_ cmd: some PcsCommand, words: [String], ban: Bool, promoted: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  guard let rsc = words.first else {
    throw .legacy("Usage: pcs resource \(ban ? "ban" : "move-with-constraint") <resource id> [node]")
  }
  // pcs: one optional node and one optional lifetime=; a lifetime starting with a digit gets a "P".
  var node: String?
  var lifetime: String?
  for w in words.dropFirst() {
    if w.hasPrefix("lifetime=") {
      if lifetime != nil { throw .usage(ResourceCommand.self) }
      var value = String(w.dropFirst("lifetime=".count).prefix { $0 != "=" })
      if value.first?.isASCIINumber == true { value = "P" + value }
      lifetime = value
    } else if node == nil {
      node = w
    } else {
      throw .usage(ResourceCommand.self)
    }
  }
  // crm_resource turns the lifetime into an end date (now + ISO 8601 duration, UTC).
  var end: String?
  if let lifetime, !lifetime.isEmpty {
    guard let seconds = ISODuration.end(of: lifetime, from: Int64(time(nil))) else {
      throw PcsFailure(lines: [
        "Error: cannot \(ban ? "ban" : "move") resource '\(rsc)'", "Invalid duration specified: \(lifetime)",
        "Please refer to https://en.wikipedia.org/wiki/ISO_8601#Durations for examples of valid durations",
      ])
    }
    end = ISODuration.format(seconds)
  }
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
    let score = ban ? "-INFINITY" : "INFINITY"
    if let end {
      // With a lifetime crm_resource writes a rule: on this node, until the end date.
      let ruleId = ban ? "\(id)-rule" : "cli-prefer-rule-\(rsc)"
      let exprId = ban ? "\(id)-expr" : "cli-prefer-expr-\(rsc)"
      let dateId = ban ? "\(id)-lifetime" : "cli-prefer-lifetime-end-\(rsc)"
      e.append(
        CIBElement(
          "rsc_location", ["id": id, "rsc": rsc, "role": role],
          children: [
            CIBElement(
              "rule", ["id": ruleId, "score": score, "boolean-op": "and"],
              children: [
                CIBElement(
                  "expression",
                  ["id": exprId, "attribute": "#uname", "operation": "eq", "value": node, "type": "string"]),
                CIBElement("date_expression", ["id": dateId, "operation": "lt", "end": end]),
              ])
          ]))
    } else {
      e.append(CIBElement("rsc_location", ["id": id, "rsc": rsc, "role": role, "node": node, "score": score]))
    }
    cib[path: cons] = e
    var out: [String] = end.map { ["Migration will take effect until: \($0)"] } ?? []
    if ban {
      out += [
        "Warning: Creating location constraint '\(id)' with a score of -INFINITY for resource \(rsc) on \(node).",
        "\tThis will prevent \(rsc) from running on \(node) until the constraint is removed",
        "\tThis will be the case even if \(node) is the last node in the cluster",
      ]
    } else if end == nil {
      out.append("Warning: A move constraint has been created and the resource '\(rsc)' may or may not move depending on other configuration")
    }
    return out
  }
  for m in messages { Console.err(m) }
}

/// ISO 8601 durations as crm_resource reads `--lifetime` (P[nY][nM][nW][nD][T[nH][nM][nS]]): years and months
/// are calendar steps, the rest fixed seconds.
enum ISODuration {
  static func end(of text: String, from now: Int64) -> Int64? {
    guard text.first == "P", text.count > 1 else { return nil }
    var years = 0, months = 0, seconds: Int64 = 0
    var inTime = false
    var digits = ""
    var sawField = false
    for c in text.dropFirst() {
      if c.isASCIINumber {
        digits.append(c)
        guard digits.count <= 9 else { return nil }
        continue
      }
      if c == "T" {
        guard digits.isEmpty, !inTime else { return nil }
        inTime = true
        continue
      }
      guard let n = Int(digits) else { return nil }
      digits = ""
      sawField = true
      switch (inTime, c) {
      case (false, "Y"): years += n
      case (false, "M"): months += n
      case (false, "W"): seconds += Int64(n) * 7 * 86_400
      case (false, "D"): seconds += Int64(n) * 86_400
      case (true, "H"): seconds += Int64(n) * 3_600
      case (true, "M"): seconds += Int64(n) * 60
      case (true, "S"): seconds += Int64(n)
      default: return nil
      }
    }
    guard digits.isEmpty, sawField else { return nil }
    var t = time_t(now)
    var parts = tm()
    gmtime_r(&t, &parts)
    let totalMonths = Int(parts.tm_mon) + months + 12 * years
    parts.tm_year += Int32(totalMonths / 12)
    parts.tm_mon = Int32(totalMonths % 12)
    return Int64(timegm(&parts)) + seconds
  }

  /// `2026-11-23 02:17:27Z`, as crm_resource writes the end of a lifetime.
  static func format(_ epoch: Int64) -> String {
    var t = time_t(epoch)
    var parts = tm()
    gmtime_r(&t, &parts)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
      + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
  }
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
