import CIB
#if canImport(Glibc)
  import Glibc
#endif

/// crm_mon 2.1.5's text layout (`--one-shot --inactive`, plus `--show-detail --show-node-attributes
/// --failcounts` for `--full`), and the `pcs status` wrappers around it. Separators inside resource lines
/// are TABs, as crm_mon writes them.
enum StatusText {
  /// `pcs status [--full]`.
  /// `watchdog`: the live cluster's watchdog line for the summary (clusterd knows it; an offline CIB does not).
  static func cluster(_ m: StatusModel, clusterName: String, full: Bool, now: String, watchdog: String? = nil) -> String {
    var out = "Cluster name: \(clusterName)\n"
    if !m.warnings.isEmpty {
      out += "\nWARNINGS:\n" + m.warnings.map { $0 + "\n" }.joined() + "\n"
    }
    out += crmMon(m, full: full, now: now, watchdog: watchdog)
    if full { out += "\nTickets:\n" }
    return out
  }

  static func crmMon(_ m: StatusModel, full: Bool, now: String, watchdog: String? = nil) -> String {
    var out = "Cluster Summary:\n"
    out += "  * Stack: \(m.stack)\n"
    if let dc = m.dcName {
      let id = full ? " (\(m.dcId ?? ""))" : ""
      out += "  * Current DC: \(dc)\(id) (version \(m.dcVersion)) - partition \(m.haveQuorum ? "with" : "WITHOUT") quorum\n"
    } else {
      out += "  * Current DC: NONE\n"
    }
    out += "  * Last updated: \(now)\n"
    out += "  * Last change:  \(m.lastChange)\n"
    out += "  * \(m.nodesConfigured) node\(m.nodesConfigured == 1 ? "" : "s") configured\n"
    let disabled = m.instancesDisabled > 0 ? " (\(m.instancesDisabled) DISABLED)" : ""
    out += "  * \(m.instancesConfigured) resource instance\(m.instancesConfigured == 1 ? "" : "s") configured\(disabled)\n"
    if let watchdog { out += "  * Watchdog: \(watchdog)\n" }
    out += "\nNode List:\n" + nodeList(m, full: full)
    out += "\nFull List of Resources:\n"
    let lines = resourceLines(m, full: full, includeStonith: true)
    out += lines.isEmpty ? "  * No resources\n" : lines.joined()
    if full {
      let withAttributes = m.nodes.filter { $0.online && !$0.attributes.isEmpty }
      if !withAttributes.isEmpty {
        out += "\nNode Attributes:\n"
        for n in withAttributes {
          out += "  * Node: \(n.name) (\(n.id)):\n"
          for a in n.attributes { out += "    * \(pad(a.name, 32))\t: \(pad(a.value, 10))\n" }
        }
      }
      if m.nodes.contains(where: \.online) {
        out += "\nMigration Summary:\n"
        for n in m.nodes where n.online && !n.failCounts.isEmpty {
          out += "  * Node: \(n.name) (\(n.id)):\n"
          for f in n.failCounts {
            var line = "    * \(f.resource): migration-threshold=\(f.migrationThreshold) fail-count=\(f.count)"
            if let t = f.lastFailure { line += " last-failure='\(ctime(t))'" }
            out += line + "\n"
          }
        }
      }
    }
    if !m.failedOperations.isEmpty {
      out += "\nFailed Resource Actions:\n"
      for f in m.failedOperations { out += "  * " + (full ? failedLong(f) : failedShort(f)) + "\n" }
    }
    return out
  }

  static func nodeList(_ m: StatusModel, full: Bool) -> String {
    var out = ""
    if full {
      for n in m.nodes {
        var state: String
        switch n.state {
        case .online:
          if n.standby {
            state = n.hasActiveResources ? "standby (with active resources)" : "standby"
          } else if n.maintenance {
            state = "maintenance"
          } else {
            state = "online"
          }
          if !n.featureSetKnown { state += ", feature set <3.15.1" }
        case .offline: state = n.standby ? "OFFLINE (standby)" : "OFFLINE"
        case .uncleanOffline: state = "UNCLEAN (offline)"
        case .pending: state = "pending"
        }
        out += "  * Node \(n.name) (\(n.id)): \(state)\n"
      }
      return out
    }
    var online: [String] = []
    var offline: [String] = []
    for n in m.nodes {
      switch n.state {
      case .online:
        if n.standby {
          out += "  * Node \(n.name): standby\(n.hasActiveResources ? " (with active resources)" : "")\n"
        } else if n.maintenance {
          out += "  * Node \(n.name): maintenance\n"
        } else {
          online.append(n.name)
        }
      case .offline:
        if n.standby { out += "  * Node \(n.name): OFFLINE (standby)\n" } else { offline.append(n.name) }
      case .uncleanOffline: out += "  * Node \(n.name): UNCLEAN (offline)\n"
      case .pending: out += "  * Node \(n.name): pending\n"
      }
    }
    if !online.isEmpty { out += "  * Online: [ \(online.joined(separator: " ")) ]\n" }
    if !offline.isEmpty { out += "  * OFFLINE: [ \(offline.joined(separator: " ")) ]\n" }
    return out
  }

  /// Resource lines at top level (indent 2); `includeStonith` false for `status resources`.
  static func resourceLines(_ m: StatusModel, full: Bool, includeStonith: Bool) -> [String] {
    var lines: [String] = []
    let nodeNames = m.nodes.map(\.name)
    for r in m.resources {
      if !includeStonith, case .primitive(let p) = r, p.stonith { continue }
      lines += resource(r, indent: 2, full: full, nodes: nodeNames)
    }
    return lines
  }

  static func resource(_ r: StatusModel.Resource, indent: Int, full: Bool, nodes: [String]) -> [String] {
    let pad = String(repeating: " ", count: indent)
    switch r {
    case .primitive(let p):
      return primitiveLines(p, indent: indent, promotable: false)
    case .group(let id, let members, let disabled):
      var lines = ["\(pad)* Resource Group: \(id)\(disabled ? " (disabled)" : ""):\n"]
      for member in members { lines += resource(member, indent: indent + 2, full: full, nodes: nodes) }
      return lines
    case .clone(let id, let child, let promotable, let instancesMax, let disabled):
      let childId: String
      switch child {
      case .primitive(let p): childId = p.id
      case .group(let gid, _, _): childId = gid
      case .clone(let cid, _, _, _, _): childId = cid
      }
      var header = "\(pad)* Clone Set: \(id) [\(childId)]"
      if promotable { header += " (promotable)" }
      if disabled { header += " (disabled)" }
      var lines = [header + ":\n"]
      guard case .primitive(let p) = child else {
        // Cloned groups: list the group once (crm_mon expands instances; kept simple here).
        return lines + resource(child, indent: indent + 2, full: full, nodes: nodes)
      }
      let inner = String(repeating: " ", count: indent + 2)
      if full {
        for pl in p.placements {
          lines.append("\(inner)* \(p.id)\t(\(p.agent)):\t \(roleText(pl, promotable: promotable)) \(pl.node)\(flags(p, stopped: false))\n")
        }
        for _ in 0..<max(0, instancesMax - p.placements.count) {
          lines.append("\(inner)* \(p.id)\t(\(p.agent)):\t Stopped\(flags(p, stopped: true))\n")
        }
        return lines
      }
      var byRole: [(String, [String])] = []
      func add(_ role: String, _ node: String) {
        if let i = byRole.firstIndex(where: { $0.0 == role }) { byRole[i].1.append(node) } else { byRole.append((role, [node])) }
      }
      let order = ["FAILED", "Promoted", "Unpromoted", "Started"]
      for pl in p.placements { add(pl.failed ? "FAILED" : roleText(pl, promotable: promotable), pl.node) }
      byRole.sort { (order.firstIndex(of: $0.0) ?? 9) < (order.firstIndex(of: $1.0) ?? 9) }
      for (role, ns) in byRole {
        if role == "FAILED" {
          for n in ns.sorted() { lines.append("\(inner)* \(p.id)\t(\(p.agent)):\t FAILED \(n)\n") }
        } else {
          lines.append("\(inner)* \(role): [ \(ns.sorted().joined(separator: " ")) ]\(p.managed ? "" : " (unmanaged)")\n")
        }
      }
      let running = Set(p.placements.map(\.node))
      let stopped = nodes.filter { !running.contains($0) }.sorted()
      if !stopped.isEmpty && running.count < instancesMax {
        lines.append("\(inner)* Stopped\(p.disabled ? " (disabled)" : ""): [ \(stopped.joined(separator: " ")) ]\n")
      }
      return lines
    }
  }

  static func primitiveLines(_ p: StatusModel.Primitive, indent: Int, promotable: Bool) -> [String] {
    let pad = String(repeating: " ", count: indent)
    let prefix = "\(pad)* \(p.id)\t(\(p.agent)):\t "
    if p.placements.isEmpty { return ["\(prefix)Stopped\(flags(p, stopped: true))\n"] }
    if p.placements.count > 1 {
      let nodes = p.placements.map(\.node).sorted().joined(separator: " ")
      return ["\(prefix)\(p.orphan ? "ORPHANED " : "")Started [ \(nodes) ]\(flags(p, stopped: false))\n"]
    }
    let pl = p.placements[0]
    return ["\(prefix)\(p.orphan ? "ORPHANED " : "")\(roleText(pl, promotable: promotable)) \(pl.node)\(flags(p, stopped: false))\n"]
  }

  static func roleText(_ pl: StatusModel.Placement, promotable: Bool) -> String {
    if pl.failed { return "FAILED" }
    switch pl.role {
    case .promoted: return "Promoted"
    case .unpromoted: return "Unpromoted"
    case .started: return promotable ? "Unpromoted" : "Started"
    case .stopped, .unknown: return "Stopped"
    }
  }

  static func flags(_ p: StatusModel.Primitive, stopped: Bool) -> String {
    var f = ""
    if p.disabled { f += " (disabled)" }
    if !p.managed { f += " (unmanaged)" }
    return f
  }

  static let rcText: [Int: String] = [
    0: "ok", 1: "error", 2: "invalid parameter", 3: "unimplemented feature", 4: "insufficient privileges",
    5: "not installed", 6: "not configured", 7: "not running", 8: "promoted", 9: "promoted (failed)",
  ]
  static let execStatusText: [Int: String] = [
    -1: "pending", 0: "complete", 1: "Cancelled", 2: "Timed Out", 3: "NOT SUPPORTED", 4: "Error", 5: "Hard error",
    6: "Fatal error", 7: "Not installed", 8: "Internal communication failure", 9: "Cannot execute now",
    10: "No fence device", 11: "No secrets",
  ]

  static func failedShort(_ f: StatusModel.FailedOperation) -> String {
    var s = f.resource + " "
    if f.intervalMs > 0 { s += "\(readableInterval(f.intervalMs))-interval " }
    s += "\(f.task) on \(f.node) returned '\(rcText[f.rc] ?? "unknown")'"
    if !f.exitReason.isEmpty { s += " (\(f.exitReason))" }
    if let t = f.lastRCChange { s += " at \(ctime(t))" }
    return s
  }

  static func failedLong(_ f: StatusModel.FailedOperation) -> String {
    var s = "\(f.operationKey) on \(f.node) '\(rcText[f.rc] ?? "unknown")' (\(f.rc)): call=\(f.callId), status='\(execStatusText[f.opStatus] ?? "unknown")'"
    if !f.exitReason.isEmpty { s += ", exitreason='\(f.exitReason)'" }
    if let t = f.lastRCChange { s += ", last-rc-change='\(ctime(t))'" }
    s += ", queued=\(f.queueMs)ms, exec=\(f.execMs)ms"
    return s
  }

  /// Pacemaker's readable interval: 30s, 1m, 1m30s, 2h, 500ms.
  static func readableInterval(_ ms: Int) -> String {
    var rest = ms
    var s = ""
    let h = rest / 3_600_000
    rest %= 3_600_000
    let m = rest / 60_000
    rest %= 60_000
    let sec = rest / 1000
    let milli = rest % 1000
    if h > 0 { s += "\(h)h" }
    if m > 0 { s += "\(m)m" }
    if sec > 0 { s += "\(sec)s" }
    if milli > 0 { s += "\(milli)ms" }
    return s.isEmpty ? "0s" : s
  }

  static func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
  }

  /// ctime(3) without the newline, in local time: `Sat Nov 21 21:44:46 2026`.
  static func ctime(_ epoch: Int64) -> String {
    var t = time_t(epoch)
    var tmValue = tm()
    localtime_r(&t, &tmValue)
    var buffer = [CChar](repeating: 0, count: 64)
    let n = strftime(&buffer, buffer.count, "%a %b %e %H:%M:%S %Y", &tmValue)
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// `pcs status nodes` (pcs/status.py::nodes_status).
  static func nodes(_ m: StatusModel) -> String {
    var online: [String] = []
    var standby: [String] = []
    var standbyActive: [String] = []
    var maintenance: [String] = []
    var offline: [String] = []
    for n in m.nodes {
      if !n.online {
        offline.append(n.name)
      } else if n.standby {
        if n.hasActiveResources { standbyActive.append(n.name) } else { standby.append(n.name) }
      } else if n.maintenance {
        maintenance.append(n.name)
      } else {
        online.append(n.name)
      }
    }
    func line(_ label: String, _ names: [String]) -> String {
      " \(label):" + (names.isEmpty ? "" : " " + names.joined(separator: " ")) + "\n"
    }
    var out = "Pacemaker Nodes:\n"
    out += line("Online", online) + line("Standby", standby) + line("Standby with resource(s) running", standbyActive)
    out += line("Maintenance", maintenance) + line("Offline", offline)
    out += "Pacemaker Remote Nodes:\n"
    out += line("Online", []) + line("Standby", []) + line("Standby with resource(s) running", [])
    out += line("Maintenance", []) + line("Offline", [])
    return out
  }
}
