import CIB
import Membership

/// What the membership proves about who still counts this node in (the native membership does, through its
/// heartbeats' echoes; corosync's tells nothing, and the lease is then the quorate view alone).
public struct MembershipContact: Sendable, Equatable {
  /// When members with a quorum of votes of the current view last proved they count this node in (monotonic ms on
  /// this core's clock); nil: not since the view began.
  public var quorumSinceMs: Int64?
  /// Per peer, when this node last received anything from it (monotonic ms on this core's clock).
  public var peerHeardMs: [UInt32: Int64]
  public init(quorumSinceMs: Int64?, peerHeardMs: [UInt32: Int64]) {
    self.quorumSinceMs = quorumSinceMs
    self.peerHeardMs = peerHeardMs
  }
}

extension NodeCore {
  /// The view's quorum as the lease sees it: the membership's verdict, unless no quorum of the view proved contact
  /// within the bound (a node left alone in a stale view it still believes quorate, or cut off one way).
  var leaseQuorate: Bool { quorate && !contactLapsed }

  /// The membership's latest proof of contact arrived.
  mutating func contactReported(_ c: MembershipContact) {
    contact = c
    checkQuorumContact()
  }

  /// At every tick and report: the watchdog is fed only while a quorum proved contact within the bound C
  /// (`WatchdogCore`, at each loop turn); the lease lapses for the resources once no proof is younger than the lease
  /// L minus a stop budget (150 ms) and a margin (50 ms): an alive node has then stopped them by lastHeard + L, when
  /// survivors without a watchdog may start them, and with a watchdog long before its device fires; a loop that lags
  /// behind its queue for a few hundred ms (a loaded machine) stops nothing. After a view change with nothing running
  /// here the same delay is a grace for the new view's first echoes. A lapse is a loss of quorum for the controller:
  /// it stops what runs here, at once, and no DC here computes. Contact proved again ends it.
  mutating func checkQuorumContact() {
    guard let c = config.quorumContactBoundMs, let contact, quorate, view != nil else { return }
    let bound = max(c, config.controller.lease.leaseMs - 200)
    let fresh = contact.quorumSinceMs.map { now.monotonicMs - $0 < bound } ?? false
    if fresh && contactLapsed {
      contactLapsed = false
      log(.notice, "a quorum of the view proved contact again: the lease is held")
      // Only a synchronized view's controller hears quorum regained; during the join (a restarted node stopping
      // its leftovers, or collecting hellos) the join's end tells it, or it would act as DC on an unsynchronized
      // view and CIB (seen: a restarted node's transition of 190 probes while its start-up stops still ran).
      if synced { feedMembership(newestCIB: nil, always: false) } else { finishJoinIfReady() }
    } else if !fresh && !contactLapsed
      && (localResourcesActive || now.monotonicMs - viewInstalledAtMs >= bound) {
      contactLapsed = true
      let age = contact.quorumSinceMs.map { "\(now.monotonicMs - $0) ms ago" } ?? "not in this view"
      log(.critical, "no quorum of the view proved contact within \(bound) ms (last: \(age)): the lease lapsed, "
            + "stopping what runs here")
      feedMembership(newestCIB: nil, always: false)
      stopLocalNotInCIB()
    }
  }
}
