/// corosync's `cs_error_t` as a Swift value: every client-library call returns one. Kept as its raw number plus a
/// name, so an error message says exactly what corosync said (`CS_ERR_TRY_AGAIN`, `CS_ERR_LIBRARY`, ...).
public struct CSError: Equatable, Hashable, Sendable, CustomStringConvertible {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let ok = CSError(rawValue: 1)
  public static let library = CSError(rawValue: 2)
  public static let tryAgain = CSError(rawValue: 6)
  public static let invalidParam = CSError(rawValue: 7)
  public static let badHandle = CSError(rawValue: 9)
  public static let access = CSError(rawValue: 11)
  public static let notExist = CSError(rawValue: 12)
  public static let tooBig = CSError(rawValue: 26)

  /// The constant's name in corotypes.h.
  public var name: String {
    switch rawValue {
    case 1: return "CS_OK"
    case 2: return "CS_ERR_LIBRARY"
    case 3: return "CS_ERR_VERSION"
    case 4: return "CS_ERR_INIT"
    case 5: return "CS_ERR_TIMEOUT"
    case 6: return "CS_ERR_TRY_AGAIN"
    case 7: return "CS_ERR_INVALID_PARAM"
    case 8: return "CS_ERR_NO_MEMORY"
    case 9: return "CS_ERR_BAD_HANDLE"
    case 10: return "CS_ERR_BUSY"
    case 11: return "CS_ERR_ACCESS"
    case 12: return "CS_ERR_NOT_EXIST"
    case 13: return "CS_ERR_NAME_TOO_LONG"
    case 14: return "CS_ERR_EXIST"
    case 15: return "CS_ERR_NO_SPACE"
    case 16: return "CS_ERR_INTERRUPT"
    case 17: return "CS_ERR_NAME_NOT_FOUND"
    case 18: return "CS_ERR_NO_RESOURCES"
    case 19: return "CS_ERR_NOT_SUPPORTED"
    case 20: return "CS_ERR_BAD_OPERATION"
    case 21: return "CS_ERR_FAILED_OPERATION"
    case 22: return "CS_ERR_MESSAGE_ERROR"
    case 23: return "CS_ERR_QUEUE_FULL"
    case 24: return "CS_ERR_QUEUE_NOT_AVAILABLE"
    case 25: return "CS_ERR_BAD_FLAGS"
    case 26: return "CS_ERR_TOO_BIG"
    case 27: return "CS_ERR_NO_SECTIONS"
    case 28: return "CS_ERR_CONTEXT_NOT_FOUND"
    case 30: return "CS_ERR_TOO_MANY_GROUPS"
    case 100: return "CS_ERR_SECURITY"
    default: return "cs_error_t(\(rawValue))"
    }
  }
  public var description: String { name }
}

/// Operating errors of the corosync backend. Each names the corosync call that failed and what it returned, so the
/// person reading the log knows whether corosync is down (`CS_ERR_LIBRARY` at initialize), refuses us
/// (`CS_ERR_ACCESS`: run as root or add a uidgid stanza), or is busy (`CS_ERR_TRY_AGAIN` past the retry limit).
public enum CorosyncError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A corosync library call returned something other than CS_OK.
  case call(String, CSError)
  /// A call kept returning CS_ERR_TRY_AGAIN past the retry limit.
  case retriesExhausted(String, retries: Int)
  /// corosync runs without a quorum provider (quorum_model_initialize reported QUORUM_FREE).
  case noQuorumProvider
  /// A payload larger than the configured (or corosync's) message size limit.
  case messageTooLarge(bytes: Int, limit: Int)
  /// The CPG group name does not fit corosync's 128-byte `cpg_name`.
  case badGroupName(String)
  /// An option outside its allowed range.
  case badOption(String)
  /// The connection to the local corosync daemon broke (dispatch failed or a descriptor hung up).
  case connectionLost(String)
  /// The backend was shut down; no more calls are possible.
  case shutDown
  /// The dispatch thread could not be started.
  case thread(Int32)

  public var description: String {
    switch self {
    case .call(let fn, let e): return "\(fn) failed: \(e.name)\(Self.hint(e))"
    case .retriesExhausted(let fn, let n): return "\(fn) still returned CS_ERR_TRY_AGAIN after \(n) retries"
    case .noQuorumProvider: return "corosync has no quorum provider (add `quorum { provider: corosync_votequorum }`)"
    case .messageTooLarge(let b, let l): return "message of \(b) bytes exceeds the \(l)-byte limit"
    case .badGroupName(let g): return "CPG group name '\(g)' must be 1 to 127 bytes"
    case .badOption(let m): return m
    case .connectionLost(let m): return "lost the connection to corosync: \(m)"
    case .shutDown: return "the corosync backend is shut down"
    case .thread(let rc): return "cannot start the corosync dispatch thread (pthread_create returned \(rc))"
    }
  }

  static func hint(_ e: CSError) -> String {
    switch e {
    case .library: return " (is corosync running on this node?)"
    case .access: return " (run as root, or allow this user with a uidgid stanza in corosync.conf)"
    default: return ""
    }
  }
}
