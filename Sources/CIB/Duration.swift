/// A non-negative span of time in whole milliseconds, as Pacemaker reads op intervals, timeouts and
/// time-valued cluster options.
///
/// Why it exists: the CIB writes times as `30s`, `1m`, `500ms`, `120` (seconds) or ISO 8601 `PT30S`, and
/// Pacemaker turns them into integer milliseconds with its own quirks (see `init(interval:)`). Operation
/// keys such as `rsc_monitor_10000` carry that integer, so the scheduler needs exactly the same number.
/// Invariant: `value >= 0`.
public struct Milliseconds: Hashable, Comparable, Sendable {
  public let value: Int64

  public init(_ value: Int64) {
    precondition(value >= 0, "Milliseconds must not be negative (got \(value))")
    self.value = value
  }

  public static let zero = Milliseconds(0)
  public static func seconds(_ s: Int64) -> Milliseconds { Milliseconds(s * 1000) }

  /// The same span as a Swift `Duration`, for shells that sleep or schedule timers.
  public var duration: Duration { .milliseconds(value) }

  public static func < (a: Milliseconds, b: Milliseconds) -> Bool { a.value < b.value }
}

extension Milliseconds: CustomStringConvertible {
  /// Plain milliseconds followed by "ms", e.g. "30000ms" (unambiguous, and Pacemaker reads it back).
  public var description: String { "\(value)ms" }
}

/// Why a time string was rejected.
public enum DurationParseError: Error, Equatable, Sendable {
  /// No number where one was expected, e.g. "", "abc", "-5s".
  case noNumber(String)
  /// A unit Pacemaker does not know, e.g. "5 days" or "10x".
  case unknownUnit(String, unit: String)
  /// A malformed ISO 8601 duration, e.g. "P", "PT1.5S", "P1X"; `reason` says what is wrong.
  case invalidISO8601(String, reason: String)

  /// One sentence for a person: what was given and what to write instead.
  public var message: String {
    switch self {
    case .noNumber(let s):
      "'\(s)' is not a time: write a non-negative number with an optional unit (ms, s, m, h), e.g. 30s"
    case .unknownUnit(let s, let unit):
      "'\(s)' has unknown unit '\(unit)': use ms, us, s, m or h (or ISO 8601 such as PT30S)"
    case .invalidISO8601(let s, let reason):
      "'\(s)' is not a valid ISO 8601 duration (\(reason)): write e.g. PT30S, PT5M or P2D"
    }
  }
}

extension Milliseconds {
  /// Pacemaker caps op intervals at G_MAXUINT milliseconds (about 49.7 days).
  public static let intervalMax = Milliseconds(Int64(UInt32.max))

  /// Reads a time as Pacemaker's `crm_get_msec` does (timeouts, start-delay, most time options):
  /// optional whitespace, digits (a decimal part is accepted and dropped: "1.5s" is 1 s), optional
  /// whitespace, then a unit matched case-insensitively by prefix: `ms`/`msec`, `us`/`usec`,
  /// `s`/`sec`, `m`/`min`, `h`/`hr`; no unit means seconds. ISO 8601 is not accepted here.
  public init(time text: String) throws(DurationParseError) {
    let bytes = Array(text.utf8)
    var i = 0
    while i < bytes.count, Milliseconds.isSpace(bytes[i]) { i += 1 }
    let numberStart = i
    while i < bytes.count, Milliseconds.isDigit(bytes[i]) || bytes[i] == UInt8(ascii: ".") { i += 1 }
    let numberEnd = i
    var integer: Int64 = 0
    var sawDigit = false
    for b in bytes[numberStart..<numberEnd] {
      if b == UInt8(ascii: ".") { break }  // strtoll stops at the decimal point
      sawDigit = true
      integer = integer > Int64.max / 100 ? Int64.max / 100 : integer * 10 + Int64(b - UInt8(ascii: "0"))
    }
    guard sawDigit else { throw .noNumber(text) }
    while i < bytes.count, Milliseconds.isSpace(bytes[i]) { i += 1 }
    let unit = String(decoding: bytes[i...], as: UTF8.self)
    let lower = unit.lowercased()
    let multiplier: Int64
    var divisor: Int64 = 1
    // Order matters as in Pacemaker: "ms" before "m", "us" before "s".
    if lower.hasPrefix("ms") {
      multiplier = 1
    } else if lower.hasPrefix("us") {
      multiplier = 1
      divisor = 1000
    } else if lower.hasPrefix("s") {
      multiplier = 1000
    } else if lower.hasPrefix("m") {
      multiplier = 60_000
    } else if lower.hasPrefix("h") {
      multiplier = 3_600_000
    } else if lower.isEmpty || lower.first == "\n" || lower.first == "\r" {
      multiplier = 1000
    } else {
      throw .unknownUnit(text, unit: unit)
    }
    let (product, overflow) = integer.multipliedReportingOverflow(by: multiplier)
    self.init(overflow ? Int64.max : product / divisor)
  }

  /// Reads an operation interval as Pacemaker's `crm_parse_interval_spec` does: ISO 8601 when the
  /// text starts with "P", otherwise `init(time:)`; capped at `intervalMax`.
  ///
  /// ISO 8601 is converted with Pacemaker 2.1.5's arithmetic, quirks included, because operation keys
  /// must match: months count 30 days, weeks 7 days, but the day count is taken minus one and years
  /// count from year 1 (so `P1D` is 0 ms, `P2D` one day, `P1W` six days, `P1Y` 0 ms). Checked with
  /// `crm_simulate -G` on this machine.
  public init(interval text: String) throws(DurationParseError) {
    if text.hasPrefix("P") {
      let iso = try ISO8601Duration(parsing: text)
      self = Milliseconds(min(iso.pacemakerSeconds.multipliedReportingOverflow(by: 1000).overflow
          ? Int64.max : iso.pacemakerSeconds * 1000, Milliseconds.intervalMax.value))
    } else {
      let ms = try Milliseconds(time: text)
      self = min(ms, Milliseconds.intervalMax)
    }
  }

  static func isSpace(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C
  }
  static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}

/// An ISO 8601 duration (`P[nY][nM][nW][nD][T[nH][nM][nS]]`) as its separate fields, the way Pacemaker
/// keeps them (`crm_time_t` with `duration = TRUE`): months stay months because their length depends on
/// the date they are added to (date_expression `duration` elements need that).
public struct ISO8601Duration: Hashable, Sendable {
  public var years: Int64 = 0
  public var months: Int64 = 0
  public var days: Int64 = 0
  public var seconds: Int64 = 0

  public init(years: Int64 = 0, months: Int64 = 0, days: Int64 = 0, seconds: Int64 = 0) {
    self.years = years
    self.months = months
    self.days = days
    self.seconds = seconds
  }

  /// Parses like `crm_time_parse_duration`: "P", then number+unit pairs in any order; "T" switches
  /// `M` from months to minutes; whitespace or "/" ends the duration. Fractions are rejected.
  public init(parsing text: String) throws(DurationParseError) {
    let bytes = Array(text.utf8)
    guard bytes.first == UInt8(ascii: "P") else {
      throw .invalidISO8601(text, reason: "it does not start with 'P'")
    }
    guard bytes.count > 1, !Milliseconds.isSpace(bytes[1]) else {
      throw .invalidISO8601(text, reason: "nothing follows 'P'")
    }
    var isTime = false
    var sawField = false
    var i = 1
    while i < bytes.count, bytes[i] != UInt8(ascii: "/"), !Milliseconds.isSpace(bytes[i]) {
      if bytes[i] == UInt8(ascii: "T") {
        isTime = true
        i += 1
        continue
      }
      let start = i
      var n: Int64 = 0
      while i < bytes.count, Milliseconds.isDigit(bytes[i]), i - start < 10 {
        n = n * 10 + Int64(bytes[i] - UInt8(ascii: "0"))
        i += 1
      }
      guard i > start else {
        throw .invalidISO8601(text, reason: "no integer at '\(String(decoding: bytes[start...], as: UTF8.self))'")
      }
      guard i < bytes.count else { throw .invalidISO8601(text, reason: "no unit after \(n)") }
      switch bytes[i] {
      case UInt8(ascii: "Y"): years = n
      case UInt8(ascii: "M"): if isTime { seconds += n * 60 } else { months = n }
      case UInt8(ascii: "W"): days += n * 7
      case UInt8(ascii: "D"): days += n
      case UInt8(ascii: "H"): seconds += n * 3600
      case UInt8(ascii: "S"): seconds += n
      default:
        throw .invalidISO8601(text, reason: "'\(Character(Unicode.Scalar(bytes[i])))' is not a valid time unit")
      }
      sawField = true
      i += 1
    }
    guard sawField else { throw .invalidISO8601(text, reason: "no amounts and units given") }
  }

  /// Seconds as Pacemaker 2.1.5's `crm_time_get_seconds` computes them for a duration (see
  /// `Milliseconds.init(interval:)` for the quirks this reproduces on purpose).
  public var pacemakerSeconds: Int64 {
    var total: Int64 = 0
    if years > 1 {
      for y in 1..<min(years, 100_000) { total += 86_400 * ISO8601Duration.yearDays(y) }
    }
    if months > 0 { total += 86_400 * 30 * months }
    if days > 0 { total += 86_400 * (days - 1) }
    return total + seconds
  }

  static func yearDays(_ y: Int64) -> Int64 {
    (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365
  }
}
