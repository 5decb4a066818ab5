import CIB

// The pure part of the fencer: stonith devices and fencing-topology levels read from the CIB, which devices can
// fence a target (pcmk_host_list / pcmk_host_map / pcmk_host_check), and the plan of levels to try.

/// How a device decides whether it can fence a node (`pcmk_host_check`).
public enum HostCheck: String, Sendable, Hashable {
  /// The node is in pcmk_host_list or pcmk_host_map.
  case staticList = "static-list"
  /// The node is in the output of the agent's `list` action.
  case dynamicList = "dynamic-list"
  /// The agent's `status` action for the node's port answers (on or off).
  case status
  /// Every device can fence every node.
  case none
}

/// The fence actions a fencing request can ask for (`stonith-action`, `pcs stonith fence --off`).
public enum FenceAction: String, Sendable, Hashable, CaseIterable {
  case reboot, off, on

  /// The agent action: fence agents call it the same.
  public var agentAction: AgentAction {
    switch self {
    case .reboot: .reboot
    case .off: .off
    case .on: .on
    }
  }

  /// `stonith-action` values; "poweroff" is Pacemaker's deprecated spelling of "off".
  public init?(stonithAction text: String) {
    switch text {
    case "reboot": self = .reboot
    case "off", "poweroff": self = .off
    case "on": self = .on
    default: return nil
    }
  }
}

/// A stonith device: a `primitive class="stonith"` of the configuration.
public struct FenceDevice: Sendable, Hashable {
  public var id: String
  public var agent: ResourceAgentName
  /// Instance attributes as the agent receives them (everything but `pcmk_*`), in CIB order.
  public var parameters: [AgentCall.Parameter]
  /// `pcmk_host_list`: nodes this device can fence.
  public var hostList: [String]?
  /// `pcmk_host_map`: node -> port, in order.
  public var hostMap: [(node: String, port: String)]
  /// `pcmk_host_check`, if set; otherwise derived (see `effectiveHostCheck`).
  public var hostCheck: HostCheck?
  /// `pcmk_host_argument`: the agent parameter that names the port; nil: derived from the agent's meta-data;
  /// "none": the port is not passed.
  public var hostArgument: String?
  /// `pcmk_<action>_action` remappings (for example reboot -> off).
  public var actionRemap: [FenceAction: String]
  /// `pcmk_<action>_timeout` overrides of `stonith-timeout`.
  public var actionTimeout: [String: Duration]
  /// `pcmk_<action>_retries` (default 2): attempts of the action within its timeout.
  public var actionRetries: [String: Int]
  /// `priority` meta attribute: without topology, devices are tried highest first.
  public var priority: Int
  /// `pcmk_delay_base`: a static delay before this device fences (a time, or a `node:time;...` map: the target's
  /// entry, 0 for a node not in it).
  public var delayBase: Duration = .zero
  public var delayBaseByNode: [String: Duration] = [:]
  /// `pcmk_delay_max`: the delay is at most this, base + a random part of (max - base).
  public var delayMax: Duration = .zero

  public static func == (a: FenceDevice, b: FenceDevice) -> Bool {
    a.id == b.id && a.agent == b.agent && a.parameters == b.parameters && a.hostList == b.hostList
      && a.hostMap.map(\.node) == b.hostMap.map(\.node) && a.hostMap.map(\.port) == b.hostMap.map(\.port)
      && a.hostCheck == b.hostCheck && a.hostArgument == b.hostArgument && a.actionRemap == b.actionRemap
      && a.actionTimeout == b.actionTimeout && a.actionRetries == b.actionRetries && a.priority == b.priority
      && a.delayBase == b.delayBase && a.delayBaseByNode == b.delayBaseByNode && a.delayMax == b.delayMax
  }

  public func hash(into h: inout Hasher) { h.combine(id) }

  public init(
    id: String, agent: ResourceAgentName, parameters: [AgentCall.Parameter] = [], hostList: [String]? = nil,
    hostMap: [(node: String, port: String)] = [], hostCheck: HostCheck? = nil, hostArgument: String? = nil,
    actionRemap: [FenceAction: String] = [:], actionTimeout: [String: Duration] = [:],
    actionRetries: [String: Int] = [:], priority: Int = 0
  ) {
    self.id = id
    self.agent = agent
    self.parameters = parameters
    self.hostList = hostList
    self.hostMap = hostMap
    self.hostCheck = hostCheck
    self.hostArgument = hostArgument
    self.actionRemap = actionRemap
    self.actionTimeout = actionTimeout
    self.actionRetries = actionRetries
    self.priority = priority
  }

  /// Pacemaker's default: static-list when a host list or map is given, else dynamic-list when the agent has a
  /// `list` action, else status when it has `status`, else none.
  public func effectiveHostCheck(agentActions: Set<String>?) -> HostCheck {
    if let hostCheck { return hostCheck }
    if hostList != nil || !hostMap.isEmpty { return .staticList }
    guard let agentActions else { return .dynamicList }
    if agentActions.contains("list") { return .dynamicList }
    if agentActions.contains("status") { return .status }
    return .none
  }

  /// The port that names `node` on this device: its pcmk_host_map entry, else the node name.
  public func port(for node: String) -> String {
    hostMap.first { $0.node == node }?.port ?? node
  }

  /// The delay before fencing `target` with `action` as Pacemaker's fencer computes it: only for off and reboot;
  /// base = pcmk_delay_base (the target's map entry), max = pcmk_delay_max (a max below base counts as base);
  /// base + `fraction` (random in 0..<1, an input) of (max - base).
  public func delay(for target: String, action: FenceAction, fraction: Double) -> Duration {
    guard action == .off || action == .reboot else { return .zero }
    let base = delayBaseByNode.isEmpty ? delayBase : delayBaseByNode[target] ?? .zero
    let max = Swift.max(delayMax, base)
    return base + (max - base) * Swift.min(Swift.max(fraction, 0), 0.999_999)
  }

  /// The agent action that carries out `action` on this device (`pcmk_<action>_action`).
  public func agentAction(for action: FenceAction) -> String {
    actionRemap[action] ?? action.rawValue
  }

  /// Answer of the static part of the host check: nil when the agent must be asked (dynamic-list, status).
  public func canFenceStatically(_ node: String, check: HostCheck) -> Bool? {
    switch check {
    case .staticList:
      return (hostList ?? []).contains(node) || hostMap.contains { $0.node == node }
    case .none: return true
    case .dynamicList, .status: return nil
    }
  }
}

/// A fencing-topology level for one target.
public struct FenceLevel: Sendable, Hashable {
  public var index: Int
  public var deviceIDs: [String]
  public init(index: Int, deviceIDs: [String]) {
    self.index = index
    self.deviceIDs = deviceIDs
  }
}

/// Why the fencing configuration cannot be used; each names the element and the problem.
public enum FencingConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
  case invalidTime(element: String, name: String, value: String)
  case invalidValue(element: String, name: String, value: String, expected: String)
  case invalidAgent(device: String, reason: String)
  case invalidLevel(id: String, reason: String)

  public var description: String {
    switch self {
    case .invalidTime(let e, let n, let v): "\(e): \(n)=\"\(v)\" is not a time (expected e.g. 60s, 2min, 500ms)"
    case .invalidValue(let e, let n, let v, let x): "\(e): \(n)=\"\(v)\" is not valid (expected \(x))"
    case .invalidAgent(let d, let r): "stonith device \(d): \(r)"
    case .invalidLevel(let id, let r): "fencing-level \(id): \(r)"
    }
  }
}

/// What the fencer needs from the CIB: devices, levels and the cluster's fencing options.
public struct FencingConfiguration: Sendable, Equatable {
  public var devices: [FenceDevice]
  /// Levels as configured (target kinds kept so they can be matched per node).
  public var levels: [Level]
  /// `stonith-timeout` (default 60 s): the timeout of one device action unless pcmk_<action>_timeout says otherwise.
  public var stonithTimeout: Duration
  /// `stonith-action` (default reboot).
  public var stonithAction: FenceAction
  /// `priority-fencing-delay` (0: off): added to fencing the lost node with the highest resource priority.
  public var priorityFencingDelay: Duration = .zero

  public struct Level: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
      case node(String)
      case pattern(String)
      case attribute(name: String, value: String)
    }
    public var id: String
    public var target: Target
    public var index: Int
    public var deviceIDs: [String]
  }

  public init(devices: [FenceDevice], levels: [Level] = [], stonithTimeout: Duration = .seconds(60), stonithAction: FenceAction = .reboot) {
    self.devices = devices
    self.levels = levels
    self.stonithTimeout = stonithTimeout
    self.stonithAction = stonithAction
  }

  /// Reads devices (every `primitive class="stonith"`, also inside groups and clones), fencing levels, and
  /// stonith-timeout / stonith-action from the configuration. Bad values are errors, never silently defaulted.
  public init(_ configuration: CIBConfiguration) throws(FencingConfigurationError) {
    var devices: [FenceDevice] = []
    func primitives(_ r: Resource) -> [Primitive] {
      switch r {
      case .primitive(let p): [p]
      case .group(let g): g.members
      case .clone(let c): c.child.map(primitives) ?? []
      case .bundle(let b): b.primitive.map { [$0] } ?? []
      }
    }
    for p in configuration.resources.flatMap(primitives) where p.resourceClass == "stonith" {
      devices.append(try FenceDevice(p))
    }
    self.devices = devices
    var levels: [Level] = []
    for (k, l) in configuration.fencingLevels.enumerated() {
      let id = l.id ?? "#\(k + 1)"
      guard let index = l.indexValue, index > 0 else {
        throw .invalidLevel(id: id, reason: "index=\"\(l.index ?? "")\" is not a positive integer")
      }
      let target: Level.Target
      if let t = l.target {
        target = .node(t)
      } else if let p = l.targetPattern {
        target = .pattern(p)
      } else if let a = l.targetAttribute, let v = l.targetValue {
        target = .attribute(name: a, value: v)
      } else {
        throw .invalidLevel(id: id, reason: "no target, target-pattern or target-attribute/target-value")
      }
      let ids = l.deviceIDs.map(\.rawValue).filter { !$0.isEmpty }
      guard !ids.isEmpty else { throw .invalidLevel(id: id, reason: "no devices") }
      levels.append(Level(id: id, target: target, index: index, deviceIDs: ids))
    }
    self.levels = levels
    if let t = configuration.clusterProperty("stonith-timeout") {
      stonithTimeout = try parseTime(t, element: "crm_config", name: "stonith-timeout")
    } else {
      stonithTimeout = .seconds(60)
    }
    if let d = configuration.clusterProperty("priority-fencing-delay") {
      priorityFencingDelay = try parseDelay(d, element: "crm_config", name: "priority-fencing-delay")
    }
    if let a = configuration.clusterProperty("stonith-action") {
      guard let action = FenceAction(stonithAction: a) else {
        throw .invalidValue(element: "crm_config", name: "stonith-action", value: a, expected: "reboot, off or on")
      }
      stonithAction = action
    } else {
      stonithAction = .reboot
    }
  }

  public func device(_ id: String) -> FenceDevice? { devices.first { $0.id == id } }

  /// The levels that apply to `node`, sorted by index (several matching entries with one index: the first).
  /// `nodeAttributes` serves target-attribute levels.
  public func levels(for node: String, nodeAttributes: [String: String] = [:]) -> [FenceLevel] {
    var byIndex: [Int: FenceLevel] = [:]
    for l in levels {
      let matches: Bool
      switch l.target {
      case .node(let n): matches = n == node
      case .pattern(let p): matches = (try? Regex(p)).map { node.wholeMatch(of: $0) != nil || node.firstMatch(of: $0) != nil } ?? false
      case .attribute(let name, let value): matches = nodeAttributes[name] == value
      }
      if matches, byIndex[l.index] == nil { byIndex[l.index] = FenceLevel(index: l.index, deviceIDs: l.deviceIDs) }
    }
    return byIndex.keys.sorted().map { byIndex[$0]! }
  }
}

extension FenceDevice {
  /// A device from its primitive: pcmk_* attributes configure the fencer, the rest go to the agent.
  public init(_ p: Primitive) throws(FencingConfigurationError) {
    let id = p.id.rawValue
    guard let type = p.type, !type.isEmpty, ResourceAgentName.isSafeComponent(type) else {
      throw .invalidAgent(device: id, reason: "type=\"\(p.type ?? "")\" is not a fence agent name")
    }
    let element = "primitive \(id)"
    var parameters: [AgentCall.Parameter] = []
    var seen = Set<String>()
    var hostList: [String]? = nil
    var hostMap: [(node: String, port: String)] = []
    var hostCheck: HostCheck? = nil
    var hostArgument: String? = nil
    var remap: [FenceAction: String] = [:]
    var timeouts: [String: Duration] = [:]
    var retries: [String: Int] = [:]
    var delayBase = Duration.zero
    var delayBaseByNode: [String: Duration] = [:]
    var delayMax = Duration.zero
    for set in p.instanceAttributes {
      for pair in set.pairs {
        guard let name = pair.name else { continue }
        let value = pair.value ?? ""
        guard seen.insert(name).inserted else { continue }  // the first set wins, as Pacemaker unpacks them
        switch name {
        case "pcmk_host_list":
          hostList = value.split(whereSeparator: { " ,;\t\n".contains($0) }).map(String.init)
        case "pcmk_host_map":
          hostMap = parseHostMap(value)
        case "pcmk_host_check":
          guard let c = HostCheck(rawValue: value) else {
            throw .invalidValue(element: element, name: name, value: value, expected: "static-list, dynamic-list, status or none")
          }
          hostCheck = c
        case "pcmk_host_argument":
          hostArgument = value
        case "pcmk_delay_max":
          delayMax = try parseDelay(value, element: element, name: name)
        case "pcmk_delay_base":
          if value.contains(":") {
            for (node, time) in parseHostMap(value) {
              delayBaseByNode[node] = try parseDelay(time, element: element, name: name)
            }
          } else {
            delayBase = try parseDelay(value, element: element, name: name)
          }
        default:
          if name.hasPrefix("pcmk_"), name.hasSuffix("_action"), let a = FenceAction(rawValue: String(name.dropFirst(5).dropLast(7))) {
            remap[a] = value
          } else if name.hasPrefix("pcmk_"), name.hasSuffix("_timeout") {
            timeouts[String(name.dropFirst(5).dropLast(8))] = try parseTime(value, element: element, name: name)
          } else if name.hasPrefix("pcmk_"), name.hasSuffix("_retries") {
            guard let n = Int(value), n >= 0, n <= 100 else {
              throw .invalidValue(element: element, name: name, value: value, expected: "an integer 0-100")
            }
            retries[String(name.dropFirst(5).dropLast(8))] = n
          } else if !name.hasPrefix("pcmk_") {
            parameters.append(AgentCall.Parameter(name, value))
          }
        }
      }
    }
    var priority = 0
    for set in p.metaAttributes {
      if let v = set["priority"] {
        guard let n = Int(v) else { throw .invalidValue(element: element, name: "priority", value: v, expected: "an integer") }
        priority = n
        break
      }
    }
    self.init(
      id: id, agent: ResourceAgentName(standard: .stonith, type: type), parameters: parameters, hostList: hostList,
      hostMap: hostMap, hostCheck: hostCheck, hostArgument: hostArgument, actionRemap: remap,
      actionTimeout: timeouts, actionRetries: retries, priority: priority)
    self.delayBase = delayBase
    self.delayBaseByNode = delayBaseByNode
    self.delayMax = delayMax
  }
}

/// `pcmk_host_map`: `node1:port1;node2:port2` (also `=` for `:`, and `,` or spaces between entries).
public func parseHostMap(_ text: String) -> [(node: String, port: String)] {
  var result: [(node: String, port: String)] = []
  for entry in text.split(whereSeparator: { ";, \t\n".contains($0) }) {
    guard let sep = entry.firstIndex(where: { $0 == ":" || $0 == "=" }) else { continue }
    let node = String(entry[..<sep])
    let port = String(entry[entry.index(after: sep)...])
    if !node.isEmpty, !port.isEmpty { result.append((node, port)) }
  }
  return result
}

/// Nodes (ports) named by a fence agent's `list` output: one per line, the first field before ',' or blanks.
public func parseFenceList(_ output: String, linesMax: Int = 10_000) -> [String] {
  output.split(separator: "\n").prefix(linesMax).compactMap { line in
    let field = line.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).first
    return field.map(String.init)
  }
}

/// A delay: a Pacemaker time, 0 allowed, at most an hour.
func parseDelay(_ text: String, element: String, name: String) throws(FencingConfigurationError) -> Duration {
  guard let ms = try? Milliseconds(time: text), ms.value >= 0, ms.value <= 3_600_000 else {
    throw .invalidTime(element: element, name: name, value: text)
  }
  return ms.duration
}

func parseTime(_ text: String, element: String, name: String) throws(FencingConfigurationError) -> Duration {
  do {
    let ms = try Milliseconds(time: text)
    guard ms.value > 0 else { throw FencingConfigurationError.invalidTime(element: element, name: name, value: text) }
    return ms.duration
  } catch {
    throw .invalidTime(element: element, name: name, value: text)
  }
}
