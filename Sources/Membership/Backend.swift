/// What clusterd needs from a membership layer. The native UDP shell (`MembershipShell`) and the corosync backend
/// (CPG + votequorum + cmap) both provide it, so the controller never knows which one runs underneath.
///
/// Events (`MembershipEvent`: view installed, quorum changed, message delivered, broadcast rejected, left) reach the
/// owner through the `onEvent` callback given when the backend is started, in the order the backend produced them.
/// Delivery has extended virtual synchrony: every member of a view delivers the same messages in the same order, and
/// a view change falls at the same point of that order everywhere.
public protocol MembershipBackend: AnyObject, Sendable {
  /// Which implementation this is, for status output ("native" or "corosync").
  var backendName: String { get }
  /// Hands `payload` to the ordered broadcast; it is delivered to every member of the view, this node included.
  func broadcast(_ payload: [UInt8])
  /// The current votequorum state, as `pcs quorum status` shows it.
  func currentQuorumStatus() async throws -> QuorumStatus
  /// Announces a graceful leave; returns once the announcement is sent.
  func leaveCluster() async throws
  /// Releases sockets and handles. After it returns, no more events are reported.
  func shutdown() async throws
}

extension MembershipShell: MembershipBackend {
  public var backendName: String { "native" }
  public func currentQuorumStatus() async throws -> QuorumStatus { try await quorumStatus().get() }
  public func leaveCluster() async throws { try await leave().get() }
  public func shutdown() async throws { try await close().get() }
}
