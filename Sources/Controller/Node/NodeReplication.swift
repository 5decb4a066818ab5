import CIB
import Membership

/// A configuration write (pcs replace, cleanup) the DC applied and broadcast, not yet stored on a quorum.
public struct PendingWrite: Sendable, Equatable {
  public var origin: UInt32
  public var requestID: ControlRequestID
  /// The CIB version that carries the write (or a later one) must be stored on a quorum.
  public var version: CIBVersion
}

/// The CIB the DC last replicated, and the join term it carried: the base of the next diff.
struct ReplicatedCIB: Sendable {
  var cib: CIBElement
  var version: CIBVersion
  var term: UInt64
}

/// Replication of the DC's CIB: what "acknowledged" means.
///
/// A write is acknowledged to its client (`replaceDone` without error) only once the CIB version carrying it is
/// durable (persisted, fsync'd) on a quorum of the cluster's nodes (a majority of the nodelist, or every member of
/// a smaller quorate view), all in the DC's current join term. Any later quorate view shares at least one node with
/// that quorum, and the join picks the CIB with the highest term, then version, so the write survives. A write still
/// waiting when the view changes is sent again by its origin to the next DC, which cannot apply it twice
/// (NodeWrites.swift); past its deadline it is answered with an error (it may or may not have been applied: the
/// client must look), never silently dropped and never acknowledged by a reply from another view.
///
/// Each new version travels as the diff from the version the DC replicated before in this view (`.cibDiff`), whole
/// (`.cib`) for the first one of a view. A member applies a diff only to exactly its base (term and version) and
/// checks the result carries the diff's target version; otherwise it asks for the whole CIB (`.cibWanted`) and
/// ignores diffs until that arrives (the DC sends it at its place in the total order, so it includes every diff
/// before it). Applying, persisting and confirming (`.persist`, then `.cibStored`) are the same for both forms.
extension NodeCore {
  /// On the DC: the message that replicates its CIB, now at version `v`.
  mutating func replicationMessage(version v: CIBVersion) -> ClusterMessage {
    defer { replicated = ReplicatedCIB(cib: controller.cib, version: v, term: cibTerm) }
    guard let base = replicated else { return wholeCIB() }
    let diff = CIBDiff(from: base.cib, to: controller.cib)
    return .cibDiff(diff: WireCIBDiff(diff, source: base.version, target: v), baseTerm: base.term, term: cibTerm)
  }

  func wholeCIB() -> ClusterMessage {
    .cib(xml: CIBXML.serialize(controller.cib), sync: false, viewEpoch: view?.id.epoch ?? 0, term: cibTerm)
  }

  /// On a member: the DC's diff, applied only to its exact base.
  mutating func diffDelivered(_ wire: WireCIBDiff, baseTerm: UInt64, term: UInt64) {
    if wholeCIBWanted { return }
    let next: CIBElement
    do {
      guard cibTerm == baseTerm, version == wire.sourceVersion else {
        throw CIBError.patchDoesNotApply(path: "/", reason: "this node holds \(version) of term \(cibTerm), the diff goes from \(wire.sourceVersion.map { "\($0)" } ?? "?") of term \(baseTerm)")
      }
      next = try wire.diff().apply(to: controller.cib)
      guard (try? CIBVersion(of: next)) == wire.targetVersion else {
        throw CIBError.patchDoesNotApply(path: "/", reason: "the result does not carry the target version")
      }
    } catch {
      log(.info, "a CIB diff from the DC does not fit here (\(error)); asking for the whole CIB")
      wholeCIBWanted = true
      return send(.cibWanted(node: me))
    }
    cibTerm = term
    feed(.cibReplaced(next, at: now))
    persistAndConfirm()
  }

  /// On the DC: a member asks for the whole CIB (its copy did not fit a diff).
  mutating func wholeCIBRequested(by node: UInt32) {
    guard controller.isDC, synced, node != me else { return }
    log(.info, "\(name(of: node)) asked for the whole CIB")
    send(wholeCIB())
  }

  /// How many nodes must have stored a version before a write it carries is acknowledged.
  var storeQuorum: Int {
    let majority = config.nodes.count / 2 + 1
    return max(1, min(majority, view?.members.count ?? majority))
  }

  /// On the DC: answers a write at once when it failed or changed nothing, else once a quorum stored it.
  ///
  /// A write that changed nothing (its configuration is already the live one: possibly a write sent again whose
  /// first sending survived a view change) is answered like one that did: once the live version is stored on a
  /// quorum in this term. If this DC has not replicated that version in this term, it does so now (members persist
  /// and confirm it again), so the answer never waits for an unrelated change.
  mutating func answerWhenStored(origin: UInt32, id: ControlRequestID, error: String?, changed: Bool) {
    guard error == nil else { return send(.replaceDone(origin: origin, requestID: id, error: error)) }
    let v = version
    if !changed && broadcastVersion != v { replicate(version: v) }
    writesAwaitingQuorum.append(PendingWrite(origin: origin, requestID: id, version: v))
    answerStoredWrites()
  }

  /// On the DC: persists its CIB in the current term and replicates it (members persist it, then confirm).
  mutating func replicate(version v: CIBVersion) {
    broadcastVersion = v
    cibTerm = writeTerm
    // Durable here before anyone hears of it; this node counts as one of the quorum that stored it.
    persist()
    storedVersions[me] = v
    send(replicationMessage(version: v))
  }

  /// On the DC: a member stored a version of the current term.
  mutating func storedDelivered(node: UInt32, term: UInt64, version: CIBVersion) {
    guard controller.isDC, synced, term == writeTerm else { return }
    if let old = storedVersions[node], old >= version { return }
    storedVersions[node] = version
    answerStoredWrites()
  }

  mutating func answerStoredWrites() {
    let quorum = storeQuorum
    let ready = writesAwaitingQuorum.filter { w in storedVersions.values.filter { $0 >= w.version }.count >= quorum }
    guard !ready.isEmpty else { return }
    writesAwaitingQuorum.removeAll { w in ready.contains(w) }
    for w in ready { send(.replaceDone(origin: w.origin, requestID: w.requestID, error: nil)) }
  }

  /// A new view: the DC's unconfirmed writes are forgotten (their answers could only come from this view), and this
  /// node's clients waiting for an answer get an error that says what is known.
  mutating func viewChangedForWrites() {
    replicated = nil
    wholeCIBWanted = false
    writesAwaitingQuorum = []
    storedVersions = [:]
    resendWritesInFlight()
  }
}
