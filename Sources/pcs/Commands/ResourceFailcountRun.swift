import CIB
import PolicyEngine

#if canImport(Glibc)
  import Glibc
#endif

/// One `fail-count-RSC[:CLONE]#OP_INTERVAL` attribute of a node, paired with its `last-failure-...`.
struct FailureRecord: Sendable, Equatable {
  var node: String
  var resource: String
  var operation: String
  /// Milliseconds, as written in the attribute name.
  var interval: String
  /// nil = INFINITY.
  var count: Int?
  var lastFailure: Int64
}

enum Failcounts {
  /// Every fail count in the status section, read from the PolicyEngine's unpacked node states.
  static func all(_ cib: CIBElement) -> [FailureRecord] {
    guard let input = try? CIBReader.read(cib, now: Int64(time(nil))) else { return [] }
    var out: [FailureRecord] = []
    for ns in input.nodeStates {
      guard let node = ns.uname else { continue }
      // failure name (RSC#OP_INTERVAL) -> (fail-count, last-failure)
      var byName: [String: (count: String?, last: String?)] = [:]
      for (name, value) in ns.transientAttributes {
        if name.hasPrefix("fail-count-") {
          byName[String(name.dropFirst("fail-count-".count)), default: (nil, nil)].count = value
        } else if name.hasPrefix("last-failure-") {
          byName[String(name.dropFirst("last-failure-".count)), default: (nil, nil)].last = value
        }
      }
      for name in byName.keys.sorted() {
        guard let hash = name.firstIndex(of: "#") else { continue }
        let resourceClone = name[..<hash]
        let opInterval = name[name.index(after: hash)...]
        guard let underscore = opInterval.lastIndex(of: "_") else { continue }
        let resource = resourceClone.split(separator: ":", maxSplits: 1).first.map(String.init) ?? String(resourceClone)
        let entry = byName[name]!
        let text = (entry.count ?? "0").uppercased()
        // A value pcs cannot read still means "there were failures": it counts as 1.
        let count: Int? = text == "INFINITY" ? nil : (Int(text) ?? 1)
        out.append(
          FailureRecord(
            node: node, resource: resource, operation: String(opInterval[..<underscore]),
            interval: String(opInterval[opInterval.index(after: underscore)...]), count: count,
            lastFailure: entry.last.flatMap { Int64($0) } ?? 0))
      }
    }
    return out
  }

  /// Sum of fail counts; INFINITY absorbs everything.
  static func total(_ records: [FailureRecord]) -> String {
    var sum = 0
    for r in records {
      guard let c = r.count else { return "INFINITY" }
      sum += c
    }
    return String(sum)
  }

  /// pcs's `timeout_to_seconds` for intervals: digits with an optional s/sec/m/min/h/hr suffix.
  static func intervalSeconds(_ s: String) -> Int? {
    Values.timeSeconds(s, units: Values.timeoutUnits).map { Int($0) }
  }
}

/// `pcs resource failcount [show [RSC] [node=N] [operation=OP [interval=I]]] [--full]`.
func runFailcount(_ cmd: some PcsCommand, words: [String], full: Bool) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  var words = words
  if words.first == "show" {
    words.removeFirst()
  } else if !words.isEmpty {
    throw .usage(ResourceCommand.self)
  }
  let resource = words.first.flatMap { $0.contains("=") ? nil : $0 }
  if resource != nil { words.removeFirst() }
  let pairs = try KeyValues.parse(words)
  let unknown = pairs.map(\.0).filter { !["node", "operation", "interval"].contains($0) }
  if unknown.count == 1 { throw .legacy("Unknown option '\(unknown[0])'") }
  if unknown.count > 1 { throw .legacy("Unknown options \(unknown.map { "'\($0)'" }.joined(separator: ", "))") }
  func option(_ name: String) -> String? { pairs.last { $0.0 == name }?.1 }
  let node = option("node")
  let operation = option("operation")
  let interval = option("interval")
  var errors: [String] = []
  if interval != nil && operation == nil {
    errors.append("If option 'interval' is specified, option 'operation' must be specified as well")
  }
  var intervalMs: String?
  if let interval {
    if let s = Failcounts.intervalSeconds(interval) {
      intervalMs = String(s * 1000)
    } else {
      errors.append("'\(interval)' is not a valid interval value, use time interval (e.g. 1, 2s, 3m, 4h, ...)")
    }
  }
  if !errors.isEmpty { throw PcsFailure(lines: errors.map { "Error: " + $0 }) }

  let cib = try CIBTarget.load(cmd.global)
  let records = Failcounts.all(cib).filter { r in
    (node == nil || r.node == node) && (resource == nil || r.resource == resource)
      && (operation == nil || r.operation == operation) && (intervalMs == nil || r.interval == intervalMs)
  }
  func headline(_ empty: Bool, _ rsc: String?) -> String {
    var parts = [empty ? "No failcounts" : "Failcounts"]
    if let operation {
      parts.append("for operation '\(operation)'")
      if let interval { parts.append("with interval '\(interval)'") }
    }
    if let rsc { parts += [operation != nil ? "of" : "for", "resource '\(rsc)'"] }
    if let node { parts.append("on node '\(node)'") }
    return parts.joined(separator: " ")
  }
  if cmd.global.outputAs == .json {
    Console.out(
      JSON.array(
        records.sorted { ($0.resource, $0.node, $0.operation, $0.interval) < ($1.resource, $1.node, $1.operation, $1.interval) }
          .map { r in
            JSON.object([
              ("resource", .string(r.resource)), ("node", .string(r.node)), ("operation", .string(r.operation)),
              ("interval_ms", .string(r.interval)), ("fail_count", r.count.map { .number($0) } ?? .string("INFINITY")),
              ("last_failure", .number(Int(r.lastFailure))),
            ])
          }
      ).render())
    return
  }
  if records.isEmpty {
    Console.out(headline(true, resource))
    return
  }
  var lines: [String] = []
  for rsc in Set(records.map(\.resource)).sorted() {
    lines.append(headline(false, rsc))
    let ofResource = records.filter { $0.resource == rsc }
    for n in Set(ofResource.map(\.node)).sorted() {
      let ofNode = ofResource.filter { $0.node == n }
      guard full else {
        lines.append("  \(n): \(Failcounts.total(ofNode))")
        continue
      }
      lines.append("  \(n):")
      for op in Set(ofNode.map(\.operation)).sorted() {
        let ofOp = ofNode.filter { $0.operation == op }
        for i in Set(ofOp.map(\.interval)).sorted() {
          lines.append("    \(op) \(i)ms: \(Failcounts.total(ofOp.filter { $0.interval == i }))")
        }
      }
    }
  }
  Console.out(lines.joined(separator: "\n"))
}

/// `pcs resource utilization [RSC [name=value]...]`: list, show or set a primitive's utilization.
func runResourceUtilization(_ cmd: some PcsCommand, words: [String]) throws(PcsFailure) {
  try cmd.rejectUnsupportedOptions(in: words)
  func utilization(_ e: CIBElement) -> [(name: String, value: String)] {
    // pcs reads the first utilization set only (no rules), sorted by name.
    (e.firstElement(named: "utilization").map(NVSets.pairs) ?? []).sorted { $0.name < $1.name }
  }
  func text(_ pairs: [(name: String, value: String)]) -> String {
    pairs.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
  }
  func render(_ rows: [(String, [(name: String, value: String)])]) {
    if cmd.global.outputAs == .json {
      Console.out(JSON.object(rows.map { ($0.0, JSON.object($0.1.map { ($0.name, .string($0.value)) })) }).render())
      return
    }
    Console.outRaw("Resource Utilization:\n" + rows.map { " \($0.0): \(text($0.1))\n" }.joined())
  }
  guard let id = words.first else {
    let cib = try CIBTarget.load(cmd.global)
    var rows: [(String, [(name: String, value: String)])] = []
    for p in Resources.primitives(cib) {
      let pairs = utilization(p)
      if !pairs.isEmpty, let pid = p.id { rows.append((pid, pairs)) }
    }
    render(rows.sorted { $0.0 < $1.0 })
    return
  }
  // pcs still accepts a stonith device here, with a deprecation warning printed before anything else.
  if let cib = try? CIBTarget.load(cmd.global), let path = Resources.find(id, in: cib), Resources.isStonith(cib[path: path]) {
    Console.err(
      "Deprecation Warning: Ability of this command to accept stonith resources is deprecated and will be removed in a future release.")
  }
  let pairs = try KeyValues.parse(Array(words.dropFirst()))
  for (k, v) in pairs where !v.isEmpty && !Values.isInteger(v) {
    throw .legacy("Value of utilization attribute must be integer: '\(k)=\(v)'")
  }
  func primitivePath(_ cib: CIBElement) throws(PcsFailure) -> ElementPath {
    guard let path = Resources.find(id, in: cib), cib[path: path].name == "primitive" else {
      throw .legacy("Unable to find a resource: \(id)")
    }
    return path
  }
  if pairs.isEmpty {
    let cib = try CIBTarget.load(cmd.global)
    let path = try primitivePath(cib)
    if cmd.global.outputAs == .json {
      render([(id, utilization(cib[path: path]))])
    } else {
      Console.outRaw("Resource Utilization:\n \(id): \(text(utilization(cib[path: path])))\n")
    }
    return
  }
  try CIBTarget.edit(cmd.global) { (cib: inout CIBElement) throws(PcsFailure) in
    let path = try primitivePath(cib)
    var ids = IdProvider(cib)
    let setPath: ElementPath
    if let i = cib[path: path].childIndex(named: "utilization") {
      setPath = path + [i]
    } else {
      if pairs.allSatisfy({ $0.1.isEmpty }) { return }
      let setId = ids.allocate(Ids.sanitize("\(id)-utilization"))
      cib.insert(CIBElement("utilization", ["id": setId]), into: path)
      setPath = path + [cib[path: path].children.count - 1]
    }
    NVSets.update(&cib, set: setPath, pairs: pairs, ids: &ids)
  }
}
