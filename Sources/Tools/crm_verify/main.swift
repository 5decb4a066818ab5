import CIB
import ControlProtocol
import Foundation
import PolicyEngine

// crm_verify: check a CIB the way Pacemaker 2.1.5's crm_verify does (schema-level checks from the CIB module,
// scheduler checks from PolicyEngine) and exit 0 when clean, 78 (CRM_EX_CONFIG) when errors or warnings exist.

func stderr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

var xmlFile: String?
var live = false
var verbosity = 0
var args = Array(CommandLine.arguments.dropFirst())
var i = 0
while i < args.count {
  let a = args[i]
  if a == "--xml-file" || a == "-x" {
    i += 1
    guard i < args.count else { stderr("crm_verify: option \(a) needs a file"); exit(64) }
    xmlFile = args[i]
  } else if a.hasPrefix("--xml-file=") {
    xmlFile = String(a.dropFirst("--xml-file=".count))
  } else if a == "--live-check" {
    live = true
  } else if a == "--verbose" {
    verbosity += 1
  } else if a.hasPrefix("-") && !a.hasPrefix("--") {
    var chars = Array(a.dropFirst())
    while !chars.isEmpty {
      let c = chars.removeFirst()
      switch c {
      case "V": verbosity += 1
      case "L": live = true
      case "x":
        if !chars.isEmpty { xmlFile = String(chars); chars = [] } else {
          i += 1
          guard i < args.count else { stderr("crm_verify: option -x needs a file"); exit(64) }
          xmlFile = args[i]
        }
      default: stderr("crm_verify: unknown option -\(c)"); exit(64)
      }
    }
  } else {
    stderr("crm_verify: unexpected argument \(a)"); exit(64)
  }
  i += 1
}
var liveText: String?
if live {
  if let f = ProcessInfo.processInfo.environment["CIB_file"] { xmlFile = f } else {
    // The running cluster's CIB, from the local clusterd (VIGIL_SOCKET, else /run/vigil/clusterd.sock).
    do {
      liveText = try ControlClient().send(.getCIB).cib
    } catch {
      // Pacemaker 2.1.5 exits 66 (CRM_EX_NOINPUT) with this message when no cluster is running.
      let socket = ProcessInfo.processInfo.environment["VIGIL_SOCKET"] ?? "/run/vigil/clusterd.sock"
      stderr("crm_verify: CIB query failed: Input file not available (no running clusterd at \(socket): \(error))")
      exit(66)
    }
    xmlFile = "live CIB"
  }
}
guard let path = xmlFile else { stderr("crm_verify: no input: use -x FILE or -L"); exit(64) }
// A file goes through the shared CIB loader (symlinks, DOCTYPE, limits, known schema); what the loader leaves to
// crm_verify (schema and unpack findings) is reported below.
var loaded: Result<CIBElement, CIBError>
do {
  if let liveText {
    loaded = .success(try CIBFile.parseDocument(Array(liveText.utf8), sourceName: path, check: .readable))
  } else if let root = try CIBFile.load(path, check: .readable) {
    loaded = .success(root)
  } else {
    stderr("crm_verify: Couldn't read \(path): No such file or directory")
    exit(66)
  }
} catch {
  if case .fileUnreadable = error {
    stderr("crm_verify: Couldn't read \(path): \(error)")
    exit(66)
  }
  loaded = .failure(error)
}

@MainActor func finish(errors: Bool, warnings: Bool) -> Never {
  if errors {
    stderr("crm_verify: Errors found during check: config not valid")
  } else if warnings {
    stderr("crm_verify: Warnings found during check: config may not be valid")
  } else {
    exit(0)
  }
  if verbosity == 0 { stderr("-V may provide more details") }
  exit(78)
}

let root: CIBElement
switch loaded {
case .success(let r): root = r
case .failure(let error):
  stderr("(filename2xml) \terror: Couldn't parse \(path): \(error)")
  finish(errors: true, warnings: false)
}

let schemaErrors = validateCIB(root).filter { $0.severity == .error && $0.kind.blocksWrites && !isUnpackLevelFinding($0.kind) }
if !schemaErrors.isEmpty {
  for issue in schemaErrors { stderr("\(path): element \(issue.element): validity error : \(issue.message)") }
  if verbosity > 0 { stderr("(main) \terror: CIB did not pass schema validation") }
  finish(errors: true, warnings: false)
}

let now = root[attribute: "execution-date"].flatMap { Int64($0) } ?? Int64(Date().timeIntervalSince1970)
let input: SchedulerInput
do {
  input = try CIBReader.read(root, now: now)
} catch {
  stderr("(main) \terror: \(path): \(error)")
  finish(errors: true, warnings: false)
}
let messages = verifyConfiguration(interpretStatus(input))
for m in messages where verbosity >= (m.verbose ? 2 : 1) { stderr(m.line) }
finish(errors: messages.contains { $0.severity == .error && $0.counts },
       warnings: messages.contains { $0.severity == .warning && $0.counts })
