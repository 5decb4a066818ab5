import Foundation
import CIB

/// Operating errors of the PolicyEngine: a CIB it cannot schedule, named so a person can fix it.
public enum PolicyEngineError: Error, Equatable, Sendable {
  case notACIB(rootElement: String)
  case missingSection(String)
}

/// Reads a CIB document tree into the scheduler's working input.
///
/// Why a separate file: this is the only place the PolicyEngine looks at the CIB's element tree; when the
/// typed CIB model is complete enough, this reader is the one file to switch. It resolves `id-ref`s and
/// expands resource sets into pairwise constraints, so later stages see plain pairs. Unknown elements are
/// skipped (a newer schema must degrade, not crash).
public struct CIBReader {
  var byID = ElementIndex()
  /// Tags and templates by id: the resources each stands for in constraints (tag obj_refs; primitives
  /// derived from a template, in configuration order).
  var tagMembers: [String: [String]] = [:]
  /// Ids of configured resources, so a tag sharing no id with a resource is recognised.
  var resourceIDs: Set<String> = []
  private let now: Int64

  public init(now: Int64) { self.now = now }

  public static func read(_ root: CIBElement, now: Int64) throws(PolicyEngineError) -> SchedulerInput {
    var reader = CIBReader(now: now)
    return try reader.unpack(root)
  }

  mutating func unpack(_ root: CIBElement) throws(PolicyEngineError) -> SchedulerInput {
    guard root.name == "cib" else { throw .notACIB(rootElement: root.name) }
    guard let configuration = root.firstElement(named: "configuration") else {
      throw .missingSection("configuration")
    }
    // id-refs and templates point into the configuration; the status section (most of a large CIB) has none.
    byID = ElementIndex(configuration)
    var input = SchedulerInput()
    input.now = now
    input.dcUUID = root[attribute: "dc-uuid"]
    input.haveQuorum = isTrue(root[attribute: "have-quorum"] ?? "false")
    input.quorumPanic = (Int(root[attribute: "no-quorum-panic"] ?? "0") ?? 0) != 0

    if let crm = configuration.firstElement(named: "crm_config") {
      for set in crm.elements(named: "cluster_property_set") {
        mergeFirstWins(&input.clusterOptions, nvpairs(of: set))
      }
    }
    if let nodes = configuration.firstElement(named: "nodes") {
      for e in nodes.elements(named: "node") {
        guard let id = e.id else { continue }
        let n = Node(decoding: e)
        var attrs: [String: String] = [:]
        for set in n.instanceAttributes { mergeFirstWins(&attrs, nvpairs(of: set)) }
        var util: [String: String] = [:]
        for set in n.utilization { mergeFirstWins(&util, nvpairs(of: set)) }
        input.nodes.append(
          NodeConfig(id: id, uname: e[attribute: "uname"] ?? id, type: n.type ?? "member", attributes: attrs,
                     utilization: util))
      }
    }
    if let rscs = configuration.firstElement(named: "resources") {
      for e in rscs.elements {
        if let r = resource(e) { input.resources.append(r) }
      }
    }
    collectTagMembers(configuration)
    if let defaults = configuration.firstElement(named: "rsc_defaults") {
      for set in defaults.elements(named: "meta_attributes") where ruleAllows(set) {
        mergeFirstWins(&input.rscDefaults, nvpairs(of: set))
      }
    }
    if let defaults = configuration.firstElement(named: "op_defaults") {
      for set in defaults.elements(named: "meta_attributes") where ruleAllows(set) {
        mergeFirstWins(&input.opDefaults, nvpairs(of: set))
      }
    }
    if let fencing = configuration.firstElement(named: "fencing-topology") {
      input.fencingLevels = fencing.elements(named: "fencing-level").count
    }
    if let cons = configuration.firstElement(named: "constraints") {
      for c in cons.elements {
        switch c.name {
        case "rsc_location": input.locations += location(c)
        case "rsc_colocation": input.colocations += colocation(c)
        case "rsc_order": input.orders += order(c)
        case "rsc_ticket": input.ticketConstraints += ticket(c)
        default: continue
        }
      }
    }
    if let status = root.firstElement(named: "status") {
      for e in status.elements {
        if e.name == "tickets" {
          for t in e.elements(named: "ticket_state") {
            if let id = t.id {
              input.tickets[id] = isTrue(t[attribute: "granted"] ?? "false")
              if isTrue(t[attribute: "standby"] ?? "false") { input.standbyTickets.insert(id) }
            }
          }
          continue
        }
        guard e.name == "node_state", let id = e.id else { continue }
        var ns = NodeStateRecord(id: id, uname: e[attribute: "uname"])
        ns.inCCM = e[attribute: "in_ccm"]
        ns.crmd = e[attribute: "crmd"]
        ns.join = e[attribute: "join"]
        ns.expected = e[attribute: "expected"]
        if let ta = e.firstElement(named: "transient_attributes") {
          for set in ta.elements(named: "instance_attributes") {
            mergeFirstWins(&ns.transientAttributes, nvpairs(of: set))
          }
        }
        if let lrm = e.firstElement(named: "lrm"), let lrs = lrm.firstElement(named: "lrm_resources") {
          for lr in lrs.elements(named: "lrm_resource") {
            guard let rid = lr.id else { continue }
            var h = ResourceHistory(id: rid)
            h.agentClass = lr[attribute: "class"]
            h.agentProvider = lr[attribute: "provider"]
            h.agentType = lr[attribute: "type"]
            for op in lr.elements(named: "lrm_rsc_op") { if let rec = operationRecord(op) { h.operations.append(rec) } }
            ns.resources.append(h)
          }
        }
        input.nodeStates.append(ns)
      }
    }
    return input
  }

  // MARK: - attribute sets

  func resolved(_ e: CIBElement) -> CIBElement {
    if let ref = e[attribute: "id-ref"], let target = byID[ref] { return target }
    return e
  }

  private func nvpairs(of set: CIBElement) -> [(String, String)] { nvpairs(of: AttributeSet(decoding: set)) }

  /// The set's pairs in document order, the set and each pair read through their `id-ref`s.
  private func nvpairs(of set: AttributeSet) -> [(String, String)] {
    let s = set.idRef.flatMap { byID[$0] }.map(AttributeSet.init(decoding:)) ?? set
    var out: [(String, String)] = []
    for p in s.pairs {
      let pair = p.idRef.flatMap { byID[$0] }.map(NVPair.init(decoding:)) ?? p
      if let name = pair.name { out.append((name, pair.value ?? "")) }
    }
    return out
  }

  /// Attribute sets guarded by a rule: only date-based rules are meaningful without a node; others pass.
  private func ruleAllows(_ set: CIBElement) -> Bool {
    let s = resolved(set)
    for r in s.elements(named: "rule") {
      let rule = self.rule(r)
      if !RuleEvaluator(now: now, nodeAttributes: [:], ignoreNodeExpressions: true).evaluate(rule) { return false }
    }
    return true
  }

  private func mergeFirstWins(_ into: inout [String: String], _ pairs: [(String, String)]) {
    for (k, v) in pairs where into[k] == nil { into[k] = v }
  }

  private func metaOf(_ e: CIBElement) -> [String: String] {
    var m: [String: String] = [:]
    for set in e.elements(named: "meta_attributes") where ruleAllows(set) { mergeFirstWins(&m, nvpairs(of: set)) }
    return m
  }

  // MARK: - resources

  private func resource(_ e: CIBElement) -> ResourceConfig? {
    guard let id = e.id else { return nil }
    switch e.name {
    case "primitive":
      var r = ResourceConfig(id: id, variant: .primitive)
      var source = e
      if let tmpl = e[attribute: "template"], let t = byID[tmpl] {
        // A template supplies agent, operations and attributes the primitive does not set itself.
        source = t
        r.meta = metaOf(t)
        for set in t.elements(named: "instance_attributes") { mergeFirstWins(&r.instanceAttributes, nvpairs(of: set)) }
        r.operations = operations(t)
      }
      r.agentClass = e[attribute: "class"] ?? source[attribute: "class"] ?? ""
      r.agentProvider = e[attribute: "provider"] ?? source[attribute: "provider"]
      r.agentType = e[attribute: "type"] ?? source[attribute: "type"] ?? ""
      let own = metaOf(e)
      for (k, v) in own { r.meta[k] = v }
      var inst: [String: String] = [:]
      for set in e.elements(named: "instance_attributes") { mergeFirstWins(&inst, nvpairs(of: set)) }
      for (k, v) in inst { r.instanceAttributes[k] = v }
      var util: [String: String] = [:]
      for set in e.elements(named: "utilization") { mergeFirstWins(&util, nvpairs(of: set)) }
      r.utilization = util
      let ops = operations(e)
      if !ops.isEmpty || r.operations.isEmpty { r.operations = ops.isEmpty ? r.operations : ops }
      return r
    case "group":
      var r = ResourceConfig(id: id, variant: .group)
      r.meta = metaOf(e)
      r.children = e.elements(named: "primitive").compactMap { resource($0) }
      return r
    case "clone", "master":
      var r = ResourceConfig(id: id, variant: .clone)
      r.meta = metaOf(e)
      r.promotable = e.name == "master" || isTrue(r.meta["promotable"] ?? "false")
      r.children = e.elements.filter { $0.name == "primitive" || $0.name == "group" }.compactMap { resource($0) }
      return r
    case "bundle":
      var r = ResourceConfig(id: id, variant: .bundle)
      r.meta = metaOf(e)
      return r
    default:
      return nil
    }
  }

  private func operations(_ e: CIBElement) -> [OperationConfig] {
    guard let opsElement = e.firstElement(named: "operations") else { return [] }
    let ops = resolved(opsElement)
    var out: [OperationConfig] = []
    for o in ops.elements(named: "op") {
      let op = resolved(o)
      guard let name = op[attribute: "name"] else { continue }
      var c = OperationConfig(
        name: name, intervalMs: intervalMs(op[attribute: "interval"] ?? "0") ?? 0,
        role: op[attribute: "role"], onFail: op[attribute: "on-fail"])
      c.enabled = isTrue(op[attribute: "enabled"] ?? "true")
      var m: [String: String] = [:]
      for a in op.attributes { m[a.name] = a.value }
      for set in op.elements(named: "meta_attributes") { mergeFirstWins(&m, nvpairs(of: set)) }
      if let en = m["enabled"] { c.enabled = isTrue(en) }
      if c.onFail == nil, let of = m["on-fail"] { c.onFail = of }
      c.meta = m
      out.append(c)
    }
    return out
  }

  // MARK: - rules

  /// A rule element read through the CIB model, with its references followed.
  func rule(_ e: CIBElement) -> ResolvedRule { rule(Rule(decoding: e)) }

  func rule(_ r: Rule) -> ResolvedRule { r.resolved { byID[$0] } }

  /// One `lrm_rsc_op`, read in a single pass over its attributes (large CIBs hold tens of thousands).
  private func operationRecord(_ op: CIBElement) -> OperationRecord? {
    var id: String?, task: String?
    var interval = "0", callID = "0", rc = "0", opStatus = "0"
    var transitionKey: String?, transitionMagic: String?, lastRCChange: String?, lastRun: String?
    var rec = OperationRecord(id: "", task: "")
    for a in op.attributes {
      // Most names are compared only when their length matches: an lrm_rsc_op has a dozen attributes, several
      // longer than 15 bytes (out of Swift's small-string fast path), and large CIBs hold tens of thousands.
      let name = a.name
      switch name.utf8.count {
      case 2: if name == "id" { id = a.value }
      case 7:
        if name == "call-id" { callID = a.value } else if name == "rc-code" { rc = a.value }
        else if name == "on_node" { rec.onNode = a.value }
      case 8:
        if name == "interval" { interval = a.value } else if name == "last-run" { lastRun = a.value }
      case 9:
        if name == "operation" { task = a.value } else if name == "op-status" { opStatus = a.value }
        else if name == "op-digest" { rec.opDigest = a.value }
      case 13: if name == "operation_key" { rec.operationKey = a.value }
      case 14:
        if name == "transition-key" { transitionKey = a.value } else if name == "last-rc-change" { lastRCChange = a.value }
        else if name == "migrate_source" { rec.migrateSource = a.value }
        else if name == "migrate_target" { rec.migrateTarget = a.value }
      case 16:
        if name == "transition-magic" { transitionMagic = a.value }
        else if name == "op-force-restart" { rec.forceRestart = a.value }
        else if name == "op-secure-params" { rec.secureParams = a.value }
        else if name == "op-secure-digest" { rec.secureDigest = a.value }
      case 17: if name == "op-restart-digest" { rec.restartDigest = a.value }
      default: continue
      }
    }
    guard let id, let task else { return nil }
    rec.id = id
    rec.task = task
    rec.intervalMs = Int(interval) ?? 0
    rec.callID = Int(callID) ?? 0
    rec.rc = Int(rc) ?? 0
    rec.opStatus = Int(opStatus) ?? 0
    rec.targetRC = 0
    if let key = transitionKey {
      // "action:transition:target-rc:uuid": the third field.
      var field = 0
      var start = key.utf8.startIndex
      for i in key.utf8.indices where key.utf8[i] == UInt8(ascii: ":") {
        field += 1
        if field == 2 { start = key.utf8.index(after: i) }
        if field == 3 {
          if let t = Int(Substring(key.utf8[start..<i])) { rec.targetRC = t }
          break
        }
      }
    } else if let magic = transitionMagic {
      // "op-status:rc;action:transition:target-rc:uuid"
      if let semi = magic.firstIndex(of: ";") {
        let parts = magic[magic.index(after: semi)...].split(separator: ":")
        if parts.count >= 3, let t = Int(parts[2]) { rec.targetRC = t }
      }
    }
    rec.lastRCChange = lastRCChange.flatMap { Int64($0) } ?? lastRun.flatMap { Int64($0) }
    return rec
  }
}

/// The configuration's elements by id, for id-refs and templates. Built on first use: most CIBs have neither,
/// and indexing every element of a large configuration costs more than reading it.
final class ElementIndex {
  private let configuration: CIBElement?
  private var table: [String: CIBElement]?

  init(_ configuration: CIBElement? = nil) { self.configuration = configuration }

  subscript(id: String) -> CIBElement? {
    if table == nil {
      var t: [String: CIBElement] = [:]
      configuration?.forEachDescendant { e in
        if let id = e.id, e[attribute: "id-ref"] == nil, t[id] == nil { t[id] = e }
      }
      table = t
    }
    return table?[id]
  }
}

/// Pacemaker's boolean spelling: true, yes, on, y, 1 (case-insensitive).
func isTrue(_ s: String) -> Bool {
  switch s.lowercased() {
  case "true", "yes", "on", "y", "1", "+": return true
  default: return false
  }
}

/// A time (timeouts, crm_get_msec) in milliseconds as the CIB module reads it, nil when it is not one.
func timeMs(_ text: String) -> Int? { (try? Milliseconds(time: text)).map { Int($0.value) } }

/// An operation interval (crm_parse_interval_spec, ISO 8601 allowed) in milliseconds, nil when it is not one.
func intervalMs(_ text: String) -> Int? { (try? Milliseconds(interval: text)).map { Int($0.value) } }
