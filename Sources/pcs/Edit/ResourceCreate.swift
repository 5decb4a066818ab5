import CIB
import LRM

/// `resource create` / `stonith create` (pcs/lib/cib/resource/primitive.py::create and its wrappers).
struct ResourceCreateRequest {
  var id: String
  var agent: String
  var arguments: ResourceArguments
  var viaStonithCommand: Bool
  var group: String?
  var before: String?
  var after: String?
  var disabled: Bool
  var noDefaultOps: Bool
  var force: Bool
}

enum ResourceCreateEdit {
  static func apply(_ cib: inout CIBElement, _ r: ResourceCreateRequest) throws(PcsFailure) {
    var ids = IdProvider(cib)
    if ids.exists(r.id) { throw .legacy("'\(r.id)' already exists") }
    if let reason = Ids.invalidReason(r.id, description: "resource name") { throw .legacy(reason) }

    var report = Report(force: r.force)
    let agent = try resolveAgent(r.agent, viaStonithCommand: r.viaStonithCommand)
    let stonith = agent.standard == "stonith"
    if stonith && !r.viaStonithCommand {
      Console.deprecation(
        "Ability of this command to accept fence agent is deprecated and will be removed in a future release. Use 'pcs stonith create' command instead.")
    }
    var metadata: AgentMetadata?
    do {
      metadata = try Agents.metadata(agent)
    } catch {
      report.forceable(
        "Agent '\(agent.full)' is not installed or does not provide valid metadata: crm_resource: Metadata query for \(agent.full) failed: No such device or address, Error performing operation: No such object")
      metadata = nil
    }
    if report.hasErrors { try report.check() }

    // Operations: the user's, then the metadata's defaults for the other names.
    let userOps = Operations.planUserOps(
      r.arguments.operations, agentActions: metadata.map { $0.actions.map(\.name) } ?? (r.arguments.operations.isEmpty ? nil : []),
      report: &report)
    let defaultOps = Operations.defaults(
      metadata, stonith: stonith, userNames: Set(userOps.map(\.name)), necessaryOnly: r.noDefaultOps)

    if let metadata {
      validateInstanceAttributes(r.arguments.instance, metadata: metadata, agent: agent, stonith: stonith, cib: cib, report: &report)
    }
    if let clone = r.arguments.clone, clone.kind == .promotable || clone.options.contains(where: { $0.0 == "promotable" && Agents.isTrue($0.1) }) {
      if ["systemd", "lsb", "service", "stonith"].contains(agent.standard) {
        report.error("Clone option 'promotable' is not compatible with '\(agent.full)' resource agent of resource '\(r.id)'")
      }
    }
    if let group = r.group {
      if let path = Resources.find(group, in: cib) {
        if cib[path: path].name != "group" { report.error("'\(group)' is not a group") }
      } else if ids.exists(group) {
        report.error("'\(group)' is not a group")
      } else if let reason = Ids.invalidReason(group, description: "group name") {
        report.error(reason)
      }
      if let adjacent = r.before ?? r.after {
        if let gp = Resources.find(group, in: cib), cib[path: gp].name == "group" {
          if !cib[path: gp].elements.contains(where: { $0.id == adjacent }) {
            if Resources.find(adjacent, in: cib) == nil {
              report.error("'\(adjacent)' does not exist")
            } else {
              report.error("There is no resource '\(adjacent)' in the group '\(group)', cannot put a resource next to it")
            }
          }
        }
      }
    }
    try report.check()

    // Build the primitive: instance_attributes, meta_attributes, operations.
    ids.book(r.id)
    var primitive = CIBElement("primitive", ["id": r.id, "class": agent.standard, "type": agent.type])
    if let provider = agent.provider { primitive[attribute: "provider"] = provider }
    let instance = r.arguments.instance.filter { !$0.1.isEmpty }
    if !instance.isEmpty {
      let setId = ids.subelementId(r.id, "instance_attributes")
      primitive.append(NVSets.newSet("instance_attributes", id: setId, pairs: instance, ids: &ids))
    }
    var meta = r.arguments.meta.filter { !$0.1.isEmpty }
    if r.disabled && r.arguments.clone == nil { meta.append(("target-role", "Stopped")) }
    if !meta.isEmpty {
      let setId = ids.subelementId(r.id, "meta_attributes")
      primitive.append(NVSets.newSet("meta_attributes", id: setId, pairs: meta, ids: &ids))
    }
    primitive.append(Operations.element(userOps + defaultOps, resourceId: r.id, ids: &ids))

    let resources = Resources.resourcesPath(&cib)
    if let clone = r.arguments.clone {
      let cloneId = clone.id ?? "\(r.id)-clone"
      if ids.exists(cloneId) { throw .legacy("'\(cloneId)' already exists") }
      ids.book(cloneId)
      var element = CIBElement("clone", ["id": cloneId], children: [primitive])
      var options = clone.options.filter { !$0.1.isEmpty }
      if clone.kind == .promotable && !options.contains(where: { $0.0 == "promotable" }) {
        options.append(("promotable", "true"))
      }
      if r.disabled { options.append(("target-role", "Stopped")) }
      if !options.isEmpty {
        element.append(NVSets.newSet("meta_attributes", id: ids.subelementId(cloneId, "meta_attributes"), pairs: options, ids: &ids))
      }
      cib.insert(element, into: resources)
    } else if let group = r.group {
      if let gp = Resources.find(group, in: cib) {
        var g = cib[path: gp]
        var index = g.children.count
        if let before = r.before, let i = g.childIndex(id: before) { index = i }
        if let after = r.after, let i = g.childIndex(id: after) { index = i + 1 }
        g.children.insert(.element(primitive), at: index)
        cib[path: gp] = g
      } else {
        cib.insert(CIBElement("group", ["id": group], children: [primitive]), into: resources)
      }
    } else {
      cib.insert(primitive, into: resources)
    }
  }

  /// Full agent name from what was typed; prints pcs's "Assumed agent name" note for short OCF names.
  static func resolveAgent(_ typed: String, viaStonithCommand: Bool) throws(PcsFailure) -> AgentName {
    if viaStonithCommand {
      if typed.contains(":") {
        throw .library(
          "Invalid stonith agent name '\(typed)'. Agent name cannot contain the ':' character, do not use the 'stonith:' prefix. List of agents can be obtained by using command 'pcs stonith list'.")
      }
      return AgentName(standard: "stonith", provider: nil, type: typed)
    }
    if let full = AgentName.parseFull(typed) { return full }
    if !typed.contains(":") {
      let alternatives = Agents.ocfAlternatives(typed)
      if alternatives.count == 1 {
        Console.err("Assumed agent name '\(alternatives[0].full)' (deduced from '\(typed)')")
        return alternatives[0]
      }
      if alternatives.count > 1 {
        throw .library(
          "Multiple agents match '\(typed)', please specify full name: \(alternatives.map { "'\($0.full)'" }.joined(separator: ", "))")
      }
    }
    throw .library("Unable to find agent '\(typed)', try specifying its full name")
  }

  static func validateInstanceAttributes(
    _ pairs: [(String, String)], metadata: AgentMetadata, agent: AgentName, stonith: Bool, cib: CIBElement,
    report: inout Report
  ) {
    let kind = stonith ? "stonith" : "resource"
    var allowed = metadata.parameters.map(\.name)
    if stonith { allowed += Agents.fencedParameters }
    if agent.standard == "ocf" { allowed += ["trace_ra", "trace_file"] }
    let allowedSet = Set(allowed)
    let given = pairs.map(\.0)
    let unknown = given.filter { !allowedSet.contains($0) }
    if !unknown.isEmpty {
      let list = Array(allowedSet).sorted().map { "'\($0)'" }.joined(separator: ", ")
      let names = Array(Set(unknown)).sorted()
      if names.count == 1 {
        report.forceable("invalid \(kind) option '\(names[0])', allowed options are: \(list)")
      } else {
        report.forceable("invalid \(kind) options: \(names.map { "'\($0)'" }.joined(separator: ", ")), allowed options are: \(list)")
      }
    }
    if stonith && given.contains("action") {
      report.forceable(
        "stonith option 'action' is deprecated and should not be used, use 'pcmk_off_action', 'pcmk_reboot_action' instead")
    }
    // Required parameters; for fence agents the target is given by pcmk_host_map/list instead of port/plug.
    var missing: [String] = []
    for p in metadata.parameters where p.required && !p.deprecated {
      if stonith && ["port", "plug", "nodename", "action"].contains(p.name) { continue }
      if given.contains(p.name) { continue }
      // OCF 1.0 `obsoletes`: the old parameter, given, stands for the required new one.
      if metadata.parameters.contains(where: { given.contains($0.name) && $0.deprecatedBy.contains(p.name) }) { continue }
      missing.append(p.name)
    }
    if missing.count == 1 {
      report.forceable("required \(kind) option '\(missing[0])' is missing")
    } else if missing.count > 1 {
      report.forceable("required \(kind) options \(missing.sorted().map { "'\($0)'" }.joined(separator: ", ")) are missing")
    }
    // Unique parameters must not repeat a value used by another resource of the same agent.
    // Uniqueness of single parameters (OCF 1.0 unique="1", or an OCF 1.1 unique-group of one).
    let groupSizes = Dictionary(grouping: metadata.parameters.compactMap(\.uniqueGroup), by: { $0 }).mapValues(\.count)
    for p in metadata.parameters where p.uniqueAlone || p.uniqueGroup.map({ groupSizes[$0] == 1 }) == true {
      guard let value = pairs.first(where: { $0.0 == p.name })?.1, !value.isEmpty else { continue }
      let clashing = Resources.primitives(cib).filter { other in
        Resources.agentName(other) == agent.full
          && NVSets.value(other, tag: "instance_attributes", name: p.name) == value
      }.compactMap(\.id).sorted()
      if !clashing.isEmpty {
        report.forceable(
          "Value '\(value)' of option '\(p.name)' is not unique across '\(agent.full)' resources. Following resources are configured with the same value of the instance attribute: \(clashing.map { "'\($0)'" }.joined(separator: ", "))")
      }
    }
  }
}
