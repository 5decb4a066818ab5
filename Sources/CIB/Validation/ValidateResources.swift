// Checks of resources: primitives, groups, clones, bundles and their operations.

extension Validator {
  mutating func checkResource(_ r: CIBElement, parent: CIBElement?) {
    switch r.name {
    case "primitive": checkPrimitive(r)
    case "template": checkPrimitive(r)
    case "group":
      for child in r.elements where child.name != "meta_attributes" && child.name != "instance_attributes" {
        if child.name == "primitive" {
          checkPrimitive(child)
        } else if Resource.elementNames.contains(child.name) {
          report(.error, .invalidGroupMember, r,
                 "member \(child.id.map { "'\($0)'" } ?? "") is a \(child.name): a group may contain only primitives; move it out of the group")
          checkResource(child, parent: r)
        }
      }
      if r.elements(named: "primitive").isEmpty {
        report(.warning, .invalidGroupMember, r, "the group has no members: add a primitive or delete the group")
      }
      checkMetaSets(r)
    case "clone", "master":
      let children = r.elements.filter { Resource.elementNames.contains($0.name) }
      if children.isEmpty {
        report(.error, .invalidCloneChild, r, "the \(r.name) has nothing to clone: put one primitive or group inside it")
      } else if children.count > 1 {
        report(.error, .invalidCloneChild, r,
               "the \(r.name) has \(children.count) children (\(children.compactMap(\.id).joined(separator: ", "))): a clone holds exactly one primitive or group; make a clone for each")
      }
      for child in children {
        if child.name == "clone" || child.name == "master" || child.name == "bundle" {
          report(.error, .invalidCloneChild, r,
                 "'\(child.id ?? "")' is a \(child.name): a clone may contain only a primitive or a group")
        }
        checkResource(child, parent: r)
      }
      checkMetaSets(r)
    case "bundle":
      if !r.elements.contains(where: { Bundle.containerNames.contains($0.name) }) {
        report(.error, .missingAttribute, r, "the bundle has no container: add a <docker>, <podman> or <rkt> element with an image")
      }
      for p in r.elements(named: "primitive") { checkPrimitive(p) }
      checkMetaSets(r)
    default: break
    }
  }

  /// A legacy master, a clone with meta promotable=true, or a bundle with promoted-max > 0.
  func isPromotable(_ r: CIBElement) -> Bool {
    switch r.name {
    case "master": return true
    case "clone":
      return r.elements(named: "meta_attributes").contains { set in
        set.elements(named: "nvpair").contains { $0[attribute: "name"] == "promotable" && parseBoolean($0[attribute: "value"]) == true }
      }
    case "bundle":
      let container = r.elements.first { Bundle.containerNames.contains($0.name) }
      let max = parseInteger(container?[attribute: "promoted-max"]) ?? parseInteger(container?[attribute: "masters"]) ?? 0
      return max > 0
    default: return false
    }
  }

  mutating func checkMetaSets(_ r: CIBElement) {
    for set in r.elements {
      if set.name == "meta_attributes" { checkAttributeSet(set, meta: true) }
      if set.name == "instance_attributes" || set.name == "utilization" { checkAttributeSet(set, meta: false) }
    }
  }

  mutating func checkPrimitive(_ p: CIBElement) {
    let what = p.name == "template" ? "template" : "primitive"
    if let template = p[attribute: "template"], p.name == "primitive" {
      if !templateIDs.contains(template) {
        report(.error, .unknownTemplate, p,
               "template=\"\(template)\" references an unknown template: create <template id=\"\(template)\"> or remove the attribute")
      }
    } else {
      let cls = p[attribute: "class"]
      if cls == nil {
        report(.error, .missingAttribute, p, "\(what) has no class: add class=\"ocf\" (or lsb, systemd, stonith...)")
      }
      if p[attribute: "type"] == nil {
        report(.error, .missingAttribute, p, "\(what) has no type: add the agent name, e.g. type=\"Dummy\"")
      }
      if let cls {
        if !knownResourceClasses.contains(cls) {
          report(.error, .unknownResourceClass, p,
                 "class=\"\(cls)\" is not a resource class: use one of \(knownResourceClasses.sorted().joined(separator: ", "))")
        } else if cls == "ocf", p[attribute: "provider"] == nil {
          report(.error, .missingProvider, p, "class ocf needs a provider: add provider=\"heartbeat\" (or pacemaker, ...)")
        } else if cls != "ocf", let provider = p[attribute: "provider"] {
          report(.warning, .unexpectedProvider, p,
                 "provider=\"\(provider)\" is ignored for class \(cls): only ocf agents have a provider; remove it")
        }
      }
    }
    checkMetaSets(p)
    // Pacemaker's is_op_dup: one name+interval combination per resource.
    var seenOps: [String: String] = [:]
    for op in p.firstElement(named: "operations")?.elements(named: "op") ?? [] {
      checkOperation(op)
      guard let name = op[attribute: "name"], op[attribute: "id-ref"] == nil,
        let interval = try? Milliseconds(interval: op[attribute: "interval"] ?? "0"), interval > .zero
      else { continue }  // Pacemaker only checks recurring operations
      let key = "\(name)_\(interval.value)"
      if let first = seenOps[key] {
        report(.error, .duplicateOperation, op,
               "operation \(op.id ?? "") is duplicate of \(first) (do not use same name and interval combination more than once per resource): remove one or change its interval")
      } else {
        seenOps[key] = op.id ?? ""
      }
    }
  }

  mutating func checkOperation(_ op: CIBElement) {
    if let ref = op[attribute: "id-ref"] {
      checkIDRef(op, ref)
      return
    }
    if op[attribute: "name"] == nil {
      report(.error, .missingAttribute, op, "op has no name: add name=\"monitor\" (or start, stop, ...)")
    }
    if let interval = op[attribute: "interval"] {
      do throws(DurationParseError) { _ = try Milliseconds(interval: interval) } catch {
        report(.error, .invalidInterval, op, "interval: \(error.message)")
      }
    } else {
      report(.error, .missingAttribute, op, "op has no interval: add interval=\"0s\" for a one-shot action or e.g. \"10s\" for a monitor")
    }
    for name in ["timeout", "start-delay"] {
      guard let v = op[attribute: name] else { continue }
      do throws(DurationParseError) { _ = try Milliseconds(time: v) } catch {
        report(.error, .invalidDuration, op, "\(name): \(error.message)")
      }
    }
    checkRole(op, "role")
    checkEnum(op, "on-fail", Operation.onFailValues)
    if let onFail = op[attribute: "on-fail"], let name = op[attribute: "name"] {
      let promotedMonitor = name == "monitor" && ["Promoted", "Master"].contains(op[attribute: "role"] ?? "")
      if name == "stop", onFail == "stop" {
        report(.error, .onFailNotAllowed, op,
               "on-fail=\"stop\" is not allowed for stop (Pacemaker resets it to the default): remove it, or use block or fence")
      } else if onFail == "demote", name != "promote", !promotedMonitor {
        report(.error, .onFailNotAllowed, op,
               "on-fail=\"demote\" is only allowed for promote and for monitors with role=\"Promoted\" (Pacemaker resets it to the default)")
      }
    }
    checkBoolean(op, "enabled")
    checkBoolean(op, "record-pending")
    for set in op.elements where set.name == "meta_attributes" || set.name == "instance_attributes" {
      checkAttributeSet(set, meta: false)
    }
  }
}
