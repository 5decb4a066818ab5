import CIB
import Controller
import Membership
import PolicyEngine

/// What a simulated clusterd process is told (the daemon's inputs, minus sockets and clocks).
enum NodeInput {
  /// The process just started (before it joins any view).
  case started(ControllerTime)
  case viewInstalled(View, ControllerTime)
  case quorumChanged(Bool, ControllerTime)
  case delivered(ClusterMessage, sender: Membership.NodeID, inView: Bool, ControllerTime)
  /// The local LRM's result for a request this node made.
  case operationCompleted(OperationCompletion, ControllerTime)
  case timer(atMs: Int64, ControllerTime)
  /// A client (pcs) asks this node to replace the configuration.
  case replaceRequested(requestID: UInt64, xml: String, baseAdminEpoch: UInt64, baseEpoch: UInt64, ControllerTime)
}

/// What a simulated clusterd process asks the world to do, in order.
enum NodeEffect {
  case broadcast(ClusterMessage)
  case run(ActionRequest)
  case cancel(resource: String, task: String, intervalMs: Int)
  case persist(CIBElement)
  case scheduleTimer(atMs: Int64)
  case reply(requestID: UInt64, error: String?)
  /// A controller effect worth a trace line (DC changes, transitions, lease expiry).
  case observed(ControllerEffect)
}

/// The daemon's decisions as `NodeRuntime` makes them today (CIB sync after a view change, replace validation,
/// which CIB to adopt, LRM bookkeeping), written as a value so the simulation can run them.
///
/// This is an interim stand-in: it mirrors Sources/Controller/Daemon/NodeRuntime.swift line for line until the
/// daemon's pure node core exists in Sources/Controller; the simulation then drives that core instead and this
/// file goes away. It adds no decision of its own.
struct InterimNodeLogic {
  let me: ControllerNode
  let nodeNames: [UInt32: String]
  let tokenMs: Int64
  var core: ControllerCore

  var view: View?
  var viewInstalledAtMs: Int64 = 0
  var quorate = false
  var synced = false
  var hellos: [UInt32: CIBVersion] = [:]
  var fedMembers: [UInt32]?
  var fedQuorate = false
  var broadcastVersion: CIBVersion?
  var pendingRequests: Set<UInt64> = []
  /// Requests waiting for their LRM result, per operation key (oldest first), as NodeRuntime's `pendingOps`.
  var pendingOps: [String: [ActionRequest]] = [:]

  init(me: ControllerNode, nodeNames: [UInt32: String], tokenMs: Int64, leaseMs: Int64, uuid: String,
       cib: CIBElement) {
    self.me = me
    self.nodeNames = nodeNames
    self.tokenMs = tokenMs
    let cc = ControllerConfig(localNode: me, controllerUUID: uuid, lease: LeaseTiming(leaseMs: leaseMs))
    self.core = ControllerCore(config: cc, cib: cib)
  }

  var cib: CIBElement { core.cib }
  var isDC: Bool { core.isDC }
  var canWrite: Bool { core.isDC && core.quorate }
  var version: CIBVersion { (try? CIBVersion(of: core.cib)) ?? CIBVersion() }
  func node(_ id: UInt32) -> ControllerNode { ControllerNode(id: id, name: nodeNames[id] ?? String(id)) }

  mutating func handle(_ input: NodeInput) -> [NodeEffect] {
    var out: [NodeEffect] = []
    switch input {
    case .started(let now):
      perform(core.orphanStops(at: now), &out)
    case .viewInstalled(let v, let now):
      view = v
      viewInstalledAtMs = now.monotonicMs
      synced = false
      hellos = [:]
      let vv = version
      out.append(.broadcast(.hello(node: me.id, adminEpoch: vv.adminEpoch, epoch: vv.epoch, numUpdates: vv.numUpdates,
                                   shuttingDown: false)))
      if !quorate { feedMembership(newestCIB: nil, now, &out) }
    case .quorumChanged(let q, let now):
      quorate = q
      if !quorate || synced { feedMembership(newestCIB: nil, now, &out) }
    case .delivered(let m, let sender, let inView, let now):
      deliver(m, sender: sender, inView: inView, now, &out)
    case .operationCompleted(let c, _):
      let key = "\(c.resource)_\(c.task)_\(c.intervalMs)"
      if c.intervalMs == 0, var list = pendingOps[key], !list.isEmpty {
        list.removeFirst()
        pendingOps[key] = list.isEmpty ? nil : list
      }
      out.append(.broadcast(.result(WireCompletion(c))))
    case .timer(_, let now):
      feed(.tick(now), &out)
    case .replaceRequested(let id, let xml, let a, let e, _):
      guard synced, core.dc != nil else {
        out.append(.reply(requestID: id, error: "no DC elected yet"))
        break
      }
      pendingRequests.insert(id)
      out.append(.broadcast(.replaceRequest(origin: me.id, requestID: id, xml: xml, baseAdminEpoch: a, baseEpoch: e)))
    }
    broadcastCIBIfNewer(&out)
    return out
  }

  mutating func feed(_ input: ControllerInput, _ out: inout [NodeEffect]) {
    perform(core.handle(input), &out)
  }

  mutating func perform(_ effects: [ControllerEffect], _ out: inout [NodeEffect]) {
    for effect in effects {
      switch effect {
      case .execute(let r):
        if r.node.id == me.id { runLocally(r, &out) } else { out.append(.broadcast(.execute(WireRequest(r)))) }
      case .cancel(let n, let rsc, let task, let interval):
        if n.id == me.id {
          pendingOps["\(rsc)_\(task)_\(interval)"] = nil
          out.append(.cancel(resource: rsc, task: task, intervalMs: interval))
        } else {
          out.append(.broadcast(.cancel(node: n.id, resource: rsc, task: task, intervalMs: interval)))
        }
      case .updateCIB:
        broadcastCIB(&out)
      case .scheduleTimer(let at):
        out.append(.scheduleTimer(atMs: at))
      case .fence, .shutdownNode:
        out.append(.observed(effect))
      case .dcChanged, .transitionStarted, .transitionComplete, .leaseExpired:
        out.append(.observed(effect))
      }
    }
  }

  mutating func runLocally(_ r: ActionRequest, _ out: inout [NodeEffect]) {
    if r.intervalMs > 0 { pendingOps[r.operationKey] = [r] } else { pendingOps[r.operationKey, default: []].append(r) }
    out.append(.run(r))
  }

  mutating func broadcastCIB(_ out: inout [NodeEffect]) {
    guard core.isDC, synced else { return }
    let v = version
    guard v != broadcastVersion else { return }
    broadcastVersion = v
    out.append(.broadcast(.cib(xml: CIBXML.serialize(core.cib), sync: false, viewEpoch: view?.id.epoch ?? 0)))
    out.append(.persist(core.cib))
  }

  mutating func broadcastCIBIfNewer(_ out: inout [NodeEffect]) {
    if core.isDC && synced { broadcastCIB(&out) }
  }

  mutating func feedMembership(newestCIB: CIBElement?, _ now: ControllerTime, _ out: inout [NodeEffect]) {
    guard let view else { return }
    let ids = view.nodeIDs.map(\.rawValue).sorted()
    guard newestCIB != nil || ids != fedMembers || quorate != fedQuorate else { return }
    let lostIDs = (fedMembers ?? []).filter { !ids.contains($0) }
    var heard: [UInt32: Int64] = [:]
    for id in lostIDs { heard[id] = min(now.monotonicMs, viewInstalledAtMs - tokenMs) }
    fedMembers = ids
    fedQuorate = quorate
    feed(.membershipChanged(members: ids.map { node($0) }, quorate: quorate, left: [], lastHeardMs: heard,
                            cib: newestCIB, at: now), &out)
  }

  mutating func deliver(_ m: ClusterMessage, sender: Membership.NodeID, inView: Bool, _ now: ControllerTime,
                        _ out: inout [NodeEffect]) {
    switch m {
    case .hello(let node, let a, let e, let n, _):
      guard inView, let view else { return }
      hellos[node] = CIBVersion(adminEpoch: a, epoch: e, numUpdates: n)
      if view.nodeIDs.allSatisfy({ hellos[$0.rawValue] != nil }) {
        let best = hellos.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.first!.key
        if best == me.id { out.append(.broadcast(.cib(xml: CIBXML.serialize(core.cib), sync: true, viewEpoch: view.id.epoch))) }
      }
    case .cib(let xml, let sync, let epoch):
      if sync {
        guard inView, epoch == view?.id.epoch, !synced else { return }
        var newest: CIBElement?
        if sender.rawValue != me.id, let parsed = try? CIBXML.parse(xml), parsed != core.cib { newest = parsed }
        synced = true
        broadcastVersion = nil
        feedMembership(newestCIB: newest, now, &out)
        if newest != nil { out.append(.persist(core.cib)) }
      } else {
        guard sender.rawValue != me.id, sender.rawValue == core.dc?.id, let parsed = try? CIBXML.parse(xml) else { return }
        feed(.cibReplaced(parsed, at: now), &out)
        out.append(.persist(core.cib))
      }
    case .replaceRequest(let origin, let id, let xml, let a, let e):
      guard core.isDC else { return }
      let error = applyReplace(origin: origin, xml: xml, baseAdminEpoch: a, baseEpoch: e, now, &out)
      broadcastCIBIfNewer(&out)
      out.append(.broadcast(.replaceDone(origin: origin, requestID: id, error: error)))
    case .replaceDone(let origin, let id, let error):
      guard origin == me.id, pendingRequests.remove(id) != nil else { return }
      out.append(.reply(requestID: id, error: error))
    case .execute(let wire):
      guard wire.nodeID == me.id, let r = wire.request else { return }
      runLocally(r, &out)
    case .cancel(let node, let rsc, let task, let interval):
      guard node == me.id else { return }
      pendingOps["\(rsc)_\(task)_\(interval)"] = nil
      out.append(.cancel(resource: rsc, task: task, intervalMs: interval))
    case .result(let wire):
      feed(.operationCompleted(wire.completion, at: now), &out)
    case .cleanupRequest, .shuttingDown, .shutdownReady, .stopRequest:
      break
    }
  }

  mutating func applyReplace(origin: UInt32, xml: String, baseAdminEpoch: UInt64, baseEpoch: UInt64,
                             _ now: ControllerTime, _ out: inout [NodeEffect]) -> String? {
    guard let proposed = try? CIBXML.parse(xml), let newConf = proposed.firstElement(named: "configuration") else {
      return "the new CIB is not valid"
    }
    let v = version
    guard v.adminEpoch == baseAdminEpoch && v.epoch == baseEpoch else { return "the CIB changed while this command ran" }
    var next = core.cib
    guard let ci = next.childIndex(named: "configuration") else { return "the live CIB has no configuration" }
    next.children[ci] = .element(newConf)
    if next == core.cib { return nil }
    next[attribute: "update-origin"] = nodeNames[origin] ?? String(origin)
    feed(.cibReplaced(next, at: now), &out)
    return nil
  }
}
