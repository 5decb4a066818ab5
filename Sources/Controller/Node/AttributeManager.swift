import ControlProtocol

/// A node's attribute manager (Pacemaker's attrd): the values agents set with attrd_updater, held here and written
/// to the CIB (through the DC) once they have been stable for their dampening.
///
/// Why dampening: ping and health agents report a flapping value on every monitor; writing each one would make the
/// DC replan on every flap. As Pacemaker's attrd does, a change (re)starts the attribute's timer and the value is
/// written when it fires, so a value that changes and changes back within the dampening is written once, or not at
/// all when it ends where the CIB already is. A dampening of 0 writes at once.
/// Pure: time is an argument; the node core asks for the writes due at each tick.
public struct AttributeManager: Sendable, Equatable {
  public struct Key: Hashable, Comparable, Sendable {
    public var node: String
    public var name: String
    public static func < (a: Key, b: Key) -> Bool { (a.node, a.name) < (b.node, b.name) }
  }

  struct Entry: Sendable, Equatable {
    /// The manager's current value (nil: deleted).
    var value: String?
    var dampenMs: Int64
    var setID: String?
    /// When the held change is written (nil: nothing held).
    var writeAtMs: Int64?
  }

  /// The most attributes one node's manager holds (a runaway agent cannot grow it without bound).
  public static let entriesMax = 4096
  var entries: [Key: Entry] = [:]

  public init() {}

  /// What became of an update.
  public enum Outcome: Sendable, Equatable {
    /// Write this now (no dampening).
    case write(AttributeUpdate)
    /// Held: written when its dampening runs out, or not at all if it changes back first.
    case held(untilMs: Int64)
    /// Same value as the manager (or, for an attribute it never held, the CIB) already has.
    case unchanged
    case refused(String)
  }

  /// An attrd_updater update (`update.managed`) of `update.node`; `cibValue`: what the CIB holds now.
  public mutating func update(_ update: AttributeUpdate, cibValue: String?, nowMs: Int64) -> Outcome {
    precondition(update.scope == .status && update.node != nil, "the attribute manager holds transient attributes")
    let key = Key(node: update.node!, name: update.name)
    var entry = entries[key] ?? Entry(value: cibValue, dampenMs: 0, setID: update.setID, writeAtMs: nil)
    if entries[key] == nil && entries.count >= Self.entriesMax {
      return .refused("too many node attributes (\(Self.entriesMax)) held by this node's attribute manager")
    }
    if let d = update.dampenMs { entry.dampenMs = max(0, d) }
    if update.setID != nil { entry.setID = update.setID }
    // Also a change: the same value as the manager holds, with nothing held, where the CIB says otherwise (another
    // node's manager or crm_attribute wrote it since; each node's manager holds what its own clients set).
    let changed = entry.value != update.value || (entry.writeAtMs == nil && cibValue != update.value)
    entry.value = update.value
    defer { entries[key] = entry }
    guard changed else { return entry.writeAtMs.map { .held(untilMs: $0) } ?? .unchanged }
    if entry.dampenMs == 0 {
      entry.writeAtMs = nil
      return .write(write(key, entry))
    }
    // A change restarts the timer (attrd's mainloop_timer_start): the value is written once stable that long.
    entry.writeAtMs = nowMs + entry.dampenMs
    return .held(untilMs: entry.writeAtMs!)
  }

  /// The writes whose dampening ran out by `nowMs`, ordered by node and name.
  public mutating func due(nowMs: Int64) -> [AttributeUpdate] {
    var out: [AttributeUpdate] = []
    for key in entries.keys.sorted() {
      guard var e = entries[key], let at = e.writeAtMs, at <= nowMs else { continue }
      e.writeAtMs = nil
      entries[key] = e
      out.append(write(key, e))
    }
    return out
  }

  /// The earliest time a held write is due (nil: none held).
  public var nextDueMs: Int64? { entries.values.compactMap(\.writeAtMs).min() }

  /// The manager's value for `node` (`.some(nil)`: it knows the attribute is unset; nil: it never held it).
  public func value(node: String, name: String) -> String?? {
    entries[Key(node: node, name: name)].map(\.value)
  }

  /// Every value of `name` the manager holds, by node.
  public func values(name: String) -> [String: String?] {
    var out: [String: String?] = [:]
    for (k, e) in entries where k.name == name { out[k.node] = e.value }
    return out
  }

  func write(_ key: Key, _ e: Entry) -> AttributeUpdate {
    AttributeUpdate(name: key.name, value: e.value, node: key.node, scope: .status, setID: e.setID)
  }
}
