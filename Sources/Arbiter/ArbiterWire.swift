import Crypto

/// Operating errors of the arbiter's wire: every one names what was wrong with the bytes.
public enum ArbiterWireError: Error, Equatable, Sendable, CustomStringConvertible {
  case frameTooLarge(Int)
  case badMagic
  case unknownType(UInt8)
  case truncated(String)
  case badValue(String)
  case badSignature
  case unknownCluster(String)
  public var description: String {
    switch self {
    case .frameTooLarge(let n): return "frame of \(n) bytes exceeds \(ArbiterWire.frameBytesMax)"
    case .badMagic: return "not a vigil-arbiter message (bad magic)"
    case .unknownType(let t): return "unknown message type \(t)"
    case .truncated(let what): return "message truncated in \(what)"
    case .badValue(let what): return "bad value: \(what)"
    case .badSignature: return "HMAC does not match (wrong authkey?)"
    case .unknownCluster(let c): return "no key for cluster '\(c)' (put its authkey in the arbiter's key directory)"
    }
  }
}

/// The key that signs a cluster's arbiter traffic, derived from the cluster's corosync authkey (so the arbiter
/// holds a copy of each cluster's authkey, and a message from one cluster is never valid for another).
public struct ArbiterKey: Sendable {
  let key: SymmetricKey
  public init(authkey: [UInt8], cluster: String) {
    var h = SHA256()
    h.update(data: Array("vigil-arbiter\0".utf8) + Array(cluster.utf8) + [0])
    h.update(data: authkey)
    key = SymmetricKey(data: Array(h.finalize()))
  }
}

/// Framing and encoding of the arbiter protocol over TCP: every message is `length (u32, big endian) | "VGA1" |
/// type (u8) | body | HMAC-SHA256(key, "VGA1" | type | body)`; at most `frameBytesMax` bytes. A request's body
/// starts with its cluster name, so the arbiter picks the key before checking the HMAC; replies are signed with the
/// same cluster's key. Counts and strings are bounded before anything is allocated.
public enum ArbiterWire {
  public static let frameBytesMax = 4096
  public static let clusterNameBytesMax = 64
  public static let membersMax = 256
  static let magic: [UInt8] = Array("VGA1".utf8)
  static let requestType: UInt8 = 1
  static let replyType: UInt8 = 2
  static let reasonBytesMax = 512

  // MARK: frames

  /// Splits complete frames off the front of `buffer`; leaves a partial frame in it.
  public static func takeFrames(_ buffer: inout [UInt8]) throws(ArbiterWireError) -> [[UInt8]] {
    var frames: [[UInt8]] = []
    var at = 0
    while buffer.count - at >= 4 {
      let n = Int(buffer[at]) << 24 | Int(buffer[at + 1]) << 16 | Int(buffer[at + 2]) << 8 | Int(buffer[at + 3])
      guard n <= frameBytesMax else { throw .frameTooLarge(n) }
      guard buffer.count - at - 4 >= n else { break }
      frames.append(Array(buffer[(at + 4)..<(at + 4 + n)]))
      at += 4 + n
    }
    buffer.removeFirst(at)
    return frames
  }

  static func frame(type: UInt8, body: [UInt8], key: ArbiterKey) -> [UInt8] {
    let signed = magic + [type] + body
    let mac = Array(HMAC<SHA256>.authenticationCode(for: signed, using: key.key))
    let payload = signed + mac
    precondition(payload.count <= frameBytesMax, "an encoder produced an oversized frame")
    let n = UInt32(payload.count)
    return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + payload
  }

  static func verify(_ payload: [UInt8], key: ArbiterKey) throws(ArbiterWireError) {
    let signed = payload.dropLast(32)
    let mac = payload.suffix(32)
    guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(signed), using: key.key) else {
      throw .badSignature
    }
  }

  static func body(_ payload: [UInt8], type: UInt8) throws(ArbiterWireError) -> Reader {
    guard payload.count >= 5 + 32 else { throw .truncated("header") }
    guard Array(payload[0..<4]) == magic else { throw .badMagic }
    guard payload[4] == type else { throw .unknownType(payload[4]) }
    return Reader(Array(payload[5..<(payload.count - 32)]))
  }

  // MARK: requests

  public static func encode(_ r: VoteRequest, key: ArbiterKey) -> [UInt8] {
    precondition(r.cluster.utf8.count <= clusterNameBytesMax && r.view.members.count <= membersMax)
    var w = Writer()
    w.string(r.cluster)
    w.u32(r.node); w.u64(r.incarnation); w.u64(r.sequence)
    w.view(r.view)
    w.u8(r.algorithm.rawValue)
    switch r.tieBreaker {
    case .lowest: w.u8(0); w.u32(0)
    case .highest: w.u8(1); w.u32(0)
    case .node(let id): w.u8(2); w.u32(id)
    }
    w.u8(r.heuristics.rawValue)
    w.u8(r.runsResources ? 1 : 0)
    return frame(type: requestType, body: w.bytes, key: key)
  }

  /// The cluster a request claims to come from, read before the HMAC is checked (to pick the key).
  public static func requestCluster(_ payload: [UInt8]) throws(ArbiterWireError) -> String {
    var r = try body(payload, type: requestType)
    return try r.clusterName()
  }

  public static func decodeRequest(_ payload: [UInt8], key: ArbiterKey) throws(ArbiterWireError) -> VoteRequest {
    var r = try body(payload, type: requestType)
    try verify(payload, key: key)
    let cluster = try r.clusterName()
    let node = try r.u32("node")
    guard node > 0 else { throw .badValue("node id 0") }
    let incarnation = try r.u64("incarnation")
    let sequence = try r.u64("sequence")
    let view = try r.view()
    guard let algorithm = ArbiterAlgorithm(rawValue: try r.u8("algorithm")) else { throw .badValue("algorithm") }
    let tbKind = try r.u8("tie breaker")
    let tbNode = try r.u32("tie breaker node")
    let tieBreaker: ArbiterTieBreaker
    switch tbKind {
    case 0: tieBreaker = .lowest
    case 1: tieBreaker = .highest
    case 2 where tbNode > 0: tieBreaker = .node(tbNode)
    default: throw .badValue("tie breaker \(tbKind)")
    }
    guard let heuristics = HeuristicsResult(rawValue: try r.u8("heuristics")) else { throw .badValue("heuristics") }
    let runs = try r.u8("runs resources") == 1
    try r.end()
    return VoteRequest(
      cluster: cluster, node: node, incarnation: incarnation, sequence: sequence, view: view, algorithm: algorithm,
      tieBreaker: tieBreaker, heuristics: heuristics, runsResources: runs)
  }

  // MARK: replies

  public static func encode(_ reply: VoteReply, key: ArbiterKey) -> [UInt8] {
    var w = Writer()
    w.u64(reply.sequence)
    w.view(reply.view)
    switch reply.answer {
    case .vote(let lease): w.u8(1); w.u32(lease); w.string("")
    case .noVote(let reason): w.u8(2); w.u32(0); w.string(String(reason.utf8.prefix(reasonBytesMax))!)
    case .wait(let reason): w.u8(3); w.u32(0); w.string(String(reason.utf8.prefix(reasonBytesMax))!)
    }
    return frame(type: replyType, body: w.bytes, key: key)
  }

  public static func decodeReply(_ payload: [UInt8], key: ArbiterKey) throws(ArbiterWireError) -> VoteReply {
    var r = try body(payload, type: replyType)
    try verify(payload, key: key)
    let sequence = try r.u64("sequence")
    let view = try r.view()
    let kind = try r.u8("answer")
    let lease = try r.u32("lease")
    let reason = try r.string("reason")
    try r.end()
    switch kind {
    case 1: return VoteReply(sequence: sequence, view: view, answer: .vote(leaseMs: lease))
    case 2: return VoteReply(sequence: sequence, view: view, answer: .noVote(reason: reason))
    case 3: return VoteReply(sequence: sequence, view: view, answer: .wait(reason: reason))
    default: throw .badValue("answer \(kind)")
    }
  }

  // MARK: bytes

  struct Writer {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(v >> UInt32(s) & 0xff)) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(v >> UInt64(s) & 0xff)) } }
    mutating func string(_ s: String) {
      let b = Array(s.utf8)
      precondition(b.count <= 0xffff)
      bytes.append(UInt8(b.count >> 8)); bytes.append(UInt8(b.count & 0xff)); bytes += b
    }
    mutating func view(_ v: PartitionView) {
      u64(v.epoch); u32(v.coordinator); u64(v.coordinatorIncarnation)
      bytes.append(UInt8(v.members.count >> 8)); bytes.append(UInt8(v.members.count & 0xff))
      for m in v.members { u32(m) }
    }
  }

  struct Reader {
    let bytes: [UInt8]
    var at = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    mutating func take(_ n: Int, _ what: String) throws(ArbiterWireError) -> ArraySlice<UInt8> {
      guard bytes.count - at >= n else { throw .truncated(what) }
      defer { at += n }
      return bytes[at..<(at + n)]
    }
    mutating func u8(_ what: String) throws(ArbiterWireError) -> UInt8 { try take(1, what).first! }
    mutating func u16(_ what: String) throws(ArbiterWireError) -> Int {
      let s = try take(2, what)
      return Int(s[s.startIndex]) << 8 | Int(s[s.startIndex + 1])
    }
    mutating func u32(_ what: String) throws(ArbiterWireError) -> UInt32 {
      try take(4, what).reduce(0) { $0 << 8 | UInt32($1) }
    }
    mutating func u64(_ what: String) throws(ArbiterWireError) -> UInt64 {
      try take(8, what).reduce(0) { $0 << 8 | UInt64($1) }
    }
    mutating func string(_ what: String) throws(ArbiterWireError) -> String {
      let n = try u16(what)
      guard n <= ArbiterWire.reasonBytesMax else { throw .badValue("\(what) of \(n) bytes") }
      guard let s = String(validating: try take(n, what), as: UTF8.self) else { throw .badValue("\(what) is not UTF-8") }
      return s
    }
    mutating func clusterName() throws(ArbiterWireError) -> String {
      let s = try string("cluster name")
      guard !s.isEmpty && s.utf8.count <= ArbiterWire.clusterNameBytesMax else { throw .badValue("cluster name '\(s)'") }
      return s
    }
    mutating func view() throws(ArbiterWireError) -> PartitionView {
      let epoch = try u64("view epoch")
      let coordinator = try u32("view coordinator")
      let incarnation = try u64("view incarnation")
      let n = try u16("member count")
      guard n >= 1 && n <= ArbiterWire.membersMax else { throw .badValue("\(n) members") }
      var members: [UInt32] = []
      for _ in 0..<n { members.append(try u32("member")) }
      return PartitionView(epoch: epoch, coordinator: coordinator, coordinatorIncarnation: incarnation, members: members)
    }
    func end() throws(ArbiterWireError) {
      guard at == bytes.count else { throw .badValue("\(bytes.count - at) trailing bytes") }
    }
  }
}
