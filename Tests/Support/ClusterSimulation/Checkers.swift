import CIB
import Controller

/// The checkers (docs/ARCHITECTURE.md, "The whole-cluster simulation"):
/// 1. no resource active on two nodes at any instant (the agents' own state, from a start's first instant to a
///    stop's last), tagged by what a watchdog would have had to bound;
/// 2. every acknowledged write is in the CIB of every node that later acts as DC of a quorate partition;
/// 3. after the heal phase every node holds the same CIB;
/// 4. after the heal phase, each active resource has exactly its configured recurring monitor on its node, and
///    no node monitors a resource that is not active there.
extension ClusterSimulator {
  /// Checker 1, after every event. An episode (same holders) is reported once, when it begins.
  mutating func checkOverlaps() {
    agentsChanged = false
    for r in plan.resources {
      let holders = (0..<n).filter { nodes[$0].agents[r.id] != nil }
      guard holders.count > 1 else {
        overlapping[r.id] = nil
        continue
      }
      if let known = overlapping[r.id], Set(known).isSuperset(of: holders) { continue }
      overlapping[r.id] = holders
      var kind = Violation.Kind.doubleRun
      var notes: [String] = []
      for h in holders {
        let since = nodes[h].agents[r.id]!
        let frozen = nodes[h].frozenEndMs >= since
        let down = nodes[h].downEndMs >= since
        if frozen { kind = .doubleRunFrozen }
        if down && kind != .doubleRunFrozen { kind = .doubleRunClusterdDown }
        let state = nodes[h].process == nil ? "clusterd down" : nodes[h].frozen ? "clusterd frozen" : "clusterd up"
        var extra = frozen && !nodes[h].frozen ? ", was frozen" : ""
        if down && nodes[h].process != nil { extra += ", was down" }
        if let p = nodes[h].process { extra += ", clusterd started at \(p.startedAtUs / 1000) ms" }
        notes.append("n\(h + 1) since \(since) ms (\(state)\(extra))")
      }
      if kind == .doubleRun && cutsEndMs >= nowMs - 2 * leaseMs { kind = .doubleRunOneWayCut }
      violate(kind, "\(r.id) active on \(holders.map { "n\($0 + 1)" }.joined(separator: " ")): \(notes.joined(separator: "; "))")
    }
  }

  /// Checker 2, after each step of node `i`: when it becomes DC of a quorate partition (in each view where it
  /// does), it has every write acknowledged so far. A DC that has not yet noticed it lost its view is not checked:
  /// it cannot act (nothing it broadcasts becomes stable without the members that moved on).
  mutating func checkWrites(_ i: Int) {
    guard let p = nodes[i].process, p.canWrite, let viewID = p.viewID else {
      lastWriteCheck[i] = nil
      return
    }
    guard lastWriteCheck[i] != viewID else { return }
    lastWriteCheck[i] = viewID
    checkAcked(in: p.core.cib, "n\(i + 1) becomes DC of quorate view \(viewID)")
  }

  /// Every write acknowledged so far is in `cib` (except one no disk and no memory holds after disks were wiped).
  mutating func checkAcked(in cib: CIBElement, _ who: String) {
    let present = SimulatedConfiguration.clientProperties(in: cib)
    for w in acked where !present.contains(w.key) {
      if writeNowhere(w.key) && diskWipesMs.contains(where: { $0 >= w.ackedMs }) {
        log("write \(w.key) is on no disk and in no memory after a disk was wiped: not promised, not counted")
        continue
      }
      violate(.lostWrite, "\(who) without write \(w.key) acknowledged at \(w.ackedMs) ms (its CIB \(Self.versionText(cib)))")
      acked.removeAll { $0.key == w.key }
      return
    }
  }

  /// Whether no disk and no running process holds the write any more.
  func writeNowhere(_ key: String) -> Bool {
    for node in nodes {
      if let d = node.disk, SimulatedConfiguration.clientProperties(in: d).contains(key) { return false }
      if let p = node.process, SimulatedConfiguration.clientProperties(in: p.core.cib).contains(key) { return false }
    }
    return true
  }

  /// Checkers 3 and 4, and settling, at the end of the heal phase: the violations they find (none reported yet).
  func settledChecks() -> [(kind: Violation.Kind, detail: String)] {
    var out: [(kind: Violation.Kind, detail: String)] = []
    let live = (0..<n).filter { nodes[$0].process != nil }
    let dcs = live.filter { nodes[$0].process!.canWrite }
    if live.count != n || dcs.count != 1 {
      return [(.notSettled, "after healing: \(live.count) of \(n) clusterds run, DCs: \(dcs.map { "n\($0 + 1)" })")]
    }
    // 3: one CIB everywhere, with every acknowledged write.
    let reference = nodes[dcs[0]].process!.core.cib
    let present = SimulatedConfiguration.clientProperties(in: reference)
    for w in acked where !present.contains(w.key) && !(writeNowhere(w.key) && diskWipesMs.contains { $0 >= w.ackedMs }) {
      out.append((.lostWrite, "after healing, the DC n\(dcs[0] + 1) lacks write \(w.key) acknowledged at \(w.ackedMs) ms"))
      break
    }
    for i in live where nodes[i].process!.core.cib != reference {
      out.append((.diverged, "n\(i + 1) holds CIB \(Self.versionText(nodes[i].process!.core.cib)), the DC n\(dcs[0] + 1) \(Self.versionText(reference))"))
    }
    // Every resource placed once (nothing keeps them from running after the heal).
    for r in plan.resources {
      let holders = live.filter { nodes[$0].agents[r.id] != nil }
      if holders.count != 1 { out.append((.notSettled, "\(r.id) active on \(holders.count) nodes after healing")) }
    }
    // 4: monitors exactly as configured.
    let configured = SimulatedConfiguration.configuredMonitors(plan.resources)
    for i in live {
      let keys = nodes[i].process!.lrm.recurringKeys
      for r in plan.resources where nodes[i].agents[r.id] != nil {
        let want = configured[r.id]!
        if !keys.contains(want) { out.append((.monitorMissing, "\(r.id) active on n\(i + 1) without its recurring \(want)")) }
      }
      for k in keys {
        guard let rsc = plan.resources.first(where: { k.hasPrefix($0.id + "_") }) else { continue }
        if nodes[i].agents[rsc.id] == nil {
          out.append((.monitorSpurious, "n\(i + 1) runs \(k) but \(rsc.id) is not active there"))
        } else if k != configured[rsc.id]! {
          out.append((.monitorSpurious, "n\(i + 1) runs \(k), not configured (want \(configured[rsc.id]!))"))
        }
      }
    }
    return out
  }
}

extension ClusterSimulator {
  /// The end of a trace: what each live node's agents run, and what its CIB's status records per resource (the
  /// last operation of each), so a not-settled or monitor violation can be read against the DC's view.
  func traceFinalState() {
    for i in 0..<n {
      guard let p = nodes[i].process else { continue }
      let c = p.core.controller
      let m = p.membership
      log("final n\(i + 1) membership: view \(m.view.id) frozen=\(m.frozen) received=\(m.received) delivered=\(m.delivered) pending=\(m.pendingBroadcasts) aborted=\(m.abortedBroadcasts) highestAcked=\(m.highestAcked.map { "\($0)" } ?? "none")")
      log("final n\(i + 1): agents \(nodes[i].agents.keys.sorted()) recurring \(p.lrm.recurringKeys) dc=\(c.dc?.name ?? "none") isDC=\(c.isDC) quorate=\(c.quorate) synced=\(p.core.synced) CIB \(Self.versionText(p.core.cib))")
      guard c.isDC, let status = p.core.cib.firstElement(named: "status") else { continue }
      if let t = c.transition {
        log("final transition \(t.id) aborted=\(t.aborted): \(t.actions.map { "\($0.label)=\($0.state)" }.joined(separator: ", "))")
      }
      if !c.leases.isEmpty { log("final leases \(c.leases.values.map { "\($0.node) until \($0.untilMs)" })") }
      log("final CIB of the DC: \(CIBXML.serialize(p.core.cib).split(separator: "\n").joined(separator: " "))")
      for state in status.elements(named: "node_state") {
        let rscs = state.firstElement(named: "lrm")?.firstElement(named: "lrm_resources")?.elements(named: "lrm_resource") ?? []
        let ops = rscs.map { r in
          (r.id ?? "?") + ": " + r.elements(named: "lrm_rsc_op").map {
            "\($0[attribute: "operation"] ?? "?")/\($0[attribute: "interval"] ?? "?") rc=\($0[attribute: "rc-code"] ?? "?") call=\($0[attribute: "call-id"] ?? "?")"
          }.joined(separator: ",")
        }
        let attrs = state.firstElement(named: "transient_attributes").map { CIBXML.serialize($0) } ?? ""
        log("final status \(state[attribute: "uname"] ?? "?") \(state[attribute: "crmd"] ?? "") \(state[attribute: "join"] ?? ""): \(ops.joined(separator: "; ")) \(attrs)")
      }
    }
  }
}
