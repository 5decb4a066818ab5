import CIB

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// bench-model: time to decode the typed model from a parsed CIB tree, to encode it back, and to validate it,
// for each given file; printed as key=value lines (median of N runs, wall milliseconds).
// Usage: bench-model [--runs N] LABEL=FILE ...   (make bench-model generates the inputs and calls this)

func ms(_ d: Duration) -> Double {
  Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

/// CPU time of this process in ms: on a loaded, shared machine it says more about our code than wall time.
func cpuMs() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func fmt(_ x: Double) -> String { String((x * 10).rounded() / 10) }

var runs = 5
var cases: [(String, String)] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
  if a == "--runs", let n = args.popFirst().flatMap({ Int($0) }), n > 0 {
    runs = n
  } else if let eq = a.firstIndex(of: "=") {
    cases.append((String(a[..<eq]), String(a[a.index(after: eq)...])))
  } else {
    print("usage: bench-model [--runs N] LABEL=FILE ...")
    exit(2)
  }
}
if cases.isEmpty {
  print("usage: bench-model [--runs N] LABEL=FILE ...")
  exit(2)
}

let clock = ContinuousClock()
for (label, path) in cases {
  let root: CIBElement
  do { root = try CIBXML.parse(fileAt: path) } catch {
    print("bench-model: \(path): \(error)")
    exit(1)
  }
  var decode: [Double] = []
  var decodeCPU: [Double] = []
  var encode: [Double] = []
  var validate: [Double] = []
  var doc = CIBDocument(decoding: root)
  var issues = 0
  for _ in 0..<runs {
    let cpu0 = cpuMs()
    decode.append(ms(clock.measure { doc = CIBDocument(decoding: root) }))
    decodeCPU.append(cpuMs() - cpu0)
    var out = root
    encode.append(ms(clock.measure { out = doc.encoded() }))
    precondition(out == root, "round trip changed \(path)")
    validate.append(ms(clock.measure { issues = validateCIB(root).count }))
  }
  let ops = doc.status.nodeStates.reduce(0) { $0 + $1.lrmResources.reduce(0) { $0 + $1.operations.count } }
  print("case=\(label) primitives=\(doc.configuration.allPrimitives.count) constraints=\(doc.configuration.constraints.count) lrm_rsc_ops=\(ops) issues=\(issues) decode_ms=\(fmt(median(decode))) decode_cpu_ms=\(fmt(median(decodeCPU))) encode_ms=\(fmt(median(encode))) validate_ms=\(fmt(median(validate))) runs=\(runs)")
}
