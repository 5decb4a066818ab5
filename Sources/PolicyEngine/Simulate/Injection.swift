import CIB
import Foundation

/// A problem with crm_simulate's what-if arguments (`-i`, `-F`, `-u`, `-d`, `-f`, `-q`, `-w`, `-t`).
///
/// Why it exists: Pacemaker 2.1.5 accepts most bad what-if arguments silently (exit 0) or aborts on an
/// assertion; Vigil names the bad argument and refuses to simulate, so no half-modified CIB is written.
public enum SimulationError: Error, Equatable, Sendable, CustomStringConvertible {
  case invalidOperationSpec(spec: String, reason: String)
  case unknownResource(spec: String, resource: String)
  case unknownNode(option: String, node: String)
  case invalidBoolean(option: String, value: String)
  case invalidDate(String)

  public var description: String {
    switch self {
    case .invalidOperationSpec(let spec, let reason):
      return "Invalid operation spec '\(spec)': \(reason) (expected RSC_TASK_INTERVAL@NODE=RC, e.g. rsc1_monitor_10000@node1=7)"
    case .unknownResource(let spec, let resource):
      return "Invalid resource name '\(resource)' in operation spec '\(spec)': no such resource in the configuration"
    case .unknownNode(let option, let node):
      return "\(option): unknown node '\(node)': not in the configuration's node list"
    case .invalidBoolean(let option, let value):
      return "\(option): '\(value)' is not a boolean (use true/false, 1/0, yes/no, on/off)"
    case .invalidDate(let text):
      return "cannot parse date '\(text)' (ISO 8601, e.g. 2024-03-01 12:00:00Z or 2024-03-01T12:00:00)"
    }
  }
}

/// One `-i`/`-F` operation specification: `RSC_TASK_INTERVAL@NODE=RC`, e.g. `rsc1_monitor_10000@node1=7`.
/// The resource id may itself contain `_` and `:` (clone instances); the task may be `migrate_to`/`migrate_from`.
public struct OperationSpec: Sendable, Equatable {
  public var text: String
  public var resource: String
  public var task: String
  public var intervalMs: Int
  public var node: String
  public var rc: Int

  /// `rsc1_monitor_10000`, the operation key Pacemaker uses in ids and transition graphs.
  public var key: String { "\(resource)_\(task)_\(intervalMs)" }

  /// Limits: a spec longer than this is refused (it cannot name a real resource and node).
  public static let textBytesMax = 1024

  public init(resource: String, task: String, intervalMs: Int, node: String, rc: Int) {
    self.resource = resource; self.task = task; self.intervalMs = intervalMs; self.node = node; self.rc = rc
    self.text = "\(resource)_\(task)_\(intervalMs)@\(node)=\(rc)"
  }

  public static func parse(_ text: String) throws(SimulationError) -> OperationSpec {
    func bad(_ reason: String) -> SimulationError { .invalidOperationSpec(spec: text, reason: reason) }
    guard text.utf8.count <= textBytesMax else { throw bad("longer than \(textBytesMax) bytes") }
    guard let eq = text.lastIndex(of: "=") else { throw bad("no '=RC'") }
    let rcText = String(text[text.index(after: eq)...])
    guard let rc = Int(rcText), (0...255).contains(rc) else { throw bad("return code '\(rcText)' is not a number from 0 to 255") }
    let left = text[..<eq]
    guard let at = left.lastIndex(of: "@") else { throw bad("no '@NODE'") }
    let node = String(left[left.index(after: at)...])
    guard !node.isEmpty else { throw bad("empty node name") }
    let key = String(left[..<at])
    guard let u1 = key.lastIndex(of: "_") else { throw bad("operation key '\(key)' has no '_INTERVAL'") }
    let intervalText = String(key[key.index(after: u1)...])
    guard let interval = Int(intervalText), interval >= 0 else {
      throw bad("interval '\(intervalText)' is not a number of milliseconds")
    }
    var head = String(key[..<u1])
    var task: String
    if head.hasSuffix("_migrate_to") || head.hasSuffix("_migrate_from") {
      task = head.hasSuffix("_migrate_to") ? "migrate_to" : "migrate_from"
      head = String(head.dropLast(task.count + 1))
    } else {
      guard let u2 = head.lastIndex(of: "_") else { throw bad("operation key '\(key)' has no '_TASK_'") }
      task = String(head[head.index(after: u2)...])
      head = String(head[..<u2])
    }
    guard !task.isEmpty else { throw bad("empty task") }
    guard !head.isEmpty else { throw bad("empty resource name") }
    var spec = OperationSpec(resource: head, task: task, intervalMs: interval, node: node, rc: rc)
    spec.text = text
    return spec
  }
}

/// Parses a crm_simulate boolean (`-q`, `-w`).
public func parseSimulationBoolean(_ text: String, option: String) throws(SimulationError) -> Bool {
  switch text.lowercased() {
  case "1", "true", "yes", "y", "on": return true
  case "0", "false", "no", "n", "off": return false
  default: throw .invalidBoolean(option: option, value: text)
  }
}

/// The what-if changes crm_simulate makes to the CIB before scheduling, in Pacemaker's order:
/// quorum, watchdog, nodes up, nodes down, nodes failed, injected operation results.
public struct Injections: Sendable, Equatable {
  public var quorumValue: Bool?
  public var quorumText = ""
  public var watchdogValue: Bool?
  public var watchdogText = ""
  public var nodesUp: [String] = []
  public var nodesDown: [String] = []
  public var nodesFailed: [String] = []
  public var operations: [OperationSpec] = []

  public init() {}

  public var isEmpty: Bool {
    quorumValue == nil && watchdogValue == nil && nodesUp.isEmpty && nodesDown.isEmpty && nodesFailed.isEmpty
      && operations.isEmpty
  }
}

/// Applies `injections` to `cib` (a whole `<cib>` document) and returns the "Performing Requested
/// Modifications" lines. Throws before changing anything when an argument names an unknown node or resource,
/// so a refused run never leaves a half-modified document.
public func applyInjections(_ cib: inout CIBElement, _ injections: Injections, now: Int64) throws(SimulationError)
  -> [String]
{
  var editor = StatusEditor(cib: cib, now: now)
  // Validate everything first.
  for n in injections.nodesDown where editor.nodeID(n) == nil { throw .unknownNode(option: "--node-down", node: n) }
  for n in injections.nodesFailed where editor.nodeID(n) == nil { throw .unknownNode(option: "--node-fail", node: n) }
  for op in injections.operations {
    guard editor.primitive(op.resource) != nil else { throw .unknownResource(spec: op.text, resource: op.resource) }
    let known = editor.nodeID(op.node) != nil || injections.nodesUp.contains(op.node)
    guard known else { throw .unknownNode(option: "--op-inject", node: op.node) }
  }

  var lines: [String] = []
  if let q = injections.quorumValue {
    lines.append("  * Setting quorum: \(injections.quorumText)")
    editor.cib[attribute: "have-quorum"] = q ? "true" : "false"
    editor.statusChanges += 1
  }
  if let w = injections.watchdogValue {
    lines.append("  * Setting watchdog: \(injections.watchdogText)")
    editor.setClusterProperty("have-watchdog", w ? "true" : "false")
  }
  for n in injections.nodesUp {
    lines.append("  * Bringing node \(n) online")
    editor.setNodeMembership(n, .up)
  }
  for n in injections.nodesDown {
    lines.append("  * Taking node \(n) offline")
    editor.setNodeMembership(n, .down)
  }
  for n in injections.nodesFailed {
    lines.append("  * Failing node \(n)")
    editor.setNodeMembership(n, .failed)
  }
  for op in injections.operations {
    lines.append("  * Injecting \(op.text) into the configuration")
    let target = op.task == "monitor" && op.intervalMs == 0 ? 7 : 0
    lines += editor.recordOperation(resource: op.resource, task: op.task, intervalMs: op.intervalMs, node: op.node,
                                    rc: op.rc, targetRC: target, exitReason: "Simulated action result",
                                    withDigest: false)
  }
  cib = editor.finished()
  return lines
}

/// Edits the status section of a CIB document the way Pacemaker's simulation records events: node_state
/// membership fields, lrm_rsc_op entries (RSC_last_0, RSC_last_failure_0, RSC_monitor_INTERVAL) and the
/// fail-count/last-failure transient attributes.
///
/// Why it exists: crm_simulate's injections and its simulated transition both change the status section, and
/// `-O` writes the result. Invariant: the configuration is only touched to add a node brought up by `-u` and
/// the have-watchdog property; epoch counts configuration changes, num_updates status changes.
struct StatusEditor {
  enum Membership { case up, down, failed }

  var cib: CIBElement
  let now: Int64
  var configChanges = 0
  var statusChanges = 0

  init(cib: CIBElement, now: Int64) {
    self.cib = cib
    self.now = now
  }

  /// The document with epoch/num_updates advanced for the changes made.
  func finished() -> CIBElement {
    var out = cib
    if configChanges > 0 {
      let epoch = Int(out[attribute: "epoch"] ?? "0") ?? 0
      out[attribute: "epoch"] = String(epoch + configChanges)
    }
    if statusChanges > 0 {
      let n = Int(out[attribute: "num_updates"] ?? "0") ?? 0
      out[attribute: "num_updates"] = String(n + statusChanges)
    }
    return out
  }

  // MARK: lookups

  func section(_ name: String) -> CIBElement? { cib.firstElement(named: "configuration")?.firstElement(named: name) }

  /// The configured node id for a node name (uname), or nil.
  func nodeID(_ name: String) -> String? {
    for n in section("nodes")?.elements(named: "node") ?? [] where n[attribute: "uname"] == name {
      return n.id ?? name
    }
    for s in cib.firstElement(named: "status")?.elements(named: "node_state") ?? [] where s[attribute: "uname"] == name {
      return s.id ?? name
    }
    return nil
  }

  /// The `<primitive>` whose id is `rsc` (or `rsc` without a clone instance suffix `:N`).
  func primitive(_ rsc: String) -> CIBElement? {
    let base = rsc.split(separator: ":", maxSplits: 1).first.map(String.init) ?? rsc
    guard let resources = section("resources") else { return nil }
    var found: CIBElement?
    resources.forEachDescendant { e in
      if found == nil, e.name == "primitive", e.id == base || e.id == rsc { found = e }
    }
    return found
  }

  // MARK: configuration edits

  mutating func setClusterProperty(_ name: String, _ value: String) {
    modifyConfiguration { conf in
      var crm = conf.firstElement(named: "crm_config") ?? CIBElement("crm_config")
      StatusRecorder.updateChild(of: &crm, name: "cluster_property_set", id: "cib-bootstrap-options", make: {
        CIBElement("cluster_property_set", ["id": "cib-bootstrap-options"])
      }) { StatusRecorder.setNVPair(&$0, name: name, value: value) }
      replaceChildElement(&conf, named: "crm_config", with: crm, prepend: true)
    }
  }

  mutating func modifyConfiguration(_ body: (inout CIBElement) -> Void) {
    var conf = cib.firstElement(named: "configuration") ?? CIBElement("configuration")
    body(&conf)
    replaceChildElement(&cib, named: "configuration", with: conf, prepend: true)
    configChanges += 1
  }

  /// Ensures the node exists in the configuration (a node brought up by `-u` may be new) and returns its id.
  mutating func ensureNode(_ name: String) -> String {
    if let id = nodeID(name) { return id }
    modifyConfiguration { conf in
      var nodes = conf.firstElement(named: "nodes") ?? CIBElement("nodes")
      nodes.append(CIBElement("node", ["id": name, "uname": name]))
      replaceChildElement(&conf, named: "nodes", with: nodes, prepend: false)
    }
    return name
  }

  // MARK: status edits (written with StatusRecorder's helpers, in crm_simulate's spelling)

  /// Runs `body` on the node_state of `node` (by id or uname), creating it (and the status section) when missing.
  mutating func withNodeState(_ node: String, _ body: (inout CIBElement) -> Void) {
    let id = ensureNode(node)
    StatusRecorder.updateNodeState(&cib, nodeID: id, uname: node, matchingUname: true, body)
    statusChanges += 1
  }

  mutating func setNodeMembership(_ node: String, _ m: Membership) {
    withNodeState(node) { s in
      switch m {
      case .up, .failed:
        StatusRecorder.setPeerState(&s, inCCM: m == .up, crmdOnline: true, join: "member", expected: "member",
                                    origin: "crm_simulate")
      case .down:
        StatusRecorder.setPeerState(&s, inCCM: false, crmdOnline: false, join: "down", expected: "down",
                                    origin: "crm_simulate")
      }
    }
  }

  /// A fenced node: out of the membership, its resource history and transient attributes gone.
  mutating func recordFenced(_ node: String) {
    withNodeState(node) { StatusRecorder.markFenced(&$0, origin: "crm_simulate") }
  }

  /// Records one operation result; returns the lines Pacemaker prints for the fail-count injection, if any.
  /// Unlike the controller, crm_simulate updates an existing history entry in place and counts a probe that finds
  /// the resource running (rc 0 or 8) as no failure.
  mutating func recordOperation(resource: String, task: String, intervalMs: Int, node: String, rc: Int, targetRC: Int,
                                exitReason: String, withDigest: Bool, timeoutMs: Int = 20_000) -> [String] {
    let prim = primitive(resource)
    let failed = rc != targetRC && !(task == "monitor" && intervalMs == 0 && (rc == 0 || rc == 8))
    let nodeID = ensureNode(node)
    let now = self.now
    var lines: [String] = []
    let parameters = prim.map(instanceAttributes) ?? [:]
    let agent = ["class", "provider", "type"].compactMap { a in
      prim?[attribute: a].map { CIBAttribute(name: a, value: $0) }
    }
    withNodeState(node) { s in
      StatusRecorder.updateResourceHistory(&s, nodeID: nodeID, resource: resource, newAttributes: agent) { lr in
        let callID = (lr.elements(named: "lrm_rsc_op").compactMap { Int($0[attribute: "call-id"] ?? "") }.max() ?? 0) + 1
        let op = RecordedOperation(
          resource: resource, agentClass: prim?[attribute: "class"] ?? "", agentType: prim?[attribute: "type"] ?? "",
          task: task, intervalMs: intervalMs, node: node, nodeID: nodeID, callID: callID, rc: rc,
          exitReason: failed ? exitReason : "",
          transitionKey: TransitionKey(actionID: callID, transitionID: -1, targetRC: targetRC,
                                       uuid: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"),
          lastRCChange: now, parameters: parameters, timeoutMs: timeoutMs)
        let digest = withDigest && prim != nil ? OperationDigests(op).opDigest : nil
        func write(_ id: String) {
          StatusRecorder.updateChild(of: &lr, name: "lrm_rsc_op", id: id, make: {
            CIBElement("lrm_rsc_op", ["id": id])
          }) { e in
            StatusRecorder.setHistoryFields(&e, op, origin: "crm_simulate", onNode: false)
            if let digest { e[attribute: "op-digest"] = digest }
          }
        }
        if intervalMs > 0 {
          write(failed ? "\(resource)_last_failure_0" : op.operationKey)
        } else {
          if failed { write("\(resource)_last_failure_0") }
          write("\(resource)_last_0")
        }
      }
      if failed {
        let opName = "\(task)_\(intervalMs)"
        lines.append("  * Injecting attribute fail-count-\(resource)#\(opName)=value++ into /node_state '\(nodeID)'")
        lines.append("  * Injecting attribute last-failure-\(resource)#\(opName)=\(now) into /node_state '\(nodeID)'")
        StatusRecorder.updateTransientAttributes(&s, nodeID: nodeID, simulated: true) { set in
          StatusRecorder.countFailure(in: &set, resource: resource, task: task, intervalMs: intervalMs, at: now,
                                      fatal: false)
        }
      }
    }
    return lines
  }

  /// The primitive's first instance_attributes set, for definition digests.
  func instanceAttributes(_ prim: CIBElement) -> [String: String] {
    var out: [String: String] = [:]
    for set in prim.elements(named: "instance_attributes") {
      for nv in set.elements(named: "nvpair") {
        if let n = nv[attribute: "name"], out[n] == nil { out[n] = nv[attribute: "value"] ?? "" }
      }
    }
    return out
  }
}

/// Replaces the first child element named `name` of `parent` with `child`, or adds it (first or last).
func replaceChildElement(_ parent: inout CIBElement, named name: String, with child: CIBElement, prepend: Bool) {
  if let i = parent.childIndex(named: name) {
    parent.children[i] = .element(child)
  } else if prepend {
    parent.children.insert(.element(child), at: 0)
  } else {
    parent.append(child)
  }
}
