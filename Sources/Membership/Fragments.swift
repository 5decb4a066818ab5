/// A broadcast larger than one datagram travels as several ordered entries ("fragments"). The first byte of each
/// entry's payload says whether more fragments of the same message follow (1) or this is the last one (0).
///
/// Why the core fragments rather than its user: a message must be delivered whole or not at all. Fragments of one
/// sender are ordered in its FIFO order within one view, and every member moving to the next view delivers the same
/// prefix of the old view's order, so dropping a partial message at a view change drops it everywhere alike; the
/// sender reports it (`.broadcastAborted`). Fragmenting above the core cannot give that: the rest of a message cut by
/// a view change would be sent in the next view, where nobody holds its beginning.
enum Fragments {
  static let more: UInt8 = 1
  static let last: UInt8 = 0

  /// The entries of one message, each at most `fragmentBytesMax` bytes of it plus the marker byte.
  static func split(_ payload: [UInt8], fragmentBytesMax: Int) -> [[UInt8]] {
    precondition(fragmentBytesMax > 0)
    if payload.count <= fragmentBytesMax { return [[last] + payload] }
    var out: [[UInt8]] = []
    out.reserveCapacity((payload.count + fragmentBytesMax - 1) / fragmentBytesMax)
    var lo = 0
    while lo < payload.count {
      let hi = min(payload.count, lo + fragmentBytesMax)
      out.append([hi == payload.count ? last : more] + payload[lo..<hi])
      lo = hi
    }
    return out
  }
}

/// Joins delivered fragments per sender, within one view (`reset` at every view change).
struct Reassembly: Sendable {
  private var partial: [NodeID: [UInt8]] = [:]
  /// A message growing past this is a bug or a hostile sender: it is dropped whole.
  let messageBytesMax: Int

  init(messageBytesMax: Int) { self.messageBytesMax = messageBytesMax }

  enum Outcome: Equatable {
    case whole([UInt8])
    case incomplete
    case malformed
  }

  mutating func add(_ entry: [UInt8], from sender: NodeID) -> Outcome {
    guard let marker = entry.first, marker == Fragments.more || marker == Fragments.last else {
      partial[sender] = nil
      return .malformed
    }
    var bytes = partial.removeValue(forKey: sender) ?? []
    bytes += entry[1...]
    guard bytes.count <= messageBytesMax else { return .malformed }
    if marker == Fragments.last { return .whole(bytes) }
    partial[sender] = bytes
    return .incomplete
  }

  mutating func reset() { partial = [:] }
}

/// The sender's side: messages waiting to be sent whole, the fragments of the one being handed to the coordinator,
/// and the messages begun in this view and not yet delivered back to the sender (what a view change aborts).
struct OutgoingMessages: Sendable {
  private var queue: [[UInt8]] = []
  private var queueHead = 0
  private var fragments: [[UInt8]] = []
  private var fragmentsHead = 0
  /// Messages with at least one fragment handed to the coordinator in this view and not delivered yet, in order.
  private(set) var inFlight: [[UInt8]] = []
  private var inFlightHead = 0

  var queuedCount: Int { queue.count - queueHead }
  var inFlightCount: Int { inFlight.count - inFlightHead }
  var hasFragment: Bool { fragmentsHead < fragments.count || queueHead < queue.count }

  mutating func enqueue(_ payload: [UInt8]) { queue.append(payload) }

  /// The next fragment to hand to the coordinator; starting a message records it as in flight.
  mutating func nextFragment(fragmentBytesMax: Int) -> [UInt8]? {
    if fragmentsHead == fragments.count {
      guard queueHead < queue.count else { return nil }
      let message = queue[queueHead]
      queueHead += 1
      if queueHead > 1024 && queueHead * 2 > queue.count {
        queue.removeFirst(queueHead)
        queueHead = 0
      }
      fragments = Fragments.split(message, fragmentBytesMax: fragmentBytesMax)
      fragmentsHead = 0
      inFlight.append(message)
    }
    let f = fragments[fragmentsHead]
    fragmentsHead += 1
    return f
  }

  /// The oldest message in flight was delivered back to its sender.
  mutating func delivered() {
    guard inFlightHead < inFlight.count else { return }
    inFlightHead += 1
    if inFlightHead > 1024 && inFlightHead * 2 > inFlight.count {
      inFlight.removeFirst(inFlightHead)
      inFlightHead = 0
    }
  }

  /// A view change: messages in flight were delivered to nobody who moves on with this node, and the rest of a
  /// message cut in the middle is not sent. Queued messages that were not begun wait for the next view.
  mutating func abortInFlight() -> [[UInt8]] {
    let aborted = Array(inFlight[inFlightHead...])
    inFlight = []
    inFlightHead = 0
    fragments = []
    fragmentsHead = 0
    return aborted
  }
}
