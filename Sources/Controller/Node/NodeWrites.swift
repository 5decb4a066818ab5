import CIB
import ControlProtocol

/// A write sent to the DC and not answered yet.
struct PendingRequest: Sendable {
  var request: ControlRequest
  var deadlineMs: Int64
  /// Sent again after a view change left the first sending's fate unknown.
  var resent: Bool
}

/// A request waiting for a synchronized view with a DC.
struct DeferredRequest: Sendable {
  var id: ControlRequestID
  var request: ControlRequest
  /// Fixed when the request arrived: waiting and resending never extend it.
  var deadlineMs: Int64
  /// Not sent before this (after the DC said "not now" within the same view).
  var notBeforeMs: Int64
  var resent: Bool
}

/// Writes from this node's clients (pcs, cibadmin), on their origin node: they wait out membership changes.
///
/// A Pacemaker cib client waits, within its timeout, for the CIB to be available; so does a write here. It waits
/// (at most its deadline, `requestTimeoutMs` from its arrival; at most `deferredMax` waiting) for a synchronized view
/// with a DC, and:
/// - the DC answers "not now" (`writeNotNow`: its view is synchronizing, or it has no quorum; nothing was changed):
///   the write waits again and is sent after a short pause or at the next synchronized view;
/// - the view changes while the write is in flight: its fate is unknown (the old DC may have applied it, and the
///   version carrying it may or may not survive the join). It is sent again to the next DC, which cannot apply it
///   twice: a replace is conditional on the configuration's epoch still being its base (a first sending that was
///   applied moved it), and one whose configuration is already the live one is acknowledged as it stands (the
///   first sending survived), once that version is stored on a quorum in the new term. A cleanup is idempotent.
///   An error answered to a resent write says that the first sending may have been applied.
/// No acknowledged write is ever lost: an acknowledgement still means "stored on a quorum in the DC's term".
extension NodeCore {
  static let notNowPauseMs: Int64 = 200

  /// Sends a write to the DC now, or lets it wait for a synchronized view with one.
  mutating func submitWrite(_ id: ControlRequestID, _ request: ControlRequest, deadlineMs: Int64, resent: Bool) {
    guard synced, controller.dc != nil else {
      return deferUntilSynced(id, request, deadlineMs: deadlineMs, resent: resent)
    }
    guard pendingReplies.count < config.pendingRepliesMax else {
      return out.append(.reply(id, .failure("too many requests in progress")))
    }
    pendingReplies[id] = deadlineMs
    pendingRequests[id] = PendingRequest(request: request, deadlineMs: deadlineMs, resent: resent)
    switch request {
    case .replaceCIB(let xml, let a, let e, let digest):
      send(.replaceRequest(origin: me, requestID: id, xml: xml, baseAdminEpoch: a, baseEpoch: e, baseDigest: digest))
    case .cleanup(let resource, let node, let refresh):
      send(.cleanupRequest(origin: me, requestID: id, resource: resource, node: node, refresh: refresh))
    case .updateAttribute(let update):
      precondition(!update.managed, "a dampened update is held by the attribute manager, not sent")
      send(.attributeRequest(origin: me, requestID: id, update: update))
    default:
      preconditionFailure("only writes go to the DC")
    }
  }

  /// Requests wait while the view synchronizes (a DC is being chosen), until their deadline.
  mutating func deferUntilSynced(_ id: ControlRequestID, _ request: ControlRequest, deadlineMs: Int64? = nil,
                                 notBeforeMs: Int64 = 0, resent: Bool = false) {
    guard deferred.count < config.deferredMax else {
      return out.append(.reply(id, .failure(resent
        ? Self.inDoubt : "no DC elected yet and too many waiting requests; nothing was changed, try again")))
    }
    deferred.append(DeferredRequest(
      id: id, request: request, deadlineMs: deadlineMs ?? now.monotonicMs + config.requestTimeoutMs,
      notBeforeMs: notBeforeMs, resent: resent))
  }

  mutating func replayDeferred() {
    let nowMs = now.monotonicMs
    let ready = deferred.filter { $0.notBeforeMs <= nowMs }
    guard !ready.isEmpty else { return }
    deferred.removeAll { $0.notBeforeMs <= nowMs }
    for d in ready {
      switch d.request {
      case .replaceCIB, .cleanup, .updateAttribute: submitWrite(d.id, d.request, deadlineMs: d.deadlineMs, resent: d.resent)
      default: control(d.id, d.request)
      }
    }
  }

  /// The DC answered a write of this node.
  mutating func writeAnswered(_ id: ControlRequestID, error: String?) {
    guard pendingReplies.removeValue(forKey: id) != nil else { return }
    let pending = pendingRequests.removeValue(forKey: id)
    var error = error
    if let e = error, pending?.resent == true {
      error = e + " (this write was sent again after a membership change: its first sending may have been applied)"
    }
    out.append(.reply(id, ControlResponse(error: error)))
  }

  /// The DC could not take a write now; nothing was changed: it waits and is sent again.
  mutating func writeNotTakenNow(_ id: ControlRequestID) {
    guard pendingReplies.removeValue(forKey: id) != nil, let pending = pendingRequests.removeValue(forKey: id) else {
      return
    }
    guard now.monotonicMs < pending.deadlineMs else {
      return out.append(.reply(id, .failure(pending.resent ? Self.inDoubt
        : "the cluster has no quorum or is changing membership; nothing was changed, run the command again")))
    }
    deferUntilSynced(id, pending.request, deadlineMs: pending.deadlineMs,
                     notBeforeMs: now.monotonicMs + Self.notNowPauseMs, resent: pending.resent)
  }

  /// A view change: writes in flight are sent again to the next DC (see the type's comment), within their deadline.
  mutating func resendWritesInFlight() {
    let inFlight = pendingRequests.sorted { $0.key < $1.key }
    pendingRequests = [:]
    pendingReplies = [:]
    for (id, p) in inFlight {
      if now.monotonicMs < p.deadlineMs {
        deferUntilSynced(id, p.request, deadlineMs: p.deadlineMs, resent: true)
      } else {
        out.append(.reply(id, .failure(Self.inDoubt)))
      }
    }
  }

  /// Deadlines of waiting and pending requests.
  mutating func expireRequests() {
    let nowMs = now.monotonicMs
    let timeout = Duration.milliseconds(config.requestTimeoutMs)
    let expired = deferred.filter { $0.deadlineMs < nowMs }
    deferred.removeAll { $0.deadlineMs < nowMs }
    for d in expired {
      out.append(.reply(d.id, .failure(d.resent ? Self.inDoubt
        : "no synchronized view with quorum and a DC within \(timeout); nothing was changed")))
    }
    for id in pendingReplies.keys.sorted() where pendingReplies[id]! < nowMs {
      pendingReplies[id] = nil
      pendingRequests[id] = nil
      out.append(.reply(id, .failure("no answer from the DC within \(timeout); the change may not have been applied")))
    }
  }

  static let inDoubt =
    "the cluster membership changed before the change was stored on a majority of nodes, and it could not be "
    + "confirmed in time: it may or may not have been applied; check the configuration and run the command again if needed"
}
