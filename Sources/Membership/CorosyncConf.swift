import Files

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An error in a corosync.conf file, always naming the line (1-based) so a person can fix the input.
public enum CorosyncConfError: Error, Equatable, Sendable, CustomStringConvertible {
  case unexpectedClosingBrace(line: Int)
  case unclosedSection(name: String, openedAtLine: Int)
  case malformedLine(line: Int, text: String)
  case emptyKey(line: Int)
  case invalidValue(line: Int, key: String, value: String, expected: String)
  case missingKey(section: String, key: String, line: Int)
  case duplicateNodeID(line: Int, nodeID: UInt32)
  case duplicateNodeName(line: Int, name: String)
  case inconsistent(line: Int, message: String)
  case tooLarge(bytes: Int, bytesMax: Int)
  case io(path: String, message: String)

  /// A file failure in corosync.conf's terms.
  init(_ failure: FileIOError) {
    switch failure {
    case .unreadable(let path, let reason), .unwritable(let path, let reason): self = .io(path: path, message: reason)
    case .tooLarge(_, let bytes, let bytesMax): self = .tooLarge(bytes: bytes, bytesMax: bytesMax)
    }
  }

  public var description: String {
    switch self {
    case .unexpectedClosingBrace(let line): return "line \(line): unexpected '}'"
    case .unclosedSection(let name, let line): return "line \(line): section '\(name)' is never closed"
    case .malformedLine(let line, let text):
      return "line \(line): cannot parse '\(text)' (expected 'key: value', 'name {' or '}')"
    case .emptyKey(let line): return "line \(line): empty key"
    case .invalidValue(let line, let key, let value, let expected):
      return "line \(line): invalid value '\(value)' for '\(key)', expected \(expected)"
    case .missingKey(let section, let key, let line): return "line \(line): '\(section)' is missing required key '\(key)'"
    case .duplicateNodeID(let line, let id): return "line \(line): nodeid \(id) is used by another node"
    case .duplicateNodeName(let line, let name): return "line \(line): node name '\(name)' is used by another node"
    case .inconsistent(let line, let message): return "line \(line): \(message)"
    case .tooLarge(let bytes, let max): return "file is \(bytes) bytes, more than the limit of \(max)"
    case .io(let path, let message): return "\(path): \(message)"
    }
  }
}

/// The syntax tree of corosync.conf(5): sections of `key: value` pairs and nested sections, in file order.
/// Comments and blank lines are not kept; everything else round-trips through `CorosyncConfSyntax.render`.
public struct ConfSection: Equatable, Sendable {
  public enum Entry: Equatable, Sendable {
    case pair(key: String, value: String, line: Int)
    case section(ConfSection)
  }
  public var name: String
  public var line: Int
  public var entries: [Entry]

  public init(name: String, line: Int = 0, entries: [Entry] = []) {
    self.name = name
    self.line = line
    self.entries = entries
  }

  public var sections: [ConfSection] {
    entries.compactMap { if case .section(let s) = $0 { return s } else { return nil } }
  }
  public func sections(named name: String) -> [ConfSection] { sections.filter { $0.name == name } }
  /// The last value of `key` (corosync keeps the last one) and its line.
  public func value(_ key: String) -> (value: String, line: Int)? {
    var found: (String, Int)?
    for case .pair(let k, let v, let l) in entries where k == key { found = (v, l) }
    return found
  }
  public mutating func append(_ key: String, _ value: String) { entries.append(.pair(key: key, value: value, line: 0)) }
  public mutating func append(_ section: ConfSection) { entries.append(.section(section)) }
}

/// corosync.conf text <-> `ConfSection` tree. The root section has an empty name.
public enum CorosyncConfSyntax {
  /// Largest file accepted: corosync.conf files are a few KB; a limit keeps a wrong path from eating memory.
  public static let bytesMax = 1 << 20
  /// Deepest nesting accepted (corosync itself nests at most three levels: logging/logger_subsys).
  public static let depthMax = 8

  public static func parse(_ text: String) throws(CorosyncConfError) -> ConfSection {
    if text.utf8.count > bytesMax { throw .tooLarge(bytes: text.utf8.count, bytesMax: bytesMax) }
    var stack: [ConfSection] = [ConfSection(name: "", line: 0)]
    var lineNumber = 0
    for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      var line = Substring(rawLine)
      if line.hasSuffix("\r") { line = line.dropLast() }
      let trimmed = line.trimmingSpaces()
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      if trimmed == "}" {
        if stack.count == 1 { throw .unexpectedClosingBrace(line: lineNumber) }
        let done = stack.removeLast()
        stack[stack.count - 1].entries.append(.section(done))
        continue
      }
      if trimmed.hasSuffix("{") {
        let name = trimmed.dropLast().trimmingSpaces()
        guard !name.isEmpty, !name.contains(where: { $0 == ":" || $0 == " " || $0 == "\t" || $0 == "{" || $0 == "}" })
        else { throw .malformedLine(line: lineNumber, text: String(trimmed)) }
        if stack.count > depthMax { throw .inconsistent(line: lineNumber, message: "sections nested too deeply") }
        stack.append(ConfSection(name: String(name), line: lineNumber))
        continue
      }
      guard let colon = trimmed.firstIndex(of: ":") else { throw .malformedLine(line: lineNumber, text: String(trimmed)) }
      let key = trimmed[..<colon].trimmingSpaces()
      let value = trimmed[trimmed.index(after: colon)...].trimmingSpaces()
      if key.isEmpty { throw .emptyKey(line: lineNumber) }
      if key.contains(where: { $0 == " " || $0 == "\t" || $0 == "{" || $0 == "}" }) {
        throw .malformedLine(line: lineNumber, text: String(trimmed))
      }
      stack[stack.count - 1].entries.append(.pair(key: String(key), value: String(value), line: lineNumber))
    }
    if stack.count > 1 {
      let open = stack[stack.count - 1]
      throw .unclosedSection(name: open.name, openedAtLine: open.line)
    }
    return stack[0]
  }

  /// Renders in the layout pcs writes: 4-space indent, a blank line between top-level sections and before every
  /// nested section that is not the first entry of its parent.
  public static func render(_ root: ConfSection) -> String {
    var out = ""
    for (i, entry) in root.entries.enumerated() {
      if i > 0 { out += "\n" }
      render(entry, depth: 0, into: &out)
    }
    return out
  }

  private static func render(_ entry: ConfSection.Entry, depth: Int, into out: inout String) {
    let indent = String(repeating: "    ", count: depth)
    switch entry {
    case .pair(let key, let value, _):
      out += value.isEmpty ? "\(indent)\(key):\n" : "\(indent)\(key): \(value)\n"
    case .section(let section):
      out += "\(indent)\(section.name) {\n"
      for (i, child) in section.entries.enumerated() {
        if i > 0, case .section = child { out += "\n" }
        render(child, depth: depth + 1, into: &out)
      }
      out += "\(indent)}\n"
    }
  }
}

extension Substring {
  fileprivate func trimmingSpaces() -> Substring {
    var s = self
    while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
    return s
  }
}

/// `auto_tie_breaker_node`: which half of an exact 50 % split keeps quorum.
public enum TieBreaker: Equatable, Sendable {
  case lowest
  case highest
  case list([NodeID])
}

/// The `quorum` section (votequorum(5)). Optional flags stay optional so the writer emits only what was set.
public struct QuorumOptions: Equatable, Sendable {
  public var provider: String?
  public var expectedVotes: Int?
  public var twoNode: Bool?
  public var waitForAll: Bool?
  public var lastManStanding: Bool?
  public var lastManStandingWindowMs: Int?
  public var autoTieBreaker: Bool?
  public var autoTieBreakerNode: TieBreaker?
  /// `quorum.device` (QuorumDeviceOptions.swift).
  public var device: QuorumDeviceOptions? = nil
  public init(
    provider: String? = "corosync_votequorum", expectedVotes: Int? = nil, twoNode: Bool? = nil,
    waitForAll: Bool? = nil, lastManStanding: Bool? = nil, lastManStandingWindowMs: Int? = nil,
    autoTieBreaker: Bool? = nil, autoTieBreakerNode: TieBreaker? = nil
  ) {
    self.provider = provider
    self.expectedVotes = expectedVotes
    self.twoNode = twoNode
    self.waitForAll = waitForAll
    self.lastManStanding = lastManStanding
    self.lastManStandingWindowMs = lastManStandingWindowMs
    self.autoTieBreaker = autoTieBreaker
    self.autoTieBreakerNode = autoTieBreakerNode
  }
}

/// One `nodelist.node` entry. `port` is Vigil's documented extension (`vigil_port:`), so that several nodes can
/// share one machine (loopback tests, benchmarks); corosync itself uses one port for all nodes.
public struct NodeEntry: Equatable, Sendable {
  public var nodeID: NodeID
  public var name: String?
  public var ring0Addr: String
  public var quorumVotes: Int?
  public var port: Int?
  public init(nodeID: NodeID, name: String? = nil, ring0Addr: String, quorumVotes: Int? = nil, port: Int? = nil) {
    self.nodeID = nodeID
    self.name = name
    self.ring0Addr = ring0Addr
    self.quorumVotes = quorumVotes
    self.port = port
  }
  /// The name shown by status commands: `name`, else `ring0_addr` (as corosync-quorumtool does).
  public var displayName: String { name ?? ring0Addr }
}

/// The `totem` section. Timer values are milliseconds as in corosync.conf(5); nil means "use the default".
public struct TotemOptions: Equatable, Sendable {
  public var version: Int?
  public var clusterName: String?
  public var transport: String?
  public var cryptoCipher: String?
  public var cryptoHash: String?
  public var clusterUUID: String?
  public var tokenMs: Int?
  public var consensusMs: Int?
  public var joinMs: Int?
  /// `interface { mcastport: }` of link 0: the default port for nodes without `vigil_port`.
  public var port: Int?
  /// Keys this reader does not interpret, kept in file order so that writing does not lose them.
  public var otherKeys: [KeyValue]
  public init(
    version: Int? = 2, clusterName: String? = nil, transport: String? = "knet", cryptoCipher: String? = nil,
    cryptoHash: String? = nil, clusterUUID: String? = nil, tokenMs: Int? = nil, consensusMs: Int? = nil,
    joinMs: Int? = nil, port: Int? = nil, otherKeys: [KeyValue] = []
  ) {
    self.version = version
    self.clusterName = clusterName
    self.transport = transport
    self.cryptoCipher = cryptoCipher
    self.cryptoHash = cryptoHash
    self.clusterUUID = clusterUUID
    self.tokenMs = tokenMs
    self.consensusMs = consensusMs
    self.joinMs = joinMs
    self.port = port
    self.otherKeys = otherKeys
  }
}

public struct KeyValue: Equatable, Sendable {
  public var key: String
  public var value: String
  public init(_ key: String, _ value: String) {
    self.key = key
    self.value = value
  }
}

/// A decoded corosync.conf: what Membership needs, typed and checked, with enough left over to write it back.
public struct CorosyncConfig: Equatable, Sendable {
  /// Default UDP port (corosync's knet default).
  public static let defaultPort = 5405

  public var totem: TotemOptions
  public var nodes: [NodeEntry]
  public var quorum: QuorumOptions?
  /// The `logging` section, kept raw (pairs and nested `logger_subsys` sections) in file order.
  public var logging: ConfSection?
  /// Other top-level sections (system, resources, ...), kept raw.
  public var otherSections: [ConfSection]

  public init(
    totem: TotemOptions, nodes: [NodeEntry], quorum: QuorumOptions? = QuorumOptions(), logging: ConfSection? = nil,
    otherSections: [ConfSection] = []
  ) {
    self.totem = totem
    self.nodes = nodes
    self.quorum = quorum
    self.logging = logging
    self.otherSections = otherSections
  }

  public func node(_ id: NodeID) -> NodeEntry? { nodes.first { $0.nodeID == id } }
  public func port(of node: NodeEntry) -> Int { node.port ?? totem.port ?? Self.defaultPort }

  // MARK: decoding

  public static func parse(_ text: String) throws(CorosyncConfError) -> CorosyncConfig {
    try decode(CorosyncConfSyntax.parse(text))
  }

  public static func load(path: String) throws(CorosyncConfError) -> CorosyncConfig {
    let text: String
    do { text = try FileIO.readText(path: path, bytesMax: CorosyncConfSyntax.bytesMax) } catch {
      throw CorosyncConfError(error)
    }
    return try parse(text)
  }

  public static func decode(_ root: ConfSection) throws(CorosyncConfError) -> CorosyncConfig {
    var totem = TotemOptions(version: nil, transport: nil)
    var nodes: [(NodeEntry, Int)] = []
    var quorum: QuorumOptions?
    var logging: ConfSection?
    var others: [ConfSection] = []
    for case .pair(let key, _, let line) in root.entries {
      throw .inconsistent(line: line, message: "'\(key)' is outside of any section")
    }
    for section in root.sections {
      switch section.name {
      case "totem": totem = try decodeTotem(section, merging: totem)
      case "nodelist":
        for case .pair(let key, _, let line) in section.entries {
          throw .inconsistent(line: line, message: "'\(key)' is not allowed directly in nodelist")
        }
        for node in section.sections {
          guard node.name == "node" else {
            throw .inconsistent(line: node.line, message: "unexpected section '\(node.name)' in nodelist")
          }
          nodes.append((try decodeNode(node), node.line))
        }
      case "quorum": quorum = try decodeQuorum(section)
      case "logging": logging = section
      default: others.append(section)
      }
    }
    var seenIDs: Set<NodeID> = []
    var seenNames: Set<String> = []
    for (node, line) in nodes {
      if !seenIDs.insert(node.nodeID).inserted { throw .duplicateNodeID(line: line, nodeID: node.nodeID.rawValue) }
      if let name = node.name, !seenNames.insert(name).inserted { throw .duplicateNodeName(line: line, name: name) }
    }
    return CorosyncConfig(
      totem: totem, nodes: nodes.map(\.0), quorum: quorum, logging: logging, otherSections: others)
  }

  private static func decodeTotem(_ s: ConfSection, merging base: TotemOptions) throws(CorosyncConfError)
    -> TotemOptions
  {
    var t = base
    for entry in s.entries {
      switch entry {
      case .pair(let key, let value, let line):
        switch key {
        case "version": t.version = try int(value, key: key, line: line, range: 2...2)
        case "cluster_name": t.clusterName = value
        case "transport":
          guard ["knet", "udp", "udpu"].contains(value) else {
            throw .invalidValue(line: line, key: key, value: value, expected: "knet, udp or udpu")
          }
          t.transport = value
        case "crypto_cipher":
          guard ["none", "aes256", "aes192", "aes128"].contains(value) else {
            throw .invalidValue(line: line, key: key, value: value, expected: "none, aes256, aes192 or aes128")
          }
          t.cryptoCipher = value
        case "crypto_hash":
          guard ["none", "md5", "sha1", "sha256", "sha384", "sha512"].contains(value) else {
            throw .invalidValue(
              line: line, key: key, value: value, expected: "none, md5, sha1, sha256, sha384 or sha512")
          }
          t.cryptoHash = value
        case "cluster_uuid": t.clusterUUID = value
        case "token": t.tokenMs = try int(value, key: key, line: line, range: 10...300_000)
        case "consensus": t.consensusMs = try int(value, key: key, line: line, range: 10...600_000)
        case "join": t.joinMs = try int(value, key: key, line: line, range: 1...60_000)
        default: t.otherKeys.append(KeyValue(key, value))
        }
      case .section(let sub):
        guard sub.name == "interface" else {
          throw .inconsistent(line: sub.line, message: "unexpected section '\(sub.name)' in totem")
        }
        var link = 0
        if let v = sub.value("linknumber") { link = try int(v.value, key: "linknumber", line: v.line, range: 0...7) }
        if link == 0, let p = sub.value("mcastport") {
          t.port = try int(p.value, key: "mcastport", line: p.line, range: 1...65535)
        }
      }
    }
    if let cipher = t.cryptoCipher, cipher != "none", (t.cryptoHash ?? "none") == "none" {
      throw .inconsistent(line: s.value("crypto_cipher")?.line ?? s.line, message: "crypto_cipher requires crypto_hash")
    }
    return t
  }

  private static func decodeNode(_ s: ConfSection) throws(CorosyncConfError) -> NodeEntry {
    guard let id = s.value("nodeid") else { throw .missingKey(section: "node", key: "nodeid", line: s.line) }
    guard let addr = s.value("ring0_addr") else { throw .missingKey(section: "node", key: "ring0_addr", line: s.line) }
    let nodeID = try int(id.value, key: "nodeid", line: id.line, range: 1...Int(UInt32.max))
    if addr.value.isEmpty {
      throw .invalidValue(line: addr.line, key: "ring0_addr", value: "", expected: "an address or host name")
    }
    var votes: Int?
    if let v = s.value("quorum_votes") { votes = try int(v.value, key: "quorum_votes", line: v.line, range: 0...255) }
    var port: Int?
    if let v = s.value("vigil_port") { port = try int(v.value, key: "vigil_port", line: v.line, range: 1...65535) }
    return NodeEntry(
      nodeID: NodeID(UInt32(nodeID)), name: s.value("name")?.value, ring0Addr: addr.value, quorumVotes: votes,
      port: port)
  }

  private static func decodeQuorum(_ s: ConfSection) throws(CorosyncConfError) -> QuorumOptions {
    var q = QuorumOptions(provider: nil)
    for case .pair(let key, let value, let line) in s.entries {
      switch key {
      case "provider":
        guard value == "corosync_votequorum" else {
          throw .invalidValue(line: line, key: key, value: value, expected: "corosync_votequorum")
        }
        q.provider = value
      case "expected_votes": q.expectedVotes = try int(value, key: key, line: line, range: 1...65535)
      case "two_node": q.twoNode = try bool(value, key: key, line: line)
      case "wait_for_all": q.waitForAll = try bool(value, key: key, line: line)
      case "last_man_standing": q.lastManStanding = try bool(value, key: key, line: line)
      case "last_man_standing_window":
        q.lastManStandingWindowMs = try int(value, key: key, line: line, range: 1...3_600_000)
      case "auto_tie_breaker": q.autoTieBreaker = try bool(value, key: key, line: line)
      case "auto_tie_breaker_node":
        if value == "lowest" {
          q.autoTieBreakerNode = .lowest
        } else if value == "highest" {
          q.autoTieBreakerNode = .highest
        } else {
          var ids: [NodeID] = []
          for part in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            guard let n = UInt32(part), n > 0 else {
              throw .invalidValue(line: line, key: key, value: value, expected: "lowest, highest or a list of node IDs")
            }
            ids.append(NodeID(n))
          }
          if ids.isEmpty {
            throw .invalidValue(line: line, key: key, value: value, expected: "lowest, highest or a list of node IDs")
          }
          q.autoTieBreakerNode = .list(ids)
        }
      default: break  // allow_downscale, expected_votes_tracking, ...: accepted, not interpreted
      }
    }
    if let d = s.sections(named: "device").last { q.device = try QuorumDeviceOptions.decode(d) }
    return q
  }

  private static func int(_ value: String, key: String, line: Int, range: ClosedRange<Int>) throws(CorosyncConfError)
    -> Int
  {
    guard let n = Int(value), range.contains(n) else {
      throw .invalidValue(
        line: line, key: key, value: value, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
    }
    return n
  }

  private static func bool(_ value: String, key: String, line: Int) throws(CorosyncConfError) -> Bool {
    switch value {
    case "1", "yes", "on": return true
    case "0", "no", "off": return false
    default: throw .invalidValue(line: line, key: key, value: value, expected: "0 or 1")
    }
  }

  // MARK: encoding

  /// The syntax tree in pcs's key order; `render()` gives the text.
  public func document() -> ConfSection {
    var root = ConfSection(name: "")
    var t = ConfSection(name: "totem")
    if let v = totem.version { t.append("version", String(v)) }
    if let v = totem.clusterName { t.append("cluster_name", v) }
    if let v = totem.transport { t.append("transport", v) }
    if let v = totem.cryptoCipher { t.append("crypto_cipher", v) }
    if let v = totem.cryptoHash { t.append("crypto_hash", v) }
    if let v = totem.clusterUUID { t.append("cluster_uuid", v) }
    if let v = totem.tokenMs { t.append("token", String(v)) }
    if let v = totem.consensusMs { t.append("consensus", String(v)) }
    if let v = totem.joinMs { t.append("join", String(v)) }
    for kv in totem.otherKeys { t.append(kv.key, kv.value) }
    if let p = totem.port {
      var i = ConfSection(name: "interface")
      i.append("linknumber", "0")
      i.append("mcastport", String(p))
      t.append(i)
    }
    root.append(t)
    var list = ConfSection(name: "nodelist")
    for n in nodes {
      var s = ConfSection(name: "node")
      s.append("ring0_addr", n.ring0Addr)
      if let name = n.name { s.append("name", name) }
      s.append("nodeid", String(n.nodeID.rawValue))
      if let v = n.quorumVotes { s.append("quorum_votes", String(v)) }
      if let p = n.port { s.append("vigil_port", String(p)) }
      list.append(s)
    }
    root.append(list)
    if let q = quorum {
      var s = ConfSection(name: "quorum")
      if let v = q.provider { s.append("provider", v) }
      if let v = q.expectedVotes { s.append("expected_votes", String(v)) }
      if let v = q.twoNode { s.append("two_node", v ? "1" : "0") }
      if let v = q.waitForAll { s.append("wait_for_all", v ? "1" : "0") }
      if let v = q.lastManStanding { s.append("last_man_standing", v ? "1" : "0") }
      if let v = q.lastManStandingWindowMs { s.append("last_man_standing_window", String(v)) }
      if let v = q.autoTieBreaker { s.append("auto_tie_breaker", v ? "1" : "0") }
      if let v = q.autoTieBreakerNode {
        switch v {
        case .lowest: s.append("auto_tie_breaker_node", "lowest")
        case .highest: s.append("auto_tie_breaker_node", "highest")
        case .list(let ids): s.append("auto_tie_breaker_node", ids.map { String($0.rawValue) }.joined(separator: " "))
        }
      }
      if let d = q.device { s.append(d.section) }
      root.append(s)
    }
    if let l = logging { root.append(l) }
    for o in otherSections { root.append(o) }
    return root
  }

  public func render() -> String { CorosyncConfSyntax.render(document()) }

  /// Writes atomically: a temporary file in the same directory, fsync, rename, fsync of the directory.
  public func write(path: String) throws(CorosyncConfError) {
    do { try FileIO.writeAtomically(path: path, text: render(), mode: 0o644) } catch { throw CorosyncConfError(error) }
  }
}
