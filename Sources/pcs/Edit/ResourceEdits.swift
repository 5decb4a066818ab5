import CIB
import LRM

/// Editing commands on existing resources: delete, enable/disable, manage/unmanage, update, meta, op
/// add/remove, ungroup, clone/promotable/unclone. Each takes the tree and returns the stderr lines pcs prints.
enum ResourceEdits {
  // MARK: delete

  static func delete(_ cib: inout CIBElement, id: String) throws(PcsFailure) -> [String] {
    guard let path = Resources.find(id, in: cib) else { throw .legacy("Resource '\(id)' does not exist.") }
    var messages: [String] = []
    let element = cib[path: path]
    // Everything that disappears: the element, its descendants, and a group or clone it would leave empty.
    var removedIds: [String] = []
    element.forEachDescendant { if Resources.kinds.contains($0.name), let i = $0.id { removedIds.append(i) } }
    var removePath = path
    var wrapperNote = false
    if let parent = Resources.parent(of: path, in: cib) {
      let siblings = cib[path: parent].elements.filter { Resources.kinds.contains($0.name) }
      if siblings.count == 1 {
        removePath = parent
        if let pid = cib[path: parent].id { removedIds.append(pid) }
        wrapperNote = cib[path: parent].name == "group"
        if let grand = Resources.parent(of: parent, in: cib),
          cib[path: grand].elements.filter({ Resources.kinds.contains($0.name) }).count == 1
        {
          removePath = grand
          if let gid = cib[path: grand].id { removedIds.append(gid) }
        }
      }
    }
    messages += removeConstraints(&cib, referencing: Set(removedIds))
    if element.name == "group" {
      messages.append("Removing group: \(id) (and all resources within group)")
      messages.append("Stopping all resources in group: \(id)...")
      let members = element.elements.filter { $0.name == "primitive" }.compactMap(\.id)
      for (i, m) in members.enumerated() {
        messages.append(i == members.count - 1 ? "Deleting Resource (and group) - \(m)" : "Deleting Resource - \(m)")
      }
    } else if wrapperNote {
      messages.append("Deleting Resource (and group) - \(id)")
    } else {
      messages.append("Deleting Resource - \(id)")
    }
    // Constraints live after <resources>, so removing them left `removePath` valid.
    cib.removeElement(at: removePath)
    return messages
  }

  /// Removes constraints referring to any of `ids`; returns pcs's messages, sorted by constraint id.
  static func removeConstraints(_ cib: inout CIBElement, referencing ids: Set<String>) -> [String] {
    guard let consPath = cib.firstPath(where: { $0.name == "constraints" }) else { return [] }
    var cons = cib[path: consPath]
    var removed: [String] = []
    cons.children.removeAll { c in
      guard case .element(let e) = c, Constraints.tags.contains(e.name) else { return false }
      let hit = ids.contains { Constraints.referencing($0, CIBElement("x", attributes: [], children: [.element(e)])).count > 0 }
      if hit { removed.append(e.id ?? "") }
      return hit
    }
    cib[path: consPath] = cons
    return removed.sorted().map { "Removing Constraint - \($0)" }
  }

  // MARK: meta sets

  /// Path of the element's first set named `tag`, creating `<id>-<tag>` as its first child (pcs's
  /// `arrange_first_nvset`) or appended at the end (legacy `update`/`meta`) when missing.
  static func nvset(_ cib: inout CIBElement, _ path: ElementPath, tag: String, first: Bool, ids: inout IdProvider) -> ElementPath {
    if let i = cib[path: path].childIndex(named: tag) { return path + [i] }
    let setId = ids.subelementId(cib[path: path].id ?? cib[path: path].name, tag)
    let index = first ? 0 : cib[path: path].children.count
    cib.insert(CIBElement(tag, ["id": setId]), into: path, at: index)
    return path + [index]
  }

  static func setMeta(_ cib: inout CIBElement, id: String, pairs: [(String, String)], first: Bool) {
    guard let path = Resources.find(id, in: cib) else { return }
    var ids = IdProvider(cib)
    if !first || pairs.contains(where: { !$0.1.isEmpty }) || cib[path: path].childIndex(named: "meta_attributes") != nil {
      let set = nvset(&cib, path, tag: "meta_attributes", first: first, ids: &ids)
      NVSets.update(&cib, set: set, pairs: pairs, ids: &ids)
    }
  }

  // MARK: enable / disable / manage / unmanage

  static func checkExist(_ cib: CIBElement, _ ids: [String]) throws(PcsFailure) {
    var report = Report(force: false)
    for id in ids where Resources.find(id, in: cib) == nil {
      report.error("bundle/clone/group/resource/tag '\(id)' does not exist")
    }
    try report.check()
  }

  static func isUnmanaged(_ cib: CIBElement, _ path: ElementPath) -> Bool {
    var unmanaged = false
    cib[path: path].forEachDescendant { e in
      if Resources.kinds.contains(e.name), let v = NVSets.value(e, tag: "meta_attributes", name: "is-managed"),
        !Agents.isTrue(v)
      {
        unmanaged = true
      }
    }
    var p = path
    while let parent = Resources.parent(of: p, in: cib) {
      if let v = NVSets.value(cib[path: parent], tag: "meta_attributes", name: "is-managed"), !Agents.isTrue(v) { unmanaged = true }
      p = parent
    }
    return unmanaged
  }

  static func setTargetRole(_ cib: inout CIBElement, ids: [String], enable: Bool) throws(PcsFailure) {
    try checkExist(cib, ids)
    for id in ids {
      setMeta(&cib, id: id, pairs: [("target-role", enable ? "" : "Stopped")], first: true)
      if let p = Resources.find(id, in: cib), isUnmanaged(cib, p) { Console.warn("'\(id)' is unmanaged") }
    }
  }

  static func setManaged(_ cib: inout CIBElement, ids: [String], manage: Bool, monitor: Bool) throws(PcsFailure) {
    try checkExist(cib, ids)
    for id in ids {
      guard let path = Resources.find(id, in: cib) else { continue }
      // is-managed lives on the primitives; parents and children lose any value of their own.
      var primitives: [String] = []
      cib[path: path].forEachDescendant { if $0.name == "primitive", let i = $0.id { primitives.append(i) } }
      var others: [String] = []
      cib[path: path].forEachDescendant { if $0.name != "primitive", Resources.kinds.contains($0.name), let i = $0.id { others.append(i) } }
      var p = path
      while let parent = Resources.parent(of: p, in: cib) {
        if let i = cib[path: parent].id { others.append(i) }
        p = parent
      }
      for o in others where NVSets.value(cib[path: Resources.find(o, in: cib)!], tag: "meta_attributes", name: "is-managed") != nil {
        setMeta(&cib, id: o, pairs: [("is-managed", "")], first: true)
      }
      for prim in primitives {
        setMeta(&cib, id: prim, pairs: [("is-managed", manage ? "" : "false")], first: true)
        if monitor, let pp = Resources.find(prim, in: cib), let opsIndex = cib[path: pp].childIndex(named: "operations") {
          var ops = cib[path: pp + [opsIndex]]
          for (i, c) in ops.children.enumerated() {
            guard case .element(var op) = c, op.name == "op", op[attribute: "name"] == "monitor" else { continue }
            op[attribute: "enabled"] = manage ? nil : "false"
            ops.children[i] = .element(op)
          }
          cib[path: pp + [opsIndex]] = ops
        }
      }
    }
  }

  // MARK: update / meta

  static func update(_ cib: inout CIBElement, id: String, arguments: ResourceArguments, force: Bool) throws(PcsFailure) {
    guard let path = Resources.find(id, in: cib) else { throw .legacy("Unable to find resource: \(id)") }
    let element = cib[path: path]
    var ids = IdProvider(cib)
    if element.name == "clone" || element.name == "master" {
      // Options of a clone are its meta attributes.
      let set = nvset(&cib, path, tag: "meta_attributes", first: false, ids: &ids)
      NVSets.update(&cib, set: set, pairs: arguments.instance + arguments.meta, ids: &ids)
      return
    }
    guard element.name == "primitive" else { throw .legacy("Unable to find resource: \(id)") }
    if !arguments.instance.isEmpty {
      if let agent = AgentName.parseFull(Resources.agentName(element)), let metadata = try? Agents.metadata(agent) {
        let stonith = agent.standard == "stonith"
        var allowed = Set(metadata.parameters.map(\.name))
        if stonith { allowed.formUnion(Agents.fencedParameters) }
        if agent.standard == "ocf" { allowed.formUnion(["trace_ra", "trace_file"]) }
        let unknown = arguments.instance.map(\.0).filter { !allowed.contains($0) }
        if !unknown.isEmpty {
          let kind = stonith ? "stonith" : "resource"
          let list = allowed.sorted().map { "'\($0)'" }.joined(separator: ", ")
          let names = Array(Set(unknown)).sorted()
          let message = names.count == 1
            ? "invalid \(kind) option '\(names[0])', allowed options are: \(list)"
            : "invalid \(kind) options: \(names.map { "'\($0)'" }.joined(separator: ", ")), allowed options are: \(list)"
          if force { Console.warn(message) } else { throw .legacy(message + ", use --force to override") }
        }
      }
      let set = nvset(&cib, path, tag: "instance_attributes", first: false, ids: &ids)
      NVSets.update(&cib, set: set, pairs: arguments.instance, ids: &ids)
    }
    if !arguments.meta.isEmpty {
      let set = nvset(&cib, path, tag: "meta_attributes", first: false, ids: &ids)
      NVSets.update(&cib, set: set, pairs: arguments.meta, ids: &ids)
    }
    for op in arguments.operations {
      let opsPath = cib.ensureChild(named: "operations", under: path)
      let newOp = legacyOp(resource: id, name: op.name, options: op.options, ids: &ids)
      var ops = cib[path: opsPath]
      if let i = ops.children.firstIndex(where: { if case .element(let e) = $0 { e.name == "op" && e[attribute: "name"] == op.name } else { false } }) {
        ops.children[i] = .element(newOp)
      } else {
        ops.append(newOp)
      }
      cib[path: opsPath] = ops
    }
  }

  /// An op built by pcs's legacy code: `id, name, interval, other options in the order typed`.
  static func legacyOp(resource: String, name: String, options: [(String, String)], ids: inout IdProvider) -> CIBElement {
    let interval = options.first { $0.0 == "interval" }?.1 ?? Operations.defaultInterval(name)
    let id = ids.subelementId(resource, "\(name)-interval-\(interval)")
    var op = CIBElement("op", ["id": id, "name": name, "interval": interval])
    var checkLevel: String?
    for (k, v) in options where !["interval", "id", "name"].contains(k) && !v.isEmpty {
      if k == "OCF_CHECK_LEVEL" { checkLevel = v } else { op[attribute: k] = v }
    }
    if let level = checkLevel {
      op.append(
        CIBElement(
          "instance_attributes", ["id": "params-\(id)"],
          children: [CIBElement("nvpair", ["name": "OCF_CHECK_LEVEL", "value": level, "id": "\(id)-OCF_CHECK_LEVEL-\(level)"])]))
    }
    return op
  }

  static func meta(_ cib: inout CIBElement, id: String, pairs: [(String, String)]) throws(PcsFailure) {
    guard let path = Resources.find(id, in: cib) else { throw .legacy("unable to find a resource/clone/group: \(id)") }
    var ids = IdProvider(cib)
    let set = nvset(&cib, path, tag: "meta_attributes", first: false, ids: &ids)
    NVSets.update(&cib, set: set, pairs: pairs, ids: &ids)
  }

  // MARK: op add / remove

  static func opDescription(_ op: CIBElement) -> String {
    var attrs = op.attributes.filter { $0.name != "id" && $0.name != "name" }.map { "\($0.name)=\($0.value)" }
    if let level = checkLevel(op) { attrs.append("OCF_CHECK_LEVEL=\(level)") }
    return ([op[attribute: "name"] ?? ""] + attrs).joined(separator: " ") + " (\(op.id ?? ""))"
  }

  /// An op's OCF_CHECK_LEVEL (kept in its instance_attributes).
  static func checkLevel(_ op: CIBElement) -> String? {
    for set in op.elements(named: "instance_attributes") {
      for nv in set.elements(named: "nvpair") where nv[attribute: "name"] == "OCF_CHECK_LEVEL" { return nv[attribute: "value"] }
    }
    return nil
  }

  static func opAdd(_ cib: inout CIBElement, id: String, name: String, options: [(String, String)], force: Bool) throws(PcsFailure) {
    guard let path = Resources.find(id, in: cib), cib[path: path].name == "primitive" else {
      throw .legacy("Unable to find resource: \(id)")
    }
    let interval = options.first { $0.0 == "interval" }?.1 ?? Operations.defaultInterval(name)
    let seconds = Values.timeSeconds(interval)
    let existing = cib[path: path].firstElement(named: "operations")?.elements(named: "op").filter { $0[attribute: "name"] == name } ?? []
    if let same = existing.first(where: { Values.timeSeconds($0[attribute: "interval"] ?? "0") == seconds }) {
      throw .legacy("operation \(name) with interval \(interval) already specified for \(id):", details: [opDescription(same)])
    }
    // Two ops of the same name need different OCF_CHECK_LEVELs (pcs lets --force through).
    let level = options.first { $0.0 == "OCF_CHECK_LEVEL" }?.1
    let sameLevel = existing.filter { checkLevel($0) == level }
    if !sameLevel.isEmpty && !force {
      throw .legacy("operation \(name) already specified for \(id), use --force to override:", details: sameLevel.map(opDescription))
    }
    var ids = IdProvider(cib)
    let opsPath = cib.ensureChild(named: "operations", under: path)
    cib.insert(legacyOp(resource: id, name: name, options: options, ids: &ids), into: opsPath)
  }

  static func opRemove(_ cib: inout CIBElement, words: [String]) throws(PcsFailure) {
    if words.count == 1 {
      let opId = words[0]
      guard let p = cib.firstPath(where: { $0.name == "op" && $0.id == opId }) else {
        throw .legacy("unable to find operation id: \(opId)")
      }
      cib.removeElement(at: p)
      return
    }
    let id = words[0]
    let name = words[1]
    let filters = try KeyValues.parse(Array(words.dropFirst(2)))
    guard let path = Resources.find(id, in: cib), cib[path: path].name == "primitive" else {
      throw .legacy("Unable to find resource: \(id)")
    }
    guard let opsIndex = cib[path: path].childIndex(named: "operations") else {
      throw .legacy("Unable to find operation matching: \(([name] + words.dropFirst(2)).joined(separator: " "))")
    }
    var ops = cib[path: path + [opsIndex]]
    guard let i = ops.children.firstIndex(where: { c in
      guard case .element(let e) = c, e.name == "op", e[attribute: "name"] == name else { return false }
      // The op's attributes (id aside) must be exactly the name and the given pairs.
      let have = e.attributes.filter { $0.name != "id" && $0.name != "name" }.map { "\($0.name)=\($0.value)" }.sorted()
      return have == filters.map { "\($0.0)=\($0.1)" }.sorted()
    }) else {
      throw .legacy("Unable to find operation matching: \(([name] + words.dropFirst(2)).joined(separator: " "))")
    }
    ops.children.remove(at: i)
    cib[path: path + [opsIndex]] = ops
  }

  // MARK: ungroup / group remove

  static func ungroup(_ cib: inout CIBElement, group: String, members: [String]) throws(PcsFailure) -> [String] {
    guard let gp = Resources.find(group, in: cib), cib[path: gp].name == "group" else {
      throw .legacy("Group '\(group)' does not exist")
    }
    let current = cib[path: gp].elements.filter { $0.name == "primitive" }.compactMap(\.id)
    for m in members where !current.contains(m) {
      throw .legacy("Resource '\(m)' does not exist in group '\(group)'")
    }
    let moving = members.isEmpty ? current : members
    var messages: [String] = []
    let emptied = Set(moving) == Set(current)
    if emptied { messages += removeConstraints(&cib, referencing: [group]) }
    var taken: [CIBElement] = []
    for m in moving {
      if let p = Resources.find(m, in: cib) { taken.append(cib.removeElement(at: p)) }
    }
    let resources = Resources.resourcesPath(&cib)
    var destination = resources
    if emptied, let gp = Resources.find(group, in: cib) {
      if let parent = Resources.parent(of: gp, in: cib), ["clone", "master"].contains(cib[path: parent].name) {
        // A cloned group's members stay cloned: they replace the group inside the clone.
        destination = parent
      }
      cib.removeElement(at: gp)
    }
    for e in taken { cib.insert(e, into: destination, at: destination == resources ? nil : 0) }
    return messages
  }

  // MARK: clone / promotable / unclone

  static func clone(
    _ cib: inout CIBElement, words: [String], promotable: Bool, force: Bool
  ) throws(PcsFailure) {
    let id = words[0]
    guard let path = Resources.find(id, in: cib), ["primitive", "group"].contains(cib[path: path].name) else {
      throw .legacy("unable to find group or resource: \(id)")
    }
    if let parent = Resources.parent(of: path, in: cib), ["clone", "master"].contains(cib[path: parent].name) {
      throw .legacy("\(id) is already a clone resource")
    }
    var rest = words.dropFirst()
    var cloneId = "\(id)-clone"
    if let first = rest.first, !first.contains("=") {
      cloneId = first
      rest = rest.dropFirst()
    }
    var options = try KeyValues.parse(Array(rest)).filter { !$0.1.isEmpty }
    if promotable && !options.contains(where: { $0.0 == "promotable" }) { options.append(("promotable", "true")) }
    var ids = IdProvider(cib)
    if ids.exists(cloneId) { throw .legacy("id '\(cloneId)' already exists") }
    if options.contains(where: { $0.0 == "promotable" && Agents.isTrue($0.1) }) {
      var primitives: [CIBElement] = []
      cib[path: path].forEachDescendant { if $0.name == "primitive" { primitives.append($0) } }
      for p in primitives {
        let agentText = Resources.agentName(p)
        let pid = p.id ?? ""
        if ["systemd", "lsb", "service", "stonith"].contains(p[attribute: "class"] ?? "") {
          throw .legacy("Clone option 'promotable' is not compatible with '\(agentText)' resource agent of resource '\(pid)'")
        }
        if let agent = AgentName.parseFull(agentText), let md = try? Agents.metadata(agent),
          !md.actions.contains(where: { $0.name == "promote" })
        {
          let message = "Clone option 'promotable' is not compatible with '\(agentText)' resource agent of resource '\(pid)'"
          if force { Console.warn(message) } else { throw .legacy(message + ", use --force to override") }
        }
      }
    }
    ids.book(cloneId)
    let element = cib.removeElement(at: path)
    GroupEdit.removeEmptyGroups(&cib)
    var clone = CIBElement("clone", ["id": cloneId], children: [element])
    if !options.isEmpty {
      clone.append(NVSets.newSet("meta_attributes", id: ids.subelementId(cloneId, "meta_attributes"), pairs: options, ids: &ids))
    }
    let resources = Resources.resourcesPath(&cib)
    cib.insert(clone, into: resources)
  }

  static func unclone(_ cib: inout CIBElement, id: String) throws(PcsFailure) {
    guard let path = Resources.find(id, in: cib) else { throw .legacy("could not find resource: \(id)") }
    var clonePath = path
    if !["clone", "master"].contains(cib[path: path].name) {
      var p = path
      var found: ElementPath?
      while let parent = Resources.parent(of: p, in: cib) {
        if ["clone", "master"].contains(cib[path: parent].name) { found = parent; break }
        p = parent
      }
      guard let found else { throw .legacy("'\(id)' is not a clone resource") }
      clonePath = found
    }
    let clone = cib[path: clonePath]
    guard let child = clone.elements.first(where: { ["primitive", "group"].contains($0.name) }) else { return }
    var parent = cib[path: Array(clonePath.dropLast())]
    parent.children[clonePath.last!] = .element(child)
    cib[path: Array(clonePath.dropLast())] = parent
  }
}
