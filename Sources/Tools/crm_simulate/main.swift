import CIB
import Files
import Foundation
import PolicyEngine

// crm_simulate: run Vigil's scheduler on a CIB and print what Pacemaker 2.1.5's crm_simulate prints, with its
// what-if options (node up/down/fail, injected and failed operations, quorum, watchdog, date).
// This shell only parses arguments, reads and writes files, and prints; every decision is in PolicyEngine.

/// Exit codes as Pacemaker's crm_exit_t names them.
enum Exit {
  static let usage: Int32 = 64       // CRM_EX_USAGE
  static let dataError: Int32 = 65   // CRM_EX_DATAERR
  static let noInput: Int32 = 66     // CRM_EX_NOINPUT
  static let cantCreate: Int32 = 73  // CRM_EX_CANTCREAT
  static let noSuch: Int32 = 105     // CRM_EX_NOSUCH
}

struct Options {
  var xmlFile: String?
  var xmlPipe = false
  var live = false
  var simulate = false
  var run = false
  var inPlace = false
  var showScores = false
  var showUtilization = false
  var quiet = false
  var graphFile: String?
  var dotFile: String?
  var outputFile: String?
  var inputSaveFile: String?
  var date: String?
  var injections = Injections()
  var failures: [OperationSpec] = []
}

func fail(_ message: String, code: Int32 = Exit.usage) -> Never {
  FileHandle.standardError.write(Data("crm_simulate: \(message)\n".utf8))
  exit(code)
}

let usageText = """
  Usage: crm_simulate [OPTION...]
    -x, --xml-file=FILE        read the CIB from FILE          -p, --xml-pipe     read the CIB from stdin
    -L, --live-check           use the running cluster's CIB (needs clusterd)
    -R, --run                  show the actions the cluster would take
    -S, --simulate             like --run, and simulate them, showing the resulting status
    -X, --in-place             like --simulate, and store the result back into the input file
    -s, --show-scores          show allocation scores          -Q, --quiet        only essential output
    -u, --node-up=NODE   -d, --node-down=NODE   -f, --node-fail=NODE
    -i, --op-inject=RSC_TASK_INTERVAL@NODE=RC   -F, --op-fail=RSC_TASK_INTERVAL@NODE=RC
    -q, --quorum=BOOL    -w, --watchdog=BOOL    -t, --set-datetime=ISO8601
    -I, --save-input=FILE  -O, --save-output=FILE  -G, --save-graph=FILE  -D, --save-dotfile=FILE

  """

func parseArguments(_ args: [String]) -> Options {
  var o = Options()
  var i = 0
  func value(_ name: String) -> String {
    i += 1
    guard i < args.count else { fail("option \(name) needs a value") }
    return args[i]
  }
  func spec(_ text: String) -> OperationSpec {
    do { return try OperationSpec.parse(text) } catch { fail(error.description) }
  }
  func boolean(_ text: String, _ option: String) -> (String, Bool) {
    do { return (text, try parseSimulationBoolean(text, option: option)) } catch { fail(error.description) }
  }
  func apply(_ name: String, _ v: () -> String) {
    switch name {
    case "x", "xml-file": o.xmlFile = v()
    case "p", "xml-pipe": o.xmlPipe = true
    case "L", "live-check": o.live = true
    case "S", "simulate": o.simulate = true
    case "R", "run": o.run = true
    case "X", "in-place": o.inPlace = true; o.simulate = true
    case "s", "show-scores": o.showScores = true
    case "U", "show-utilization": o.showUtilization = true
    case "Q", "quiet": o.quiet = true
    case "G", "save-graph": o.graphFile = v()
    case "D", "save-dotfile": o.dotFile = v()
    case "O", "save-output": o.outputFile = v()
    case "I", "save-input": o.inputSaveFile = v()
    case "t", "set-datetime": o.date = v()
    case "u", "node-up": o.injections.nodesUp.append(v())
    case "d", "node-down": o.injections.nodesDown.append(v())
    case "f", "node-fail": o.injections.nodesFailed.append(v())
    case "i", "op-inject": o.injections.operations.append(spec(v()))
    case "F", "op-fail": o.failures.append(spec(v()))
    case "q", "quorum":
      let (t, b) = boolean(v(), "--quorum")
      o.injections.quorumText = t
      o.injections.quorumValue = b
    case "w", "watchdog":
      let (t, b) = boolean(v(), "--watchdog")
      o.injections.watchdogText = t
      o.injections.watchdogValue = b
    case "V", "verbose", "a", "all-actions", "A", "show-attrs", "c", "show-failcounts": break
    case "h", "help":
      FileHandle.standardOutput.write(Data(usageText.utf8))
      exit(0)
    case "$", "version":
      FileHandle.standardOutput.write(Data("Vigil crm_simulate (compatible with Pacemaker 2.1.5)\n".utf8))
      exit(0)
    case "g", "ticket-grant", "r", "ticket-revoke", "b", "ticket-standby", "e", "ticket-activate":
      fail("option \(name.count == 1 ? "-" : "--")\(name): ticket injections are not supported yet")
    case "P", "profile", "N", "repeat", "output-as", "output-to", "text-fancy":
      fail("option \(name.count == 1 ? "-" : "--")\(name) is not supported")
    default:
      fail("unknown option \(name.count == 1 ? "-" : "--")\(name) (see --help)")
    }
  }
  let takesValue: Set<Character> = ["x", "G", "D", "O", "I", "t", "u", "d", "f", "i", "F", "q", "w", "g", "r", "b", "e", "P", "N"]
  while i < args.count {
    let a = args[i]
    if a.hasPrefix("--") {
      let parts = a.dropFirst(2).split(separator: "=", maxSplits: 1).map(String.init)
      let name = parts.first ?? ""
      let inline = parts.count > 1 ? parts[1] : nil
      apply(name) { inline ?? value("--" + name) }
    } else if a.hasPrefix("-") && a.count > 1 {
      var chars = Array(a.dropFirst())
      while !chars.isEmpty {
        let c = chars.removeFirst()
        if takesValue.contains(c) {
          let rest = String(chars)
          chars = []
          apply(String(c)) { rest.isEmpty ? value("-\(c)") : rest }
        } else {
          apply(String(c)) { "" }
        }
      }
    } else {
      fail("unexpected argument '\(a)'")
    }
    i += 1
  }
  return o
}

func save(_ text: String, _ path: String) {
  do { try FileIO.writeAtomically(path: path, text: text, mode: 0o644) } catch {
    let reason = switch error {
    case .unwritable(_, let reason), .unreadable(_, let reason): reason
    case .tooLarge: error.description
    }
    fail("Could not create '\(path)': \(reason)", code: Exit.cantCreate)
  }
}

let options = parseArguments(Array(CommandLine.arguments.dropFirst()))
var sourcePath: String
// nil: read `sourcePath` through the shared CIB loader (symlinks, DOCTYPE, limits, known schema).
let text: String?
if options.live {
  let socket = ProcessInfo.processInfo.environment["VIGIL_SOCKET"] ?? "/run/vigil/clusterd.sock"
  guard let f = ProcessInfo.processInfo.environment["CIB_file"] else {
    fail("CIB query failed: Input file not available (-L/--live-check needs a running clusterd; no CIB_file set and "
         + "querying \(socket) is not supported yet: use -x FILE)", code: Exit.noInput)
  }
  sourcePath = f
  text = nil
} else if options.xmlPipe {
  sourcePath = "stdin"
  text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
} else if let path = options.xmlFile {
  sourcePath = path
  text = nil
} else {
  fail("no input: use -x FILE, -p (stdin) or -L (see --help)")
}
if options.inPlace && (options.live || options.xmlPipe) { fail("--in-place needs an input file (-x FILE)") }

// A run that writes the file back (--in-place) edits it, so it needs a CIB that passes validation.
let check: CIBFileCheck = options.inPlace ? .editable : .readable
let root: CIBElement
do {
  if let text {
    root = try CIBFile.parseDocument(Array(text.utf8), sourceName: sourcePath, check: check)
  } else if let loaded = try CIBFile.load(sourcePath, check: check) {
    root = loaded
  } else {
    fail("cannot read \(sourcePath): No such file or directory", code: Exit.noInput)
  }
} catch {
  if case .fileUnreadable = error { fail("cannot read \(sourcePath): \(error)", code: Exit.noInput) }
  fail("\(sourcePath) is not a valid CIB: \(error)", code: Exit.dataError)
}

var now = Int64(Date().timeIntervalSince1970)
if let d = options.date {
  guard let t = parseISODate(d) else { fail(SimulationError.invalidDate(d).description) }
  now = t
} else if let exec = root[attribute: "execution-date"], let t = Int64(exec) {
  now = t
}

var request = SimulationRequest()
request.injections = options.injections
request.failures = options.failures
request.simulate = options.simulate
request.quiet = options.quiet
request.showScores = options.showScores
request.record = options.outputFile != nil || options.inPlace
request.now = now
request.dateText = options.date
// With neither -R nor -S, Pacemaker prints only the current status (and scores with -s).
let onlyStatus = !options.simulate && !options.run
let output: SimulationOutput
do {
  output = try runSimulation(root, request)
} catch let e as SimulationError {
  switch e {
  case .unknownNode, .unknownResource: fail(e.description, code: Exit.noSuch)
  default: fail(e.description)
  }
} catch {
  fail("\(sourcePath): \(error)", code: Exit.dataError)
}

var out = output.text
if onlyStatus {
  // Keep what comes before the transition summary: current status, modifications, scores.
  if let r = out.range(of: "Transition Summary:\n") { out = String(out[..<r.lowerBound]) }
  while out.hasSuffix("\n\n") { out.removeLast() }
  if options.showScores && !options.quiet && options.injections.isEmpty {
    // Pacemaker's -s alone prints the scores only (the corpus .scores format).
    out = scoreText(output.result).joined(separator: "\n") + "\n"
  }
}
if options.inputSaveFile != nil || options.outputFile != nil || options.graphFile != nil || options.dotFile != nil || options.inPlace {
  // All artifacts are built before any is written, so a failure leaves none half-done.
  if let f = options.inputSaveFile {
    var injected = root
    _ = try? applyInjections(&injected, options.injections, now: now)
    save(CIBXML.serialize(injected), f)
  }
  if let g = options.graphFile { save(transitionGraphXML(output.result, output.graph), g) }
  if let d = options.dotFile { save(transitionGraphDot(output.result, output.graph), d) }
  if let o = options.outputFile { save(CIBXML.serialize(output.cib), o) }
  if options.inPlace {
    // Through the shared writer: a symlink's target is replaced, and a file removed since it was read is an error.
    do { try CIBFile.write(output.cib, to: sourcePath, mustExist: true) } catch {
      fail("Could not update '\(sourcePath)': \(error)", code: Exit.cantCreate)
    }
  }
}
FileHandle.standardOutput.write(Data(out.utf8))
exit(0)
