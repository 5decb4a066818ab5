/// A Pacemaker score: an integer preference bounded by +/-INFINITY (1,000,000).
///
/// Why it exists: every placement decision adds scores from many sources (location constraints,
/// stickiness, colocation, fail counts). Pacemaker's arithmetic saturates at +/-INFINITY and lets
/// -INFINITY win over +INFINITY (a ban beats a requirement; `pcmk__add_scores`), so a plain `Int`
/// would silently give the wrong answer.
/// Invariant: `-1_000_000 <= value <= 1_000_000`.
public struct Score: Hashable, Comparable, Sendable {
  /// Pacemaker's CRM_SCORE_INFINITY.
  public static let infinityValue = 1_000_000

  /// The bounded integer value, in `-infinityValue ... infinityValue`.
  public let value: Int

  /// Bounds `value` to +/-INFINITY, as `char2score` does for integers out of range.
  public init(clamping value: Int) {
    self.value = min(max(value, -Score.infinityValue), Score.infinityValue)
  }

  public static let infinity = Score(clamping: infinityValue)
  public static let minusInfinity = Score(clamping: -infinityValue)
  public static let zero = Score(clamping: 0)

  public var isInfinity: Bool { value == Score.infinityValue }
  public var isMinusInfinity: Bool { value == -Score.infinityValue }

  /// Saturating addition with Pacemaker's precedence: -INFINITY absorbs everything (even
  /// +INFINITY), then +INFINITY absorbs finite values, then the finite sum is clamped.
  public static func + (a: Score, b: Score) -> Score {
    if a.isMinusInfinity || b.isMinusInfinity { return .minusInfinity }
    if a.isInfinity || b.isInfinity { return .infinity }
    return Score(clamping: a.value + b.value)  // both finite: |sum| <= 2_000_000, no overflow
  }

  public static func += (a: inout Score, b: Score) { a = a + b }

  /// Negation: INFINITY <-> -INFINITY, finite values flip sign (the range is symmetric).
  public static prefix func - (a: Score) -> Score { Score(clamping: -a.value) }

  public static func < (a: Score, b: Score) -> Bool { a.value < b.value }
}

/// Why a score string was rejected by `Score(parsing:)`.
public enum ScoreParseError: Error, Equatable, Sendable {
  /// No digits at all, e.g. "" or "abc" (Pacemaker would silently read 0).
  case notANumber(String)
  /// Digits followed by other characters, e.g. "10abc" (Pacemaker would read 10 and warn).
  case trailingCharacters(String)
}

extension Score: CustomStringConvertible {
  /// As Pacemaker prints a score (`pcmk_readable_score`): "INFINITY", "-INFINITY" or the integer.
  public var description: String {
    if isInfinity { return "INFINITY" }
    if isMinusInfinity { return "-INFINITY" }
    return String(value)
  }
}

extension Score {
  /// Node health scores that `char2score` accepts by name ("red", "yellow", "green", any case).
  /// Their values are cluster options (node-health-red etc.), so the caller supplies them.
  public struct HealthScores: Equatable, Sendable {
    public var red: Score
    public var yellow: Score
    public var green: Score
    /// Pacemaker's built-in values before the cluster options are read: all zero.
    public static let unset = HealthScores(red: .zero, yellow: .zero, green: .zero)
    public init(red: Score, yellow: Score, green: Score) {
      self.red = red
      self.yellow = yellow
      self.green = green
    }
  }

  /// Parses a score strictly: "INFINITY", "+INFINITY", "-INFINITY" (case-sensitive, as in
  /// Pacemaker 2.1.5), "red"/"yellow"/"green" (any case, resolved with `health`), or a decimal
  /// integer with an optional sign and surrounding whitespace, clamped to +/-INFINITY.
  /// Anything else throws; `Score(lenient:)` gives Pacemaker's forgiving reading instead.
  public init(validating text: String, health: HealthScores = .unset) throws(ScoreParseError) {
    switch Score.scan(text, health: health) {
    case .exact(let s): self = s
    case .prefix: throw .trailingCharacters(text)
    case .none: throw .notANumber(text)
    }
  }

  /// Parses a score, returning nil for anything `init(validating:)` rejects.
  public init?(parsing text: String, health: HealthScores = .unset) {
    guard case .exact(let s) = Score.scan(text, health: health) else { return nil }
    self = s
  }

  /// What Pacemaker's `char2score` yields for any string, never failing: garbage reads as 0,
  /// "10abc" reads as 10. Use this where Pacemaker would accept the input with a warning.
  public init(lenient text: String?, health: HealthScores = .unset) {
    guard let text else {
      self = .zero
      return
    }
    switch Score.scan(text, health: health) {
    case .exact(let s), .prefix(let s): self = s
    case .none: self = .zero
    }
  }

  private enum Scan { case exact(Score), prefix(Score), none }

  /// One pass over the text in the manner of `char2score` + `strtoll`: leading whitespace, an
  /// optional sign, digits; whatever follows the digits decides exact vs prefix.
  private static func scan(_ text: String, health: HealthScores) -> Scan {
    switch text {
    case "-INFINITY": return .exact(.minusInfinity)
    case "INFINITY", "+INFINITY": return .exact(.infinity)
    default: break
    }
    switch text.lowercased() {
    case "red": return .exact(health.red)
    case "yellow": return .exact(health.yellow)
    case "green": return .exact(health.green)
    default: break
    }
    let bytes = Array(text.utf8)
    var i = 0
    while i < bytes.count, isSpace(bytes[i]) { i += 1 }
    var negative = false
    if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
      negative = bytes[i] == UInt8(ascii: "-")
      i += 1
    }
    let digitsStart = i
    var magnitude = 0
    while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
      // Saturate early: anything past INFINITY clamps anyway, and this keeps Int from overflowing.
      if magnitude <= Score.infinityValue {
        magnitude = magnitude * 10 + Int(bytes[i] - UInt8(ascii: "0"))
      }
      i += 1
    }
    if i == digitsStart { return .none }
    let score = Score(clamping: negative ? -magnitude : magnitude)
    // Trailing whitespace is harmless (XML attribute values rarely carry it, but hand edits do).
    var j = i
    while j < bytes.count, isSpace(bytes[j]) { j += 1 }
    return j == bytes.count ? .exact(score) : .prefix(score)
  }

  private static func isSpace(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
  }
}
