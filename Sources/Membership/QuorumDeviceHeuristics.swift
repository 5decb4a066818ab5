import Arbiter

/// corosync-qdevice's heuristics: commands every node runs (in parallel; all must exit 0 before the timeout, or the
/// heuristics fail) at startup, on each membership change and, in mode `on`, every `interval`. The result travels
/// with each vote request; the arbiter weighs it on an even split (HeuristicsResult, ArbiterCore.ranks).
public struct QuorumDeviceHeuristics: Equatable, Sendable {
  public enum Mode: String, Sendable {
    /// At startup and on each membership change only.
    case sync
    /// Also every `interval`.
    case on
  }
  public var mode: Mode
  /// Each command split into its arguments, argument 0 the program.
  public var commands: [[String]]
  public var interval: Duration
  /// The bound of a regular run.
  public var timeout: Duration
  /// The bound of a run for a membership change: a new view's first request to the arbiter waits for it, so it
  /// adds to how long a new view may wait for its quorum (`QuorumDeviceSettings.decisionMs`).
  public var syncTimeout: Duration
  /// Commands per run, and arguments per command (bounds on what a configuration can make a node spawn).
  public static let commandsMax = 16
  public static let argumentsMax = 64

  public init(mode: Mode, commands: [[String]], interval: Duration, timeout: Duration, syncTimeout: Duration) {
    precondition(!commands.isEmpty && commands.count <= Self.commandsMax && commands.allSatisfy { !$0.isEmpty })
    precondition(interval > .zero && timeout > .zero && syncTimeout > .zero)
    self.mode = mode
    self.commands = commands
    self.interval = interval
    self.timeout = timeout
    self.syncTimeout = syncTimeout
  }

  /// What a node runs for `device` with membership token T, or nil when heuristics are off (mode off, or no
  /// exec_ command). Timings not written in corosync.conf default to Vigil's scale (corosync-qdevice derives its own
  /// from its 10 s device timeout): timeout T, sync_timeout T, interval 10 T.
  public static func from(_ device: QuorumDeviceOptions, tokenMs: Int) -> QuorumDeviceHeuristics? {
    guard let mode = Mode(rawValue: device.heuristicsMode), !device.heuristicsCommands.isEmpty else { return nil }
    // decode() checked that every command splits.
    let commands = device.heuristicsCommands.compactMap { splitCommand($0.command) }
    return QuorumDeviceHeuristics(
      mode: mode, commands: commands, interval: .milliseconds(device.heuristicsIntervalMs ?? 10 * tokenMs),
      timeout: .milliseconds(device.heuristicsTimeoutMs ?? tokenMs),
      syncTimeout: .milliseconds(device.heuristicsSyncTimeoutMs ?? tokenMs))
  }

  /// Splits a command as a Bourne shell splits words, as corosync-qdevice does: blanks separate arguments, double
  /// quotes group, a backslash takes the next character literally (inside double quotes too). Nil for an
  /// unterminated quote or escape, an empty command or one over `argumentsMax` arguments.
  public static func splitCommand(_ text: String) -> [String]? {
    var words: [String] = []
    var word = ""
    var inWord = false
    var quoted = false
    var escaped = false
    for c in text {
      if escaped {
        word.append(c)
        escaped = false
      } else if c == "\\" {
        escaped = true
        inWord = true
      } else if c == "\"" {
        quoted.toggle()
        inWord = true
      } else if !quoted && (c == " " || c == "\t") {
        if inWord { words.append(word) }
        word = ""
        inWord = false
      } else {
        word.append(c)
        inWord = true
      }
    }
    guard !escaped && !quoted else { return nil }
    if inWord { words.append(word) }
    guard !words.isEmpty && words.count <= argumentsMax else { return nil }
    return words
  }
}

/// A snapshot of a node's quorum device client, for `pcs quorum device status` and the device lines of
/// `pcs quorum status`.
public struct QuorumDeviceState: Equatable, Sendable {
  public var node: NodeID
  public var configuredNodes: [NodeID]
  public var members: [NodeID]
  public var cluster: String
  /// `host:port`.
  public var host: String
  public var algorithm: ArbiterAlgorithm
  public var tieBreaker: ArbiterTieBreaker
  /// Connected, Connecting or Connect failed.
  public var connection: String
  /// The device's votes are cast for the current view.
  public var castsVote: Bool
  /// The latest heuristics result; nil when heuristics are off.
  public var heuristics: HeuristicsResult?
}
