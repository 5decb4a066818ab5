import Arbiter

/// `quorum.device` of corosync.conf (corosync-qdevice(8)): the quorum device and, for model net, the arbiter that
/// casts its vote. `section` is the text as written (rendered back unchanged, so pcs's layout survives a rewrite);
/// the typed fields are what Vigil acts on.
///
/// ```
/// quorum {
///     provider: corosync_votequorum
///     device {
///         model: net
///         votes: 1
///         net {
///             host: arbiter.example.com
///             algorithm: ffsplit
///             tie_breaker: lowest
///         }
///     }
/// }
/// ```
public struct QuorumDeviceOptions: Equatable, Sendable {
  public var section: ConfSection
  public var model: String
  /// `votes`; nil = the algorithm's default (ffsplit 1, lms nodes - 1), as corosync-qdevice sets it.
  public var votes: Int?
  public var timeoutMs: Int?
  public var syncTimeoutMs: Int?
  public var host: String
  /// `net.port`, 5403 by default (corosync-qnetd's port).
  public var port: Int
  public var algorithm: ArbiterAlgorithm
  public var tieBreaker: ArbiterTieBreaker
  /// `heuristics.mode`: off, on or sync (absent = off, unless exec_ commands are given: then on).
  public var heuristicsMode: String
  /// `heuristics.exec_NAME: command`, in file order.
  public var heuristicsCommands: [(name: String, command: String)]
  /// `heuristics.interval`, `timeout` and `sync_timeout` in ms as written (QuorumDeviceHeuristics supplies defaults).
  public var heuristicsIntervalMs: Int?
  public var heuristicsTimeoutMs: Int?
  public var heuristicsSyncTimeoutMs: Int?

  /// Equal when they render the same text (line numbers aside).
  public static func == (a: QuorumDeviceOptions, b: QuorumDeviceOptions) -> Bool {
    CorosyncConfSyntax.render(ConfSection(name: "", entries: [.section(a.section)]))
      == CorosyncConfSyntax.render(ConfSection(name: "", entries: [.section(b.section)]))
  }

  /// The device's votes in votequorum for a cluster of `nodeCount` nodes.
  public func deviceVotes(nodeCount: Int) -> Int {
    votes ?? (algorithm == .lms ? max(1, nodeCount - 1) : 1)
  }

  public static func decode(_ s: ConfSection) throws(CorosyncConfError) -> QuorumDeviceOptions {
    guard let model = s.value("model") else { throw .missingKey(section: "quorum.device", key: "model", line: s.line) }
    guard model.value == "net" else {
      throw .invalidValue(line: model.line, key: "model", value: model.value, expected: "net (the only model Vigil runs)")
    }
    var votes: Int?
    if let v = s.value("votes") { votes = try int(v, key: "votes", range: 1...65535) }
    var timeout: Int?
    if let v = s.value("timeout") { timeout = try int(v, key: "timeout", range: 1...3_600_000) }
    var syncTimeout: Int?
    if let v = s.value("sync_timeout") { syncTimeout = try int(v, key: "sync_timeout", range: 1...3_600_000) }
    guard let net = s.sections(named: "net").last else {
      throw .inconsistent(line: s.line, message: "quorum.device with model net needs a 'net' section")
    }
    guard let host = net.value("host"), !host.value.isEmpty else {
      throw .missingKey(section: "quorum.device.net", key: "host", line: net.line)
    }
    var port = 5403
    if let v = net.value("port") { port = try int(v, key: "port", range: 1...65535) }
    var algorithm = ArbiterAlgorithm.ffsplit
    if let v = net.value("algorithm") {
      guard let a = ArbiterAlgorithm(name: v.value) else {
        throw .invalidValue(line: v.line, key: "algorithm", value: v.value, expected: "ffsplit or lms")
      }
      algorithm = a
    }
    var tieBreaker = ArbiterTieBreaker.lowest
    if let v = net.value("tie_breaker") {
      guard let t = ArbiterTieBreaker(text: v.value) else {
        throw .invalidValue(line: v.line, key: "tie_breaker", value: v.value, expected: "lowest, highest or a node id")
      }
      tieBreaker = t
    }
    if algorithm == .ffsplit, let v = votes, v != 1, let line = s.value("votes")?.line {
      throw .invalidValue(line: line, key: "votes", value: String(v), expected: "1 with algorithm ffsplit")
    }
    var mode = "off"
    var commands: [(name: String, command: String)] = []
    var hInterval: Int?, hTimeout: Int?, hSyncTimeout: Int?
    if let h = s.sections(named: "heuristics").last {
      for case .pair(let key, let value, let line) in h.entries where key.hasPrefix("exec_") {
        guard key.count > 5, QuorumDeviceHeuristics.splitCommand(value) != nil else {
          throw .invalidValue(
            line: line, key: key, value: value,
            expected: "a command (words split as sh does, at most \(QuorumDeviceHeuristics.argumentsMax))")
        }
        commands.append((String(key.dropFirst(5)), value))
      }
      guard commands.count <= QuorumDeviceHeuristics.commandsMax else {
        throw .inconsistent(
          line: h.line, message: "\(commands.count) heuristics commands (at most \(QuorumDeviceHeuristics.commandsMax))")
      }
      if let v = h.value("interval") { hInterval = try int(v, key: "interval", range: 1...3_600_000) }
      if let v = h.value("timeout") { hTimeout = try int(v, key: "timeout", range: 1...3_600_000) }
      if let v = h.value("sync_timeout") { hSyncTimeout = try int(v, key: "sync_timeout", range: 1...3_600_000) }
      mode = commands.isEmpty ? "off" : "on"
      if let m = h.value("mode") {
        guard ["off", "on", "sync"].contains(m.value) else {
          throw .invalidValue(line: m.line, key: "mode", value: m.value, expected: "off, on or sync")
        }
        mode = m.value
      }
    }
    return QuorumDeviceOptions(
      section: s, model: model.value, votes: votes, timeoutMs: timeout, syncTimeoutMs: syncTimeout, host: host.value,
      port: port, algorithm: algorithm, tieBreaker: tieBreaker, heuristicsMode: mode, heuristicsCommands: commands,
      heuristicsIntervalMs: hInterval, heuristicsTimeoutMs: hTimeout, heuristicsSyncTimeoutMs: hSyncTimeout)
  }

  private static func int(_ v: (value: String, line: Int), key: String, range: ClosedRange<Int>)
    throws(CorosyncConfError) -> Int
  {
    guard let n = Int(v.value), range.contains(n) else {
      throw .invalidValue(
        line: v.line, key: key, value: v.value, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
    }
    return n
  }
}
