import CIB

/// Unfencing (Pacemaker's pcmk__order_vs_unfence and trigger_unfencing): once a fencing device `provides`
/// unfencing, every resource that needs fencing also needs its node unfenced ("Fence (on)") before it is probed or
/// started there, and so does every fencing device. A node counts as unfenced once its `#node-unfenced`
/// attribute is set (and not 0); the unfencing is scheduled for online, clean nodes not shutting down.
extension ActionBuilder {
  /// Does any resource (or the resource defaults) say `provides=unfencing`?
  var unfencingEnabled: Bool {
    state.options.stonithEnabled
      && (state.input.rscDefaults["provides"] == "unfencing"
        || state.input.resources.contains { providesUnfencing($0) })
  }

  func providesUnfencing(_ r: ResourceConfig) -> Bool {
    r.meta["provides"] == "unfencing" || r.children.contains { providesUnfencing($0) }
  }

  func nodeUnfenced(_ n: Int) -> Bool {
    guard let v = state.nodes[n].attributes["#node-unfenced"] else { return false }
    return v != "0"
  }

  /// Whether `r`'s probes and starts wait for its node to be unfenced.
  func needsUnfencing(_ r: Int) -> Bool {
    let rsc = state.resources[r]
    if rsc.agentClass == "stonith" { return true }
    return rsc.requires == "unfencing" || rsc.meta["requires"] == nil && rsc.requires == "fencing"
  }

  /// The nodes where `r` will be probed (its state there is unknown), as the graph creates the probes.
  func probeNodes(_ r: Int) -> [Int] {
    let rsc = state.resources[r]
    guard !rsc.isOrphan, state.input.clusterOptions["enable-startup-probes"].map(isTrue) ?? true else { return [] }
    let clone = state.isInClone(r)
    var out: [Int] = []
    for node in state.nodes where node.online && !node.unclean && !node.pending {
      let n = node.index
      if rsc.knownOn.contains(n) || rsc.runningOn.contains(n) { continue }
      if state.input.locations.contains(where: { l in
        l.discovery == "never" && l.node == node.name && (l.resource == rsc.baseID || l.resource == rsc.id)
      }) { continue }
      if let c = clone {
        let instances = state.allPrimitives(under: c).filter { state.resources[$0].baseID == rsc.baseID }
        if instances.contains(where: { state.resources[$0].knownOn.contains(n) || state.resources[$0].runningOn.contains(n) }) {
          continue
        }
        let placed = instances.first { assignment.node[$0] == n }
        let chosen = placed ?? instances.first { assignment.node[$0] == nil && state.resources[$0].runningOn.isEmpty }
        if chosen != r { continue }
      }
      out.append(n)
    }
    return out
  }

  /// Schedules "Fence (on)" for every node a resource needing unfencing will be probed or started on, unless the
  /// node is already unfenced; the first reason found is kept (probes are scheduled before starts).
  mutating func scheduleUnfencing() {
    guard unfencingEnabled else { return }
    var reasons: [Int: String] = [:]
    var order: [Int] = []
    func trigger(_ n: Int, _ reason: String) {
      let node = state.nodes[n]
      guard !nodeUnfenced(n), node.online, !node.unclean, !node.shutdown, reasons[n] == nil else { return }
      reasons[n] = reason
      order.append(n)
    }
    let prims = state.resources.indices.filter { state.resources[$0].isPrimitive && needsUnfencing($0) }
    for r in prims {
      for n in probeNodes(r) { trigger(n, "required by \(state.resources[r].baseID) monitor") }
    }
    for r in prims {
      if let n = assignment.node[r] { trigger(n, "required by \(state.resources[r].baseID) start") }
    }
    unfencing = order.map { ($0, reasons[$0]!) }
  }
}
