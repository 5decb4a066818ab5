/// A section of the CIB that `cibadmin -o/--scope` can name.
///
/// Why it exists: tools address the CIB by section name; this maps each name to where the element lives
/// (status directly under `<cib>`, everything else under `<configuration>`), in one place.
public enum CIBSection: String, CaseIterable, Sendable {
  case configuration
  case nodes
  case resources
  case constraints
  case crmConfig = "crm_config"
  case rscDefaults = "rsc_defaults"
  case opDefaults = "op_defaults"
  case acls
  case fencingTopology = "fencing-topology"
  case tags
  case alerts
  case status

  /// Element names from the `<cib>` root down to this section's element.
  public var path: [String] {
    switch self {
    case .configuration, .status: [rawValue]
    default: ["configuration", rawValue]
    }
  }

  /// The names accepted by `-o`, in Pacemaker's order of listing.
  public static var names: [String] { allCases.map(\.rawValue) }
}

extension CIBElement {
  /// The element of `section`, if the document has it.
  public func element(of section: CIBSection) -> CIBElement? {
    var current = self
    for name in section.path {
      guard let next = current.firstElement(named: name) else { return nil }
      current = next
    }
    return current
  }
}
