import Membership

/// The limits and names the corosync backend runs with. Every queue and retry has a bound (house rule 6).
public struct CorosyncBackendOptions: Sendable, Equatable {
  /// The CPG group Vigil's daemons join on every node (1 to 127 bytes).
  public var groupName: String
  /// Largest payload `broadcast` accepts; larger ones are rejected with `.broadcastRejected`.
  public var messageBytesMax: Int
  /// Broadcasts waiting for the dispatch thread; beyond this, `broadcast` rejects instead of queueing.
  public var sendQueueMax: Int
  /// How many times a call answered CS_ERR_TRY_AGAIN (corosync syncing, or CPG flow control) is retried.
  public var tryAgainRetriesMax: Int
  /// Pause before the first retry; it doubles up to `tryAgainDelayMax`.
  public var tryAgainDelay: Duration
  public var tryAgainDelayMax: Duration
  /// How long `start` waits for corosync's first quorum notification, so that `currentQuorumStatus` is meaningful
  /// as soon as `start` returns.
  public var firstQuorumWait: Duration
  /// Upper bound on nodelist entries read from cmap (corosync's own limit is 384 processors).
  public var nodesMax: Int
  /// Most broadcasts packed into one CPG message (`CPGBatch`); 1 sends each alone. A batch also stays within
  /// corosync's atomic message size, so batching never makes corosync fragment.
  public var batchBroadcastsMax: Int

  public init(
    groupName: String = "vigil", messageBytesMax: Int = 16 << 20, sendQueueMax: Int = 65_536,
    tryAgainRetriesMax: Int = 60, tryAgainDelay: Duration = .milliseconds(1),
    tryAgainDelayMax: Duration = .milliseconds(100), firstQuorumWait: Duration = .seconds(2), nodesMax: Int = 384,
    batchBroadcastsMax: Int = 64
  ) {
    self.groupName = groupName
    self.messageBytesMax = messageBytesMax
    self.sendQueueMax = sendQueueMax
    self.tryAgainRetriesMax = tryAgainRetriesMax
    self.tryAgainDelay = tryAgainDelay
    self.tryAgainDelayMax = tryAgainDelayMax
    self.firstQuorumWait = firstQuorumWait
    self.nodesMax = nodesMax
    self.batchBroadcastsMax = batchBroadcastsMax
  }

  /// Rejects values outside their ranges, naming the option.
  public func validate() throws(CorosyncError) {
    let g = Array(groupName.utf8)
    if g.isEmpty || g.count > 127 || g.contains(0) { throw .badGroupName(groupName) }
    if messageBytesMax < 1 || messageBytesMax > 64 << 20 {
      throw .badOption("messageBytesMax must be 1...\(64 << 20), got \(messageBytesMax)")
    }
    if sendQueueMax < 1 { throw .badOption("sendQueueMax must be at least 1, got \(sendQueueMax)") }
    if tryAgainRetriesMax < 0 || tryAgainRetriesMax > 100_000 {
      throw .badOption("tryAgainRetriesMax must be 0...100000, got \(tryAgainRetriesMax)")
    }
    if tryAgainDelay <= .zero || tryAgainDelayMax < tryAgainDelay {
      throw .badOption("tryAgainDelay must be positive and at most tryAgainDelayMax")
    }
    if nodesMax < 1 || nodesMax > 4096 { throw .badOption("nodesMax must be 1...4096, got \(nodesMax)") }
    if batchBroadcastsMax < 1 || batchBroadcastsMax > 4096 {
      throw .badOption("batchBroadcastsMax must be 1...4096, got \(batchBroadcastsMax)")
    }
  }
}

/// Which membership backend corosync.conf asks for: `vigil { membership: corosync }` selects this module's
/// backend; no `vigil` section, or `membership: native`, selects the native UDP shell (the default).
public enum MembershipBackendChoice: String, Sendable, Equatable {
  case native
  case corosync

  /// Reads the choice from a parsed corosync.conf. An unknown value is an error naming the line.
  public init(config: CorosyncConfig) throws(CorosyncError) {
    var choice = MembershipBackendChoice.native
    for section in config.otherSections where section.name == "vigil" {
      guard let v = section.value("membership") else { continue }
      guard let c = MembershipBackendChoice(rawValue: v.value) else {
        throw .badOption("corosync.conf line \(v.line): vigil.membership must be native or corosync, got '\(v.value)'")
      }
      choice = c
    }
    self = choice
  }
}
