import Membership
import TestKit

/// Broadcasts of several fragments: sizes drawn per message, so that some fit one fragment and most do not.
public struct LargeMessages: Sendable {
  /// The cores' `MembershipLimits.fragmentBytesMax` (small, so a message has many fragments at little cost).
  public var fragmentBytesMax: Int
  public var bytesMin: Int
  public var bytesMax: Int
  public init(fragmentBytesMax: Int = 400, bytesMin: Int = 100, bytesMax: Int = 4_000) {
    precondition(fragmentBytesMax > 0 && bytesMin >= 16 && bytesMin <= bytesMax)
    self.fragmentBytesMax = fragmentBytesMax
    self.bytesMin = bytesMin
    self.bytesMax = bytesMax
  }
}

/// Invariant 5: whole messages, and aborts that mean what they say.
extension MembershipSimulator {
  /// "m<number>" (a few bytes), or with `largeMessages` "m<number>:<length>;" followed by `length` bytes that
  /// depend on the number, so a delivery missing or mixing fragments is detected.
  mutating func nextPayload() -> [UInt8] {
    guard let large = options.largeMessages else { return Array("m\(broadcastCounter)".utf8) }
    let length = Int.random(in: large.bytesMin...large.bytesMax, using: &rng)
    return Array("m\(broadcastCounter):\(length);".utf8) + (0..<length).map { UInt8(truncatingIfNeeded: broadcastCounter &+ $0) }
  }

  /// The broadcast number and, for a large message, whether its body is exactly as sent.
  static func parse(_ payload: [UInt8]) -> (number: Int, intact: Bool)? {
    guard payload.first == UInt8(ascii: "m") else { return nil }
    let digits = payload.dropFirst().prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    guard let number = Int(String(decoding: digits, as: UTF8.self)) else { return nil }
    let rest = payload.dropFirst(1 + digits.count)
    if rest.isEmpty { return (number, true) }
    guard rest.first == UInt8(ascii: ":"), let semi = rest.firstIndex(of: UInt8(ascii: ";")),
      let length = Int(String(decoding: rest[rest.startIndex + 1..<semi], as: UTF8.self))
    else { return (number, false) }
    let body = payload[(semi + 1)...]
    let intact = body.count == length
      && body.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: number &+ $0.offset) }
    return (number, intact)
  }

  mutating func checkWhole(_ i: Int, _ d: Delivery) {
    guard let (number, intact) = Self.parse(d.payload) else {
      return violate("n\(i + 1) delivered a payload that was never sent (\(d.payload.count) bytes)")
    }
    if !intact { violate("n\(i + 1) delivered message \(number) not whole (\(d.payload.count) bytes)") }
    if let large = options.largeMessages, d.payload.count > large.fragmentBytesMax { result.multiFragmentDeliveries += 1 }
    deliveredBy[number, default: []].append((Member(NodeID(UInt32(i + 1)), incarnation: nodes[i].incarnation), d.view))
  }

  mutating func onAborted(_ i: Int, _ payload: [UInt8], _ view: ViewID) {
    result.aborted += 1
    guard let (number, _) = Self.parse(payload) else { return violate("n\(i + 1) aborted a payload it never sent") }
    if options.trace { log("n\(i + 1) reports message \(number) aborted in \(view)") }
    abortedBy.append((Member(NodeID(UInt32(i + 1)), incarnation: nodes[i].incarnation), number, view))
  }

  /// An aborted message must not have been delivered in its view by anyone who moved on with its sender (nor by
  /// the sender itself).
  mutating func checkAborts() {
    for a in abortedBy {
      let next = moves.first { $0.member == a.sender && $0.from == a.view }?.to
      for (member, view) in deliveredBy[a.number, default: []] where view == a.view {
        if member == a.sender {
          return violate("\(a.sender) reported message \(a.number) aborted but delivered it in \(view)")
        }
        if let next, moves.contains(Move(member: member, from: view, to: next)) {
          return violate("\(member) delivered message \(a.number) in \(view) and moved to \(next) with its sender \(a.sender), which reported it aborted")
        }
      }
    }
  }
}
