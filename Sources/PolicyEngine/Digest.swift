import Foundation

/// The digests Pacemaker stores on a history entry, computed with the scheduler's own digest code so that a
/// recorded entry never looks like a definition change to our scheduler.
///
/// op-digest: every parameter (CRM_meta_* dropped); recurring operations add CRM_meta_timeout, as Pacemaker's
/// pcmk__filter_op_for_digest keeps it. op-restart-digest: only the non-reloadable parameters (one-shot
/// operations of agents that support reload). op-secure-digest: the parameters minus the private ones.
public struct OperationDigests: Sendable, Equatable {
  public var opDigest: String
  public var restart: (list: String, digest: String)?
  public var secure: (list: String, digest: String)?

  public static func == (a: OperationDigests, b: OperationDigests) -> Bool {
    a.opDigest == b.opDigest && a.restart?.list == b.restart?.list && a.restart?.digest == b.restart?.digest
      && a.secure?.list == b.secure?.list && a.secure?.digest == b.secure?.digest
  }

  public init(_ op: RecordedOperation) {
    let params = op.parameters.filter { !$0.key.hasPrefix("CRM_meta_") }
    var main = params
    if op.intervalMs > 0, let t = op.timeoutMs { main["CRM_meta_timeout"] = String(t) }
    opDigest = OperationDigests.digest(main)
    if op.intervalMs == 0, let keep = op.restartParameters {
      let set = Set(keep)
      restart = (Self.listText(keep), OperationDigests.digest(params.filter { set.contains($0.key) }))
    }
    if let hidden = op.secureParameters, !hidden.isEmpty {
      let set = Set(hidden)
      secure = (Self.listText(hidden), OperationDigests.digest(params.filter { !set.contains($0.key) }))
    }
  }

  /// Pacemaker 2.1 writes parameter lists as "  a b  ".
  static func listText(_ names: [String]) -> String { "  " + names.joined(separator: " ") + "  " }
}

extension OperationDigests {
  /// Pacemaker's resource definition digest (`op-digest`): the MD5 of the parameters serialized as
  /// ` <parameters name="value" .../>\n`, names sorted bytewise, CRM_meta_* dropped except CRM_meta_timeout (which
  /// recurring operations add, as pcmk__filter_op_for_digest keeps it), as are id, crm_feature_set, op-digest and
  /// pcmk_external_ip.
  ///
  /// Why it exists: a running resource whose parameters changed since its last start must restart ("resource
  /// definition change"); comparing this digest with the recorded one is how the scheduler notices, and the
  /// status recorder writes the same digest so that a recorded entry never looks like a change.
  public static func digest(_ params: [String: String]) -> String {
    if params.isEmpty { return emptyDigest }
    return MD5.hex(Array(parameters(params).utf8))
  }

  /// Most resources of a large cluster share it; computed once.
  static let emptyDigest = MD5.hex(Array(parameters([:]).utf8))

  static func parameters(_ params: [String: String]) -> String {
    var s = " <parameters"
    for (k, v) in params.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
    where k == "CRM_meta_timeout" || (!k.hasPrefix("CRM_meta_") && k != "id" && k != "crm_feature_set"
      && k != "op-digest" && k != "pcmk_external_ip") {
      s += " \(k)=\"\(escape(v))\""
    }
    s += "/>\n"
    return s
  }

  static func escape(_ v: String) -> String {
    var out = ""
    for ch in v {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "\n": out += "&#10;"
      case "\r": out += "&#13;"
      case "\t": out += "&#9;"
      default: out.append(ch)
      }
    }
    return out
  }
}

/// MD5 (RFC 1321), only to reproduce Pacemaker's digests; never used for security.
enum MD5 {
  static let s: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                            5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                            4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                            6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
  static let k: [UInt32] = (0..<64).map { i in
    UInt32(truncatingIfNeeded: Int64(abs(sin(Double(i + 1))) * 4_294_967_296.0))
  }

  static func hex(_ message: [UInt8]) -> String {
    var a0: UInt32 = 0x6745_2301, b0: UInt32 = 0xefcd_ab89, c0: UInt32 = 0x98ba_dcfe, d0: UInt32 = 0x1032_5476
    var msg = message
    let bitLength = UInt64(message.count) &* 8
    msg.append(0x80)
    while msg.count % 64 != 56 { msg.append(0) }
    for i in 0..<8 { msg.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
    var m = [UInt32](repeating: 0, count: 16)
    for chunk in stride(from: 0, to: msg.count, by: 64) {
      for i in 0..<16 {
        let j = chunk + i * 4
        m[i] = UInt32(msg[j]) | UInt32(msg[j + 1]) << 8 | UInt32(msg[j + 2]) << 16 | UInt32(msg[j + 3]) << 24
      }
      var a = a0, b = b0, c = c0, d = d0
      for i in 0..<64 {
        var f: UInt32
        var g: Int
        switch i {
        case 0..<16: f = (b & c) | (~b & d); g = i
        case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
        case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
        default: f = c ^ (b | ~d); g = (7 * i) % 16
        }
        f = f &+ a &+ k[i] &+ m[g]
        a = d; d = c; c = b
        b = b &+ ((f << s[i]) | (f >> (32 - s[i])))
      }
      a0 = a0 &+ a; b0 = b0 &+ b; c0 = c0 &+ c; d0 = d0 &+ d
    }
    var out = ""
    for v in [a0, b0, c0, d0] {
      for i in 0..<4 {
        let byte = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))
        out += String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
      }
    }
    return out
  }
}
