import CIB
import PolicyEngine

#if canImport(Glibc)
  import Glibc
#endif

/// Sections `pcs cluster cib scope=...` accepts (pcs 0.11.5's list).
let cibScopes = [
  "acls", "alerts", "configuration", "constraints", "crm_config", "fencing-topology", "nodes", "op_defaults",
  "resources", "rsc_defaults", "tags",
]

/// `pcs cluster cib [FILE] [scope=SCOPE | --config]`: the CIB (or one section of it) as cibadmin prints it,
/// on stdout or into FILE.
func runClusterCIB(_ cmd: some PcsCommand, words: [String]) throws(PcsFailure) {
  var file: String?
  var scope: String?
  var config = false
  for w in words {
    if w == "--config" {
      config = true
    } else if w.hasPrefix("scope=") {
      scope = String(w.dropFirst("scope=".count))
    } else if w.hasPrefix("--") {
      try cmd.rejectUnsupportedOptions(in: [w])
    } else if file == nil {
      file = w
    } else {
      throw .usage(ClusterCommand.self)
    }
  }
  if config && scope != nil { throw .legacy("Cannot specify both scope and --config") }
  if config { scope = "configuration" }
  if let scope, !cibScopes.contains(scope) { throw .legacy("invalid CIB scope '\(scope)'") }
  let cib = try CIBTarget.load(cmd.global)
  var element = cib
  if let scope {
    var found: CIBElement?
    if scope == "configuration" {
      found = cib.firstElement(named: "configuration")
    } else {
      found = cib.firstElement(named: "configuration")?.firstElement(named: scope)
    }
    guard let found else {
      throw .legacy("unable to get cib, scope '\(scope)' not present in cib")
    }
    element = found
  }
  var bytes = CIBXML.serializeBytes(element)
  if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
  guard let file else {
    Console.outRaw(String(decoding: bytes, as: UTF8.self))
    return
  }
  do {
    try CIBFile.write(element, to: file)
  } catch {
    throw .legacy("Unable to write to file '\(file)', \(error)")
  }
}

/// `pcs cluster verify [--full]`: crm_verify's checks (schema from the CIB module, scheduler findings from
/// the PolicyEngine's `verifyConfiguration`), reported the way pcs wraps crm_verify: nothing and exit 0 when
/// clean; else `invalid cib:` with crm_verify's stderr (`-VV` with `--full`) and exit 1.
func runClusterVerify(_ cmd: some PcsCommand, words: [String], full: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  if !words.isEmpty { throw .usage(ClusterCommand.self) }
  let cib = try CIBTarget.load(cmd.global)
  let findings = CIBVerification.check(cib, path: cmd.global.file ?? "cib.xml", verbosity: full ? 2 : 0)
  guard let summary = findings.summary else { return }
  var stderr = findings.lines + [summary]
  if !full { stderr.append("") }
  var lines = ["Error: invalid cib:"] + stderr + [""]
  if !full { lines += ["Use --full for more details."] }
  throw PcsFailure(lines: lines + [PcsFailure.continueLine])
}

/// What crm_verify prints on stderr for a CIB at a verbosity (0 = no -V), without the trailing hint.
enum CIBVerification {
  struct Findings {
    var lines: [String]
    /// crm_verify's last line, or nil when the configuration is clean.
    var summary: String?
  }

  static func check(_ cib: CIBElement, path: String, verbosity: Int) -> Findings {
    let schemaErrors = validateCIB(cib).filter { $0.severity == .error && $0.kind.blocksWrites }
    if !schemaErrors.isEmpty {
      var lines = schemaErrors.map { "\(path): element \($0.element): validity error : \($0.message)" }
      if verbosity > 0 { lines.append("(main) \terror: CIB did not pass schema validation") }
      return Findings(lines: lines, summary: "crm_verify: Errors found during check: config not valid")
    }
    let now = Int64(time(nil))
    let input: SchedulerInput
    do {
      input = try CIBReader.read(cib, now: now)
    } catch {
      return Findings(
        lines: verbosity > 0 ? ["(main) \terror: \(path): \(error)"] : [],
        summary: "crm_verify: Errors found during check: config not valid")
    }
    let messages = verifyConfiguration(interpretStatus(input))
    let lines = messages.filter { verbosity >= ($0.verbose ? 2 : 1) }.map(\.line)
    if messages.contains(where: { $0.severity == .error && $0.counts }) {
      return Findings(lines: lines, summary: "crm_verify: Errors found during check: config not valid")
    }
    if messages.contains(where: { $0.severity == .warning && $0.counts }) {
      return Findings(lines: lines, summary: "crm_verify: Warnings found during check: config may not be valid")
    }
    return Findings(lines: lines, summary: nil)
  }
}
