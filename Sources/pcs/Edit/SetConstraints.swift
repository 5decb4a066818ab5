import CIB

/// `constraint colocation set ...` and `constraint order set ...` (pcs/lib: create_with_set): resource sets
/// `set ID... [opt=val]...` repeated, then `setoptions [opt=val]...` for the constraint itself.
///
/// Checks run in pcs's order: constraint options (names, id, score/kind/symmetrical values), then each set's
/// options and resources, then (order) members of one group, then duplicates. Attributes keep the order the
/// user gave, with `id` after them (and colocation's default `score="INFINITY"` after the id).
enum SetConstraintEdit {
  enum Kind {
    case colocation, order
    var tag: String { self == .colocation ? "rsc_colocation" : "rsc_order" }
    var idPrefix: String { self == .colocation ? "colocation" : "order" }
    var allowedOptions: [String] { self == .colocation ? ["id", "score"] : ["id", "kind", "symmetrical"] }
  }

  struct ResourceSet {
    var ids: [String]
    var options: [(String, String)]
  }

  static let setOptions = ["action", "require-all", "role", "sequential"]
  static let actions = ["demote", "promote", "start", "stop"]
  static let roles = ["Master", "Promoted", "Slave", "Started", "Stopped", "Unpromoted"]

  /// Splits the words after `set`; nil when pcs would print its usage text.
  static func parse(_ words: [String]) throws(PcsFailure) -> (sets: [ResourceSet], options: [(String, String)])? {
    if words.filter({ $0 == "setoptions" }).count > 1 {
      throw .legacy("Keyword 'setoptions' may be mentioned at most once")
    }
    let setWords: [String]
    var constraintWords: [String] = []
    if let i = words.firstIndex(of: "setoptions") {
      setWords = Array(words[..<i])
      constraintWords = Array(words[(i + 1)...])
    } else {
      setWords = words
    }
    if setWords.isEmpty { return nil }
    var sets: [ResourceSet] = []
    for chunk in setWords.split(separator: "set", omittingEmptySubsequences: false) {
      let ids = chunk.filter { !$0.contains("=") }
      if ids.isEmpty { return nil }
      sets.append(ResourceSet(ids: ids, options: try options(chunk.filter { $0.contains("=") })))
    }
    return (sets, try options(constraintWords))
  }

  /// `k=v` words as ordered pairs; a repeated name keeps its first place and takes the last value (a dict).
  private static func options(_ words: [String]) throws(PcsFailure) -> [(String, String)] {
    var out: [(String, String)] = []
    for (k, v) in try KeyValues.parse(words) {
      if let i = out.firstIndex(where: { $0.0 == k }) { out[i].1 = v } else { out.append((k, v)) }
    }
    return out
  }

  static func quoted(_ names: [String]) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }

  static func create(
    _ cib: inout CIBElement, kind: Kind, sets: [ResourceSet], options given: [(String, String)], force: Bool
  ) throws(PcsFailure) {
    // 1. Constraint options.
    let unknown = given.map(\.0).filter { !kind.allowedOptions.contains($0) }.sorted()
    if !unknown.isEmpty {
      let what = unknown.count == 1 ? "option \(quoted(unknown))" : "options: \(quoted(unknown))"
      throw .legacy("invalid \(what), allowed options are: \(quoted(kind.allowedOptions))")
    }
    var options = given
    var ids = IdProvider(cib)
    if let id = options.first(where: { $0.0 == "id" })?.1 {
      if let reason = Ids.invalidReason(id, description: "constraint id") { throw .legacy(reason) }
      if ids.exists(id) { throw .legacy("'\(id)' already exists") }
    } else {
      let all = sets.flatMap(\.ids)
      let part = all.prefix(3).map { id in "\(id.first.map(String.init) ?? "")\(id.last.map(String.init) ?? "")" }.joined()
      options.append(("id", ids.allocate("\(kind.idPrefix)_set_\(part)")))
    }
    switch kind {
    case .colocation:
      if let score = options.first(where: { $0.0 == "score" })?.1 {
        try ConstraintEdits.checkScore(score)
      } else {
        options.append(("score", "INFINITY"))
      }
    case .order:
      var errors: [String] = []
      for i in options.indices {
        if options[i].0 == "kind" {
          let v = options[i].1.prefix(1).uppercased() + options[i].1.dropFirst().lowercased()
          if !["Optional", "Mandatory", "Serialize"].contains(v) {
            errors.append("'\(options[i].1)' is not a valid kind value, use 'Mandatory', 'Optional', 'Serialize'")
          }
          options[i].1 = v
        } else if options[i].0 == "symmetrical" {
          let v = options[i].1.lowercased()
          if !["true", "false"].contains(v) {
            errors.append("'\(options[i].1)' is not a valid symmetrical value, use 'false', 'true'")
          }
          options[i].1 = v
        }
      }
      if !errors.isEmpty { throw PcsFailure(lines: errors.map { "Error: " + $0 }) }
    }
    let constraintId = options.first { $0.0 == "id" }!.1
    ids.book(constraintId)

    // 2. Each set: its options (all reported, then the continue line), then its resources.
    var prepared: [ResourceSet] = []
    for set in sets {
      var errors: [String] = []
      let badNames = set.options.map(\.0).filter { !setOptions.contains($0) }.sorted()
      if badNames.count == 1 {
        errors.append("invalid set option \(quoted(badNames)), allowed options are: \(quoted(setOptions))")
      } else if badNames.count > 1 {
        errors.append("invalid set options: \(quoted(badNames)), allowed options are: \(quoted(setOptions))")
      }
      for (name, allowed) in [("action", actions), ("require-all", ["false", "true"]), ("role", roles), ("sequential", ["false", "true"])] {
        if let v = set.options.first(where: { $0.0 == name })?.1, !allowed.contains(v) {
          errors.append("'\(v)' is not a valid \(name) value, use \(quoted(allowed))")
        }
      }
      if !errors.isEmpty {
        throw PcsFailure(lines: errors.map { "Error: " + $0 } + [PcsFailure.continueLine])
      }
      var setOpts = set.options
      if let i = setOpts.firstIndex(where: { $0.0 == "role" }) {
        let legacy = ["Master": "Promoted", "Slave": "Unpromoted"]
        if let new = legacy[setOpts[i].1] {
          Console.err(
            "Deprecation Warning: Value '\(setOpts[i].1)' of option role is deprecated and should not be used, use '\(new)' value instead")
          setOpts[i].1 = new
        }
      }
      var resolved: [String] = []
      for id in set.ids { resolved.append(try validResource(cib, id, force: force)) }
      prepared.append(ResourceSet(ids: resolved, options: setOpts))
    }

    // 3. Order sets: two members of one group cannot be ordered.
    if kind == .order {
      var groups: [String] = []
      for id in prepared.flatMap(\.ids) {
        guard let p = Resources.find(id, in: cib), let parent = Resources.parent(of: p, in: cib),
          cib[path: parent].name == "group"
        else { continue }
        let g = cib[path: parent].id ?? ""
        if groups.contains(g) { throw .legacy("Cannot create an order constraint for resources in the same group") }
        groups.append(g)
      }
    }

    // 4. The element: options as given, then each set (options, then its id).
    var element = CIBElement(kind.tag, attributes: options.map { CIBAttribute(name: $0.0, value: $0.1) })
    for set in prepared {
      var attributes = set.options.map { CIBAttribute(name: $0.0, value: $0.1) }
      attributes.append(CIBAttribute(name: "id", value: ids.allocate("\(constraintId)_set")))
      element.append(
        CIBElement("resource_set", attributes: attributes, children: set.ids.map { .element(CIBElement("resource_ref", ["id": $0])) }))
    }

    // 5. Duplicates: another constraint of this kind with the same resource lists.
    let cons = ConstraintEdits.constraintsPath(&cib)
    func setLists(_ e: CIBElement) -> [[String]] {
      e.elements(named: "resource_set").map { $0.elements(named: "resource_ref").compactMap(\.id) }
    }
    let duplicates = cib[path: cons].elements(named: kind.tag).filter {
      $0.firstElement(named: "resource_set") != nil && setLists($0) == setLists(element)
    }
    if !duplicates.isEmpty {
      Console.err("Duplicate constraints:\n" + duplicates.map { "  " + ConstraintEdits.setText($0, full: true) }.joined(separator: "\n"))
      if !force {
        throw .library("duplicate constraint already exists, use --force to override")
      }
      Console.warn("duplicate constraint already exists")
    }
    cib.insert(element, into: cons)
  }

  /// pcs's `find_valid_resource_id`: a resource, group, clone or bundle; a member of a clone only with --force.
  static func validResource(_ cib: CIBElement, _ id: String, force: Bool) throws(PcsFailure) -> String {
    guard let p = Resources.find(id, in: cib) else {
      if IdProvider(cib).exists(id) { throw .legacy("'\(id)' is not a bundle/clone/group/resource") }
      throw .legacy("bundle/clone/group/resource '\(id)' does not exist")
    }
    if ["clone", "master", "bundle"].contains(cib[path: p].name) { return id }
    var q = p
    while let parent = Resources.parent(of: q, in: cib) {
      let e = cib[path: parent]
      if ["clone", "master", "bundle"].contains(e.name) {
        let type = e.name == "bundle" ? "bundle" : "clone"
        let message = "\(id) is a \(type) resource, you should use the \(type) id: \(e.id ?? "") when adding constraints"
        if !force { throw .legacy(message + ", use --force to override") }
        Console.warn(message)
        return id
      }
      q = parent
    }
    return id
  }
}
