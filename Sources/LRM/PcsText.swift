/// Text of `pcs resource describe|agents|list` and `pcs stonith describe|list` in pcs 0.11.5's layout.
///
/// Pure functions over metadata values, so the pcs executable stays thin and the layout is tested against the
/// reference samples. Output is not wrapped except where pcs wraps even without a terminal (`list`, at 80
/// columns); every list is sorted explicitly.
public enum PcsAgentText {
  /// pcs's terminal width when stdout is not a terminal.
  public static let columns = 80

  /// `pcs resource describe AGENT [--full]` / `pcs stonith describe AGENT [--full]`.
  public static func describe(_ metadata: AgentMetadata, full: Bool = false) -> String {
    let isStonith = metadata.agent.standard == .stonith
    let name = isStonith ? metadata.agent.type : metadata.agent.description
    var lines: [String] = []
    if let short = metadata.shortdesc, !short.isEmpty {
      lines.append("\(name) - \(oneLine(short))")
    } else {
      lines.append(name)
    }
    if let long = metadata.longdesc, !long.isEmpty {
      lines.append("")
      lines.append(oneLine(long))
    }
    var params: [String] = []
    for p in pcsParameters(metadata) {
      if !full && (p.advanced || p.deprecated) { continue }
      var title = [p.name]
      if !p.deprecatedBy.isEmpty {
        title.append("(deprecated by \(p.deprecatedBy.joined(separator: ", ")))")
      } else if p.deprecated {
        title.append("(deprecated)")
      }
      if p.required { title.append("(required)") }
      if let group = p.uniqueGroup {
        title.append(p.uniqueAlone ? "(unique)" : "(unique group: \(group))")
      }
      var desc = p.longdesc.map(oneLine) ?? ""
      if desc.isEmpty, let s = p.shortdesc { desc = oneLine(s) }
      if desc.isEmpty { desc = "No description available" }
      params.append("  \(title.joined(separator: " ")): \(desc)")
    }
    if !params.isEmpty {
      lines.append("")
      lines.append(isStonith ? "Stonith options:" : "Resource options:")
      lines.append(contentsOf: params)
    }
    let ops = defaultOperations(metadata)
    if !ops.isEmpty {
      lines.append("")
      lines.append("Default operations:")
      for op in ops {
        lines.append("  \(op.name):")
        for (k, v) in op.pairs { lines.append("    \(k)=\(v)") }
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// An operation pcs would create by default, as (name, ordered key=value pairs).
  public struct DefaultOperation: Sendable, Equatable {
    public var name: String
    public var pairs: [(String, String)]
    public static func == (a: DefaultOperation, b: DefaultOperation) -> Bool {
      a.name == b.name && a.pairs.map(\.0) == b.pairs.map(\.0) && a.pairs.map(\.1) == b.pairs.map(\.1)
    }
  }

  /// pcs's default operations: every action but meta-data/status/validate-all (fence devices: monitor only),
  /// plus a monitor if the agent declares none; monitor defaults to a 60s interval, others to 0s.
  public static func defaultOperations(_ metadata: AgentMetadata) -> [DefaultOperation] {
    let isStonith = metadata.agent.standard == .stonith
    var actions = metadata.actions.filter { a in
      isStonith ? a.name == "monitor" : !["meta-data", "status", "validate-all"].contains(a.name)
    }
    if !actions.contains(where: { $0.name == "monitor" }) { actions.append(AgentActionSpec(name: "monitor")) }
    return actions.map { a in
      var pairs: [(String, String)] = []
      let interval = a.interval.flatMap { $0.isEmpty ? nil : $0 } ?? (a.name == "monitor" ? "60s" : "0s")
      pairs.append(("interval", interval))
      if let d = a.startDelay, !d.isEmpty { pairs.append(("start-delay", d)) }
      if let t = a.timeout, !t.isEmpty { pairs.append(("timeout", t)) }
      if let r = a.role, !r.isEmpty { pairs.append(("role", pcsRole(r))) }
      if let depth = a.depth, !depth.isEmpty, depth != "0" { pairs.append(("OCF_CHECK_LEVEL", depth)) }
      return DefaultOperation(name: a.name, pairs: pairs)
    }
  }

  /// The parameters pcs shows: the agent's own, adjusted for fence agents, plus the fencer's (`pcmk_*`) for
  /// fence devices and pcs's trace parameters for ocf:heartbeat / ocf:pacemaker agents.
  public static func pcsParameters(_ metadata: AgentMetadata) -> [AgentParameter] {
    var params = metadata.parameters
    switch metadata.agent.standard {
    case .stonith:
      params.removeAll { $0.name == "help" || $0.name == "version" }
      for i in params.indices where params[i].name == "action" {
        params[i].required = false
        params[i].deprecated = true
      }
      // 'port' and whatever replaces it are filled in by the fencer from pcmk_host_map/pcmk_host_list.
      var portRelated: Set<String> = []
      var next: Set<String> = ["port"]
      while !next.isEmpty {
        let current = next
        next = []
        for p in params where current.contains(p.name) && !portRelated.contains(p.name) {
          portRelated.insert(p.name)
          next.formUnion(p.deprecatedBy)
        }
      }
      for i in params.indices where portRelated.contains(params[i].name) { params[i].required = false }
      params += fencerParameters
    case .ocf where metadata.agent.provider == "heartbeat" || metadata.agent.provider == "pacemaker":
      let names = Set(params.map { $0.name.lowercased() })
      if !names.contains("trace_ra") {
        let short = "Set to 1 to turn on resource agent tracing (expect large output)"
        params.append(
          AgentParameter(
            name: "trace_ra", shortdesc: short,
            longdesc: short
              + " The trace output will be saved to trace_file, if set, or by default to "
              + "$HA_VARRUN/ra_trace/<type>/<id>.<action>.<timestamp> e.g. "
              + "$HA_VARRUN/ra_trace/oracle/db.start.2012-11-27.08:37:08",
            type: "integer", defaultValue: "0", advanced: true))
      }
      if !names.contains("trace_file") {
        let short = "Path to a file to store resource agent tracing log"
        params.append(
          AgentParameter(name: "trace_file", shortdesc: short, longdesc: short, type: "string", defaultValue: "", advanced: true))
      }
    default:
      break
    }
    return params
  }

  /// The fencer's own device parameters that pcs shows without --full (Vigil's fencer honours the same names
  /// as Pacemaker's so existing configurations keep working).
  public static let fencerParameters: [AgentParameter] = [
    AgentParameter(
      name: "pcmk_host_map",
      longdesc: "A mapping of host names to ports numbers for devices that do not support host names. Eg. "
        + "node1:1;node2:2,3 would tell the cluster to use port 1 for node1 and ports 2 and 3 for node2",
      type: "string", defaultValue: ""),
    AgentParameter(
      name: "pcmk_host_list",
      longdesc: "Eg. node1,node2,node3 A list of machines controlled by this device (Optional unless "
        + "pcmk_host_list=static-list)", type: "string", defaultValue: ""),
    AgentParameter(
      name: "pcmk_host_check",
      longdesc: "How to determine which machines are controlled by the device. Allowed values: dynamic-list "
        + "(query the device via the 'list' command), static-list (check the pcmk_host_list attribute), status "
        + "(query the device via the 'status' command), none (assume every device can fence every machine)",
      type: "string", defaultValue: "dynamic-list"),
    AgentParameter(
      name: "pcmk_delay_max",
      longdesc: "Enable a base delay for fencing actions and specify base delay value. Enable a delay of no more "
        + "than the time specified before executing fencing actions. Pacemaker derives the overall delay by "
        + "taking the value of pcmk_delay_base and adding a random delay value such that the sum is kept below "
        + "this maximum.", type: "time", defaultValue: "0s"),
    AgentParameter(
      name: "pcmk_delay_base",
      longdesc: "Enable a base delay for fencing actions and specify base delay value. This enables a static "
        + "delay for fencing actions, which can help avoid \"death matches\" where two nodes try to fence each "
        + "other at the same time. If pcmk_delay_max  is also used, a random delay will be added such that the "
        + "total delay is kept below that value.This can be set to a single time value to apply to any node "
        + "targeted by this device (useful if a separate device is configured for each target), or to a node "
        + "map (for example, \"node1:1s;node2:5\") to set a different value per target.",
      type: "string", defaultValue: "0s"),
    AgentParameter(
      name: "pcmk_action_limit",
      longdesc: "The maximum number of actions can be performed in parallel on this device Cluster property "
        + "concurrent-fencing=true needs to be configured first.Then use this to specify the maximum number of "
        + "actions can be performed in parallel on this device. -1 is unlimited.", type: "integer",
      defaultValue: "1"),
  ]

  /// `pcs resource agents [STANDARD[:PROVIDER]]`: agent types, one per line, sorted case-insensitively
  /// (stable, like Python's sort: equal keys keep their input order).
  public static func agents(_ names: [ResourceAgentName]) -> String {
    let types = names.filter { $0.standard != .stonith }.map(\.type)
    let sorted = types.enumerated().sorted { a, b in
      let (la, lb) = (a.element.lowercased(), b.element.lowercased())
      return la != lb ? la < lb : a.offset < b.offset
    }.map(\.element)
    return sorted.isEmpty ? "" : sorted.joined(separator: "\n") + "\n"
  }

  /// `pcs resource list` (full names) or `pcs stonith list` (types): `NAME - SHORTDESC`, the description
  /// wrapped at 80 columns under itself. Entries are sorted by full name.
  public static func list(_ entries: [(agent: ResourceAgentName, shortdesc: String?)], stonith: Bool) -> String {
    let sorted = entries.sorted { $0.agent.description < $1.agent.description }
    var out = ""
    for e in sorted {
      let name = stonith ? e.agent.type : e.agent.description
      out += formatListEntry(name: name, shortdesc: e.shortdesc) + "\n"
    }
    return out
  }

  /// One `NAME - DESC` entry with pcs's wrapping (pcs `_format_desc`).
  public static func formatListEntry(name: String, shortdesc: String?) -> String {
    guard let desc = shortdesc?.split(whereSeparator: \.isWhitespace).joined(separator: " "), !desc.isEmpty else {
      return name
    }
    let indentation = name.count + 3
    var width = columns - indentation
    if width < 1 { width = columns }
    let wrapped = textWrap(desc, width: width)
    return "\(name) - " + wrapped.joined(separator: "\n" + String(repeating: " ", count: indentation))
  }

  /// Python's `textwrap.wrap` with its defaults: greedy, breaks after hyphens inside words, breaks words
  /// longer than the width.
  public static func textWrap(_ text: String, width: Int) -> [String] {
    precondition(width > 0)
    // Chunks: words split after hyphens that join two letters ("LVM-activate" -> "LVM-", "activate").
    var chunks: [String] = []
    for word in text.split(separator: " ") {
      var current = ""
      let chars = Array(word)
      for (i, c) in chars.enumerated() {
        current.append(c)
        if c == "-", i > 0, chars[i - 1].isLetter, i + 1 < chars.count, chars[i + 1].isLetter {
          chunks.append(current)
          current = ""
        }
      }
      if !current.isEmpty { chunks.append(current) }
      chunks.append(" ")
    }
    if chunks.last == " " { chunks.removeLast() }
    var lines: [String] = []
    var line = ""
    var index = 0
    while index < chunks.count {
      let chunk = chunks[index]
      if line.isEmpty && chunk == " " {
        index += 1
        continue
      }
      if line.count + chunk.count <= width {
        line += chunk
        index += 1
      } else if line.isEmpty {
        // A word longer than the whole width: break it.
        let head = String(chunk.prefix(width))
        lines.append(head)
        chunks[index] = String(chunk.dropFirst(width))
      } else {
        while line.hasSuffix(" ") { line.removeLast() }
        lines.append(line)
        line = ""
      }
    }
    while line.hasSuffix(" ") { line.removeLast() }
    if !line.isEmpty { lines.append(line) }
    return lines
  }

  static func oneLine(_ s: String) -> String {
    String(s.trimmed.map { $0 == "\n" ? " " : $0 })
  }

  static func pcsRole(_ role: String) -> String {
    switch role {
    case "Master": "Promoted"
    case "Slave": "Unpromoted"
    default: role
    }
  }
}
