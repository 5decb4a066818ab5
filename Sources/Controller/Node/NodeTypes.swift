import CIB
import ControlProtocol
import LRM
import Membership

/// Fixed settings of one node's `NodeCore`: who this node is, the nodelist, and the bounds of its queues.
public struct NodeCoreConfig: Sendable {
  public var controller: ControllerConfig
  /// The nodelist (corosync.conf), sorted by id: names for ids, and the nodes a control request may name.
  public var nodes: [ControllerNode]
  public var clusterName: String
  /// The membership's failure timeout (corosync's token): a peer lost from a view installed at V was last heard at
  /// most V - tokenMs.
  public var tokenMs: Int64
  /// "native" or "corosync", for `pcs status`.
  public var membershipBackend: String
  /// Where the membership proves contact (`.membershipContact` inputs): the lease lapses, as if quorum were lost,
  /// once no quorum of the view proved it within this bound (`LeaseTiming.quorumContactBound`). nil: not used.
  public var quorumContactBoundMs: Int64? = nil
  /// Writes waiting for a DC's answer at most; past it, new writes are refused.
  public var pendingRepliesMax = 256
  /// Writes waiting for the view to synchronize at most.
  public var deferredMax = 64
  /// How long a write waits for a DC (deferred) or for its answer.
  public var requestTimeoutMs: Int64 = 30_000
  /// How long a graceful shutdown waits for the DC to move resources away before stopping them here.
  public var shutdownWaitMs: Int64 = 30_000
  /// How long a node stopping its own resources waits for them before it leaves anyway.
  public var leaveWaitMs: Int64 = 10_000

  public init(controller: ControllerConfig, nodes: [ControllerNode], clusterName: String, tokenMs: Int64,
              membershipBackend: String) {
    precondition(tokenMs > 0, "the token timeout must be positive")
    self.controller = controller
    self.nodes = nodes.sorted()
    self.clusterName = clusterName
    self.tokenMs = tokenMs
    self.membershipBackend = membershipBackend
  }

  public var localNode: ControllerNode { controller.localNode }
}

/// The shell's handle on one control request (pcs, cibadmin): the core answers it with `.reply` exactly once.
public typealias ControlRequestID = UInt64

/// Facts fed to a `NodeCore` (past tense), each with the time it is handled at (monotonic ms + wall seconds).
public enum NodeInput: Sendable {
  /// The process started, before it joins any view: the previous life's leftovers are stopped (`StartUpCleanup`).
  /// `mayRunHere`: this boot's record (`.recordMayRun`), [] when there is none (the machine booted since: nothing
  /// of an earlier life runs), nil when unknown (every configured primitive is stopped).
  case started(at: ControllerTime, mayRunHere: [String]? = nil)
  /// The membership installed a view (this node is in it).
  case viewInstalled(View, at: ControllerTime)
  /// votequorum's verdict, for view `view` (its ring id; nil: the current view).
  case quorumChanged(quorate: Bool, view: ViewID?, at: ControllerTime)
  /// The membership's latest proof of who counts this node in; the shell sends it whenever it changes and right
  /// before each `.viewInstalled`.
  case membershipContact(MembershipContact, at: ControllerTime)
  /// A cluster message delivered by the ordered broadcast (reassembled), sent by `sender` in view `view`.
  case messageDelivered(ClusterMessage, sender: Membership.NodeID, view: ViewID, at: ControllerTime)
  /// The local LRM reported an operation's result (or a recurring monitor's change).
  case operationReported(OperationReport, at: ControllerTime)
  /// A local tool asked something (answered by `.reply(id, ...)`). `.quorum` and `.setIsolated` are questions to the
  /// membership backend and stay with the shell.
  case controlRequested(ControlRequestID, ControlRequest, at: ControllerTime)
  /// The periodic tick (request deadlines, shutdown progress).
  case tick(at: ControllerTime)
  /// A timer asked for with `.scheduleTimer(atMs:)` went off.
  case timerFired(atMs: Int64, at: ControllerTime)
  /// The fencer finished with `node`.
  case fencingCompleted(node: String, success: Bool, at: ControllerTime)
  /// SIGTERM: leave gracefully (resources move away first).
  case shutdownRequested(at: ControllerTime)
}

/// How loud a `.log` effect is (the shell maps it onto its logger).
public enum NodeLogLevel: String, Sendable, Equatable {
  case debug, info, notice, warning, error, critical
}

/// What a `NodeCore` asks its shell to do (imperative), in the order given; the shell performs them in that order.
public enum NodeEffect: Sendable, Equatable {
  /// Send through the membership's ordered broadcast (to every member, this node included).
  case broadcast(ClusterMessage)
  /// Hand an operation to the local LRM, behind every earlier `.runLocally`/`.cancelLocally` (one ordered queue).
  case runLocally(AgentCall)
  /// Add `resource` to this boot's record of what may run here (a file under /run, which a reboot empties) BEFORE
  /// performing any later effect: the `.runLocally` that follows may start it, and a restarted clusterd stops only
  /// what the record (and its CIB's status) lists (`StartUpCleanup`). If the write fails, log it as critical.
  case recordMayRun(String)
  /// Replace that record with exactly these (after the start-up stops: what could not be stopped).
  case rewriteMayRun([String])
  /// Cancel a recurring operation on the local LRM, in the same ordered queue.
  case cancelLocally(OperationKey)
  /// Write this CIB and its term to the state directory (atomically, fsync'd) BEFORE performing any later effect:
  /// the `.broadcast(.cibStored)` that may follow tells the DC it is durable here, and the DC acknowledges a write
  /// to its client only once a quorum of nodes said so. If the write fails, perform no later effect of this batch
  /// that acknowledges it (the shell logs and drops the `.cibStored`).
  case persist(CIBElement, term: UInt64)
  /// Answer control request `id`.
  case reply(ControlRequestID, ControlResponse)
  /// Fence `node` with the devices and levels of `cib`; report with `.fencingCompleted`.
  case fence(node: String, action: String, cib: CIBElement)
  /// Run the alerts configured in `cib` for `event`.
  case alert(AlertEvent, cib: CIBElement)
  /// Deliver `.timerFired(atMs:)` at this monotonic time.
  case scheduleTimer(atMs: Int64)
  /// Leave the membership and exit.
  case leaveCluster
  case log(NodeLogLevel, String)
}
