import CIB

/// `pcs resource debug-start|debug-stop|debug-monitor|debug-promote|debug-demote RSC [--full]`: run the agent of
/// one primitive directly, with its parameters from the CIB, outside the cluster (as `crm_resource --force-*`).
public enum DebugAction: String, Sendable, CaseIterable {
  case start = "debug-start", stop = "debug-stop", monitor = "debug-monitor"
  case promote = "debug-promote", demote = "debug-demote"

  public var agentAction: AgentAction {
    switch self {
    case .start: .start
    case .stop: .stop
    case .monitor: .monitor
    case .promote: .promote
    case .demote: .demote
    }
  }

  /// The operation name crm_resource prints ("force-check" for monitor).
  var pacemakerName: String {
    switch self {
    case .start: "force-start"
    case .stop: "force-stop"
    case .monitor: "force-check"
    case .promote: "force-promote"
    case .demote: "force-demote"
    }
  }

  /// Finds `resource` in the CIB and builds the call, or says in pcs's words why it cannot.
  public func call(in cib: CIBElement, resource: String) throws(DebugActionError) -> AgentCall {
    guard let resources = cib.firstElement(named: "configuration")?.firstElement(named: "resources") else {
      throw .message("unable to find a resource/clone/group/bundle: \(resource)")
    }
    var found: (element: CIBElement, parent: CIBElement?)? = nil
    func search(_ e: CIBElement, parent: CIBElement?) {
      if found != nil { return }
      if ["primitive", "group", "clone", "master", "bundle"].contains(e.name), e.id == resource {
        found = (e, parent)
        return
      }
      for c in e.elements { search(c, parent: e) }
    }
    for c in resources.elements { search(c, parent: nil) }
    guard let (element, _) = found else { throw .message("unable to find a resource/clone/group/bundle: \(resource)") }
    switch element.name {
    case "group":
      let members = element.elements(named: "primitive").compactMap(\.id)
      throw .message(
        "unable to \(rawValue) a group, try one of the group's resource(s) (\(members.joined(separator: ",")))")
    case "clone", "master":
      let child = element.elements.first { ["primitive", "group"].contains($0.name) }?.id ?? ""
      throw .message("unable to \(rawValue) a clone, try the clone's resource: \(child)")
    case "bundle":
      if let child = element.firstElement(named: "primitive")?.id {
        throw .message("unable to \(rawValue) a bundle, try the bundle's resource: \(child)")
      }
      throw .message("unable to \(rawValue) a bundle")
    default:
      break
    }
    guard let cls = element[attribute: "class"], let type = element[attribute: "type"] else {
      throw .message("resource \(resource) has no class or type")
    }
    if cls == "stonith" { throw .message("This command does not accept stonith resource: \(resource)") }
    let agentText = cls == "ocf" ? "ocf:\(element[attribute: "provider"] ?? ""):\(type)" : "\(cls):\(type)"
    let agent: ResourceAgentName
    do { agent = try ResourceAgentName.parse(agentText) } catch { throw .message(error.description) }
    let params = nvpairs(element.firstElement(named: "instance_attributes"))
    let meta = nvpairs(element.firstElement(named: "meta_attributes"))
    var timeout = Duration.seconds(20)
    let ops = element.firstElement(named: "operations")?.elements(named: "op") ?? []
    if let op = ops.first(where: { $0[attribute: "name"] == agentAction.rawValue }),
      let t = op[attribute: "timeout"], let d = (try? Milliseconds(time: t))?.duration, d > .zero
    {
      timeout = d
    }
    return AgentCall(
      resource: resource, agent: agent, action: agentAction, parameters: params, meta: meta, timeout: timeout)
  }

  /// What the command prints: crm_resource's summary line, then the agent's output; `--full` adds the
  /// environment-visible parameters and, for a timeout, the process tree and last lines.
  public func report(_ call: AgentCall, _ result: OperationResult, full: Bool) -> String {
    var lines: [String] = []
    let head = "Operation \(pacemakerName) for \(call.resource) (\(call.agent))"
    switch result.status {
    case .done:
      var what = result.ocf.description
      if let reason = result.exitReason, result.ocf != .success { what += ": \(reason)" }
      lines.append("\(head) returned \(result.ocf.exitCode) (\(what))")
    case .timedOut:
      lines.append("\(head) timed out after \(call.timeout.formattedForHumans)")
    default:
      lines.append("\(head) could not be executed (\(result.status)\(result.exitReason.map { ": \($0)" } ?? ""))")
    }
    if full {
      for p in call.parameters { lines.append("  OCF_RESKEY_\(p.name)=\(p.value)") }
    }
    let out = result.standardOutput + result.standardError
    if !out.isEmpty { lines.append(out.hasSuffix("\n") ? String(out.dropLast()) : out) }
    if let f = result.forensics {
      lines.append("Processes of the operation when it timed out:")
      lines.append(f.renderedTree)
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The process exit status: the OCF rc, as crm_resource exits; 1 when the agent did not complete.
  public func exitStatus(_ result: OperationResult) -> Int32 {
    if case .done = result.status { return result.ocf.exitCode == 0 ? 0 : min(result.ocf.exitCode, 255) }
    return result.ocf == .notInstalled ? 5 : 1
  }
}

/// Why a `debug-*` command cannot run; the text is what pcs prints after "Error: ".
public enum DebugActionError: Error, Equatable, Sendable {
  case message(String)
}

func nvpairs(_ set: CIBElement?) -> [AgentCall.Parameter] {
  (set?.elements(named: "nvpair") ?? []).compactMap { p in
    guard let n = p[attribute: "name"] else { return nil }
    return AgentCall.Parameter(n, p[attribute: "value"] ?? "")
  }
}
