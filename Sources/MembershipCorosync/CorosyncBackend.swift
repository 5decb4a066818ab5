#if canImport(Glibc)
  import Glibc
#endif
import CCorosync
import Membership
import Synchronization

/// Membership over the local corosync daemon: CPG group `options.groupName` for agreed-order delivery and views,
/// the quorum service and votequorum for the quorate flag, votes and flags, cmap for the nodelist.
///
/// All corosync calls happen on one dispatch thread owned by the backend: it polls the CPG, quorum and votequorum
/// descriptors plus a wake-up pipe, runs `*_dispatch(CS_DISPATCH_ALL)` on whichever is readable, and serves the
/// owner's requests (broadcast, status, leave, shutdown) from a bounded mailbox. C callbacks find the backend
/// through `cpg_context_set` / `quorum_model_initialize`'s context / `votequorum_context_set`. Events reach the
/// owner through `onEvent`, on the dispatch thread, in the order corosync produced them.
///
/// If the daemon goes away, the backend reports `.left` once and `failure` says why; later broadcasts are rejected.
public final class CorosyncBackend: MembershipBackend, Sendable {
  public var backendName: String { "corosync" }
  /// This node's corosync node id (`cpg_local_get`).
  public let localNode: NodeID
  /// The nodelist as corosync runs it (cmap `nodelist.node.*`), sorted by node id: names for status output.
  public let nodelist: [NodeEntry]
  /// cmap `runtime.config.totem.token`: the effective token timeout in ms, if corosync published it.
  public let tokenMs: Int?
  /// `cpg_max_atomic_msgsize_get`: larger messages are fragmented by corosync (still delivered whole).
  public let maxAtomicMessageBytes: Int
  private let engine: Engine

  private init(engine: Engine, info: Engine.StartInfo) {
    self.engine = engine
    self.localNode = NodeID(info.localNode)
    self.nodelist = info.nodelist
    self.tokenMs = info.tokenMs
    self.maxAtomicMessageBytes = info.maxAtomic
  }

  /// Connects to the local corosync (cmap, CPG, quorum, votequorum), joins the CPG group and starts dispatching.
  /// clusterd calls this instead of `MembershipShell.start` when corosync.conf says `vigil { membership: corosync }`
  /// (see `MembershipBackendChoice`). Throws a `CorosyncError` naming the failing call (e.g. `cpg_model_initialize
  /// failed: CS_ERR_LIBRARY (is corosync running on this node?)`).
  public static func start(
    options: CorosyncBackendOptions = CorosyncBackendOptions(),
    onEvent: @escaping @Sendable (MembershipEvent) -> Void
  ) async throws(CorosyncError) -> CorosyncBackend {
    try options.validate()
    let engine = try Engine(options: options, onEvent: onEvent)
    let result: Result<Engine.StartInfo, CorosyncError> = await withCheckedContinuation { c in
      engine.startThread(reportingTo: c)
    }
    return CorosyncBackend(engine: engine, info: try result.get())
  }

  /// Hands `payload` to CPG (agreed order). Never blocks: a payload over the size limit, a full send queue or a
  /// send that fails is reported as `.broadcastRejected(reason)` through `onEvent`.
  public func broadcast(_ payload: [UInt8]) { engine.submit(.broadcast(payload)) }

  /// votequorum's current figures (`votequorum_getinfo`), with the members of the latest quorum notification.
  public func currentQuorumStatus() async throws -> QuorumStatus {
    let r: Result<QuorumStatus, CorosyncError> = await withCheckedContinuation { engine.submit(.status($0)) }
    return try r.get()
  }

  /// Leaves the CPG group (`cpg_leave`): the other members install a view without this process at once. corosync
  /// itself keeps running, so the node's votes still count. `.left` follows when corosync confirms.
  public func leaveCluster() async throws {
    let r: Result<Void, CorosyncError> = await withCheckedContinuation { engine.submit(.leave($0)) }
    try r.get()
  }

  /// Finalizes every handle and stops the dispatch thread; no events are reported after it returns.
  public func shutdown() async throws {
    await withCheckedContinuation { engine.submit(.shutdown($0)) }
  }

  /// Why the backend stopped working, if it did (the daemon went away, a call failed for good).
  public var failure: CorosyncError? { engine.failure }
}
