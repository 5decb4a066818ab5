import CIB
import LRM

/// Operations as pcs builds them for `resource create` (pcs/lib/cib/resource/operations.py).
enum Operations {
  static let allowedOptions = [
    "OCF_CHECK_LEVEL", "description", "enabled", "id", "interval", "interval-origin", "name", "on-fail",
    "record-pending", "role", "start-delay", "timeout",
  ]
  static let onFailValues = ["block", "demote", "fence", "ignore", "restart", "restart-container", "standby", "stop"]
  static let roles = ["Promoted", "Started", "Stopped", "Unpromoted"]

  static func defaultInterval(_ name: String) -> String { name == "monitor" ? "60s" : "0s" }

  /// One op to write: attributes in pcs's order (without id), plus OCF_CHECK_LEVEL if any.
  struct Planned {
    var name: String
    var attributes: [(String, String)]
    var checkLevel: String?
    var interval: String { attributes.first { $0.0 == "interval" }?.1 ?? "0s" }
  }

  /// Validates the user's ops (errors into `report`) and completes their interval.
  static func planUserOps(
    _ ops: [ResourceArguments.Operation], agentActions: [String]?, report: inout Report
  ) -> [Planned] {
    var planned: [Planned] = []
    for op in ops {
      let unknown = op.options.map(\.0).filter { !allowedOptions.contains($0) }
      if !unknown.isEmpty {
        let names = unknown.sorted()
        let allowed = allowedOptions.map { "'\($0)'" }.joined(separator: ", ")
        if names.count == 1 {
          report.error("invalid resource operation option '\(names[0])', allowed options are: \(allowed)")
        } else {
          report.error(
            "invalid resource operation options: \(names.map { "'\($0)'" }.joined(separator: ", ")), allowed options are: \(allowed)")
        }
      }
      if let onFail = op.options.first(where: { $0.0 == "on-fail" })?.1, !onFailValues.contains(onFail) {
        report.error("'\(onFail)' is not a valid on-fail value, use \(onFailValues.map { "'\($0)'" }.joined(separator: ", "))")
      }
      if let actions = agentActions, !actions.contains(op.name) {
        let use = Array(Set(actions)).sorted().map { "'\($0)'" }.joined(separator: ", ")
        report.forceable("'\(op.name)' is not a valid operation name value" + (use.isEmpty ? "" : ", use \(use)"))
      }
      var attributes: [(String, String)] = [("name", op.name)]
      var checkLevel: String?
      for (k, v) in op.options where !v.isEmpty && k != "name" && k != "id" {
        if k == "OCF_CHECK_LEVEL" {
          checkLevel = v
          continue
        }
        attributes.append((k, k == "role" ? normalizeRole(v) : v))
      }
      if !attributes.contains(where: { $0.0 == "interval" }) {
        attributes.append(("interval", defaultInterval(op.name)))
      }
      planned.append(Planned(name: op.name, attributes: attributes, checkLevel: checkLevel))
    }
    // The same name with the same interval (compared in seconds) twice is an error.
    var seen: [(name: String, seconds: Double, text: String)] = []
    var reported = Set<String>()
    for p in planned {
      let seconds = Values.timeSeconds(p.interval) ?? -1
      let clashes = seen.filter { $0.name == p.name && $0.seconds == seconds }
      if !clashes.isEmpty && !reported.contains("\(p.name)/\(seconds)") {
        reported.insert("\(p.name)/\(seconds)")
        let all = planned.filter { $0.name == p.name && (Values.timeSeconds($0.interval) ?? -1) == seconds }
        report.error(
          "multiple specification of the same operation with the same interval:\n\(p.name) with intervals \(all.map(\.interval).joined(separator: ", "))")
      }
      seen.append((p.name, seconds, p.interval))
    }
    return planned
  }

  static func normalizeRole(_ role: String) -> String {
    switch role.lowercased() {
    case "master", "promoted": return "Promoted"
    case "slave", "unpromoted": return "Unpromoted"
    case "started": return "Started"
    case "stopped": return "Stopped"
    default: return role
    }
  }

  /// Default ops from the metadata's actions, except those the user typed.
  static func defaults(
    _ metadata: AgentMetadata?, stonith: Bool, userNames: Set<String>, necessaryOnly: Bool
  ) -> [Planned] {
    var result: [Planned] = []
    for action in metadata?.actions ?? [] {
      if userNames.contains(action.name) { continue }
      if stonith || necessaryOnly {
        if action.name != "monitor" { continue }
      } else if ["meta-data", "status", "validate-all"].contains(action.name) {
        continue
      }
      var attributes: [(String, String)] = [("name", action.name)]
      attributes.append(("interval", nonEmpty(action.interval) ?? defaultInterval(action.name)))
      if let v = nonEmpty(action.timeout) { attributes.append(("timeout", v)) }
      if let v = nonEmpty(action.role) { attributes.append(("role", normalizeRole(v))) }
      if let v = nonEmpty(action.startDelay) { attributes.append(("start-delay", v)) }
      let depth = nonEmpty(action.depth)
      result.append(Planned(name: action.name, attributes: attributes, checkLevel: depth == "0" ? nil : depth))
    }
    if !userNames.contains("monitor") && !result.contains(where: { $0.name == "monitor" }) {
      result.append(Planned(name: "monitor", attributes: [("name", "monitor"), ("interval", "60s")], checkLevel: nil))
    }
    return makeIntervalsUnique(result)
  }

  private static func nonEmpty(_ s: String?) -> String? { (s?.isEmpty ?? true) ? nil : s }

  /// Default ops sharing a name and interval get the later interval bumped by one second (pcs warns).
  private static func makeIntervalsUnique(_ ops: [Planned]) -> [Planned] {
    var used: [String: Set<Double>] = [:]
    var out: [Planned] = []
    for var op in ops {
      if var seconds = Values.timeSeconds(op.interval) {
        if seconds > 0, used[op.name, default: []].contains(seconds) {
          let original = op.interval
          while used[op.name, default: []].contains(seconds) { seconds += 1 }
          let adapted = "\(Int(seconds))"
          if let i = op.attributes.firstIndex(where: { $0.0 == "interval" }) { op.attributes[i].1 = adapted }
          Console.warn(
            "changing a \(op.name) operation interval from \(original) to \(adapted) to make the operation unique")
        }
        used[op.name, default: []].insert(seconds)
      }
      out.append(op)
    }
    return out
  }

  /// `<operations>` with ops sorted by name (stable), ids `<rsc>-<name>-interval-<interval>`.
  static func element(_ ops: [Planned], resourceId: String, ids: inout IdProvider) -> CIBElement {
    var operations = CIBElement("operations")
    let sorted = ops.enumerated().sorted { a, b in
      a.element.name != b.element.name ? a.element.name < b.element.name : a.offset < b.offset
    }.map(\.element)
    for op in sorted {
      let id = ids.subelementId(resourceId, "\(op.name)-interval-\(op.interval)")
      var e = CIBElement("op", attributes: op.attributes.map { CIBAttribute(name: $0.0, value: $0.1) })
      e[attribute: "id"] = id
      if let level = op.checkLevel {
        let setId = ids.subelementId(id, "instance_attributes")
        e.append(
          CIBElement(
            "instance_attributes", ["id": setId],
            children: [
              CIBElement("nvpair", ["id": ids.subelementId(setId, "OCF_CHECK_LEVEL"), "name": "OCF_CHECK_LEVEL", "value": level])
            ]))
      }
      operations.append(e)
    }
    return operations
  }
}
