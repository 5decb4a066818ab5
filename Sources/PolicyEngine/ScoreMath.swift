import Foundation

/// Pacemaker's score arithmetic on plain `Int`s, the scheduler's hot path.
///
/// Why plain integers: the scheduler adds scores millions of times on large clusters; a score is an `Int`
/// clamped to [-INFINITY, +INFINITY] with INFINITY = 1,000,000, and -INFINITY dominates +INFINITY
/// (Pacemaker's `pcmk__add_scores`). Invariant: every value produced here lies within that range.
public enum ScoreMath {
  public static let infinity = 1_000_000
  public static let minusInfinity = -1_000_000

  /// Saturating addition; -INFINITY wins over +INFINITY.
  @inline(__always)
  public static func add(_ a: Int, _ b: Int) -> Int {
    if a <= minusInfinity || b <= minusInfinity { return minusInfinity }
    if a >= infinity || b >= infinity { return infinity }
    let sum = a + b
    return min(max(sum, minusInfinity), infinity)
  }

  /// Parses a CIB score ("INFINITY", "+INFINITY", "-INFINITY", an integer); nil when not a score.
  public static func parse(_ text: String) -> Int? {
    if let v = Int(text) { return clamp(v) }  // the common case, without Foundation's trimming
    let t = text.trimmingCharacters(in: .whitespaces)
    switch t.lowercased() {
    case "infinity", "+infinity": return infinity
    case "-infinity": return minusInfinity
    default: break
    }
    if let v = Int(t) { return clamp(v) }
    // Pacemaker's char2score accepts a leading integer ("100abc" is 100) and floats truncated.
    if let d = Double(t), d.isFinite { return clamp(Int(d)) }
    return nil
  }

  /// Parses like `parse` but maps anything unparseable to 0, as Pacemaker does for constraint scores.
  public static func parseOrZero(_ text: String?) -> Int {
    guard let text else { return 0 }
    return parse(text) ?? 0
  }

  public static func clamp(_ v: Int) -> Int { min(max(v, minusInfinity), infinity) }

  /// The text Pacemaker prints for a score ("INFINITY", "-INFINITY" or the number).
  public static func text(_ v: Int) -> String {
    if v >= infinity { return "INFINITY" }
    if v <= minusInfinity { return "-INFINITY" }
    return String(v)
  }
}
