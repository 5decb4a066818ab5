import CIB

/// The numbers of watchdog self-fencing (sbd's watchdog-only mode, in Vigil's shape): how long a node's watchdog
/// lets it run unfed, and from that how long the survivors wait before they start a lost node's resources.
///
/// The bound, with T = token, W = watchdog timeout, from the moment the survivors last heard the lost node (the
/// membership passes `lastHeard`, never earlier than the truth): the lost node's last feed comes at most
/// `lastFeedAfterHeardMs` later: C = `quorumContactBoundMs` where the membership proves contact (a node feeds only
/// while members with a quorum of votes echoed, in its current view, a heartbeat it sent less than C ago, and each
/// such member heard it at that heartbeat or later), else 1.5 T (a cut-off node feeds until it notices that quorum
/// is lost, the lease's detection bound, which a node left in a stale view does not keep). Its watchdog fires W after
/// that last feed; the reset (the stand-in's SIGKILL of the node's cgroup) takes at most `resetMs`; `marginMs`
/// covers clock granularity and one loop turn. docs/ARCHITECTURE.md ("The watchdog") derives it step by step.
public struct WatchdogTiming: Sendable, Equatable {
  /// The device's timeout: whole seconds, as Linux watchdog drivers take it.
  public var timeoutS: Int
  /// The membership's token timeout.
  public var tokenMs: Int64
  /// From the watchdog firing to everything on the node being dead (a hardware reset is immediate; the test
  /// stand-in reads the cgroup and SIGKILLs it, a few ms).
  public var resetMs: Int64
  public var marginMs: Int64
  /// How often the shell writes a keepalive while the lease is held (well inside the timeout).
  public var feedPeriodMs: Int64
  /// With a quorum device: how long a new view may wait for the arbiter before reporting its quorum (a node cut
  /// off keeps its previous quorum, and feeds, that much longer). 0 without a device.
  public var quorumDeviceMs: Int64 = 0
  /// Where the membership proves contact (the native one, without a quorum device): how recent a quorum's proof
  /// must be for the node to feed (`LeaseTiming.quorumContactBound`). nil: the lease is the quorate view alone.
  public var quorumContactBoundMs: Int64?

  public init(
    timeoutS: Int, tokenMs: Int64, resetMs: Int64 = 100, marginMs: Int64 = 50, feedPeriodMs: Int64 = 100,
    quorumDeviceMs: Int64 = 0, quorumContactBoundMs: Int64? = nil
  ) {
    self.quorumDeviceMs = quorumDeviceMs
    precondition(quorumContactBoundMs.map { $0 > 0 } ?? true, "the contact bound must be positive")
    self.quorumContactBoundMs = quorumContactBoundMs
    precondition(timeoutS >= 1, "a watchdog timeout is at least one whole second")
    precondition(tokenMs > 0 && resetMs >= 0 && marginMs >= 0)
    precondition(feedPeriodMs > 0 && feedPeriodMs * 4 <= Int64(timeoutS) * 1000, "feed at least 4 times per timeout")
    self.timeoutS = timeoutS; self.tokenMs = tokenMs; self.resetMs = resetMs; self.marginMs = marginMs
    self.feedPeriodMs = feedPeriodMs
  }

  public var timeoutMs: Int64 { Int64(timeoutS) * 1000 }
  /// Latest possible feed of a lost node, after the survivors last heard it: the contact bound C, else 1.5 T
  /// (plus the quorum device's decision time).
  public var lastFeedAfterHeardMs: Int64 { quorumContactBoundMs ?? tokenMs + tokenMs / 2 + quorumDeviceMs }
  /// How long after `lastHeard` the survivors may start a lost node's resources: C + W + reset + margin (1,500 ms
  /// for T = 400 ms, C = 7/8 T and W = 1 s), or 1.5 T + W + reset + margin without contact proofs (1,750 ms).
  public var survivorWaitMs: Int64 { lastFeedAfterHeardMs + timeoutMs + resetMs + marginMs }
}

/// How long the survivors wait after a lost node was last heard, and why: the lease alone, the watchdog bound,
/// or the CIB's `stonith-watchdog-timeout`.
public struct SurvivorWait: Sendable, Equatable {
  public var waitMs: Int64
  /// Set when the configuration asks for something unsafe; the shell logs it loudly and `pcs status` shows it.
  public var warning: String?
  public init(waitMs: Int64, warning: String? = nil) { self.waitMs = waitMs; self.warning = warning }

  /// `stonith-watchdog-timeout` (Pacemaker's option: how long before a lost node may be assumed self-fenced):
  /// absent or 0 = the computed bound when this node has a watchdog, else the lease; negative = the computed
  /// bound (Pacemaker: twice SBD_WATCHDOG_TIMEOUT); positive = that long, but never less than the computed bound
  /// (a shorter wait would let the survivors start while the lost node may still run; Pacemaker refuses to start
  /// then, Vigil waits the bound and says so). Never less than the lease.
  public static func compute(leaseMs: Int64, watchdog: WatchdogTiming?, stonithWatchdogTimeout: String?) -> SurvivorWait {
    let bound = watchdog?.survivorWaitMs
    let text = String((stonithWatchdogTimeout ?? "").filter { !$0.isWhitespace })
    if text.isEmpty || text.hasPrefix("-") {
      return SurvivorWait(waitMs: max(leaseMs, bound ?? 0), warning: nil)
    }
    let configured: Int64
    do { configured = try Milliseconds(time: text).value } catch {
      return SurvivorWait(waitMs: max(leaseMs, bound ?? 0),
                          warning: "stonith-watchdog-timeout: \(error.message); using \(max(leaseMs, bound ?? 0)) ms")
    }
    if configured == 0 { return SurvivorWait(waitMs: max(leaseMs, bound ?? 0), warning: nil) }
    if let bound, configured < bound {
      return SurvivorWait(
        waitMs: max(leaseMs, bound),
        warning: "stonith-watchdog-timeout (\(configured) ms) is shorter than this node's watchdog bound (\(bound) ms: "
          + "last feed after last heard + watchdog timeout + reset + margin); a lost node may still run its resources then, so "
          + "survivors wait \(max(leaseMs, bound)) ms")
    }
    return SurvivorWait(waitMs: max(leaseMs, configured), warning: nil)
  }
}

/// What the shell observed when the daemon loop turned: the facts the lease is made of.
public struct LeaseFacts: Sendable, Equatable {
  /// This node is in a view with quorum.
  public var quorate: Bool
  /// Something may run on this node: a resource started (or found running) and not stopped since, or a start or
  /// stop still in flight on the local LRM.
  public var resourcesActive: Bool
  /// When a quorum of the view last proved contact (`MembershipContact.quorumSinceMs`), where the membership tells;
  /// with a contact bound, nil means never in this view.
  public var quorumContactMs: Int64?
  public init(quorate: Bool, resourcesActive: Bool, quorumContactMs: Int64? = nil) {
    self.quorate = quorate; self.resourcesActive = resourcesActive; self.quorumContactMs = quorumContactMs
  }

  /// The lease is held while the node is quorate or nothing runs on it: only then may it feed its watchdog.
  public var leaseHeld: Bool { quorate || !resourcesActive }

  /// The same, at `nowMs`, where a quorum's contact must also be more recent than `contactBoundMs`.
  public func leaseHeld(atMs nowMs: Int64, contactBoundMs: Int64?) -> Bool {
    guard resourcesActive, let bound = contactBoundMs else { return leaseHeld }
    return quorate && (quorumContactMs.map { nowMs - $0 < bound } ?? false)
  }
}

/// Feeding the watchdog, as a pure state machine: the node may feed only while it holds its lease, so a node that
/// freezes, starves or is cut off with resources running stops feeding and its watchdog resets it within a bound
/// the survivors wait out. It also notices a freeze after the fact (a gap between two loop turns longer than the
/// lease) on nodes without a watchdog, where the resources must be stopped at once on resume.
///
/// The shell calls `handle(.loopTurned(facts, atMs:))` at each turn of the daemon loop (at least every 20 ms) and
/// performs the effects; keepalives therefore come from the loop itself, and a frozen loop stops feeding.
public struct WatchdogCore: Sendable {
  public enum Phase: Sendable, Equatable {
    /// No watchdog device: the lease alone (freeze detection still runs).
    case absent
    /// The lease is held and keepalives go out every feed period.
    case feeding(lastFeedMs: Int64)
    /// The lease is not held: no keepalive; the device resets the node `timeoutS` after `lastFeedMs`.
    case starving(lastFeedMs: Int64, sinceMs: Int64)
    /// Disarmed by a graceful stop (magic close); nothing more is written.
    case disarmed
  }

  public enum Input: Sendable, Equatable {
    case loopTurned(LeaseFacts, atMs: Int64)
    /// clusterd is about to exit. With nothing running the device is disarmed; with resources still running (their
    /// stop failed or timed out) it stays armed and unfed, so the node is reset as a lost node must be.
    case exiting(resourcesActive: Bool)
  }

  public enum Effect: Sendable, Equatable {
    /// Write a keepalive to the device.
    case feedWatchdog
    /// The lease is no longer held: keepalives stop (log it as critical: the node resets unless the lease returns).
    case stopFeeding(reason: String)
    /// The lease is held again before the device fired: keepalives resume.
    case resumeFeeding
    /// The loop did not turn for `gapMs` (> the lease): the node was frozen or starved; survivors may have started
    /// its resources meanwhile, so the shell stops every local resource at once, without waiting for a DC.
    case resumedAfterFreeze(gapMs: Int64)
    /// Magic close: write 'V' and close the device.
    case disarmWatchdog
  }

  public private(set) var phase: Phase
  public let timing: WatchdogTiming?
  /// A gap between loop turns longer than this is a freeze (the lease: past it, survivors may have taken over).
  public let freezeGapMs: Int64
  var lastTurnMs: Int64?

  /// `timing` nil: no device. The first turn feeds at once when the lease is held (the device is armed by opening it).
  public init(timing: WatchdogTiming?, freezeGapMs: Int64) {
    precondition(freezeGapMs > 0)
    self.timing = timing
    self.freezeGapMs = freezeGapMs
    phase = timing == nil ? .absent : .feeding(lastFeedMs: Int64.min)
  }

  public mutating func handle(_ input: Input) -> [Effect] {
    switch input {
    case .exiting(let resourcesActive):
      switch phase {
      case .feeding(let lastFeed) where resourcesActive:
        phase = .starving(lastFeedMs: lastFeed, sinceMs: lastTurnMs ?? lastFeed)
        return [.stopFeeding(reason: "clusterd exits with resources still running on this node")]
      case .feeding, .starving:
        guard !resourcesActive else { return [] }
        phase = .disarmed
        return [.disarmWatchdog]
      case .absent, .disarmed:
        return []
      }
    case .loopTurned(let facts, let now):
      var effects: [Effect] = []
      if let last = lastTurnMs, now - last > freezeGapMs { effects.append(.resumedAfterFreeze(gapMs: now - last)) }
      lastTurnMs = max(lastTurnMs ?? now, now)
      guard let timing else { return effects }
      switch phase {
      case .absent, .disarmed:
        break
      case .feeding(let lastFeed):
        if !facts.leaseHeld(atMs: now, contactBoundMs: timing.quorumContactBoundMs) {
          phase = .starving(lastFeedMs: lastFeed, sinceMs: now)
          effects.append(.stopFeeding(reason: facts.quorate
            ? "no quorum of the view proved contact recently, with resources running on this node"
            : "quorum lost with resources running on this node"))
        } else if lastFeed == Int64.min || now - lastFeed >= timing.feedPeriodMs {
          phase = .feeding(lastFeedMs: now)
          effects.append(.feedWatchdog)
        }
      case .starving:
        if facts.leaseHeld(atMs: now, contactBoundMs: timing.quorumContactBoundMs) {
          phase = .feeding(lastFeedMs: now)
          effects += [.resumeFeeding, .feedWatchdog]
        }
      }
      return effects
    }
  }
}
