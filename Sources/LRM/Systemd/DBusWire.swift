/// The D-Bus wire format (D-Bus specification, "Message Protocol"): the pure half of Vigil's D-Bus client.
///
/// Why our own: the LRM needs a handful of calls on systemd's manager (StartUnit, StopUnit, LoadUnit,
/// Properties.Get, ListUnits, ListUnitFiles, Reload) and one signal (JobRemoved). A small marshaller keeps
/// the build free of C libraries and lets tests round-trip every type without a bus. Bounded: signatures at
/// most 255 bytes, containers nested at most 32 deep, messages at most `DBusLimits.messageBytesMax`.

/// A D-Bus type, parsed from a signature.
public indirect enum DBusType: Sendable, Hashable {
  case byte, boolean, int16, uint16, int32, uint32, int64, uint64, double, string, objectPath, signature
  case unixFD, variant
  case array(DBusType)
  case structure([DBusType])
  case dictEntry(DBusType, DBusType)

  /// Alignment of the type's start on the wire.
  var alignment: Int {
    switch self {
    case .byte, .signature, .variant: 1
    case .int16, .uint16: 2
    case .boolean, .int32, .uint32, .string, .objectPath, .unixFD, .array: 4
    case .int64, .uint64, .double, .structure, .dictEntry: 8
    }
  }

  /// The type's signature text.
  public var signature: String {
    switch self {
    case .byte: "y"
    case .boolean: "b"
    case .int16: "n"
    case .uint16: "q"
    case .int32: "i"
    case .uint32: "u"
    case .int64: "x"
    case .uint64: "t"
    case .double: "d"
    case .string: "s"
    case .objectPath: "o"
    case .signature: "g"
    case .unixFD: "h"
    case .variant: "v"
    case .array(let e): "a" + e.signature
    case .structure(let m): "(" + m.map(\.signature).joined() + ")"
    case .dictEntry(let k, let v): "{" + k.signature + v.signature + "}"
    }
  }

  /// Parses a signature of zero or more complete types.
  public static func parse(_ signature: String) throws(DBusError) -> [DBusType] {
    let chars = Array(signature.utf8)
    guard chars.count <= 255 else { throw .badSignature(signature, reason: "longer than 255 bytes") }
    var i = 0
    var types: [DBusType] = []
    while i < chars.count { types.append(try parseOne(chars, &i, depth: 0, text: signature)) }
    return types
  }

  private static func parseOne(_ c: [UInt8], _ i: inout Int, depth: Int, text: String) throws(DBusError) -> DBusType {
    guard depth < 32 else { throw .badSignature(text, reason: "nested deeper than 32") }
    guard i < c.count else { throw .badSignature(text, reason: "incomplete type") }
    let ch = c[i]
    i += 1
    switch ch {
    case UInt8(ascii: "y"): return .byte
    case UInt8(ascii: "b"): return .boolean
    case UInt8(ascii: "n"): return .int16
    case UInt8(ascii: "q"): return .uint16
    case UInt8(ascii: "i"): return .int32
    case UInt8(ascii: "u"): return .uint32
    case UInt8(ascii: "x"): return .int64
    case UInt8(ascii: "t"): return .uint64
    case UInt8(ascii: "d"): return .double
    case UInt8(ascii: "s"): return .string
    case UInt8(ascii: "o"): return .objectPath
    case UInt8(ascii: "g"): return .signature
    case UInt8(ascii: "h"): return .unixFD
    case UInt8(ascii: "v"): return .variant
    case UInt8(ascii: "a"):
      if i < c.count, c[i] == UInt8(ascii: "{") {
        i += 1
        let key = try parseOne(c, &i, depth: depth + 1, text: text)
        guard key.alignment <= 8, !key.isContainer else { throw .badSignature(text, reason: "dict key must be basic") }
        let value = try parseOne(c, &i, depth: depth + 1, text: text)
        guard i < c.count, c[i] == UInt8(ascii: "}") else { throw .badSignature(text, reason: "unclosed '{'") }
        i += 1
        return .array(.dictEntry(key, value))
      }
      return .array(try parseOne(c, &i, depth: depth + 1, text: text))
    case UInt8(ascii: "("):
      var members: [DBusType] = []
      while i < c.count, c[i] != UInt8(ascii: ")") { members.append(try parseOne(c, &i, depth: depth + 1, text: text)) }
      guard i < c.count, !members.isEmpty else { throw .badSignature(text, reason: "empty or unclosed '('") }
      i += 1
      return .structure(members)
    default:
      throw .badSignature(text, reason: "unknown type code '\(Character(Unicode.Scalar(ch)))'")
    }
  }

  var isContainer: Bool {
    switch self {
    case .array, .structure, .dictEntry, .variant: true
    default: false
    }
  }
}

/// A D-Bus value. Arrays carry their element type so that an empty array still has a signature.
public indirect enum DBusValue: Sendable, Hashable {
  case byte(UInt8)
  case boolean(Bool)
  case int16(Int16)
  case uint16(UInt16)
  case int32(Int32)
  case uint32(UInt32)
  case int64(Int64)
  case uint64(UInt64)
  case double(Double)
  case string(String)
  case objectPath(String)
  case signature(String)
  case unixFD(UInt32)
  case variant(DBusValue)
  case array(DBusType, [DBusValue])
  case structure([DBusValue])
  case dictEntry(DBusValue, DBusValue)

  public var type: DBusType {
    switch self {
    case .byte: .byte
    case .boolean: .boolean
    case .int16: .int16
    case .uint16: .uint16
    case .int32: .int32
    case .uint32: .uint32
    case .int64: .int64
    case .uint64: .uint64
    case .double: .double
    case .string: .string
    case .objectPath: .objectPath
    case .signature: .signature
    case .unixFD: .unixFD
    case .variant: .variant
    case .array(let e, _): .array(e)
    case .structure(let m): .structure(m.map(\.type))
    case .dictEntry(let k, let v): .dictEntry(k.type, v.type)
    }
  }

  /// Convenience readers for replies: nil when the value has another type.
  public var stringValue: String? {
    switch self {
    case .string(let s), .objectPath(let s), .signature(let s): s
    case .variant(let v): v.stringValue
    default: nil
    }
  }
  public var uint32Value: UInt32? {
    switch self {
    case .uint32(let u): u
    case .variant(let v): v.uint32Value
    default: nil
    }
  }
  public var arrayElements: [DBusValue]? {
    if case .array(_, let e) = self { e } else { nil }
  }
  public var structMembers: [DBusValue]? {
    if case .structure(let m) = self { m } else { nil }
  }
}

/// Errors of the D-Bus client: malformed data, the bus refusing us, or a call answered with an error.
public enum DBusError: Error, Sendable, Equatable, CustomStringConvertible {
  case badSignature(String, reason: String)
  case malformed(String)
  case tooLarge(bytes: Int, max: Int)
  case connectFailed(path: String, errno: Int32)
  case authenticationFailed(String)
  case io(String, errno: Int32)
  case closed
  case timedOut(String)
  /// The peer answered a method call with an error message (name and first string argument).
  case remote(name: String, message: String)
  case unexpectedReply(String)

  public var description: String {
    switch self {
    case .badSignature(let s, let r): "bad D-Bus signature '\(s)': \(r)"
    case .malformed(let r): "malformed D-Bus message: \(r)"
    case .tooLarge(let b, let m): "D-Bus message of \(b) bytes exceeds the limit of \(m)"
    case .connectFailed(let p, let e): "cannot connect to D-Bus socket \(p): \(String(cString: strerror(e)))"
    case .authenticationFailed(let r): "D-Bus authentication failed: \(r)"
    case .io(let what, let e): "D-Bus \(what) failed: \(String(cString: strerror(e)))"
    case .closed: "D-Bus connection closed by the peer"
    case .timedOut(let what): "timed out waiting for \(what)"
    case .remote(let n, let m): m.isEmpty ? n : "\(n): \(m)"
    case .unexpectedReply(let r): "unexpected D-Bus reply: \(r)"
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Serialises values with D-Bus alignment rules. Offsets are relative to the message start, and the body
/// starts 8-aligned, so aligning relative to the buffer start is correct for both header and body.
struct DBusWriter {
  var bytes: [UInt8] = []

  mutating func pad(to alignment: Int) {
    while bytes.count % alignment != 0 { bytes.append(0) }
  }

  mutating func putLE<T: FixedWidthInteger>(_ v: T) {
    withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func write(_ value: DBusValue) {
    pad(to: value.type.alignment)
    switch value {
    case .byte(let v): bytes.append(v)
    case .boolean(let v): putLE(UInt32(v ? 1 : 0))
    case .int16(let v): putLE(v)
    case .uint16(let v): putLE(v)
    case .int32(let v): putLE(v)
    case .uint32(let v), .unixFD(let v): putLE(v)
    case .int64(let v): putLE(v)
    case .uint64(let v): putLE(v)
    case .double(let v): putLE(v.bitPattern)
    case .string(let s), .objectPath(let s):
      let utf8 = Array(s.utf8)
      putLE(UInt32(utf8.count))
      bytes.append(contentsOf: utf8)
      bytes.append(0)
    case .signature(let s):
      let utf8 = Array(s.utf8)
      bytes.append(UInt8(truncatingIfNeeded: utf8.count))
      bytes.append(contentsOf: utf8)
      bytes.append(0)
    case .variant(let inner):
      write(.signature(inner.type.signature))
      write(inner)
    case .array(let element, let items):
      let lengthAt = bytes.count
      putLE(UInt32(0))
      pad(to: element.alignment)
      let start = bytes.count
      for item in items { write(item) }
      let length = UInt32(bytes.count - start)
      withUnsafeBytes(of: length.littleEndian) { raw in
        for k in 0..<4 { bytes[lengthAt + k] = raw[k] }
      }
    case .structure(let members):
      for m in members { write(m) }
    case .dictEntry(let k, let v):
      write(k)
      write(v)
    }
  }
}

/// Reads values of known types; every length is checked against what remains.
struct DBusReader {
  let bytes: [UInt8]
  var offset: Int
  let bigEndian: Bool
  /// Offset of the message start: alignment is relative to it.
  let base: Int

  init(_ bytes: [UInt8], offset: Int = 0, bigEndian: Bool = false, base: Int = 0) {
    self.bytes = bytes
    self.offset = offset
    self.bigEndian = bigEndian
    self.base = base
  }

  mutating func align(_ alignment: Int) throws(DBusError) {
    let rel = offset - base
    let padded = (rel + alignment - 1) / alignment * alignment
    guard base + padded <= bytes.count else { throw .malformed("padding runs past the end") }
    offset = base + padded
  }

  mutating func take(_ n: Int) throws(DBusError) -> ArraySlice<UInt8> {
    guard n >= 0, offset + n <= bytes.count else { throw .malformed("value runs past the end") }
    defer { offset += n }
    return bytes[offset..<offset + n]
  }

  mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(DBusError) -> T {
    let slice = try take(MemoryLayout<T>.size)
    var v: T = 0
    for (k, b) in slice.enumerated() {
      if bigEndian { v = v << 8 | T(b) } else { v |= T(b) << (8 * k) }
    }
    return v
  }

  mutating func read(_ type: DBusType, depth: Int = 0) throws(DBusError) -> DBusValue {
    guard depth < 64 else { throw .malformed("values nested deeper than 64") }
    try align(type.alignment)
    switch type {
    case .byte: return .byte(try integer(UInt8.self))
    case .boolean:
      let v = try integer(UInt32.self)
      guard v <= 1 else { throw .malformed("boolean value \(v)") }
      return .boolean(v == 1)
    case .int16: return .int16(try integer(Int16.self))
    case .uint16: return .uint16(try integer(UInt16.self))
    case .int32: return .int32(try integer(Int32.self))
    case .uint32: return .uint32(try integer(UInt32.self))
    case .unixFD: return .unixFD(try integer(UInt32.self))
    case .int64: return .int64(try integer(Int64.self))
    case .uint64: return .uint64(try integer(UInt64.self))
    case .double: return .double(Double(bitPattern: try integer(UInt64.self)))
    case .string, .objectPath:
      let n = Int(try integer(UInt32.self))
      let s = try take(n)
      guard try take(1).first == 0 else { throw .malformed("string not NUL-terminated") }
      let text = String(decoding: s, as: UTF8.self)
      return type == .string ? .string(text) : .objectPath(text)
    case .signature:
      let n = Int(try integer(UInt8.self))
      let s = try take(n)
      guard try take(1).first == 0 else { throw .malformed("signature not NUL-terminated") }
      return .signature(String(decoding: s, as: UTF8.self))
    case .variant:
      guard case .signature(let sig) = try read(.signature, depth: depth + 1) else { throw .malformed("variant") }
      let types = try DBusType.parse(sig)
      guard types.count == 1 else { throw .malformed("variant signature '\(sig)' is not one type") }
      return .variant(try read(types[0], depth: depth + 1))
    case .array(let element):
      let n = Int(try integer(UInt32.self))
      guard n <= 1 << 26 else { throw .malformed("array of \(n) bytes exceeds 64 MiB") }
      try align(element.alignment)
      let end = offset + n
      guard end <= bytes.count else { throw .malformed("array runs past the end") }
      var items: [DBusValue] = []
      while offset < end { items.append(try read(element, depth: depth + 1)) }
      guard offset == end else { throw .malformed("array elements overrun its length") }
      return .array(element, items)
    case .structure(let members):
      var values: [DBusValue] = []
      for m in members { values.append(try read(m, depth: depth + 1)) }
      return .structure(values)
    case .dictEntry(let k, let v):
      return .dictEntry(try read(k, depth: depth + 1), try read(v, depth: depth + 1))
    }
  }
}

/// One D-Bus message: header fields and body.
public struct DBusMessage: Sendable, Equatable {
  public enum Kind: UInt8, Sendable {
    case methodCall = 1, methodReturn = 2, error = 3, signal = 4
  }
  public var kind: Kind
  public var flags: UInt8
  public var serial: UInt32
  public var path: String?
  public var interface: String?
  public var member: String?
  public var errorName: String?
  public var replySerial: UInt32?
  public var destination: String?
  public var sender: String?
  public var body: [DBusValue]

  /// Flag: no reply is expected.
  public static let noReplyExpected: UInt8 = 0x1

  public init(
    kind: Kind, serial: UInt32, flags: UInt8 = 0, path: String? = nil, interface: String? = nil,
    member: String? = nil, errorName: String? = nil, replySerial: UInt32? = nil, destination: String? = nil,
    sender: String? = nil, body: [DBusValue] = []
  ) {
    self.kind = kind
    self.flags = flags
    self.serial = serial
    self.path = path
    self.interface = interface
    self.member = member
    self.errorName = errorName
    self.replySerial = replySerial
    self.destination = destination
    self.sender = sender
    self.body = body
  }

  public static func methodCall(
    serial: UInt32, destination: String?, path: String, interface: String, member: String, body: [DBusValue] = []
  ) -> DBusMessage {
    DBusMessage(
      kind: .methodCall, serial: serial, path: path, interface: interface, member: member, destination: destination,
      body: body)
  }

  public var signature: String { body.map(\.type.signature).joined() }

  /// The little-endian wire form.
  public func encoded() -> [UInt8] {
    var bodyWriter = DBusWriter()
    for v in body { bodyWriter.write(v) }
    var fields: [DBusValue] = []
    func field(_ code: UInt8, _ v: DBusValue) { fields.append(.structure([.byte(code), .variant(v)])) }
    if let path { field(1, .objectPath(path)) }
    if let interface { field(2, .string(interface)) }
    if let member { field(3, .string(member)) }
    if let errorName { field(4, .string(errorName)) }
    if let replySerial { field(5, .uint32(replySerial)) }
    if let destination { field(6, .string(destination)) }
    if let sender { field(7, .string(sender)) }
    if !body.isEmpty { field(8, .signature(signature)) }
    var w = DBusWriter()
    w.bytes = [UInt8(ascii: "l"), kind.rawValue, flags, 1]
    w.putLE(UInt32(bodyWriter.bytes.count))
    w.putLE(serial)
    w.write(.array(.structure([.byte, .variant]), fields))
    w.pad(to: 8)
    w.bytes.append(contentsOf: bodyWriter.bytes)
    return w.bytes
  }

  /// Total length of the message whose first 16 bytes are `prefix`, or an error if they are not a header.
  static func totalLength(prefix: [UInt8], max: Int) throws(DBusError) -> Int {
    guard prefix.count >= 16 else { throw .malformed("short header") }
    let big: Bool
    switch prefix[0] {
    case UInt8(ascii: "l"): big = false
    case UInt8(ascii: "B"): big = true
    default: throw .malformed("endianness byte \(prefix[0])")
    }
    guard prefix[3] == 1 else { throw .malformed("protocol version \(prefix[3])") }
    var r = DBusReader(Array(prefix), offset: 4, bigEndian: big)
    let bodyLength = Int(try r.integer(UInt32.self))
    _ = try r.integer(UInt32.self)
    let fieldsLength = Int(try r.integer(UInt32.self))
    let headerLength = (16 + fieldsLength + 7) / 8 * 8
    let total = headerLength + bodyLength
    guard bodyLength <= max, fieldsLength <= max, total <= max else { throw .tooLarge(bytes: total, max: max) }
    return total
  }

  /// Decodes one whole message.
  public static func decode(_ bytes: [UInt8], max: Int = DBusLimits.default.messageBytesMax) throws(DBusError) -> DBusMessage {
    let total = try totalLength(prefix: Array(bytes.prefix(16)), max: max)
    guard bytes.count >= total else { throw .malformed("message shorter than its header says") }
    let big = bytes[0] == UInt8(ascii: "B")
    guard let kind = Kind(rawValue: bytes[1]) else { throw .malformed("message type \(bytes[1])") }
    var r = DBusReader(bytes, offset: 4, bigEndian: big)
    let bodyLength = Int(try r.integer(UInt32.self))
    let serial = try r.integer(UInt32.self)
    var m = DBusMessage(kind: kind, serial: serial, flags: bytes[2])
    guard case .array(_, let fields) = try r.read(.array(.structure([.byte, .variant]))) else {
      throw .malformed("header fields")
    }
    var signature = ""
    for f in fields {
      guard case .structure(let pair) = f, pair.count == 2, case .byte(let code) = pair[0],
        case .variant(let value) = pair[1]
      else { throw .malformed("header field") }
      switch code {
      case 1: m.path = value.stringValue
      case 2: m.interface = value.stringValue
      case 3: m.member = value.stringValue
      case 4: m.errorName = value.stringValue
      case 5: m.replySerial = value.uint32Value
      case 6: m.destination = value.stringValue
      case 7: m.sender = value.stringValue
      case 8: signature = value.stringValue ?? ""
      default: break  // unknown fields must be ignored
      }
    }
    try r.align(8)
    let bodyStart = r.offset
    guard bodyStart + bodyLength == total else { throw .malformed("body length does not match") }
    var body = DBusReader(Array(bytes[bodyStart..<total]), bigEndian: big)
    for t in try DBusType.parse(signature) { m.body.append(try body.read(t)) }
    guard body.offset == bodyLength else { throw .malformed("body longer than its signature '\(signature)'") }
    return m
  }
}

/// Bounds of a D-Bus connection.
public struct DBusLimits: Sendable, Equatable {
  /// Largest message accepted (the specification allows 128 MiB; systemd's replies here are far smaller).
  public var messageBytesMax: Int
  /// Messages that are neither the awaited reply nor a wanted signal, dropped while waiting; past this the
  /// wait fails rather than spin on a chatty bus.
  public var unrelatedMessagesMax: Int

  public init(messageBytesMax: Int = 16 << 20, unrelatedMessagesMax: Int = 100_000) {
    precondition(messageBytesMax >= 64 && unrelatedMessagesMax > 0)
    self.messageBytesMax = messageBytesMax
    self.unrelatedMessagesMax = unrelatedMessagesMax
  }

  public static let `default` = DBusLimits()
}
