import Crypto
import Files

/// The cluster's shared secret, as `corosync-keygen` writes it: 128 to 4096 bytes of random data.
public struct AuthKey: Sendable {
  public static let bytesRange = 128...4096
  public let bytes: [UInt8]

  public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    case badLength(Int)
    case unreadable(String)
    public var description: String {
      switch self {
      case .badLength(let n): return "authkey is \(n) bytes; it must be 128 to 4096 bytes (corosync-keygen makes 256)"
      case .unreadable(let m): return "cannot read authkey: \(m)"
      }
    }
  }

  public init(bytes: [UInt8]) throws(KeyError) {
    guard Self.bytesRange.contains(bytes.count) else { throw .badLength(bytes.count) }
    self.bytes = bytes
  }

  public static func load(path: String) throws(KeyError) -> AuthKey {
    let bytes: [UInt8]
    do {
      bytes = try FileIO.readAll(path: path, bytesMax: bytesRange.upperBound + 1)
    } catch {
      throw .unreadable(error.description)
    }
    return try AuthKey(bytes: bytes)
  }
}

/// Why an incoming datagram was dropped. Each is counted; none reaches the protocol.
public enum DropReason: Equatable, Sendable {
  case tooShort
  case badDigest
  case badHeader
  case replayed
  case staleIncarnation
  case decryptFailed
  case malformed(WireError)
  case senderMismatch
}

/// Counters of dropped packets, by reason.
public struct SecurityCounters: Equatable, Sendable {
  public var accepted = 0
  public var badDigest = 0
  public var replayed = 0
  public var malformed = 0
  public var other = 0
}

/// Seals and opens datagrams: an HMAC-SHA256 over the whole datagram (checked before anything is parsed),
/// optional AES-256-GCM of the body, and a per-sender replay window keyed by incarnation and counter.
///
/// Layout: "VGL1" | flags u8 | sender u32 | incarnation u64 | counter u64 | body | HMAC-SHA256 (32 bytes).
/// With encryption the body is the GCM ciphertext followed by its 16-byte tag; the nonce is derived from the header,
/// which is unique per packet (incarnation, counter), and the header is authenticated data.
public struct PacketSecurity: Sendable {
  public static let headerBytes = 4 + 1 + 4 + 8 + 8
  public static let digestBytes = 32
  static let magic: [UInt8] = Array("VGL1".utf8)
  /// Replay window: packets up to this many counters behind the newest seen from a sender are still accepted once.
  public static let replayWindow: UInt64 = 1024

  private let hmacKey: SymmetricKey
  private let cipherKey: SymmetricKey?
  private var counter: UInt64 = 0
  private var windows: [NodeID: ReplayWindow] = [:]
  public private(set) var counters = SecurityCounters()

  struct ReplayWindow: Sendable {
    var incarnation: UInt64
    var highest: UInt64
    var seen: [UInt64]  // bitmap of the last `replayWindow` counters
  }

  public init(key: AuthKey, encrypt: Bool) {
    hmacKey = SymmetricKey(data: key.bytes)
    if encrypt {
      var h = SHA256()
      h.update(data: Array("vigil aes-256-gcm key".utf8))
      h.update(data: key.bytes)
      cipherKey = SymmetricKey(data: Array(h.finalize()))
    } else {
      cipherKey = nil
    }
  }

  public mutating func seal(_ packet: Packet) -> [UInt8] {
    counter += 1
    var out: [UInt8] = []
    let body = packet.encoded()
    out.reserveCapacity(Self.headerBytes + body.count + 48)
    out.append(contentsOf: Self.magic)
    out.append(cipherKey == nil ? 0 : 1)
    appendU32(&out, packet.from.id.rawValue)
    appendU64(&out, packet.from.incarnation)
    appendU64(&out, counter)
    if let key = cipherKey {
      let header = out
      let sealed = try! AES.GCM.seal(body, using: key, nonce: Self.nonce(header), authenticating: header)
      out.append(contentsOf: sealed.ciphertext)
      out.append(contentsOf: sealed.tag)
    } else {
      out.append(contentsOf: body)
    }
    let mac = HMAC<SHA256>.authenticationCode(for: out, using: hmacKey)
    out.append(contentsOf: mac)
    return out
  }

  /// Authenticates, checks for replay, decrypts and decodes. Returns nil (and counts why) for anything else.
  public mutating func open(_ datagram: [UInt8]) -> Packet? {
    switch openReason(datagram) {
    case .success(let p):
      counters.accepted += 1
      return p
    case .failure(let dropped):
      switch dropped.reason {
      case .badDigest, .tooShort: counters.badDigest += 1
      case .replayed, .staleIncarnation: counters.replayed += 1
      case .malformed, .badHeader, .decryptFailed, .senderMismatch: counters.malformed += 1
      }
      return nil
    }
  }


  public mutating func openReason(_ d: [UInt8]) -> Result<Packet, DropReasonError> {
    guard d.count >= Self.headerBytes + Self.digestBytes else { return .failure(.init(.tooShort)) }
    let macStart = d.count - Self.digestBytes
    // Authentication first: nothing of an unauthenticated datagram is interpreted.
    guard HMAC<SHA256>.isValidAuthenticationCode(d[macStart...], authenticating: d[..<macStart], using: hmacKey) else {
      return .failure(.init(.badDigest))
    }
    guard Array(d[0..<4]) == Self.magic else { return .failure(.init(.badHeader)) }
    let flags = d[4]
    let sender = NodeID(readU32(d, 5))
    let incarnation = readU64(d, 9)
    let counter = readU64(d, 17)
    guard (flags == 1) == (cipherKey != nil), counter > 0 else { return .failure(.init(.badHeader)) }
    if let reason = checkReplay(sender: sender, incarnation: incarnation, counter: counter) {
      return .failure(.init(reason))
    }
    var body = Array(d[Self.headerBytes..<macStart])
    if let key = cipherKey {
      guard body.count >= 16 else { return .failure(.init(.decryptFailed)) }
      let header = Array(d[0..<Self.headerBytes])
      do {
        let box = try AES.GCM.SealedBox(
          nonce: Self.nonce(header), ciphertext: body[..<(body.count - 16)], tag: body[(body.count - 16)...])
        body = Array(try AES.GCM.open(box, using: key, authenticating: header))
      } catch {
        return .failure(.init(.decryptFailed))
      }
    }
    let packet: Packet
    do {
      packet = try Packet.decode(body)
    } catch {
      return .failure(.init(.malformed(error)))
    }
    guard packet.from.id == sender, packet.from.incarnation == incarnation else {
      return .failure(.init(.senderMismatch))
    }
    commitReplay(sender: sender, incarnation: incarnation, counter: counter)
    return .success(packet)
  }

  public struct DropReasonError: Error, Equatable {
    public var reason: DropReason
    init(_ r: DropReason) { reason = r }
  }

  private func checkReplay(sender: NodeID, incarnation: UInt64, counter: UInt64) -> DropReason? {
    guard let w = windows[sender] else { return nil }
    if incarnation < w.incarnation { return .staleIncarnation }
    if incarnation > w.incarnation { return nil }
    if counter > w.highest { return nil }
    let behind = w.highest - counter
    if behind >= Self.replayWindow { return .replayed }
    let bit = counter % Self.replayWindow
    return w.seen[Int(bit / 64)] & (1 << (bit % 64)) != 0 ? .replayed : nil
  }

  private mutating func commitReplay(sender: NodeID, incarnation: UInt64, counter: UInt64) {
    let words = Int(Self.replayWindow / 64)
    var w = windows[sender] ?? ReplayWindow(incarnation: incarnation, highest: 0, seen: Array(repeating: 0, count: words))
    if incarnation > w.incarnation {
      w = ReplayWindow(incarnation: incarnation, highest: 0, seen: Array(repeating: 0, count: words))
    }
    if counter > w.highest {
      // Clear the bits of the counters that slide into the window.
      let advance = counter - w.highest
      if advance >= Self.replayWindow {
        w.seen = Array(repeating: 0, count: words)
      } else {
        var c = w.highest + 1
        while c <= counter {
          let bit = c % Self.replayWindow
          w.seen[Int(bit / 64)] &= ~(1 << (bit % 64))
          c += 1
        }
      }
      w.highest = counter
    }
    let bit = counter % Self.replayWindow
    w.seen[Int(bit / 64)] |= 1 << (bit % 64)
    windows[sender] = w
  }

  static func nonce(_ header: [UInt8]) -> AES.GCM.Nonce {
    let digest = Array(SHA256.hash(data: header))
    return try! AES.GCM.Nonce(data: digest[0..<12])
  }
}

private func appendU32(_ out: inout [UInt8], _ v: UInt32) {
  out.append(UInt8(truncatingIfNeeded: v >> 24))
  out.append(UInt8(truncatingIfNeeded: v >> 16))
  out.append(UInt8(truncatingIfNeeded: v >> 8))
  out.append(UInt8(truncatingIfNeeded: v))
}

private func appendU64(_ out: inout [UInt8], _ v: UInt64) {
  appendU32(&out, UInt32(truncatingIfNeeded: v >> 32))
  appendU32(&out, UInt32(truncatingIfNeeded: v))
}

private func readU32(_ d: [UInt8], _ at: Int) -> UInt32 {
  var v: UInt32 = 0
  for i in 0..<4 { v = v << 8 | UInt32(d[at + i]) }
  return v
}

private func readU64(_ d: [UInt8], _ at: Int) -> UInt64 {
  UInt64(readU32(d, at)) << 32 | UInt64(readU32(d, at + 4))
}
