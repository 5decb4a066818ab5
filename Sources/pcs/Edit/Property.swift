import CIB

/// Pacemaker's cluster options as pcs 0.11.5 validates them (from pacemaker-based/-controld/-schedulerd
/// metadata of Pacemaker 2.1.5): the type decides the check and the error wording.
enum ClusterOptionType: Sendable, Equatable {
  case boolean, integer, time, percentage, string
  case select([String])
}

enum ClusterOptions {
  static let table: [(name: String, type: ClusterOptionType, defaultValue: String)] = [
    ("batch-limit", .integer, "0"),
    ("cluster-delay", .time, "60s"),
    ("cluster-infrastructure", .string, "corosync"),
    ("cluster-ipc-limit", .integer, "500"),
    ("cluster-name", .string, ""),
    ("cluster-recheck-interval", .time, "15min"),
    ("concurrent-fencing", .boolean, "false"),
    ("dc-deadtime", .time, "20s"),
    ("dc-version", .string, "none"),
    ("election-timeout", .time, "2min"),
    ("enable-acl", .boolean, "false"),
    ("enable-startup-probes", .boolean, "true"),
    ("fence-reaction", .string, "stop"),
    ("have-watchdog", .boolean, "false"),
    ("join-finalization-timeout", .time, "30min"),
    ("join-integration-timeout", .time, "3min"),
    ("load-threshold", .percentage, "80%"),
    ("maintenance-mode", .boolean, "false"),
    ("migration-limit", .integer, "-1"),
    ("no-quorum-policy", .select(["stop", "freeze", "ignore", "demote", "suicide"]), "stop"),
    ("node-action-limit", .integer, "0"),
    ("node-health-base", .integer, "0"),
    ("node-health-green", .integer, "0"),
    ("node-health-red", .integer, "-INFINITY"),
    ("node-health-strategy", .select(["none", "migrate-on-red", "only-green", "progressive", "custom"]), "none"),
    ("node-health-yellow", .integer, "0"),
    ("pe-error-series-max", .integer, "-1"),
    ("pe-input-series-max", .integer, "4000"),
    ("pe-warn-series-max", .integer, "5000"),
    ("placement-strategy", .select(["default", "utilization", "minimal", "balanced"]), "default"),
    ("priority-fencing-delay", .time, "0"),
    ("remove-after-stop", .boolean, "false"),
    ("shutdown-escalation", .time, "20min"),
    ("shutdown-lock", .boolean, "false"),
    ("shutdown-lock-limit", .time, "0"),
    ("start-failure-is-fatal", .boolean, "true"),
    ("startup-fencing", .boolean, "true"),
    ("stonith-action", .select(["reboot", "off", "poweroff"]), "reboot"),
    ("stonith-enabled", .boolean, "true"),
    ("stonith-max-attempts", .integer, "10"),
    ("stonith-timeout", .time, "60s"),
    ("stonith-watchdog-timeout", .time, "0"),
    ("stop-all-resources", .boolean, "false"),
    ("stop-orphan-actions", .boolean, "true"),
    ("stop-orphan-resources", .boolean, "true"),
    ("symmetric-cluster", .boolean, "true"),
    ("transition-delay", .time, "0s"),
  ]

  /// Set by the cluster itself; pcs refuses them even with --force.
  static let readOnly: Set<String> = [
    "cluster-infrastructure", "cluster-name", "dc-version", "have-watchdog", "last-lrm-refresh",
  ]

  static func type(of name: String) -> ClusterOptionType? { table.first { $0.name == name }?.type }

  static var allowedList: String {
    table.map(\.name).filter { !readOnly.contains($0) }.map { "'\($0)'" }.joined(separator: ", ")
  }

  static let booleanWords = ["0", "1", "false", "n", "no", "off", "on", "true", "y", "yes"]

  /// nil when `value` fits `type`, else the "use ..." part of pcs's message.
  static func problem(_ value: String, _ type: ClusterOptionType) -> String? {
    switch type {
    case .string: return nil
    case .boolean:
      if booleanWords.contains(value.lowercased()) { return nil }
      return "use a pacemaker boolean value: " + booleanWords.map { "'\($0)'" }.joined(separator: ", ")
    case .integer:
      if Values.isInteger(value) || Values.isInfinity(value) { return nil }
      return "use an integer or INFINITY or -INFINITY"
    case .time:
      if Values.timeSeconds(value) != nil { return nil }
      return "use time interval (e.g. 1, 2s, 3m, 4h, ...)"
    case .percentage:
      if value.hasSuffix("%"), value.count > 1, value.dropLast().allSatisfy(\.isASCIINumber) { return nil }
      return "use a non-negative integer followed by '%' (e.g. 0%, 50%, 200%, ...)"
    case .select(let options):
      if options.contains(value) { return nil }
      return "use " + options.sorted().map { "'\($0)'" }.joined(separator: ", ")
    }
  }
}

extension Character {
  var isASCIINumber: Bool { isASCII && isNumber }
}

/// Value checks shared by several commands.
enum Values {
  static func isInteger(_ s: String) -> Bool {
    var t = Substring(s)
    if t.first == "+" || t.first == "-" { t = t.dropFirst() }
    return !t.isEmpty && t.allSatisfy(\.isASCIINumber)
  }

  static func isInfinity(_ s: String) -> Bool { ["INFINITY", "+INFINITY", "-INFINITY"].contains(s) }

  /// pcs's `is_score`: optional sign, then INFINITY or digits.
  static func isScore(_ s: String) -> Bool { isInteger(s) || isInfinity(s) }

  /// The units pcs's `timeout_to_seconds` accepts after the digits.
  static let timeoutUnits: Set<Substring> = ["", "s", "sec", "m", "min", "h", "hr"]

  /// Seconds of a time written as pcs accepts it: digits, then one of `units` and nothing else (pcs is stricter
  /// than Pacemaker: no blanks, no fractions). The value is the CIB module's (Pacemaker's) reading of the text.
  static func timeSeconds(
    _ s: String, units: Set<Substring> = timeoutUnits.union(["ms", "msec", "us", "usec"])
  ) -> Double? {
    let digits = s.prefix { $0.isASCIINumber }
    guard !digits.isEmpty, units.contains(s.dropFirst(digits.count)), let ms = try? Milliseconds(time: s) else {
      return nil
    }
    return Double(ms.value) / 1000
  }
}

/// `property set/unset`: edits `cib-bootstrap-options`.
enum PropertyEdit {
  static let setId = "cib-bootstrap-options"

  static func apply(_ cib: inout CIBElement, pairs: [(String, String)], unset: Bool, force: Bool) throws(PcsFailure) {
    var report = Report(force: force)
    // Names: read-only ones are refused outright, unknown ones can be forced.
    let names = pairs.map(\.0)
    if !unset {
      let readOnly = names.filter { ClusterOptions.readOnly.contains($0) }
      let unknown = names.filter { !ClusterOptions.readOnly.contains($0) && ClusterOptions.type(of: $0) == nil }
      if !readOnly.isEmpty {
        report.error(invalidOptions(readOnly))
      }
      if !unknown.isEmpty {
        report.forceable(invalidOptions(unknown))
      }
      for (name, value) in pairs where !value.isEmpty {
        if let type = ClusterOptions.type(of: name), !ClusterOptions.readOnly.contains(name),
          let use = ClusterOptions.problem(value, type)
        {
          report.forceable("'\(value)' is not a valid \(name) value, \(use)")
        }
      }
    }
    let crmConfig = Section.path("crm_config", &cib)
    let existingSet = cib[path: crmConfig].indexedElements.first {
      $0.element.name == "cluster_property_set" && $0.element.id == setId
    }
    // Removing a property that is not set is an error pcs lets --force through.
    for (name, value) in pairs where value.isEmpty {
      let present = existingSet.map { NVSets.pairs($0.element).contains { $0.name == name } } ?? false
      if !present {
        report.forceable("Cannot remove property '\(name)', it is not present in property set '\(setId)'")
      }
    }
    try report.check()
    var ids = IdProvider(cib)
    let setPath: ElementPath
    if let existingSet {
      setPath = crmConfig + [existingSet.index]
    } else {
      if pairs.allSatisfy({ $0.1.isEmpty }) { return }
      cib.insert(CIBElement("cluster_property_set", ["id": setId]), into: crmConfig, at: 0)
      ids.book(setId)
      setPath = crmConfig + [0]
    }
    NVSets.update(&cib, set: setPath, pairs: pairs, ids: &ids)
  }

  static func invalidOptions(_ names: [String]) -> String {
    let sorted = names.sorted()
    if sorted.count == 1 {
      return "invalid cluster property option '\(sorted[0])', allowed options are: \(ClusterOptions.allowedList)"
    }
    let list = sorted.map { "'\($0)'" }.joined(separator: ", ")
    return "invalid cluster property options: \(list), allowed options are: \(ClusterOptions.allowedList)"
  }

  /// `property config` lines: the set's pairs sorted by name.
  static func configured(_ cib: CIBElement) -> [(name: String, value: String)] {
    guard let crm = Section.find("crm_config", in: cib) else { return [] }
    let set = crm.elements(named: "cluster_property_set").first { $0.id == setId }
    return (set.map(NVSets.pairs) ?? []).sorted { $0.name < $1.name }
  }
}
