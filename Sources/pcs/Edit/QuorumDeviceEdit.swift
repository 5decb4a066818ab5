import Membership

/// pcs 0.11.5's `quorum device add|update|remove` and `quorum device heuristics remove` as edits of corosync.conf's
/// syntax tree: everything outside `quorum` stays byte for byte, and the device section comes out in pcs's layout
/// (generic options sorted, `model`, `votes: 1` for ffsplit; then `net { ... }` and `heuristics { ... }`, options
/// sorted). `two_node` goes with a device (corosync refuses both) and comes back when the device is removed from a
/// two-node cluster without auto_tie_breaker, as pcs does. Errors are pcs's texts; nothing is written on any.
enum QuorumDeviceEdit {
  static let genericOptions = ["sync_timeout", "timeout"]
  static let netOptions = [
    "algorithm", "connect_timeout", "force_ip_version", "host", "keep_active_partition_tie_breaker", "port", "tie_breaker",
    "tls",
  ]
  static let heuristicsOptions = ["interval", "mode", "sync_timeout", "timeout"]

  /// `[generic options] [model MODEL [model options]] [heuristics [heuristics options]]`, split into its parts.
  struct Arguments {
    var generic: [(String, String)] = []
    var model: String?
    var modelOptions: [(String, String)] = []
    var heuristics: [(String, String)]?
  }

  static func parse(_ words: [String], modelNamed: Bool) throws(PcsFailure) -> Arguments {
    var a = Arguments()
    var part = 0  // 0 generic, 1 model, 2 heuristics
    var i = 0
    while i < words.count {
      let w = words[i]
      if w == "model" {
        guard part == 0 else { throw .legacy("'model' given twice") }
        part = 1
        if modelNamed {
          guard i + 1 < words.count else { throw .legacy("required quorum device option 'model' is missing") }
          a.model = words[i + 1]
          i += 1
        }
      } else if w == "heuristics" {
        part = 2
        a.heuristics = a.heuristics ?? []
      } else {
        guard let eq = w.firstIndex(of: "="), eq != w.startIndex else {
          throw .legacy("missing value of '\(w)' option")
        }
        let kv = (String(w[..<eq]), String(w[w.index(after: eq)...]))
        switch part {
        case 0: a.generic.append(kv)
        case 1: a.modelOptions.append(kv)
        default: a.heuristics!.append(kv)
        }
      }
      i += 1
    }
    return a
  }

  static func quorumIndex(_ root: ConfSection) -> Int? {
    root.entries.lastIndex { if case .section(let s) = $0 { return s.name == "quorum" } else { return false } }
  }

  static func device(of root: ConfSection) -> ConfSection? {
    guard let q = quorumIndex(root), case .section(let quorum) = root.entries[q] else { return nil }
    return quorum.sections(named: "device").last
  }

  /// Validation in pcs's order and words; every problem is reported, then the continue line.
  static func validate(_ a: Arguments, adding: Bool, force: Bool) throws(PcsFailure) {
    var errors: [String] = []
    for (k, _) in a.generic where !genericOptions.contains(k) {
      errors.append("invalid quorum device option '\(k)', allowed options are: \(quoted(genericOptions)), use --force to override")
    }
    if adding, let m = a.model, m != "net" {
      errors.append("'\(m)' is not a valid model value, use 'net', use --force to override")
    }
    let model = Dictionary(a.modelOptions, uniquingKeysWith: { $1 })
    for (k, _) in a.modelOptions where !netOptions.contains(k) {
      errors.append("invalid quorum device model option '\(k)', allowed options are: \(quoted(netOptions)), use --force to override")
    }
    if adding {
      for required in ["algorithm", "host"] where (model[required] ?? "").isEmpty {
        errors.append("required quorum device model option '\(required)' is missing")
      }
    }
    if let alg = model["algorithm"], !alg.isEmpty, !["ffsplit", "lms"].contains(alg) {
      errors.append("'\(alg)' is not a valid algorithm value, use 'ffsplit', 'lms', use --force to override")
    }
    if let tb = model["tie_breaker"], !tb.isEmpty, !["lowest", "highest"].contains(tb), UInt32(tb).map({ $0 == 0 }) ?? true {
      errors.append("'\(tb)' is not a valid tie_breaker value, use 'highest', 'lowest', valid node id, use --force to override")
    }
    for (k, v) in a.heuristics ?? [] where !heuristicsOptions.contains(k) && !(k.hasPrefix("exec_") && k.count > 5) {
      errors.append("invalid heuristics option '\(k)', allowed options are: \(quoted(heuristicsOptions)) and options matching patterns: 'exec_NAME', use --force to override")
      _ = v
    }
    if let mode = (a.heuristics ?? []).last(where: { $0.0 == "mode" })?.1, !mode.isEmpty, !["off", "on", "sync"].contains(mode) {
      errors.append("'\(mode)' is not a valid mode value, use 'off', 'on', 'sync', use --force to override")
    }
    if !errors.isEmpty && !force { throw .library(errors) }
  }

  static func quoted(_ names: [String]) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }

  /// The device section pcs writes for `add`.
  static func newDevice(_ a: Arguments) -> ConfSection {
    var d = ConfSection(name: "device")
    for (k, v) in a.generic.sorted(by: { $0.0 < $1.0 }) where !v.isEmpty { d.append(k, v) }
    d.append("model", a.model ?? "net")
    let model = Dictionary(a.modelOptions, uniquingKeysWith: { $1 })
    if model["algorithm"] == "ffsplit" { d.append("votes", "1") }
    var net = ConfSection(name: a.model ?? "net")
    for k in model.keys.sorted() where !model[k]!.isEmpty { net.append(k, model[k]!) }
    d.append(net)
    if let h = a.heuristics, !h.isEmpty {
      var hs = ConfSection(name: "heuristics")
      let opts = Dictionary(h, uniquingKeysWith: { $1 })
      for k in opts.keys.sorted() where !opts[k]!.isEmpty { hs.append(k, opts[k]!) }
      d.append(hs)
    }
    return d
  }

  /// Options of a section as an ordered map (last value wins), and the section rebuilt from one.
  static func options(_ s: ConfSection) -> [String: String] {
    var out: [String: String] = [:]
    for case .pair(let k, let v, _) in s.entries { out[k] = v }
    return out
  }

  /// A section's options in file order (a repeated key: its last value, at its first place).
  static func pairs(_ s: ConfSection) -> [(String, String)] {
    var out: [(String, String)] = []
    for case .pair(let k, let v, _) in s.entries {
      if let i = out.firstIndex(where: { $0.0 == k }) { out[i].1 = v } else { out.append((k, v)) }
    }
    return out
  }

  /// pcs's update of an option list: a given key keeps its place with its new value (an empty value removes it),
  /// keys not there yet follow, sorted.
  static func merged(_ current: [(String, String)], _ updates: [(String, String)]) -> [(String, String)] {
    var values: [String: String] = [:]
    for (k, v) in updates { values[k] = v }
    var out: [(String, String)] = []
    for (k, v) in current {
      guard let new = values.removeValue(forKey: k) else {
        out.append((k, v))
        continue
      }
      if !new.isEmpty { out.append((k, new)) }
    }
    for k in values.keys.sorted() where !values[k]!.isEmpty { out.append((k, values[k]!)) }
    return out
  }

  static func add(_ root: ConfSection, _ a: Arguments, nodeCount: Int) throws(PcsFailure) -> ConfSection {
    if device(of: root) != nil { throw .legacy("quorum device is already defined") }
    var root = root
    var quorum = ConfSection(name: "quorum")
    if let q = quorumIndex(root), case .section(let s) = root.entries[q] { quorum = s } else { quorum.append("provider", "corosync_votequorum") }
    quorum.entries.removeAll { if case .pair(let k, _, _) = $0 { return k == "two_node" } else { return false } }
    quorum.append(newDevice(a))
    put(quorum, into: &root)
    return root
  }

  static func update(_ root: ConfSection, _ a: Arguments) throws(PcsFailure) -> ConfSection {
    guard var d = device(of: root), let q = quorumIndex(root), case .section(var quorum) = root.entries[q] else {
      throw .legacy("no quorum device is defined in this cluster")
    }
    var genericUpdates = a.generic
    let modelName = options(d)["model"] ?? "net"
    let oldNet = d.sections(named: modelName).last ?? ConfSection(name: modelName)
    let net = merged(pairs(oldNet), a.modelOptions)
    if a.modelOptions.contains(where: { $0.0 == "algorithm" }) {
      genericUpdates.append(("votes", net.last { $0.0 == "algorithm" }?.1 == "ffsplit" ? "1" : ""))
    }
    var heuristics = d.sections(named: "heuristics").last.map(pairs)
    if let h = a.heuristics {
      let cur = merged(heuristics ?? [], h)
      heuristics = cur.isEmpty ? nil : cur
    }
    var device = ConfSection(name: "device")
    for (k, v) in merged(pairs(d), genericUpdates) { device.append(k, v) }
    var ns = ConfSection(name: modelName)
    for (k, v) in net { ns.append(k, v) }
    device.append(ns)
    if let heuristics {
      var hs = ConfSection(name: "heuristics")
      for (k, v) in heuristics { hs.append(k, v) }
      device.append(hs)
    }
    d = device
    quorum.entries = quorum.entries.map { if case .section(let s) = $0, s.name == "device" { return .section(d) } else { return $0 } }
    var root = root
    root.entries[q] = .section(quorum)
    return root
  }

  static func remove(_ root: ConfSection, nodeCount: Int) throws(PcsFailure) -> ConfSection {
    guard device(of: root) != nil, let q = quorumIndex(root), case .section(var quorum) = root.entries[q] else {
      throw .legacy("no quorum device is defined in this cluster")
    }
    var root = root
    quorum.entries.removeAll { if case .section(let s) = $0 { return s.name == "device" } else { return false } }
    let atb = options(quorum)["auto_tie_breaker"] == "1"
    if nodeCount == 2 && !atb && options(quorum)["two_node"] == nil {
      // pcs puts two_node right after the provider.
      let at = quorum.entries.firstIndex { if case .pair(let k, _, _) = $0 { return k == "provider" } else { return false } }
      quorum.entries.insert(.pair(key: "two_node", value: "1", line: 0), at: at.map { $0 + 1 } ?? 0)
    }
    root.entries[q] = .section(quorum)
    return root
  }

  static func removeHeuristics(_ root: ConfSection) throws(PcsFailure) -> ConfSection {
    guard var d = device(of: root), let q = quorumIndex(root), case .section(var quorum) = root.entries[q] else {
      throw .legacy("no quorum device is defined in this cluster")
    }
    guard !d.sections(named: "heuristics").isEmpty else { throw .legacy("no heuristics are defined") }
    var root = root
    d.entries.removeAll { if case .section(let s) = $0 { return s.name == "heuristics" } else { return false } }
    quorum.entries = quorum.entries.map { if case .section(let s) = $0, s.name == "device" { return .section(d) } else { return $0 } }
    root.entries[q] = .section(quorum)
    return root
  }

  private static func put(_ quorum: ConfSection, into root: inout ConfSection) {
    if let q = quorumIndex(root) { root.entries[q] = .section(quorum) } else { root.append(quorum) }
  }
}
