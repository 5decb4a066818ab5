import CIB

/// `pcs constraint location/colocation/order ...` (pcs's legacy constraint.py): building the elements, the
/// duplicate and validity checks, and the listings.
enum ConstraintEdits {
  static let roles = ["Master", "Promoted", "Slave", "Started", "Stopped", "Unpromoted"]
  static let actions = ["start", "stop", "promote", "demote"]

  static func constraintsPath(_ cib: inout CIBElement) -> ElementPath { Section.path("constraints", &cib) }

  /// The resource must exist, and must not be a primitive or group inside a clone (unless forced).
  static func checkResource(_ cib: CIBElement, _ id: String, force: Bool) throws(PcsFailure) {
    guard let p = Resources.find(id, in: cib) else { throw .legacy("Resource '\(id)' does not exist") }
    var q = p
    while let parent = Resources.parent(of: q, in: cib) {
      if ["clone", "master"].contains(cib[path: parent].name), !force {
        throw .legacy(
          "\(id) is a clone resource, you should use the clone id: \(cib[path: parent].id ?? "") when adding constraints. Use --force to override.")
      }
      q = parent
    }
  }

  static func checkScore(_ s: String) throws(PcsFailure) {
    if !Values.isScore(s) { throw .legacy("invalid score '\(s)', use integer or INFINITY or -INFINITY") }
  }

  // MARK: location

  /// Removes rsc_location elements with this id, or with the same resource and node.
  static func removeSameLocation(_ cib: inout CIBElement, id: String, rsc: String, node: String) {
    let cons = constraintsPath(&cib)
    var e = cib[path: cons]
    e.children.removeAll { c in
      guard case .element(let l) = c, l.name == "rsc_location" else { return false }
      return l.id == id || (l[attribute: "rsc"] == rsc && l[attribute: "node"] == node)
    }
    cib[path: cons] = e
  }

  static func prefers(_ cib: inout CIBElement, rsc: String, pairs: [String], avoids: Bool, force: Bool) throws(PcsFailure) {
    try checkResource(cib, rsc, force: force)
    var planned: [(String, String)] = []
    for w in pairs {
      var node = w
      var score = avoids ? "-INFINITY" : "INFINITY"
      if let eq = w.firstIndex(of: "=") {
        node = String(w[..<eq])
        let typed = String(w[w.index(after: eq)...])
        try checkScore(typed)
        if avoids {
          if typed.hasPrefix("-") { score = String(typed.dropFirst()) } else if typed.hasPrefix("+") { score = "-" + typed.dropFirst() } else { score = "-" + typed }
        } else {
          score = typed
        }
      }
      planned.append((node, score))
    }
    for (node, score) in planned {
      let id = Ids.sanitize("location-\(rsc)-\(node)-\(score)")
      removeSameLocation(&cib, id: id, rsc: rsc, node: node)
      let cons = constraintsPath(&cib)
      cib.insert(CIBElement("rsc_location", ["id": id, "rsc": rsc, "node": node, "score": score]), into: cons)
    }
  }

  static func locationAdd(_ cib: inout CIBElement, words: [String], force: Bool) throws(PcsFailure) {
    guard words.count >= 4 else { throw .legacy("Usage: pcs constraint location add <id> <resource> <node> <score> [resource-discovery=<option>]") }
    let (id, rsc, node, score) = (words[0], words[1], words[2], words[3])
    if let reason = Ids.invalidReason(id, description: "constraint id") { throw .legacy(reason) }
    try checkResource(cib, rsc, force: force)
    try checkScore(score)
    let options = try KeyValues.parse(Array(words.dropFirst(4)))
    removeSameLocation(&cib, id: id, rsc: rsc, node: node)
    var e = CIBElement("rsc_location", ["id": id, "rsc": rsc, "node": node, "score": score])
    for (k, v) in options { e[attribute: k] = v }
    let cons = constraintsPath(&cib)
    cib.insert(e, into: cons)
  }

  /// `location RSC rule [id=ID] [role=ROLE] [score=S|score-attribute=A] [constraint-id=ID]
  /// [resource-discovery=D] EXPRESSION`, with pcs's whole rule grammar (`RuleGrammar`).
  /// Returns the warning pcs prints when the rule needs a newer schema than the CIB's (the CIB is upgraded).
  static func locationRule(_ cib: inout CIBElement, rsc: String, words: [String], force: Bool) throws(PcsFailure)
    -> String?
  {
    try checkResource(cib, rsc, force: force)
    var ids = IdProvider(cib)
    var options: [(String, String)] = []
    var rest = words[...]
    while let w = rest.first, let eq = w.firstIndex(of: "="), ["id", "role", "score", "score-attribute", "resource-discovery", "constraint-id"].contains(String(w[..<eq])) {
      options.append((String(w[..<eq]), String(w[w.index(after: eq)...])))
      rest = rest.dropFirst()
    }
    let expression = Array(rest)
    let node: RuleNode
    do { node = try RuleGrammar.parse(expression) } catch { throw .legacy(RuleGrammar.message(expression, error)) }
    let consId = options.first { $0.0 == "constraint-id" }?.1 ?? ids.allocate(Ids.sanitize("location-\(rsc)"))
    ids.book(consId)
    let ruleId = options.first { $0.0 == "id" }?.1 ?? ids.subelementId(consId, "rule")
    ids.book(ruleId)
    var scoreAttribute = ("score", "INFINITY")
    if let attr = options.first(where: { $0.0 == "score-attribute" })?.1 {
      scoreAttribute = ("score-attribute", attr)
    } else if let score = options.first(where: { $0.0 == "score" })?.1 {
      try checkScore(score)
      scoreAttribute = ("score", score)
    }
    var upgraded: String?
    if RuleGrammar.usesIntegerType(node), Schema.version(of: cib) < (3, 5) {
      // As `cibadmin --upgrade`: a new admin_epoch, epoch restarting at 1 (the write then bumps it).
      cib[attribute: "validate-with"] = Schema.latest
      cib[attribute: "admin_epoch"] = String((Int(cib[attribute: "admin_epoch"] ?? "0") ?? 0) + 1)
      cib[attribute: "epoch"] = "1"
      upgraded = "Cluster CIB has been upgraded to latest version"
    }
    let role = options.first(where: { $0.0 == "role" }).map { Schema.roleName(Operations.normalizeRole($0.1), in: cib) }
    let rule = RuleGrammar.element(node, id: ruleId, role: role, scoreAttribute: scoreAttribute, ids: &ids)
    var location = CIBElement("rsc_location", ["id": consId, "rsc": rsc])
    if let d = options.first(where: { $0.0 == "resource-discovery" })?.1 { location[attribute: "resource-discovery"] = d }
    location.append(rule)
    let cons = constraintsPath(&cib)
    cib.insert(location, into: cons)
    return upgraded
  }

  // MARK: colocation

  static func colocationAdd(_ cib: inout CIBElement, words: [String], force: Bool) throws(PcsFailure) {
    guard let withIndex = words.firstIndex(of: "with") else {
      throw .legacy("Usage: pcs constraint colocation add [<role>] <source resource id> with [<role>] <target resource id> [score] [options] [id=constraint-id]")
    }
    let before = Array(words[..<withIndex])
    let after = Array(words[(withIndex + 1)...])
    func roleOrNil(_ w: String) throws(PcsFailure) -> String {
      guard roles.map({ $0.lowercased() }).contains(w.lowercased()) else {
        throw .legacy("invalid role value '\(w)', allowed values are: \(roles.map { "'\($0)'" }.joined(separator: ", "))")
      }
      return Operations.normalizeRole(w)
    }
    var rscRole: String?
    let rsc: String
    switch before.count {
    case 1: rsc = before[0]
    case 2:
      rscRole = try roleOrNil(before[0])
      rsc = before[1]
    default:
      throw .legacy("Usage: pcs constraint colocation add [<role>] <source resource id> with [<role>] <target resource id> [score] [options] [id=constraint-id]")
    }
    guard !after.isEmpty else { throw .legacy("Usage: pcs constraint colocation add [<role>] <source resource id> with [<role>] <target resource id> [score] [options] [id=constraint-id]") }
    var withRole: String?
    var withRsc = after[0]
    var rest = after.dropFirst()
    if let second = rest.first, !Values.isScore(second), !second.contains("=") {
      withRole = try roleOrNil(after[0])
      withRsc = second
      rest = rest.dropFirst()
    }
    var score = "INFINITY"
    if let s = rest.first, Values.isScore(s) {
      score = s
      rest = rest.dropFirst()
    }
    var options = try KeyValues.parse(Array(rest))
    if let s = options.first(where: { $0.0 == "score" })?.1 {
      score = s
      options.removeAll { $0.0 == "score" }
    }
    try checkResource(cib, rsc, force: force)
    try checkResource(cib, withRsc, force: force)
    if rscRole != nil || withRole != nil {
      rscRole = rscRole ?? "Started"
      withRole = withRole ?? "Started"
    }
    var ids = IdProvider(cib)
    let givenId = options.first { $0.0 == "id" }?.1
    options.removeAll { $0.0 == "id" }
    if let givenId {
      if let reason = Ids.invalidReason(givenId, description: "constraint id") { throw .legacy(reason) }
      if ids.exists(givenId) { throw .legacy("id '\(givenId)' is already in use, please specify another one") }
    }
    // Duplicates: same resources and roles (a missing role counts as Started).
    let existing = Section.find("constraints", in: cib)?.elements(named: "rsc_colocation") ?? []
    let dups = existing.filter { c in
      c[attribute: "rsc"] == rsc && c[attribute: "with-rsc"] == withRsc
        && (c[attribute: "rsc-role"] ?? "Started") == (rscRole ?? "Started")
        && (c[attribute: "with-rsc-role"] ?? "Started") == (withRole ?? "Started")
    }
    if !dups.isEmpty && !force {
      throw .legacy("duplicate constraint already exists, use --force to override", details: dups.map { "  " + colocationText($0, full: true) })
    }
    let id = givenId ?? ids.allocate(Ids.sanitize("colocation-\(rsc)-\(withRsc)-\(score)"))
    var e = CIBElement("rsc_colocation", ["rsc": rsc, "with-rsc": withRsc, "score": score])
    if let rscRole, let withRole {
      e[attribute: "rsc-role"] = rscRole
      e[attribute: "with-rsc-role"] = withRole
    }
    for (k, v) in options { e[attribute: k] = v }
    e[attribute: "id"] = id
    let cons = constraintsPath(&cib)
    cib.insert(e, into: cons)
  }

  // MARK: order

  static func orderAdd(_ cib: inout CIBElement, words: [String], force: Bool) throws(PcsFailure) {
    guard let thenIndex = words.firstIndex(of: "then") else {
      throw .legacy("Usage: pcs constraint order [action] <resource id> then [action] <resource id> [options]")
    }
    let before = Array(words[..<thenIndex])
    var after = Array(words[(thenIndex + 1)...])
    var firstAction = "start"
    let first: String
    if before.count == 2, actions.contains(before[0].lowercased()) {
      firstAction = before[0].lowercased()
      first = before[1]
    } else if before.count == 1 {
      first = before[0]
    } else {
      throw .legacy("Usage: pcs constraint order [action] <resource id> then [action] <resource id> [options]")
    }
    var thenAction = "start"
    if after.count >= 2, actions.contains(after[0].lowercased()), !after[1].contains("=") {
      thenAction = after[0].lowercased()
      after.removeFirst()
    }
    guard let then = after.first else {
      throw .legacy("Usage: pcs constraint order [action] <resource id> then [action] <resource id> [options]")
    }
    var options = try KeyValues.parse(Array(after.dropFirst()))
    try checkResource(cib, first, force: force)
    try checkResource(cib, then, force: force)
    if let a = Resources.find(first, in: cib), let b = Resources.find(then, in: cib),
      let pa = Resources.parent(of: a, in: cib), let pb = Resources.parent(of: b, in: cib), pa == pb,
      cib[path: pa].name == "group"
    {
      throw .legacy("Cannot create an order constraint for resources in the same group")
    }
    var symmetrical: String?
    if let i = options.firstIndex(where: { $0.0 == "symmetrical" }) {
      symmetrical = options[i].1
      options.remove(at: i)
    }
    let kind = options.first { $0.0 == "kind" }?.1
    var ids = IdProvider(cib)
    let givenId = options.first { $0.0 == "id" }?.1
    if let givenId {
      if let reason = Ids.invalidReason(givenId, description: "constraint id") { throw .legacy(reason) }
      if ids.exists(givenId) { throw .legacy("id '\(givenId)' is already in use, please specify another one") }
    }
    let kindText = kind.map { $0.prefix(1).uppercased() + $0.dropFirst() } ?? "Mandatory"
    var shown = options.filter { $0.0 != "kind" }.map { "\($0.0)=\($0.1)" }
    shown += ["first-action=\(firstAction)", "then-action=\(thenAction)"]
    if let symmetrical { shown.append("symmetrical=\(symmetrical)") }
    let existing = Section.find("constraints", in: cib)?.elements(named: "rsc_order") ?? []
    let dups = existing.filter { c in
      c[attribute: "first"] == first && c[attribute: "then"] == then
        && (c[attribute: "first-action"] ?? "start") == firstAction && (c[attribute: "then-action"] ?? "start") == thenAction
    }
    if !dups.isEmpty && !force {
      throw .legacy("duplicate constraint already exists, use --force to override", details: dups.map { "  " + orderText($0, full: true) })
    }
    Console.err("Adding \(first) \(then) (kind: \(kindText)) (Options: \(shown.joined(separator: " ")))")
    var e = CIBElement("rsc_order", ["first": first, "then": then])
    for (k, v) in options { e[attribute: k] = v }
    e[attribute: "first-action"] = firstAction
    e[attribute: "then-action"] = thenAction
    if let symmetrical { e[attribute: "symmetrical"] = symmetrical }
    if givenId == nil { e[attribute: "id"] = ids.allocate(Ids.sanitize("order-\(first)-\(then)-\(kind ?? "mandatory")")) }
    let cons = constraintsPath(&cib)
    cib.insert(e, into: cons)
  }

  // MARK: delete / ref

  static func delete(_ cib: inout CIBElement, ids: [String]) throws(PcsFailure) {
    for id in ids {
      guard let p = cib.firstPath(where: { e in
        (Constraints.tags.contains(e.name) || e.name == "rule" || e.name == "resource_set") && e.id == id
      }), p.count >= 3, cib[path: Array(p.prefix(2))].name == "constraints"
      else { throw .legacy("Unable to find constraint - '\(id)'") }
      cib.removeElement(at: p)
    }
  }

  static func references(_ cib: CIBElement, _ rsc: String) -> [String] {
    guard let cons = Section.find("constraints", in: cib) else { return [] }
    let hits = Constraints.referencing(rsc, cons)
    var out: [String] = []
    for tag in ["rsc_colocation", "rsc_location", "rsc_order", "rsc_ticket"] {
      out += hits.filter { $0.name == tag }.compactMap(\.id)
    }
    return out
  }

  // MARK: listing

  static func locationLines(_ cons: CIBElement, full: Bool) -> [String] {
    let locations = cons.elements(named: "rsc_location")
    var byResource: [String: [CIBElement]] = [:]
    for l in locations {
      let key = l[attribute: "rsc"] ?? l[attribute: "rsc-pattern"] ?? ""
      byResource[key, default: []].append(l)
    }
    var lines = ["Location Constraints:"]
    for rsc in byResource.keys.sorted() {
      let items = byResource[rsc]!
      lines.append("  Resource: \(rsc)")
      let nodes = items.filter { $0[attribute: "node"] != nil }
      let enabled = nodes.filter { !($0[attribute: "score"] ?? "0").hasPrefix("-") }
      let disabled = nodes.filter { ($0[attribute: "score"] ?? "0").hasPrefix("-") }
      func nodeLine(_ l: CIBElement) -> String {
        var s = "      Node: \(l[attribute: "node"] ?? "") (score:\(l[attribute: "score"] ?? ""))"
        if let r = l[attribute: "role"] { s += " (role:\(r))" }
        if let d = l[attribute: "resource-discovery"] { s += " (resource-discovery=\(d))" }
        if full { s += " (id:\(l.id ?? ""))" }
        return s
      }
      if !enabled.isEmpty { lines.append("    Enabled on:"); lines += enabled.map(nodeLine) }
      if !disabled.isEmpty { lines.append("    Disabled on:"); lines += disabled.map(nodeLine) }
      for l in items where l[attribute: "node"] == nil {
        lines.append("    Constraint: \(l.id ?? "")")
        for rule in l.elements(named: "rule") {
          var parts: [String] = []
          for key in ["boolean-op", "role", "score", "score-attribute"] {
            if let v = rule[attribute: key] { parts.append("\(key)=\(v)") }
          }
          lines.append("      Rule: \(parts.joined(separator: " "))" + (full ? " (id:\(rule.id ?? ""))" : ""))
          for expr in rule.elements(named: "expression") {
            let op = expr[attribute: "operation"] ?? ""
            let text = ["defined", "not_defined"].contains(op)
              ? "\(op) \(expr[attribute: "attribute"] ?? "")"
              : "\(expr[attribute: "attribute"] ?? "") \(op) \(expr[attribute: "value"] ?? "")"
            lines.append("        Expression: \(text)" + (full ? " (id:\(expr.id ?? ""))" : ""))
          }
        }
      }
    }
    return lines
  }

  static func orderText(_ o: CIBElement, full: Bool) -> String {
    var s = "\(o[attribute: "first-action"] ?? "start") \(o[attribute: "first"] ?? "") then \(o[attribute: "then-action"] ?? "start") \(o[attribute: "then"] ?? "")"
    let kind = o[attribute: "kind"] ?? "Mandatory"
    s += " (kind:\(kind))"
    if o[attribute: "symmetrical"].map({ !Agents.isTrue($0) }) == true { s += " (non-symmetrical)" }
    if full { s += " (id:\(o.id ?? ""))" }
    return s
  }

  static func colocationText(_ c: CIBElement, full: Bool) -> String {
    var s = "\(c[attribute: "rsc"] ?? "") with \(c[attribute: "with-rsc"] ?? "") (score:\(c[attribute: "score"] ?? ""))"
    if let r = c[attribute: "rsc-role"] { s += " (rsc-role:\(r))" }
    if let r = c[attribute: "with-rsc-role"] { s += " (with-rsc-role:\(r))" }
    if full { s += " (id:\(c.id ?? ""))" }
    return s
  }

  static func setText(_ c: CIBElement, full: Bool) -> String {
    var parts: [String] = []
    for set in c.elements(named: "resource_set") {
      var s = "set " + set.elements(named: "resource_ref").compactMap(\.id).joined(separator: " ")
      for a in set.attributes where a.name != "id" { s += " \(a.name)=\(a.value)" }
      if full { s += " (id:\(set.id ?? ""))" }
      parts.append(s)
    }
    let options = c.attributes.filter { $0.name != "id" }.map { "\($0.name)=\($0.value)" }
    var text = parts.joined(separator: " ")
    if !options.isEmpty { text += " setoptions " + options.joined(separator: " ") }
    if full { text += " (id:\(c.id ?? ""))" }
    return text
  }

  static func orderLines(_ cons: CIBElement, full: Bool) -> [String] {
    let all = cons.elements(named: "rsc_order")
    var lines = ["Ordering Constraints:"]
    lines += all.filter { $0.firstElement(named: "resource_set") == nil }.map { "  " + orderText($0, full: full) }
    let sets = all.filter { $0.firstElement(named: "resource_set") != nil }
    if !sets.isEmpty { lines.append("  Resource Sets:"); lines += sets.map { "    " + setText($0, full: full) } }
    return lines
  }

  static func colocationLines(_ cons: CIBElement, full: Bool) -> [String] {
    let all = cons.elements(named: "rsc_colocation")
    var lines = ["Colocation Constraints:"]
    lines += all.filter { $0.firstElement(named: "resource_set") == nil }.map { "  " + colocationText($0, full: full) }
    let sets = all.filter { $0.firstElement(named: "resource_set") != nil }
    if !sets.isEmpty { lines.append("  Resource Sets:"); lines += sets.map { "    " + setText($0, full: full) } }
    return lines
  }

  static func allLines(_ cib: CIBElement, full: Bool) -> [String] {
    let cons = Section.find("constraints", in: cib) ?? CIBElement("constraints")
    return locationLines(cons, full: full) + orderLines(cons, full: full) + colocationLines(cons, full: full) + ["Ticket Constraints:"]
  }

  static func json(_ cib: CIBElement) -> JSON {
    let cons = Section.find("constraints", in: cib) ?? CIBElement("constraints")
    func element(_ e: CIBElement) -> JSON {
      var members: [(String, JSON)] = [("type", .string(e.name))]
      for a in e.attributes { members.append((a.name, .string(a.value))) }
      let children = e.elements
      if !children.isEmpty { members.append(("children", .array(children.map(element)))) }
      return .object(members)
    }
    return .object([
      ("location", .array(cons.elements(named: "rsc_location").map(element))),
      ("colocation", .array(cons.elements(named: "rsc_colocation").map(element))),
      ("order", .array(cons.elements(named: "rsc_order").map(element))),
      ("ticket", .array(cons.elements(named: "rsc_ticket").map(element))),
    ])
  }
}
