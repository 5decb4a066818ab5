import CIB
import ControlProtocol
import LRM
import Membership
import PolicyEngine

/// Everything one clusterd node decides, as a value: CIB synchronization after a view change (hello, the newest
/// holder's CIB), what its `ControllerCore` hears and when, the replication of the DC's CIB, configuration writes
/// from local tools, the local LRM's bookkeeping (pending requests, what runs here) and a graceful leave.
///
/// No sockets, files, clocks, tasks or loggers: the shell (clusterd's `NodeRuntime`) feeds `NodeInput`s and performs
/// the returned `NodeEffect`s in order, so a whole-cluster simulation can drive N of these with simulated time and a
/// simulated network.
public struct NodeCore: Sendable {
  public let config: NodeCoreConfig
  public internal(set) var controller: ControllerCore

  // View and CIB synchronization.
  public internal(set) var view: View?
  var viewInstalledAtMs: Int64 = 0
  /// Per node outside the current view, when this process last had it in an installed view (monotonic ms), and
  /// when the membership had last heard it then (where it tells).
  var lastInViewMs: [UInt32: Int64] = [:]
  var heardWhenLeftMs: [UInt32: Int64] = [:]
  /// The membership's latest proof of contact (nil: none reported, the lease is the quorate view alone), and whether
  /// it is too old (the lease lapsed: the controller was told quorum is lost).
  var contact: MembershipContact?
  var contactLapsed = false
  /// The last quorum notice (`quorumKnown`: it was about the current view).
  public internal(set) var quorate = false
  var quorumKnown = false
  public internal(set) var phase: JoinPhase = .idle
  /// The join term of the view whose DC wrote this node's CIB (0: none known).
  public internal(set) var cibTerm: UInt64
  /// On the DC, per node, the newest version of its CIB the node stored in the current term.
  var storedVersions: [UInt32: CIBVersion] = [:]
  /// On the DC, writes applied and broadcast, answered once a quorum stored their version.
  var writesAwaitingQuorum: [PendingWrite] = []
  /// Controller inputs delivered while the view synchronizes, fed once it is.
  var heldInputs: [ControllerInput] = []
  /// What the controller was last told about membership (node id -> incarnation).
  var fedMembers: [UInt32]?
  var fedIncarnations: [UInt32: UInt64] = [:]
  var fedQuorate = false
  var shuttingDownNodes: Set<UInt32> = []
  /// The version of the CIB this node last broadcast as DC.
  var broadcastVersion: CIBVersion?
  /// On the DC: the CIB it last replicated in this view, the base of its next diff (nil: send the next one whole).
  var replicated: ReplicatedCIB?
  /// On a member: a diff did not fit this node's CIB and it asked the DC for the whole one; diffs wait for it.
  var wholeCIBWanted = false

  // The local LRM.
  /// Requests waiting for their LRM report, oldest first per key: two DCs (the old one's last transition and the new
  /// one's first) may ask for the same one-shot (a probe) before either is answered, and each needs its answer.
  var pendingOps: [OperationKey: [ActionRequest]] = [:]
  /// Resources this node's LRM runs (start or probe succeeded, no stop since), with the request that stops them, in
  /// start order: what a leaving node stops when no DC can move them.
  public internal(set) var localActive: [LocalResource] = []
  /// What this boot's record of what may run here lists (`StartUpCleanup`), so each resource is recorded once.
  var mayRunRecorded: Set<String> = []
  var timersAsked: Set<Int64> = []

  // Control requests.
  /// Writes sent to the DC, by request id, with their deadline (monotonic ms).
  var pendingReplies: [ControlRequestID: Int64] = [:]
  /// The requests of `pendingReplies`, sent again to the next DC if a view change leaves their fate unknown.
  var pendingRequests: [ControlRequestID: PendingRequest] = [:]
  /// Requests waiting for a synchronized view with a DC (reads, and writes not sent yet or to be sent again).
  var deferred: [DeferredRequest] = []
  /// Transient node attributes set through attrd_updater, dampened before they are written.
  public internal(set) var attributes = AttributeManager()
  var nextInternalWriteID: ControlRequestID = NodeCore.internalWriteIDBase

  // Shutdown.
  var shutdownDeadlineMs: Int64?
  var leaveWhenStopped = false
  public internal(set) var finished = false

  /// Effects of the input being handled, in order.
  var out: [NodeEffect] = []
  var now = ControllerTime(monotonicMs: 0, wallSeconds: 0)

  /// A resource the local LRM runs and the stop that ends it.
  public struct LocalResource: Sendable, Equatable {
    public var resource: String
    public var stop: ActionRequest
  }

  /// `storedCIB`: what the state directory holds (nil: nothing yet). The nodelist and cluster name are written into
  /// it (every node writes the same, so the copies agree).
  /// `storedTerm`: the term stored with it.
  public init(config: NodeCoreConfig, storedCIB: CIBElement?, storedTerm: UInt64 = 0) {
    self.config = config
    self.cibTerm = storedTerm
    var cib = storedCIB ?? Self.emptyCIB()
    Self.ensureNodesAndProperties(&cib, nodes: config.nodes, clusterName: config.clusterName)
    self.controller = ControllerCore(config: config.controller, cib: cib)
  }

  public var me: UInt32 { config.localNode.id }
  public var cib: CIBElement { controller.cib }
  var version: CIBVersion { (try? CIBVersion(of: controller.cib)) ?? CIBVersion() }
  public var members: [Membership.NodeID] { view?.nodeIDs.sorted() ?? [] }
  func name(of id: UInt32) -> String { config.nodes.first { $0.id == id }?.name ?? String(id) }
  func node(_ id: UInt32) -> ControllerNode { ControllerNode(id: id, name: name(of: id)) }

  /// The one entry point. Effects come in the order the shell must perform them.
  public mutating func handle(_ input: NodeInput) -> [NodeEffect] {
    out = []
    switch input {
    case .started(let at, let mayRunHere):
      now = at
      startUp(mayRunHere: mayRunHere)
    case .viewInstalled(let v, let at):
      now = at
      viewInstalled(v)
    case .quorumChanged(let q, let viewID, let at):
      now = at
      quorumChanged(q, for: viewID)
    case .membershipContact(let c, let at):
      now = at
      contactReported(c)
    case .messageDelivered(let m, let sender, let viewID, let at):
      now = at
      deliver(m, sender: sender, inView: viewID == view?.id)
    case .operationReported(let r, let at):
      now = at
      lrmReport(r)
    case .controlRequested(let id, let request, let at):
      now = at
      control(id, request)
    case .tick(let at):
      now = at
      checkQuorumContact()
      tick()
      flushDueAttributes()
      if synced && controller.dc != nil && !deferred.isEmpty { replayDeferred() }
    case .timerFired(let atMs, let at):
      now = at
      timersAsked.remove(atMs)
      if !holdsControllerInputs { feed(.tick(now)) }
    case .fencingCompleted(let node, let success, let at):
      now = at
      feedOrHold(.fencingCompleted(node: node, success: success, at: now))
    case .shutdownRequested(let at):
      now = at
      beginShutdown()
    }
    broadcastCIBIfNewer()
    settleInternalReplies()
    let effects = out
    out = []
    return effects
  }

  mutating func log(_ level: NodeLogLevel, _ text: String) { out.append(.log(level, text)) }
  mutating func send(_ message: ClusterMessage) { out.append(.broadcast(message)) }

  // MARK: the controller

  /// Hands one fact to the controller and performs what it asks, in order.
  mutating func feed(_ input: ControllerInput) {
    let wasDC = controller.isDC
    let effects = controller.handle(input)
    perform(effects)
    if controller.isDC && !wasDC { tookOverAsDC() }
  }

  mutating func perform(_ effects: [ControllerEffect]) {
    for effect in effects {
      switch effect {
      case .execute(let request):
        log(.info, "execute \(request.operationKey) on \(request.node.name) (\(request.transitionKey))")
        if request.node.id == me { runLocally(request) } else { send(.execute(WireRequest(request))) }
      case .cancel(let node, let resource, let task, let intervalMs):
        if node.id == me {
          cancelLocally(resource: resource, task: task, intervalMs: intervalMs)
        } else {
          send(.cancel(node: node.id, resource: resource, task: task, intervalMs: intervalMs))
        }
      case .fence(let node, let action):
        log(.warning, "fencing \(node.name) (\(action))")
        out.append(.fence(node: node.name, action: action, cib: controller.cib))
      case .updateCIB:
        broadcastCIB()
      case .scheduleTimer(let atMs):
        guard timersAsked.insert(atMs).inserted else { break }
        out.append(.scheduleTimer(atMs: atMs))
      case .dcChanged(let dc):
        log(.info, "DC is now \(dc?.name ?? "none")")
      case .transitionStarted(let id, let actions):
        log(.info, "transition \(id) started with \(actions) action(s)")
      case .transitionComplete(let id, let aborted):
        log(.info, "transition \(id) \(aborted ? "aborted" : "complete")")
      case .leaseExpired(let resources):
        log(.critical, "the lease ran out with \(resources.joined(separator: " ")) still stopping: they may run on both sides")
      case .shutdownNode(let node):
        send(.shutdownReady(node: node.id))
      }
    }
  }

  /// The controller just became DC: nodes that announced their shutdown are asked again (the old DC may have died).
  mutating func tookOverAsDC() {
    for id in shuttingDownNodes.sorted() where members.contains(Membership.NodeID(id)) {
      perform(controller.requestShutdown(of: node(id), at: now))
    }
  }

  /// The DC replicates and persists its CIB (the controller stamped the versions).
  mutating func broadcastCIB() {
    guard controller.isDC, synced else { return }
    let v = version
    guard v != broadcastVersion else { return }
    replicate(version: v)
  }

  mutating func broadcastCIBIfNewer() {
    if controller.isDC && synced { broadcastCIB() }
  }

  mutating func persist() { out.append(.persist(controller.cib, term: cibTerm)) }

  /// Persists the CIB, then tells the DC it is durable here (the order is the shell's duty: `.persist` first).
  mutating func persistAndConfirm() {
    persist()
    let v = version
    send(.cibStored(node: me, term: cibTerm, adminEpoch: v.adminEpoch, epoch: v.epoch, numUpdates: v.numUpdates))
  }

  // MARK: membership

  /// Tells the controller the current view, if it changed since it was last told.
  ///
  /// Last heard: the membership drops a peer once it has not heard it for the token timeout T (or the peer
  /// stopped hearing this side), so a peer lost from a view installed at V was last heard at most V - T; the
  /// controller's lease counts from there (docs/ARCHITECTURE.md, "clusterd: when a node was last heard").
  /// `always`: at the end of a join, where the view is news even with the same ids (a member may have restarted).
  /// `heardByMembers`: per node, the latest time a member's hello says it last heard it (this node's clock).
  mutating func feedMembership(newestCIB: CIBElement?, always: Bool, heardByMembers: [UInt32: Int64] = [:]) {
    guard let view else { return }
    let ids = view.nodeIDs.map(\.rawValue).sorted()
    let quorate = leaseQuorate
    guard always || newestCIB != nil || ids != fedMembers || quorate != fedQuorate else { return }
    let restarted = view.members.filter { m in fedIncarnations[m.id.rawValue].map { $0 != m.incarnation } ?? false }
      .map(\.id.rawValue)
    for m in view.members { fedIncarnations[m.id.rawValue] = m.incarnation }
    let lostIDs = (fedMembers ?? []).filter { !ids.contains($0) }
    let left = lostIDs.filter { shuttingDownNodes.contains($0) }
    var heard: [UInt32: Int64] = [:]
    for id in lostIDs where !left.contains(id) {
      heard[id] = ownLastHeard(id) ?? min(now.monotonicMs, viewInstalledAtMs - config.tokenMs)
    }
    // Nodes lost from another member's view (or from an earlier view of this one): the latest anyone heard them.
    for n in config.nodes where !ids.contains(n.id) && !left.contains(n.id) && !shuttingDownNodes.contains(n.id) {
      let known = [heard[n.id], ownLastHeard(n.id), heardByMembers[n.id]].compactMap { $0 }
      if let latest = known.max() { heard[n.id] = min(now.monotonicMs, latest) }
    }
    let joinedIDs = fedMembers.map { old in ids.filter { !old.contains($0) } } ?? []
    fedMembers = ids
    fedQuorate = quorate
    if !lostIDs.isEmpty {
      log(.info, "lost \(lostIDs.map { name(of: $0) }.joined(separator: " ")), left \(left.map { name(of: $0) })")
    }
    if !restarted.isEmpty { log(.info, "restarted since the last view: \(restarted.map { name(of: $0) }.joined(separator: " "))") }
    feed(.membershipChanged(
      members: ids.map { node($0) }, quorate: quorate, left: left, lastHeardMs: heard, cib: newestCIB,
      restarted: restarted, at: now))
    if controller.isDC {
      for id in lostIDs { out.append(.alert(.node(name: name(of: id), id: String(id), state: "lost"), cib: controller.cib)) }
      for id in joinedIDs { out.append(.alert(.node(name: name(of: id), id: String(id), state: "member"), cib: controller.cib)) }
    }
  }

  // MARK: cluster messages

  mutating func deliver(_ m: ClusterMessage, sender: Membership.NodeID, inView: Bool) {
    switch m {
    case .hello(let node, let a, let e, let n, let term, let down, let active, let heard):
      var heardAt: [UInt32: Int64] = [:]
      for h in heard where h.ageMs >= 0 { heardAt[h.node] = max(heardAt[h.node] ?? Int64.min, now.monotonicMs - h.ageMs) }
      helloDelivered(node, Hello(version: CIBVersion(adminEpoch: a, epoch: e, numUpdates: n), term: term,
                                 shuttingDown: down, active: active, heardAtMs: heardAt), inView: inView)
    case .cib(let xml, let sync, let viewEpoch, let term):
      if sync {
        syncDelivered(xml: xml, term: term, sender: sender, inView: inView && viewEpoch == view?.id.epoch)
      } else {
        guard synced, sender.rawValue != me, sender.rawValue == controller.dc?.id, let parsed = parse(xml) else { return }
        wholeCIBWanted = false
        cibTerm = term
        feed(.cibReplaced(parsed, at: now))
        persistAndConfirm()
      }
    case .cibDiff(let diff, let baseTerm, let term):
      guard synced, sender.rawValue != me, sender.rawValue == controller.dc?.id else { return }
      diffDelivered(diff, baseTerm: baseTerm, term: term)
    case .cibWanted(let node):
      wholeCIBRequested(by: node)
    case .replaceRequest(let origin, let id, let xml, let baseAdmin, let baseEpoch, let baseDigest):
      guard controller.isDC else { return }
      guard synced, controller.canCompute else { return send(.writeNotNow(origin: origin, requestID: id)) }
      let before = version
      let error = applyReplace(origin: origin, xml: xml, baseAdminEpoch: baseAdmin, baseEpoch: baseEpoch,
                               baseDigest: baseDigest)
      broadcastCIBIfNewer()
      answerWhenStored(origin: origin, id: id, error: error, changed: version != before)
    case .cleanupRequest(let origin, let id, let resource, let node, let refresh):
      guard controller.isDC else { return }
      guard synced, controller.canCompute else { return send(.writeNotNow(origin: origin, requestID: id)) }
      var error: String?
      if let node, !config.nodes.contains(where: { $0.name == node }) { error = "Unable to find a node: \(node)" }
      if error == nil {
        let next = refresh
          ? PolicyEngine.StatusRecorder.refresh(resource: resource, node: node, in: controller.cib)
          : PolicyEngine.StatusRecorder.cleanup(resource: resource, node: node, in: controller.cib)
        if next != controller.cib { feed(.cibReplaced(next, at: now)) }
      }
      let before = version
      broadcastCIBIfNewer()
      answerWhenStored(origin: origin, id: id, error: error, changed: version != before)
    case .attributeRequest(let origin, let id, let update):
      guard controller.isDC else { return }
      guard synced, controller.canCompute else { return send(.writeNotNow(origin: origin, requestID: id)) }
      applyAttribute(origin: origin, id: id, update: update)
    case .cibStored(let node, let term, let a, let e, let n):
      storedDelivered(node: node, term: term, version: CIBVersion(adminEpoch: a, epoch: e, numUpdates: n))
    case .replaceDone(let origin, let id, let error):
      guard origin == me else { return }
      writeAnswered(id, error: error)
    case .writeNotNow(let origin, let id):
      guard origin == me else { return }
      writeNotTakenNow(id)
    case .execute(let wire):
      guard wire.nodeID == me else { return }
      // Only the DC this node knows may run operations here (an old DC's late request would race the new DC's).
      guard sender.rawValue == controller.dc?.id else {
        return log(.warning, "ignored \(wire.resource)_\(wire.task) from \(name(of: sender.rawValue)), which is not the DC")
      }
      guard let request = wire.request else {
        log(.error, "an execute request with a bad transition key: \(wire.transitionKey)")
        return
      }
      runLocally(request)
    case .cancel(let node, let resource, let task, let interval):
      guard node == me, sender.rawValue == controller.dc?.id else { return }
      cancelLocally(resource: resource, task: task, intervalMs: interval)
    case .result(let wire):
      if controller.isDC {
        log(.info, "result \(wire.resource)_\(wire.task)_\(wire.intervalMs) on \(wire.node): rc=\(wire.rc) op-status=\(wire.opStatus)\(wire.exitReason.isEmpty ? "" : " " + wire.exitReason)")
      }
      feedOrHold(.operationCompleted(wire.completion, at: now))
    case .shuttingDown(let node):
      shuttingDownNodes.insert(node)
      if controller.isDC && synced { perform(controller.requestShutdown(of: self.node(node), at: now)) }
    case .stopRequest(let nodes):
      if nodes.isEmpty || nodes.contains(me) { beginShutdown() }
    case .shutdownReady(let node):
      guard node == me, shutdownDeadlineMs != nil else { return }
      finishShutdown()
    }
  }

  mutating func parse(_ xml: String) -> CIBElement? {
    do { return try CIBXML.parse(xml) } catch {
      log(.error, "received a CIB that does not parse: \(error)")
      return nil
    }
  }

  /// A configuration replacement from pcs/cibadmin (on the DC): checked, then handed to the controller as a CIB edit.
  mutating func applyReplace(origin: UInt32, xml: String, baseAdminEpoch: UInt64, baseEpoch: UInt64,
                             baseDigest: String?) -> String? {
    let proposed: CIBElement
    do { proposed = try CIBXML.parse(xml) } catch { return "the new CIB is not valid XML: \(error)" }
    guard proposed.name == "cib", let newConf = proposed.firstElement(named: "configuration") else {
      return "the new CIB has no <cib><configuration> element"
    }
    let v = version
    if let conf = controller.cib.firstElement(named: "configuration"), conf == newConf {
      // Already what the client asks for: a write sent again after a view change that left its fate unknown, whose
      // first sending was applied (or an edit that changes nothing). Acknowledged once this version is stored on a
      // quorum in this term, like any write (`answerWhenStored`).
      return nil
    }
    guard v.adminEpoch == baseAdminEpoch && v.epoch == baseEpoch else {
      return "the CIB changed while this command ran (epoch \(baseAdminEpoch).\(baseEpoch), now \(v.adminEpoch).\(v.epoch)); nothing was changed, run the command again"
    }
    // The same epoch reached along another history (a partition's DC whose change was never stored on a quorum):
    // applying the edit would drop what the live configuration has that its base lacks.
    if let baseDigest, baseDigest != ConfigurationDigest.of(controller.cib) {
      return "the CIB changed while this command ran (epoch \(baseAdminEpoch).\(baseEpoch) holds another configuration now); nothing was changed, run the command again"
    }
    var next = controller.cib
    guard let ci = next.childIndex(named: "configuration") else { return "the live CIB has no configuration" }
    next.children[ci] = .element(newConf)
    next[attribute: "cib-last-written"] = QuorumStatusText.ctimeDate(epochSeconds: now.wallSeconds)
    next[attribute: "update-origin"] = name(of: origin)
    next[attribute: "update-client"] = "cibadmin"
    next[attribute: "update-user"] = "root"
    do { _ = try CIBReader.read(next, now: now.wallSeconds) } catch { return "the new CIB cannot be scheduled: \(error)" }
    feed(.cibReplaced(next, at: now))
    return nil
  }
}
