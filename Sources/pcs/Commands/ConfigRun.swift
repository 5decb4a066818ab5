import ArgumentParser
import CIB

/// `pcs config`: cluster name, corosync nodes, resources, stonith, constraints, properties.
struct ConfigCommand: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "config", abstract: "Show the whole cluster configuration.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) { try runConfig(self) }
}

/// `pcs resource config` / `pcs stonith config` text blocks (pcs 0.11's resource config printer).
enum ResourceConfigText {
  static func block(_ e: CIBElement, indent: Int) -> [String] {
    let pad = String(repeating: " ", count: indent)
    var lines: [String] = []
    func sets(_ owner: CIBElement, _ tag: String, _ title: String, _ pad: String) {
      for set in owner.elements(named: tag) {
        lines.append("\(pad)\(title): \(set.id ?? "")")
        for p in NVSets.pairs(set) { lines.append("\(pad)  \(p.name)=\(p.value)") }
      }
    }
    switch e.name {
    case "primitive":
      var head = "\(pad)Resource: \(e.id ?? "") (class=\(e[attribute: "class"] ?? "")"
      if let p = e[attribute: "provider"] { head += " provider=\(p)" }
      head += " type=\(e[attribute: "type"] ?? ""))"
      lines.append(head)
      if let d = e[attribute: "description"] { lines.append("\(pad)  Description: \(d)") }
      sets(e, "instance_attributes", "Attributes", pad + "  ")
      sets(e, "meta_attributes", "Meta Attributes", pad + "  ")
      sets(e, "utilization", "Utilization", pad + "  ")
      let ops = e.firstElement(named: "operations")?.elements(named: "op") ?? []
      if !ops.isEmpty {
        lines.append("\(pad)  Operations:")
        for op in ops {
          lines.append("\(pad)    \(op[attribute: "name"] ?? ""): \(op.id ?? "")")
          for a in op.attributes where a.name != "id" && a.name != "name" { lines.append("\(pad)      \(a.name)=\(a.value)") }
          if let level = ResourceEdits.checkLevel(op) { lines.append("\(pad)      OCF_CHECK_LEVEL=\(level)") }
        }
      }
    case "group":
      lines.append("\(pad)Group: \(e.id ?? "")")
      sets(e, "meta_attributes", "Meta Attributes", pad + "  ")
      for c in e.elements where c.name == "primitive" { lines += block(c, indent: indent + 2) }
    case "clone", "master":
      lines.append("\(pad)Clone: \(e.id ?? "")")
      sets(e, "meta_attributes", "Meta Attributes", pad + "  ")
      for c in e.elements where ["primitive", "group"].contains(c.name) { lines += block(c, indent: indent + 2) }
    default:
      break
    }
    return lines
  }

  /// Top-level resources, stonith devices left out (or only them).
  static func all(_ cib: CIBElement, stonith: Bool, indent: Int) -> [String] {
    var lines: [String] = []
    for e in Section.find("resources", in: cib)?.elements ?? [] where Resources.kinds.contains(e.name) {
      if Resources.isStonith(e) != stonith { continue }
      lines += block(e, indent: indent)
    }
    return lines
  }

  static func json(_ e: CIBElement) -> JSON {
    func sets(_ tag: String) -> JSON {
      .array(e.elements(named: tag).map { set in
        .object([("id", .string(set.id ?? "")), ("nvpairs", .array(NVSets.pairs(set).map { .object([("name", .string($0.name)), ("value", .string($0.value))]) }))])
      })
    }
    var members: [(String, JSON)] = [("type", .string(e.name)), ("id", .string(e.id ?? ""))]
    if e.name == "primitive" {
      members += [
        ("class", .string(e[attribute: "class"] ?? "")), ("provider", e[attribute: "provider"].map(JSON.string) ?? .null),
        ("agent_type", .string(e[attribute: "type"] ?? "")), ("instance_attributes", sets("instance_attributes")),
        ("meta_attributes", sets("meta_attributes")),
        ("operations", .array((e.firstElement(named: "operations")?.elements(named: "op") ?? []).map { op in
          .object(op.attributes.map { ($0.name, JSON.string($0.value)) })
        })),
      ]
    } else {
      members += [
        ("meta_attributes", sets("meta_attributes")),
        ("members", .array(e.elements.filter { Resources.kinds.contains($0.name) }.map(json))),
      ]
    }
    return .object(members)
  }
}

func runResourceConfig(_ cmd: some PcsCommand, stonith: Bool) throws(PcsFailure) {
  let words = cmd.args
  try cmd.rejectUnsupportedOptions(in: words)
  let cib = try CIBTarget.load(cmd.global)
  var elements: [CIBElement] = []
  if words.isEmpty {
    elements = (Section.find("resources", in: cib)?.elements ?? []).filter {
      Resources.kinds.contains($0.name) && Resources.isStonith($0) == stonith
    }
  } else {
    for id in words {
      if let p = Resources.find(id, in: cib), Resources.isStonith(cib[path: p]) == stonith || cib[path: p].name != "primitive" {
        elements.append(cib[path: p])
      } else {
        Console.warn("Unable to find \(stonith ? "stonith device" : "resource") '\(id)'")
      }
    }
    if elements.isEmpty { throw .legacy(stonith ? "No stonith device found" : "No resource found") }
  }
  if cmd.global.outputAs == .json {
    Console.out(JSON.array(elements.map(ResourceConfigText.json)).render())
    return
  }
  Console.outRaw(elements.flatMap { ResourceConfigText.block($0, indent: 0) }.map { $0 + "\n" }.joined())
}

func runConfig(_ cmd: some PcsCommand) throws(PcsFailure) {
  let words = cmd.args
  try cmd.rejectUnsupportedOptions(in: words)
  // `pcs config show` is pcs's spelling of the same view; any other word is not a config command.
  if !(words.isEmpty || words == ["show"]) { throw .usage(ConfigCommand.self) }
  let conf = cmd.global.corosyncConf ?? "/etc/corosync/corosync.conf"
  let cib = try CIBTarget.load(cmd.global)
  let clusterName = (try? CorosyncConf.clusterName(conf)) ?? ""
  var lines = ["Cluster Name: \(clusterName)", "Corosync Nodes:", " " + CorosyncConf.nodeNames(conf).joined(separator: " ")]
  let nodes = (Section.find("nodes", in: cib)?.elements(named: "node") ?? []).compactMap { $0[attribute: "uname"] }
  if cmd.global.outputAs == .json {
    // The same sections as the text, each in the shape its own read command prints with --output-as json.
    func top(_ stonith: Bool) -> [JSON] {
      (Section.find("resources", in: cib)?.elements ?? []).filter {
        Resources.kinds.contains($0.name) && Resources.isStonith($0) == stonith
      }.map(ResourceConfigText.json)
    }
    func defaults(_ tag: String) -> JSON {
      .array((Section.find(tag, in: cib)?.elements(named: "meta_attributes") ?? []).map(DefaultsView.json))
    }
    let properties = PropertyEdit.configured(cib).map { JSON.object([("name", .string($0.name)), ("value", .string($0.value))]) }
    Console.out(
      JSON.object([
        ("cluster_name", .string(clusterName)),
        ("corosync_nodes", .array(CorosyncConf.nodeNames(conf).map(JSON.string))),
        ("pacemaker_nodes", .array(nodes.map(JSON.string))),
        ("resources", .array(top(false))),
        ("stonith_devices", .array(top(true))),
        ("constraints", ConstraintEdits.json(cib)),
        ("resource_defaults", defaults("rsc_defaults")),
        ("operation_defaults", defaults("op_defaults")),
        ("properties", .array(properties)),
      ]).render())
    return
  }
  lines += ["Pacemaker Nodes:", " " + nodes.joined(separator: " "), "", "Resources:"]
  lines += ResourceConfigText.all(cib, stonith: false, indent: 2)
  lines += ["", "Stonith Devices:"]
  lines += ResourceConfigText.all(cib, stonith: true, indent: 2)
  lines += ["Fencing Levels:", ""]
  lines += ConstraintEdits.allLines(cib, full: true)
  lines += ["", "Alerts:", " No alerts defined", "", "Resources Defaults:"]
  for (tag, title) in [("rsc_defaults", ""), ("op_defaults", "Operations Defaults:")] {
    if !title.isEmpty { lines.append(title) }
    let sets = Section.find(tag, in: cib)?.elements(named: "meta_attributes") ?? []
    if sets.isEmpty { lines.append("  No defaults set") }
    for set in sets { lines += DefaultsView.text(set).split(separator: "\n").map { "  " + $0 } }
  }
  lines += ["", "Cluster Properties:"]
  lines += PropertyEdit.configured(cib).map { " \($0.name): \($0.value)" }
  lines += ["", "Tags:", " No tags defined", "", "Quorum:", "  Options:"]
  Console.outRaw(lines.map { $0 + "\n" }.joined())
}
