import CIB

/// One parameter of a resource or fence agent, normalised across OCF 1.0 and 1.1 meta-data (as pcs does).
public struct AgentParameter: Sendable, Hashable {
  public var name: String
  public var shortdesc: String?
  public var longdesc: String?
  public var type: String?
  public var defaultValue: String?
  public var required: Bool
  /// OCF 1.1 `unique-group`; OCF 1.0 `unique="1"` becomes a group of its own (`uniqueAlone == true`).
  public var uniqueGroup: String?
  public var uniqueAlone: Bool
  public var deprecated: Bool
  /// Parameters that replace this one (OCF 1.1 `replaced-with`, OCF 1.0 `obsoletes` on the replacement).
  public var deprecatedBy: [String]
  /// Hidden unless `--full` (pcs: trace parameters, fencer "Advanced use only" ones).
  public var advanced: Bool
  public var reloadable: Bool

  public init(
    name: String, shortdesc: String? = nil, longdesc: String? = nil, type: String? = nil, defaultValue: String? = nil,
    required: Bool = false, uniqueGroup: String? = nil, uniqueAlone: Bool = false, deprecated: Bool = false,
    deprecatedBy: [String] = [], advanced: Bool = false, reloadable: Bool = false
  ) {
    self.name = name
    self.shortdesc = shortdesc
    self.longdesc = longdesc
    self.type = type
    self.defaultValue = defaultValue
    self.required = required
    self.uniqueGroup = uniqueGroup
    self.uniqueAlone = uniqueAlone
    self.deprecated = deprecated
    self.deprecatedBy = deprecatedBy
    self.advanced = advanced
    self.reloadable = reloadable
  }
}

/// One `<action>` of an agent's meta-data: its advised timeout and interval, kept as written ("20s").
public struct AgentActionSpec: Sendable, Hashable {
  public var name: String
  public var timeout: String?
  public var interval: String?
  public var role: String?
  public var depth: String?
  public var startDelay: String?

  public init(
    name: String, timeout: String? = nil, interval: String? = nil, role: String? = nil, depth: String? = nil,
    startDelay: String? = nil
  ) {
    self.name = name
    self.timeout = timeout
    self.interval = interval
    self.role = role
    self.depth = depth
    self.startDelay = startDelay
  }
}

/// An agent's meta-data as plain values: what `pcs resource describe` prints and what validation reads.
public struct AgentMetadata: Sendable, Hashable {
  public var agent: ResourceAgentName
  public var ocfVersion: String
  public var shortdesc: String?
  public var longdesc: String?
  public var parameters: [AgentParameter]
  public var actions: [AgentActionSpec]

  public init(
    agent: ResourceAgentName, ocfVersion: String = "1.0", shortdesc: String? = nil, longdesc: String? = nil,
    parameters: [AgentParameter] = [], actions: [AgentActionSpec] = []
  ) {
    self.agent = agent
    self.ocfVersion = ocfVersion
    self.shortdesc = shortdesc
    self.longdesc = longdesc
    self.parameters = parameters
    self.actions = actions
  }

  /// Reads a `<resource-agent>` document (OCF 1.0 or 1.1; fence-agents write OCF 1.0 style).
  public init(agent: ResourceAgentName, element root: CIBElement) throws(LRMError) {
    guard root.name == "resource-agent" else {
      throw .invalidMetadata(agent, reason: "root element is <\(root.name)>, expected <resource-agent>")
    }
    self.agent = agent
    let version = root.firstElement(named: "version")?.text.trimmed
    self.ocfVersion = (version?.isEmpty == false ? version! : "1.0")
    let isOCF11 = ocfVersion == "1.1"
    self.shortdesc = root.firstElement(named: "shortdesc")?.text.trimmed.nilIfEmpty ?? root[attribute: "shortdesc"]
    self.longdesc = root.firstElement(named: "longdesc")?.text.trimmed.nilIfEmpty

    var params: [AgentParameter] = []
    var obsoletedBy: [String: [String]] = [:]
    let parameterElements = root.firstElement(named: "parameters")?.elements(named: "parameter") ?? []
    guard parameterElements.count <= 1024 else {
      throw .invalidMetadata(agent, reason: "more than 1024 parameters")
    }
    for p in parameterElements {
      guard let name = p[attribute: "name"], !name.isEmpty else {
        throw .invalidMetadata(agent, reason: "a <parameter> has no name")
      }
      if !isOCF11, let old = p[attribute: "obsoletes"] { obsoletedBy[old, default: []].append(name) }
      let content = p.firstElement(named: "content")
      var param = AgentParameter(
        name: name,
        shortdesc: p.firstElement(named: "shortdesc")?.text.trimmed.nilIfEmpty,
        longdesc: p.firstElement(named: "longdesc")?.text.trimmed.nilIfEmpty,
        type: content?[attribute: "type"], defaultValue: content?[attribute: "default"],
        required: isTrue(p[attribute: "required"]), reloadable: isTrue(p[attribute: "reloadable"]))
      if isOCF11 {
        param.uniqueGroup = p[attribute: "unique-group"]
        if let dep = p.firstElement(named: "deprecated") {
          param.deprecated = true
          param.deprecatedBy = dep.elements(named: "replaced-with").compactMap { $0[attribute: "name"] }
        }
      } else {
        if isTrue(p[attribute: "unique"]) {
          param.uniqueGroup = name
          param.uniqueAlone = true
        }
        param.deprecated = isTrue(p[attribute: "deprecated"])
      }
      params.append(param)
    }
    if !isOCF11 {
      for i in params.indices { params[i].deprecatedBy = (obsoletedBy[params[i].name] ?? []).sorted() }
    }
    self.parameters = params
    self.actions = (root.firstElement(named: "actions")?.elements(named: "action") ?? []).compactMap { a in
      guard let name = a[attribute: "name"] else { return nil }
      return AgentActionSpec(
        name: name, timeout: a[attribute: "timeout"], interval: a[attribute: "interval"], role: a[attribute: "role"],
        depth: a[attribute: "depth"], startDelay: a[attribute: "start-delay"])
    }
  }

  public func parameter(named name: String) -> AgentParameter? { parameters.first { $0.name == name } }

  /// Names of required parameters missing from `given`, sorted: checked before an agent is ever run.
  public func missingRequiredParameters(_ given: [AgentCall.Parameter]) -> [String] {
    let names = Set(given.map(\.name))
    return parameters.filter { $0.required && !$0.deprecated && !names.contains($0.name) }.map(\.name).sorted()
  }
}

/// OCF booleans: "1", "true", "yes", "on" (case-insensitive), as Pacemaker's crm_is_true.
func isTrue(_ value: String?) -> Bool {
  guard let v = value?.lowercased() else { return false }
  return ["1", "true", "yes", "on", "y"].contains(v)
}

extension String {
  var trimmed: String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s.removeFirst() }
    while let l = s.last, l.isWhitespace { s.removeLast() }
    return String(s)
  }
  var nilIfEmpty: String? { isEmpty ? nil : self }
}
