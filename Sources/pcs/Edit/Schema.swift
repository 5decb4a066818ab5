import CIB

/// The CIB's schema version as pcs reads it (`validate-with="pacemaker-X.Y"`), for features and names that
/// depend on it.
enum Schema {
  /// What pcs upgrades a CIB to when a command needs a newer schema (Pacemaker 2.1.5's newest).
  static let latest = "pacemaker-3.9"

  /// (major, minor) of `validate-with`; (0, 0) when it is not `pacemaker-X.Y`.
  static func version(of cib: CIBElement) -> (Int, Int) {
    let name = cib[attribute: "validate-with"] ?? ""
    guard name.hasPrefix("pacemaker-") else { return (0, 0) }
    let parts = name.dropFirst("pacemaker-".count).split(separator: ".")
    guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return (0, 0) }
    return (major, minor)
  }

  /// Promoted/Unpromoted as written in a CIB older than pacemaker-3.7 (Master/Slave), as pcs does.
  static func roleName(_ role: String, in cib: CIBElement) -> String {
    guard version(of: cib) < (3, 7) else { return role }
    switch role {
    case "Promoted": return "Master"
    case "Unpromoted": return "Slave"
    default: return role
    }
  }
}
