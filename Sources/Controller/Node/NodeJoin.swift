import CIB
import Membership
import PolicyEngine

/// Where a node stands with respect to the current view (Pacemaker's join, or "integration", phase).
///
/// Why it exists: the controller may act (as DC: compute and fire a transition) only on a view whose CIB every
/// member agrees on and whose members' resource state it knows. Before that it hears nothing of the view, except a
/// loss of quorum, which it must act on at once (the lease: stop what runs here).
public enum JoinPhase: Sendable, Equatable {
  /// The process just started: what an earlier life may have left running is being stopped (resource ids whose
  /// stop is pending). No hello goes out before they are stopped, so no member can count on this node's old state.
  /// `join` collects the hellos of a view installed meanwhile.
  case cleaningUp(stopsPending: Set<String>, join: Join?)
  /// Leftovers stopped, no view yet.
  case idle
  /// A view is installed: collecting every member's hello, then the newest CIB, and this view's quorum.
  case joining(Join)
  /// The view's CIB is synchronized and the controller knows the view; the DC writes with `term`.
  case synced(view: ViewID, term: UInt64)
}

/// The state of one view's join.
public struct Join: Sendable, Equatable {
  public var view: ViewID
  public var hellos: [UInt32: Hello] = [:]
  /// The newest CIB, once its holder sent it (nil: this node's own was the newest) with its term.
  public var adopted: AdoptedCIB?
  public init(view: ViewID) { self.view = view }
}

/// What a member says when it joins a view.
public struct Hello: Sendable, Equatable {
  public var version: CIBVersion
  /// The join term of the view whose DC last wrote this member's CIB.
  public var term: UInt64
  public var shuttingDown: Bool
  /// Resources its LRM runs now.
  public var active: [String]
  /// Per node outside its view, when it last heard it, on the receiver's clock (its age subtracted at delivery).
  public var heardAtMs: [UInt32: Int64] = [:]
}

/// The CIB the holder of the newest sent for a view.
public struct AdoptedCIB: Sendable, Equatable {
  /// nil: the sender was this node (its CIB is the newest).
  public var cib: CIBElement?
  public var term: UInt64
}

extension NodeCore {
  public var synced: Bool { if case .synced = phase { true } else { false } }

  /// The term the DC of the current view writes with (0 before the first join).
  var writeTerm: UInt64 { if case .synced(_, let t) = phase { t } else { cibTerm } }

  // MARK: views

  mutating func viewInstalled(_ v: View) {
    viewChangedForWrites()
    for id in view?.nodeIDs ?? [] where !v.nodeIDs.contains(id) {
      lastInViewMs[id.rawValue] = now.monotonicMs
      heardWhenLeftMs[id.rawValue] = contact?.peerHeardMs[id.rawValue]
    }
    for id in v.nodeIDs {
      lastInViewMs[id.rawValue] = nil
      heardWhenLeftMs[id.rawValue] = nil
    }
    contactLapsed = false
    view = v
    viewInstalledAtMs = now.monotonicMs
    quorumKnown = false
    switch phase {
    case .cleaningUp(let pending, _):
      phase = .cleaningUp(stopsPending: pending, join: Join(view: v.id))
    case .idle, .joining, .synced:
      phase = .joining(Join(view: v.id))
      sendHello()
    }
  }

  mutating func quorumChanged(_ q: Bool, for viewID: ViewID?) {
    if let viewID, viewID != view?.id { return }  // about an earlier view
    quorate = q
    quorumKnown = true
    if !q {
      // Without quorum the controller must hear of it now (it stops what runs here): no synchronization first.
      feedMembership(newestCIB: nil, always: false)
      stopLocalNotInCIB()
    } else {
      finishJoinIfReady()
    }
  }

  mutating func sendHello() {
    let v = version
    let heard = lastInViewMs.keys.sorted().compactMap { id in
      ownLastHeard(id).map { HeardAge(node: id, ageMs: now.monotonicMs - $0) }
    }
    send(.hello(node: me, adminEpoch: v.adminEpoch, epoch: v.epoch, numUpdates: v.numUpdates, term: cibTerm,
                shuttingDown: shutdownDeadlineMs != nil, active: localActive.map(\.resource), heard: heard))
  }

  /// When this node last heard `id`, a node outside its current view, in a view they shared. Where the membership
  /// proves contact: when it last received anything from it, or the view change that dropped it if earlier (its
  /// echoes count only in a shared view). Otherwise the membership drops a silent peer after the token timeout T,
  /// so a peer gone from a view installed at V was last heard at most V - T (the estimate the lease has always used;
  /// see "The lease" for its limit). nil: never in a view here.
  func ownLastHeard(_ id: UInt32) -> Int64? {
    guard let left = lastInViewMs[id] else { return nil }
    if config.quorumContactBoundMs != nil, let heard = heardWhenLeftMs[id] { return min(now.monotonicMs, left, heard) }
    return min(now.monotonicMs, left - config.tokenMs)
  }

  mutating func helloDelivered(_ node: UInt32, _ hello: Hello, inView: Bool) {
    guard inView else { return }
    if hello.shuttingDown { shuttingDownNodes.insert(node) } else { shuttingDownNodes.remove(node) }
    switch phase {
    case .cleaningUp(let pending, var join?):
      join.hellos[node] = hello
      phase = .cleaningUp(stopsPending: pending, join: join)
    case .joining(var join):
      join.hellos[node] = hello
      phase = .joining(join)
      checkHellos()
    case .cleaningUp, .idle, .synced:
      return
    }
  }

  /// Once every member's hello is in, the holder of the newest CIB (highest term, then version; ties: lowest id)
  /// sends it to everyone.
  mutating func checkHellos() {
    guard case .joining(let join) = phase, let view, view.nodeIDs.allSatisfy({ join.hellos[$0.rawValue] != nil })
    else { return }
    let best = join.hellos.sorted {
      ($0.value.term, $0.value.version) != ($1.value.term, $1.value.version)
        ? ($0.value.term, $0.value.version) > ($1.value.term, $1.value.version) : $0.key < $1.key
    }.first!.key
    if best == me {
      send(.cib(xml: CIBXML.serialize(controller.cib), sync: true, viewEpoch: view.id.epoch, term: cibTerm))
    }
  }

  /// `inView`: sent in this view, for this view. The holder of the newest CIB decides to send it when the last hello
  /// of a view is delivered, which may be just as the next view installs: that sync then goes out in the next view,
  /// where it would end that view's join with the previous view's choice (an older CIB than a member's of this view,
  /// so acknowledged writes lost). Its view epoch tells it apart.
  mutating func syncDelivered(xml: String, term: UInt64, sender: Membership.NodeID, inView: Bool) {
    guard inView, case .joining(var join) = phase, join.adopted == nil else { return }
    var newest: CIBElement?
    if sender.rawValue != me, let parsed = parse(xml), parsed != controller.cib { newest = parsed }
    join.adopted = AdoptedCIB(cib: newest, term: term)
    phase = .joining(join)
    finishJoinIfReady()
  }

  /// The join completes once the newest CIB arrived and this view's quorum is known: the controller hears of the
  /// view (with the CIB, and which members restarted), then of what was delivered meanwhile.
  mutating func finishJoinIfReady() {
    guard quorumKnown, case .joining(let join) = phase, let adopted = join.adopted, let view else { return }
    if adopted.cib != nil { cibTerm = adopted.term }
    // Only a quorate view starts a new term: a partition without quorum writes within the term it adopted, so at a
    // merge its CIB never outranks what the quorate side (which started a term at its own view change) acknowledged.
    let term = quorate ? max(adopted.term, join.hellos.values.map(\.term).max() ?? 0) + 1 : cibTerm
    var heardByMembers: [UInt32: Int64] = [:]
    for hello in join.hellos.values {
      for (id, at) in hello.heardAtMs { heardByMembers[id] = max(heardByMembers[id] ?? Int64.min, at) }
    }
    phase = .synced(view: view.id, term: term)
    broadcastVersion = nil
    feedMembership(newestCIB: adopted.cib, always: true, heardByMembers: heardByMembers)
    if adopted.cib != nil { persist() }
    let waiting = heldInputs
    heldInputs = []
    for input in waiting { feed(input) }
    feed(.tick(now))
  }

  /// Whether a controller input must wait for the join: while joining, a controller that believes it is in a
  /// quorate view would act on a view that is no longer current (a DC firing its old transition while the new
  /// view's DC computes another one).
  var holdsControllerInputs: Bool { !synced && controller.quorate }

  mutating func feedOrHold(_ input: ControllerInput) {
    guard holdsControllerInputs else { return feed(input) }
    if heldInputs.count >= Self.heldInputsMax {
      log(.error, "too many results while the view synchronizes: the oldest is dropped (the DC probes again)")
      heldInputs.removeFirst()
    }
    heldInputs.append(input)
  }

  static let heldInputsMax = 4096
}
