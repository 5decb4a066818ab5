import CIB

/// Node attributes: standby, maintenance, `node attribute` (instance_attributes `nodes-<id>`) and
/// `node utilization` (utilization `nodes-<id>-utilization`).
enum NodeEdit {
  /// Node names crm_mon knows in an offline CIB: `<nodes>` entries, then status-only ones, sorted.
  static func knownNodes(_ cib: CIBElement) -> [String] {
    var names: [String] = []
    for n in Section.find("nodes", in: cib)?.elements(named: "node") ?? [] {
      if let u = n[attribute: "uname"], !names.contains(u) { names.append(u) }
    }
    for s in cib.firstElement(named: "status")?.elements(named: "node_state") ?? [] {
      if let u = s[attribute: "uname"], !names.contains(u) { names.append(u) }
    }
    return names.sorted()
  }

  static func nodePath(_ cib: inout CIBElement, uname: String) -> ElementPath {
    let nodes = Section.path("nodes", &cib)
    if let i = cib[path: nodes].indexedElements.first(where: { $0.element.name == "node" && $0.element[attribute: "uname"] == uname })?.index {
      return nodes + [i]
    }
    // Known only from the status section: pcs creates the <node> element.
    let stateId = cib.firstElement(named: "status")?.elements(named: "node_state")
      .first { $0[attribute: "uname"] == uname }?.id ?? uname
    cib.insert(CIBElement("node", ["id": stateId, "uname": uname]), into: nodes)
    return nodes + [cib[path: nodes].children.count - 1]
  }

  /// Sets/removes `pairs` in the node's first set named `tag` (created first in the node when needed).
  static func update(_ cib: inout CIBElement, uname: String, tag: String, pairs: [(String, String)]) {
    var ids = IdProvider(cib)
    let node = nodePath(&cib, uname: uname)
    let setPath: ElementPath
    if let i = cib[path: node].childIndex(named: tag) {
      setPath = node + [i]
    } else {
      if pairs.allSatisfy({ $0.1.isEmpty }) { return }
      let nodeId = cib[path: node].id ?? uname
      let setId = ids.allocate(Ids.sanitize(tag == "utilization" ? "nodes-\(nodeId)-utilization" : "nodes-\(nodeId)"))
      // instance_attributes go first (pcs's arrange_first_nvset); utilization is appended.
      let index = tag == "utilization" ? cib[path: node].children.count : 0
      cib.insert(CIBElement(tag, ["id": setId]), into: node, at: index)
      setPath = node + [index]
    }
    NVSets.update(&cib, set: setPath, pairs: pairs, ids: &ids)
  }
}

/// `resource group add` (pcs/lib/commands/resource.py::group_add).
enum GroupEdit {
  static func add(
    _ cib: inout CIBElement, group: String, resources: [String], before: String?, after: String?
  ) throws(PcsFailure) {
    var report = Report(force: false)
    let ids = IdProvider(cib)
    let groupPath = Resources.find(group, in: cib)
    if let groupPath {
      if cib[path: groupPath].name != "group" { report.error("'\(group)' is not a group") }
    } else if ids.exists(group) {
      report.error("'\(group)' is not a group")
    } else if let reason = Ids.invalidReason(group, description: "group name") {
      report.error(reason)
    }
    if let adjacent = before ?? after {
      if let gp = groupPath, cib[path: gp].name == "group" {
        if !cib[path: gp].elements.contains(where: { $0.id == adjacent }) {
          if Resources.find(adjacent, in: cib) == nil {
            report.error("'\(adjacent)' does not exist")
          } else {
            report.error("There is no resource '\(adjacent)' in the group '\(group)', cannot add resources next to it")
          }
        }
      } else if Resources.find(adjacent, in: cib) == nil {
        report.error("'\(adjacent)' does not exist")
      } else {
        report.error("There is no resource '\(adjacent)' in the group '\(group)', cannot add resources next to it")
      }
    }
    // pcs stops here when the adjacent resource is wrong, before looking at the resources to add.
    if report.hasErrors && (before ?? after) != nil { try report.check() }
    var duplicates: [String] = []
    var seen = Set<String>()
    for r in resources {
      if seen.contains(r) && !duplicates.contains(r) { duplicates.append(r) }
      seen.insert(r)
    }
    var valid: [String] = []
    var warnedStonith = false
    for r in resources where !valid.contains(r) {
      guard let p = Resources.find(r, in: cib) else {
        report.error("'\(r)' does not exist")
        continue
      }
      let e = cib[path: p]
      switch e.name {
      case "group": report.error("'\(r)' is a group resource, group resources cannot be put into a group")
      case "clone", "master": report.error("'\(r)' is a clone resource, clone resources cannot be put into a group")
      case "bundle": report.error("'\(r)' is a bundle resource, bundle resources cannot be put into a group")
      default:
        if Resources.isStonith(e) && !warnedStonith {
          Console.deprecation(
            "Ability of this command to accept stonith resource is deprecated and will be removed in a future release.")
          warnedStonith = true
        }
        if let parent = Resources.parent(of: p, in: cib), cib[path: parent].name != "group" {
          let kind = cib[path: parent].name == "bundle" ? "bundle" : "clone"
          report.error("'\(r)' cannot be put into a group because its parent '\(cib[path: parent].id ?? "")' is a \(kind) resource")
        } else {
          valid.append(r)
        }
      }
    }
    if !duplicates.isEmpty {
      report.error("Resources to add or remove must be unique, duplicate resources: \(duplicates.map { "'\($0)'" }.joined(separator: ", "))")
    }
    if valid.isEmpty && resources.allSatisfy({ Resources.find($0, in: cib) == nil }) {
      report.error("Cannot modify group '\(group)', no resources to add or remove specified")
    }
    // Groups that would be left empty must not be referenced by constraints.
    var emptied: [String: [String]] = [:]
    for r in valid {
      if let p = Resources.find(r, in: cib), let parent = Resources.parent(of: p, in: cib), cib[path: parent].name == "group",
        let pid = cib[path: parent].id, pid != group
      {
        emptied[pid, default: []].append(r)
      }
    }
    for (pid, moving) in emptied.sorted(by: { $0.key < $1.key }) {
      guard let gp = Resources.find(pid, in: cib) else { continue }
      let members = cib[path: gp].elements.filter { Resources.kinds.contains($0.name) }.compactMap(\.id)
      if Set(members).isSubset(of: Set(moving)) && Constraints.references(pid, in: cib) {
        report.error(
          "Unable to move resources \(moving.map { "'\($0)'" }.joined(separator: ", ")) as it would leave group '\(pid)' empty. Please, use the 'pcs resource ungroup \(pid)' command first.")
      }
    }
    try report.check()

    // Take the resources out (deleting groups, and their clones, left empty), then put them in the group.
    var moving: [CIBElement] = []
    for r in valid {
      guard let p = Resources.find(r, in: cib) else { continue }
      if let parent = Resources.parent(of: p, in: cib), cib[path: parent].id == group {
        // Already in this group: it is only repositioned if --before/--after says so.
        if before == nil && after == nil { continue }
      }
      moving.append(cib.removeElement(at: p))
      removeEmptyGroups(&cib)
    }
    var gp: ElementPath
    if let existing = Resources.find(group, in: cib) {
      gp = existing
    } else {
      let resourcesPath = Resources.resourcesPath(&cib)
      cib.insert(CIBElement("group", ["id": group]), into: resourcesPath)
      gp = resourcesPath + [cib[path: resourcesPath].children.count - 1]
    }
    var g = cib[path: gp]
    var index = g.children.count
    if let before, let i = g.childIndex(id: before) { index = i }
    if let after, let i = g.childIndex(id: after) { index = i + 1 }
    for (offset, e) in moving.enumerated() { g.children.insert(.element(e), at: index + offset) }
    cib[path: gp] = g
  }

  /// Deletes groups without members, and a clone whose group was deleted.
  static func removeEmptyGroups(_ cib: inout CIBElement) {
    while let p = cib.firstPath(where: { g in
      g.name == "group" && !g.elements.contains { Resources.kinds.contains($0.name) }
    }) {
      if let parent = Resources.parent(of: p, in: cib), ["clone", "master"].contains(cib[path: parent].name) {
        cib.removeElement(at: parent)
      } else {
        cib.removeElement(at: p)
      }
    }
  }
}

/// Constraint lookups shared by several commands.
enum Constraints {
  static let tags: Set<String> = ["rsc_location", "rsc_colocation", "rsc_order", "rsc_ticket"]

  /// Whether any constraint refers to `id` (directly or in a resource set).
  static func references(_ id: String, in cib: CIBElement) -> Bool {
    guard let cons = Section.find("constraints", in: cib) else { return false }
    return !referencing(id, cons).isEmpty
  }

  /// Constraints (direct children of `<constraints>`) that refer to `id`.
  static func referencing(_ id: String, _ constraints: CIBElement) -> [CIBElement] {
    constraints.elements.filter { c in
      for key in ["rsc", "with-rsc", "first", "then"] where c[attribute: key] == id { return true }
      var found = false
      c.forEachDescendant { e in if e.name == "resource_ref" && e.id == id { found = true } }
      return found
    }
  }
}
