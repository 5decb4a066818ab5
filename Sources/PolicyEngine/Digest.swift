import Crypto

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

/// MD5 as lowercase hex, only to reproduce Pacemaker's digests (never for security).
enum MD5 {
  static func hex(_ message: [UInt8]) -> String {
    let hexDigits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(32)
    for byte in Insecure.MD5.hash(data: message) {
      out.append(hexDigits[Int(byte >> 4)])
      out.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
