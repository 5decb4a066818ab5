import CIB
import Foundation
import ControlProtocol

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes to standard error (through FileHandle: the C `stderr` global is not concurrency-safe in Swift 6).
func writeStderr(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

// cibadmin: Pacemaker's CIB editing tool, for a CIB file (CIB_file=FILE) or Vigil's durable store
// (VIGIL_CIB_STORE=DIR). All decisions live in the CIB library (CIBEdit, CIBVersion, CIBStore); this file
// reads the environment and arguments, prints, and maps errors to Pacemaker's exit codes and messages.

/// Pacemaker's exit codes (crm_exit_t) that cibadmin uses.
enum CRMExit: Int32 {
  case ok = 0
  case usage = 64  // CRM_EX_USAGE
  case software = 70  // CRM_EX_SOFTWARE, what Pacemaker returns for "Invalid argument"
  case config = 78  // CRM_EX_CONFIG: unparsable or invalid XML
  case notConnected = 102  // CRM_EX_DISCONNECT
  case old = 103  // CRM_EX_OLD
  case noSuch = 105  // CRM_EX_NOSUCH
  case exists = 108  // CRM_EX_EXISTS
}

struct Failure: Error {
  var exit: CRMExit
  var lines: [String]
}

func printError(_ lines: [String]) {
  for line in lines { writeStderr(line + "\n") }
}

func callFailed(_ error: CIBError) -> Failure {
  switch error {
  case .notFound: Failure(exit: .noSuch, lines: ["Call failed: No such device or address (\(error))"])
  case .alreadyExists: Failure(exit: .exists, lines: ["Call failed: File exists (\(error))"])
  case .olderThanCurrent:
    Failure(exit: .old, lines: ["Call failed: Update was older than existing configuration (\(error))"])
  case .invalidRequest: Failure(exit: .software, lines: ["Call failed: Invalid argument (\(error))"])
  case .invalidVersion:
    Failure(exit: .config, lines: ["Call failed: Update does not conform to the configured schema (\(error))"])
  default: Failure(exit: .software, lines: ["Call failed: \(error)"])
  }
}

/// Where the CIB lives for this run.
enum Backend {
  case file(String)
  case store(CIBStore)
  /// The running cluster, through the local clusterd's socket (VIGIL_SOCKET, else /run/vigil/clusterd.sock).
  case live(ControlClient)

  static func fromEnvironment() throws(Failure) -> Backend {
    if let path = getenv("CIB_file").map({ String(cString: $0) }), !path.isEmpty { return .file(path) }
    if let dir = getenv("VIGIL_CIB_STORE").map({ String(cString: $0) }), !dir.isEmpty {
      return .store(CIBStore(directory: dir))
    }
    let client = ControlClient()
    if access(client.path, F_OK) == 0 { return .live(client) }
    throw Failure(
      exit: .notConnected,
      lines: [
        "Could not connect to the CIB: Transport endpoint is not connected "
          + "(this build edits files only: set CIB_file=FILE or VIGIL_CIB_STORE=DIR)",
        "Init failed, could not perform requested operations",
      ])
  }

  func load() throws(Failure) -> CIBElement {
    if case .live(let client) = self {
      let xml = try Backend.live(client, .getCIB).cib ?? ""
      do { return try CIBXML.parse(xml) } catch {
        throw Failure(exit: .software, lines: ["Call failed: the live CIB does not parse (\(error))"])
      }
    }
    do throws(CIBError) {
      switch self {
      case .file(let path):
        guard let root = try CIBFile.load(path, check: .editable) else {
          throw CIBError.fileUnreadable(path: path, reason: "No such file or directory")
        }
        return root
      case .store(let store):
        guard let loaded = try store.load() else {
          var empty = CIBEdit.emptyCIB()
          empty[attribute: "epoch"] = "0"
          return empty
        }
        for warning in loaded.warnings { writeStderr("cibadmin: warning: \(warning)\n") }
        return loaded.root
      case .live: preconditionFailure("handled above")
      }
    } catch {
      let exit: CRMExit
      switch error {
      case .fileUnreadable, .noValidVersion, .symlinkLoop: exit = .noSuch
      default: exit = .config
      }
      let reason = exit == .noSuch ? "No such device or address" : "Update does not conform to the configured schema"
      throw Failure(
        exit: exit,
        lines: ["Could not connect to the CIB: \(reason) (\(error))", "Init failed, could not perform requested operations"])
    }
  }

  static func live(_ client: ControlClient, _ request: ControlRequest) throws(Failure) -> ControlResponse {
    let response: ControlResponse
    do { response = try client.send(request) } catch {
      throw Failure(
        exit: .notConnected,
        lines: ["Could not connect to the CIB: \(error)", "Init failed, could not perform requested operations"])
    }
    if let e = response.error { throw Failure(exit: .software, lines: ["Call failed: \(e)"]) }
    return response
  }

  func save(_ root: CIBElement, base: CIBElement) throws(Failure) {
    if case .live(let client) = self {
      // The DC versions the write itself; `base` is what this edit started from (a concurrent change fails it).
      let adminEpoch = UInt64(base[attribute: "admin_epoch"] ?? "0") ?? 0
      let epoch = UInt64(base[attribute: "epoch"] ?? "0") ?? 0
      _ = try Backend.live(
        client, .replaceCIB(xml: CIBXML.serialize(root), baseAdminEpoch: adminEpoch, baseEpoch: epoch,
                            baseDigest: ConfigurationDigest.of(base)))
      return
    }
    do {
      switch self {
      case .file(let path): try CIBFile.write(root, to: path, mustExist: true)
      case .store(let store): try store.save(root)
      case .live: preconditionFailure("handled above")
      }
    } catch {
      throw Failure(exit: .software, lines: ["Call failed: \(error)"])
    }
  }
}

/// Refuses a write whose result has validation errors that the current CIB did not have (Pacemaker refuses
/// any result that fails its schema; a file that already had problems can still be edited, but not made worse).
func rejectNewValidationErrors(current: CIBElement, updated: CIBElement) throws(Failure) {
  let before = Set(validateCIB(current).filter { $0.severity == .error })
  let introduced = validateCIB(updated).filter { $0.severity == .error && !before.contains($0) }
  guard !introduced.isEmpty else { return }
  throw Failure(
    exit: .config,
    lines: ["Call failed: Update does not conform to the configured schema"] + introduced.map { "  \($0)" })
}

func readObject(_ source: CibadminOptions.XMLSource?, command: String) throws(Failure) -> CIBElement {
  guard let source else {
    throw Failure(
      exit: .software,
      lines: ["Call failed: Invalid argument (--\(command) needs an object: give -X XML, -x FILE or -p)"])
  }
  do {
    switch source {
    case .text(let text): return try CIBXML.parse(text, doctype: .refuse)
    case .file(let path): return try CIBXML.parse(fileAt: path, doctype: .refuse)
    case .stdin:
      var bytes: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 65536)
      while true {
        let n = read(0, &buffer, buffer.count)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
        if bytes.count > CIBXML.defaultInputBytesMax { break }
      }
      let result = bytes.withUnsafeBytes { b in
        Result { () throws(CIBError) in try CIBXML.parse(utf8: b, sourceName: "stdin", doctype: .refuse) }
      }
      return try result.get()
    }
  } catch {
    let from: String
    switch source {
    case .text: from = "input string"
    case .file(let path): from = path
    case .stdin: from = "stdin"
    }
    throw Failure(exit: .config, lines: ["Couldn't parse input from \(from): \(error)"])
  }
}

func run(_ arguments: [String]) throws(Failure) {
  let options: CibadminOptions
  do {
    options = try CibadminOptions.parse(arguments)
  } catch {
    throw Failure(exit: .usage, lines: ["cibadmin: \(error.message)", CibadminOptions.usage])
  }
  guard let command = options.command else {
    throw Failure(exit: .usage, lines: ["cibadmin: no command given", CibadminOptions.usage])
  }
  switch command {
  case .help:
    print(CibadminOptions.usage, terminator: "")
    return
  case .version:
    print("Vigil cibadmin (compatible with Pacemaker 2.1.5 for CIB files)")
    return
  case .empty:
    print(CIBXML.serialize(CIBEdit.emptyCIB()), terminator: "")
    return
  default: break
  }
  var section: CIBSection?
  if let scope = options.scope {
    guard let s = CIBSection(rawValue: scope) else {
      throw Failure(
        exit: .usage,
        lines: ["cibadmin: unknown section '\(scope)' for -o/--scope; valid: " + CIBSection.names.joined(separator: ", ")])
    }
    section = s
  }

  // Read the object before touching the CIB, so bad input never gets near it.
  var object: CIBElement?
  switch command {
  case .create: object = try readObject(options.xml, command: "create")
  case .modify: object = try readObject(options.xml, command: "modify")
  case .replace: object = try readObject(options.xml, command: "replace")
  case .delete: object = try readObject(options.xml, command: "delete")
  default: break
  }

  let backend = try Backend.fromEnvironment()
  let current = try backend.load()

  if command == .query {
    do {
      var element = try CIBEdit.query(current, section: section)
      if options.noChildren { element.children = [] }
      print(CIBXML.serialize(element), terminator: "")
    } catch {
      throw callFailed(error)
    }
    return
  }

  var updated = current
  do {
    switch command {
    case .create: try CIBEdit.create(object!, in: section, of: &updated)
    case .modify: try CIBEdit.modify(object!, in: section, allowCreate: options.allowCreate, of: &updated)
    case .replace: try CIBEdit.replace(object!, in: section, of: &updated)
    case .delete: try CIBEdit.delete(object!, in: section, of: &updated)
    case .bump:
      let v = try CIBVersion(of: updated)
      updated[attribute: "epoch"] = String(v.epoch + 1)
    default: preconditionFailure("unhandled command \(command)")
    }
    guard try CIBVersion.stamp(&updated, after: current) != .none else { return }
  } catch {
    throw callFailed(error)
  }
  try rejectNewValidationErrors(current: current, updated: updated)
  try backend.save(updated, base: current)
}

do {
  try run(Array(CommandLine.arguments.dropFirst()))
  exit(CRMExit.ok.rawValue)
} catch {
  printError(error.lines)
  exit(error.exit.rawValue)
}
