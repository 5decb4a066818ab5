import TestKit
import Testing

@testable import Membership

func testKey(_ seed: UInt64, bytes: Int = 256) -> AuthKey {
  var rng = SplitMix64(seed: seed)
  return try! AuthKey(bytes: (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &rng) })
}

let samplePackets: [Packet] = {
  let me = Member(NodeID(2), incarnation: 77)
  let v = ViewID(epoch: 5, coordinator: NodeID(1), coordinatorIncarnation: 3)
  let info = QuorumNodeInfo(nodeID: NodeID(2), votes: 1, expectedVotes: 3, quorate: true, waitForAllPending: false)
  return [
    Packet(from: me, message: .heartbeat(Heartbeat(view: v, acked: v, hears: [NodeID(1), NodeID(3)], received: 9))),
    Packet(from: me, message: .propose(Proposal(view: v, members: [me, Member(NodeID(1), incarnation: 3)]))),
    Packet(from: me, message: .proposalAck(ProposalAck(proposal: v, currentView: v, received: 4, info: info))),
    Packet(
      from: me,
      message: .install(Install(view: View(id: v, members: [me]), cuts: [Cut(view: v, upTo: 3)], infos: [info]))),
    Packet(from: me, message: .data(DataBatch(view: v, firstSequence: 1, payloads: [[1, 2, 3], []]))),
    Packet(
      from: me,
      message: .ordered(
        OrderedBatch(view: v, stable: 2, entries: [OrderedEntry(sequence: 3, sender: NodeID(2), senderSequence: 1, payload: [9])]))),
    Packet(from: me, message: .orderedAck(OrderedAck(view: v, received: 3, gap: true))),
    Packet(from: me, message: .leave(Leave(view: v))),
  ]
}()

@Test(arguments: [false, true])
func sealedPacketsOpenOnceAndOnlyWithTheKey(encrypt: Bool) throws {
  var sender = PacketSecurity(key: testKey(1), encrypt: encrypt)
  var receiver = PacketSecurity(key: testKey(1), encrypt: encrypt)
  var stranger = PacketSecurity(key: testKey(2), encrypt: encrypt)
  for p in samplePackets {
    let wire = sender.seal(p)
    #expect(try Packet.decode(p.encoded()) == p, "codec round trip")
    #expect(stranger.open(wire) == nil, "forged: another key")
    #expect(receiver.open(wire) == p)
    #expect(receiver.open(wire) == nil, "replayed")
  }
  #expect(stranger.counters.badDigest == samplePackets.count)
  #expect(receiver.counters.replayed == samplePackets.count)
  #expect(receiver.counters.accepted == samplePackets.count)
}

@Test func encryptionHidesThePayload() {
  var sealer = PacketSecurity(key: testKey(1), encrypt: true)
  let secret = Array("top-secret-cib-update".utf8)
  let p = Packet(
    from: Member(NodeID(1), incarnation: 1),
    message: .data(DataBatch(view: ViewID(epoch: 1, coordinator: NodeID(1), coordinatorIncarnation: 1), firstSequence: 1, payloads: [secret])))
  let wire = sealer.seal(p)
  #expect(!contains(wire, secret))
  var plain = PacketSecurity(key: testKey(1), encrypt: false)
  #expect(contains(plain.seal(p), secret))
}

func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
  guard hay.count >= needle.count else { return false }
  for i in 0...(hay.count - needle.count) where Array(hay[i..<i + needle.count]) == needle { return true }
  return false
}

@Test func olderIncarnationAndOldCountersAreRejected() {
  var old = PacketSecurity(key: testKey(1), encrypt: false)
  var new = PacketSecurity(key: testKey(1), encrypt: false)
  var receiver = PacketSecurity(key: testKey(1), encrypt: false)
  let v = ViewID(epoch: 1, coordinator: NodeID(1), coordinatorIncarnation: 1)
  let oldWire = old.seal(Packet(from: Member(NodeID(1), incarnation: 1), message: .leave(Leave(view: v))))
  let newWire = new.seal(Packet(from: Member(NodeID(1), incarnation: 2), message: .leave(Leave(view: v))))
  #expect(receiver.open(newWire) != nil)
  #expect(receiver.open(oldWire) == nil, "a packet of the previous incarnation is stale")
  // Out-of-order but fresh counters inside the window are accepted once.
  var s = PacketSecurity(key: testKey(1), encrypt: false)
  let wires = (0..<5).map { _ in s.seal(Packet(from: Member(NodeID(3), incarnation: 1), message: .leave(Leave(view: v)))) }
  #expect(receiver.open(wires[4]) != nil)
  #expect(receiver.open(wires[1]) != nil)
  #expect(receiver.open(wires[1]) == nil)
}

@Test func authKeyLengthIsChecked() {
  #expect(throws: AuthKey.KeyError.badLength(127)) { try AuthKey(bytes: Array(repeating: 1, count: 127)) }
  #expect(throws: AuthKey.KeyError.badLength(4097)) { try AuthKey(bytes: Array(repeating: 1, count: 4097)) }
  #expect((try? AuthKey(bytes: Array(repeating: 1, count: 128))) != nil)
}

/// Seeded random bytes and mutations of valid packets: nothing crashes, nothing forged gets through.
@Test func fuzzedDatagramsNeverCrashAndAreDropped() {
  var rng = SplitMix64(seed: 0xF022)
  var sender = PacketSecurity(key: testKey(1), encrypt: false)
  var receiver = PacketSecurity(key: testKey(1), encrypt: false)
  var accepted = 0
  for i in 0..<20_000 {
    var d: [UInt8]
    if i % 2 == 0 {
      d = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    } else {
      d = sender.seal(samplePackets[i % samplePackets.count])
      for _ in 0..<Int.random(in: 1...4, using: &rng) where !d.isEmpty {
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: d[Int.random(in: 0..<d.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
        case 1: d.removeLast(Int.random(in: 1...min(8, d.count), using: &rng))
        default: d.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...d.count, using: &rng))
        }
      }
    }
    if receiver.open(d) != nil { accepted += 1 }
  }
  #expect(accepted == 0)
  #expect(receiver.counters.badDigest == 20_000)
}

/// The decoder itself (behind authentication) must also survive garbage: a key holder could send it.
@Test func decoderSurvivesGarbageBodies() {
  var rng = SplitMix64(seed: 0xDEC0DE)
  let valid = samplePackets.map { $0.encoded() }
  var decoded = 0
  for i in 0..<50_000 {
    var d = valid[i % valid.count]
    for _ in 0..<Int.random(in: 1...3, using: &rng) {
      if d.isEmpty { break }
      d[Int.random(in: 0..<d.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
    }
    if Bool.random(using: &rng) { d.removeLast(Int.random(in: 0...d.count, using: &rng)) }
    if (try? Packet.decode(d)) != nil { decoded += 1 }
  }
  #expect(decoded < 50_000)
}
