/// The version of a CIB: the triple (admin_epoch, epoch, num_updates) on the `<cib>` root.
///
/// Why it exists: nodes decide which copy of the CIB is newest by comparing versions, exactly as Pacemaker
/// does: admin_epoch first (only an administrator raises it), then epoch (raised by every configuration
/// change), then num_updates (raised by every status change, reset by a configuration change).
/// Invariant: the ordering is lexicographic on (adminEpoch, epoch, numUpdates); missing attributes read as 0.
public struct CIBVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
  public var adminEpoch: UInt64
  public var epoch: UInt64
  public var numUpdates: UInt64

  public static let attributeNames = (adminEpoch: "admin_epoch", epoch: "epoch", numUpdates: "num_updates")

  public init(adminEpoch: UInt64 = 0, epoch: UInt64 = 0, numUpdates: UInt64 = 0) {
    self.adminEpoch = adminEpoch
    self.epoch = epoch
    self.numUpdates = numUpdates
  }

  /// Reads the version from a `<cib>` root. A missing attribute counts as 0, as in Pacemaker; a present
  /// attribute that is not a non-negative integer is an error naming the attribute.
  public init(of root: CIBElement) throws(CIBError) {
    func read(_ name: String) throws(CIBError) -> UInt64 {
      guard let raw = root[attribute: name] else { return 0 }
      guard let value = UInt64(raw) else { throw .invalidVersion(attribute: name, value: raw) }
      return value
    }
    adminEpoch = try read(Self.attributeNames.adminEpoch)
    epoch = try read(Self.attributeNames.epoch)
    numUpdates = try read(Self.attributeNames.numUpdates)
  }

  /// Writes the three attributes onto `root`, keeping their existing position when present.
  public func write(to root: inout CIBElement) {
    root[attribute: Self.attributeNames.adminEpoch] = String(adminEpoch)
    root[attribute: Self.attributeNames.epoch] = String(epoch)
    root[attribute: Self.attributeNames.numUpdates] = String(numUpdates)
  }

  /// The version after a change of the given kind (Pacemaker's rules).
  public func bumped(for change: CIBChangeKind) -> CIBVersion {
    var v = self
    switch change {
    case .none: break
    case .update: v.numUpdates += 1
    case .configuration:
      v.epoch += 1
      v.numUpdates = 0
    }
    return v
  }


  public static func < (a: CIBVersion, b: CIBVersion) -> Bool {
    (a.adminEpoch, a.epoch, a.numUpdates) < (b.adminEpoch, b.epoch, b.numUpdates)
  }

  /// "admin_epoch.epoch.num_updates", the form Pacemaker logs (e.g. "0.5434.31").
  public var description: String { "\(adminEpoch).\(epoch).\(numUpdates)" }
}

/// What kind of change turned one CIB into another, which decides how the version moves.
///
/// Pacemaker's rule, checked against its cibadmin 2.1.5: a change anywhere under `<configuration>` (or any
/// other child of the root except `<status>`) is a configuration change; a change only in `<status>` or in
/// the root's own attributes (have-quorum, dc-uuid, validate-with, even an explicit epoch) is an update.
public enum CIBChangeKind: Comparable, Sendable {
  /// Nothing changed: the version stays.
  case none
  /// Only `<status>` or root attributes changed: num_updates + 1.
  case update
  /// Something outside `<status>` changed: epoch + 1, num_updates = 0.
  case configuration

  /// Classifies the change from `old` to `new` (both `<cib>` roots).
  public static func between(_ old: CIBElement, _ new: CIBElement) -> CIBChangeKind {
    if old.name != new.name { return .configuration }
    if old.children.filter({ !isStatus($0) }) != new.children.filter({ !isStatus($0) }) { return .configuration }
    if old.attributes != new.attributes { return .update }
    if old.children.filter(isStatus) != new.children.filter(isStatus) { return .update }
    return .none
  }

  private static func isStatus(_ c: CIBContent) -> Bool {
    if case .element(let e) = c { e.name == "status" } else { false }
  }
}

extension CIBVersion {
  /// Sets the version of `new`, the result of editing `old`, as Pacemaker does after an operation: the
  /// version written in `new` (normally `old`'s, unless the edit set it) bumped for the kind of change.
  /// Returns the kind of change; for `.none` the document is left exactly as it is.
  @discardableResult
  public static func stamp(_ new: inout CIBElement, after old: CIBElement) throws(CIBError) -> CIBChangeKind {
    let kind = CIBChangeKind.between(old, new)
    guard kind != .none else { return .none }
    try CIBVersion(of: new).bumped(for: kind).write(to: &new)
    return kind
  }
}
