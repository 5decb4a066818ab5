import CIB
import Foundation
import Processes

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes to standard error (through FileHandle: the C `stderr` global is not concurrency-safe in Swift 6).
func writeStderr(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

// bench-cib: parse and serialize time and peak memory for given CIB files, printed as key=value lines.
// Usage: bench-cib [--runs N] LABEL=FILE ...   (make bench-cib generates the inputs and calls this)
// Each case runs in a fresh child process (this binary with --one) so its peak RSS is its own.

func peakRSSKiB() -> Int {
  // VmHWM: the resident set's high-water mark of this process.
  guard let f = fopen("/proc/self/status", "r") else { return -1 }
  defer { fclose(f) }
  var line = [CChar](repeating: 0, count: 512)
  while fgets(&line, Int32(line.count), f) != nil {
    let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if s.hasPrefix("VmHWM:") {
      return Int(s.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? -1
    }
  }
  return -1
}

/// CPU time of this process, in ms: on a shared, loaded machine it says more about our code than wall time.
func cpuMs() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}

func ms(_ d: Duration) -> Double {
  Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

func fmt(_ x: Double) -> String {
  let r = (x * 10).rounded() / 10
  return String(r)
}

func measureOne(label: String, path: String, runs: Int) -> Int32 {
  let clock = ContinuousClock()
  let baselineKiB = peakRSSKiB()
  var parseMs: [Double] = []
  var serializeMs: [Double] = []
  var parseCpuMs: [Double] = []
  var serializeCpuMs: [Double] = []
  var bytes = 0
  var elements = 0
  var lastRoot = CIBElement("cib")
  for run in 0..<runs {
    let c0 = cpuMs()
    let t0 = clock.now
    let root: CIBElement
    do {
      root = try CIBXML.parse(fileAt: path)
    } catch {
      writeStderr("bench-cib: \(path): \(error)\n")
      return 1
    }
    let t1 = clock.now
    let c1 = cpuMs()
    let text = CIBXML.serializeBytes(root)
    let t2 = clock.now
    let c2 = cpuMs()
    parseCpuMs.append(c1 - c0)
    serializeCpuMs.append(c2 - c1)
    parseMs.append(ms(t1 - t0))
    serializeMs.append(ms(t2 - t1))
    bytes = text.count
    if elements == 0 { root.forEachDescendant { _ in elements += 1 } }
    if run == runs - 1 { lastRoot = root }  // keeping earlier trees would inflate peak RSS
  }
  parseMs.sort()
  serializeMs.sort()
  parseCpuMs.sort()
  serializeCpuMs.sort()
  var st = stat()
  _ = stat(path, &st)
  let p = "\(label)."
  print("\(p)file=\(path)")
  print("\(p)input_bytes=\(st.st_size)")
  print("\(p)elements=\(elements)")
  print("\(p)output_bytes=\(bytes)")
  print("\(p)runs=\(runs)")
  print("\(p)parse_ms_min=\(fmt(parseMs.first!)) \(p)parse_ms_median=\(fmt(parseMs[parseMs.count / 2]))")
  print("\(p)serialize_ms_min=\(fmt(serializeMs.first!)) \(p)serialize_ms_median=\(fmt(serializeMs[serializeMs.count / 2]))")
  print("\(p)parse_cpu_ms_min=\(fmt(parseCpuMs.first!)) \(p)parse_cpu_ms_median=\(fmt(parseCpuMs[parseCpuMs.count / 2]))")
  print("\(p)serialize_cpu_ms_min=\(fmt(serializeCpuMs.first!)) \(p)serialize_cpu_ms_median=\(fmt(serializeCpuMs[serializeCpuMs.count / 2]))")
  let peakParseKiB = peakRSSKiB()
  // Diff and patch at this size: every recorded operation (lrm_rsc_op) gets a new last-rc-change (1800000000) and every
  // tenth node_state loses its history; then the patch applied to the original must give the edited document.
  func touch(_ e: inout CIBElement, index: Int) {
    if e.name == "lrm_rsc_op" { e[attribute: "last-rc-change"] = "1800000000" }
    if e.name == "node_state", index % 10 == 0 {
      e.children = []
      return
    }
    for i in e.children.indices {
      guard case .element(var child) = e.children[i] else { continue }
      e.children[i] = .text("")
      touch(&child, index: i)
      e.children[i] = .element(child)
    }
  }
  var edited = lastRoot
  touch(&edited, index: 1)
  let d0 = clock.now
  let diff = CIBDiff(from: lastRoot, to: edited)
  let d1 = clock.now
  let patched = try? diff.apply(to: lastRoot)
  let d2 = clock.now
  guard patched == edited else {
    writeStderr("bench-cib: \(path): patch(old, diff(old, new)) != new\n")
    return 1
  }
  print("\(p)diff_operations=\(diff.operations.count) \(p)diff_ms=\(fmt(ms(d1 - d0))) \(p)patch_ms=\(fmt(ms(d2 - d1)))")
  print("\(p)peak_rss_with_diff_mib=\(fmt(Double(peakRSSKiB()) / 1024))")
  print("\(p)peak_rss_mib=\(fmt(Double(peakParseKiB) / 1024)) \(p)baseline_rss_mib=\(fmt(Double(baselineKiB) / 1024))")
  return 0
}

var args = Array(CommandLine.arguments.dropFirst())
var runs = 5
if args.first == "--runs", args.count > 1, let n = Int(args[1]), n > 0 {
  runs = n
  args.removeFirst(2)
}
if args.first == "--one", args.count == 3 {
  exit(measureOne(label: args[1], path: args[2], runs: runs))
}
if args.isEmpty {
  writeStderr("usage: bench-cib [--runs N] LABEL=FILE ...\n")
  exit(64)
}
var status: Int32 = 0
for spec in args {
  guard let eq = spec.firstIndex(of: "=") else {
    writeStderr("bench-cib: expected LABEL=FILE, got \(spec)\n")
    exit(64)
  }
  let label = String(spec[..<eq])
  let path = String(spec[spec.index(after: eq)...])
  // A child per case, so each peak RSS figure belongs to one input only.
  let child = ProcessRunner.runBlocking(
    "/proc/self/exe", ["--runs", String(runs), "--one", label, path],
    limits: ProcessLimits(timeout: .seconds(1800), outputBytesMax: 1 << 20))
  print(child.stdout, terminator: "")
  writeStderr(child.stderr)
  if !child.succeeded { status = 1 }
}
exit(status)
