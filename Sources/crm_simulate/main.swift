import CIB
import Foundation
import PolicyEngine

// crm_simulate: run Vigil's scheduler on a CIB file and print what Pacemaker 2.1.5's crm_simulate prints.
// This shell only parses arguments, reads the file, and prints; every decision is in PolicyEngine.

struct Options {
  var xmlFile: String?
  var simulate = false
  var showScores = false
  var quiet = false
  var graphFile: String?
  var dotFile: String?
  var outputFile: String?
  var date: String?
}

func fail(_ message: String, code: Int32 = 64) -> Never {
  FileHandle.standardError.write(Data("crm_simulate: \(message)\n".utf8))
  exit(code)
}

func parseArguments(_ args: [String]) -> Options {
  var o = Options()
  var i = 0
  func value(_ name: String) -> String {
    i += 1
    guard i < args.count else { fail("option \(name) needs a value") }
    return args[i]
  }
  while i < args.count {
    let a = args[i]
    if a.hasPrefix("--") {
      let parts = a.split(separator: "=", maxSplits: 1).map(String.init)
      let name = parts[0]
      let inline = parts.count > 1 ? parts[1] : nil
      func v() -> String { inline ?? value(name) }
      switch name {
      case "--xml-file": o.xmlFile = v()
      case "--simulate", "--run": o.simulate = true
      case "--show-scores": o.showScores = true
      case "--quiet": o.quiet = true
      case "--save-graph": o.graphFile = v()
      case "--save-dotfile": o.dotFile = v()
      case "--save-output": o.outputFile = v()
      case "--set-datetime": o.date = v()
      case "--show-utilization", "--verbose", "--profile": break
      default: fail("unknown option \(name)")
      }
    } else if a.hasPrefix("-") && a.count > 1 {
      var chars = Array(a.dropFirst())
      while !chars.isEmpty {
        let c = chars.removeFirst()
        let rest = String(chars)
        func v() -> String {
          if !rest.isEmpty { chars = []; return rest }
          return value("-\(c)")
        }
        switch c {
        case "x": o.xmlFile = v()
        case "S", "R": o.simulate = true
        case "s": o.showScores = true
        case "Q": o.quiet = true
        case "G": o.graphFile = v()
        case "D": o.dotFile = v()
        case "O": o.outputFile = v()
        case "t": o.date = v()
        case "V", "L", "U", "P": break
        default: fail("unknown option -\(c)")
        }
      }
    } else {
      fail("unexpected argument \(a)")
    }
    i += 1
  }
  return o
}

let options = parseArguments(Array(CommandLine.arguments.dropFirst()))
guard let path = options.xmlFile else { fail("no input: use -x FILE (a CIB in XML)") }
guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
  fail("cannot read \(path)", code: 66)
}
let root: CIBElement
do {
  root = try CIBXML.parse(text)
} catch {
  fail("\(path) is not a valid CIB: \(error)", code: 65)
}

var now = Int64(Date().timeIntervalSince1970)
if let d = options.date {
  guard let t = parseISODate(d) else { fail("cannot parse date '\(d)'") }
  now = t
} else if let exec = root[attribute: "execution-date"], let t = Int64(exec) {
  now = t
}

let input: SchedulerInput
do {
  input = try CIBReader.read(root, now: now)
} catch {
  fail("\(path): \(error)", code: 65)
}
let result = schedule(input)

var out = ""
if options.simulate {
  out = simulationText(result, showScores: options.showScores, showCurrent: !options.quiet)
} else if options.showScores {
  out = scoreText(result).joined(separator: "\n") + "\n"
} else {
  out = simulationText(result, showScores: false, showCurrent: true)
}
FileHandle.standardOutput.write(Data(out.utf8))
if let g = options.graphFile {
  let xml = transitionGraphXML(result)
  do { try xml.write(toFile: g, atomically: true, encoding: .utf8) } catch { fail("cannot write \(g): \(error)", code: 73) }
}
if let d = options.dotFile {
  let dot = transitionGraphDot(result)
  do { try dot.write(toFile: d, atomically: true, encoding: .utf8) } catch { fail("cannot write \(d): \(error)", code: 73) }
}
exit(0)
