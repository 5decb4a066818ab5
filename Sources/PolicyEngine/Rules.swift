import CIB
import Foundation

/// Evaluates rule trees against one node's attributes and the evaluation time.
///
/// Why it exists: location rules, attribute sets and defaults all use the same expression language; this keeps
/// its quirks (typed comparison with string fallback, ISO 8601 dates, date_spec ranges) in one place.
struct RuleEvaluator {
  var now: Int64
  var nodeAttributes: [String: String]
  /// Attribute sets outside any node context: node expressions count as satisfied.
  var ignoreNodeExpressions = false
  var resourceParams: [String: String] = [:]
  var resourceMeta: [String: String] = [:]

  func evaluate(_ rule: ResolvedRule) -> Bool {
    switch rule {
    case .constant(let b): return b
    case .all(let parts): return parts.allSatisfy { evaluate($0) }
    case .any(let parts): return parts.isEmpty ? true : parts.contains { evaluate($0) }
    case .expression(let attribute, let op, let value, let type, let source):
      if ignoreNodeExpressions { return true }
      return expression(attribute: attribute, op: op, value: value, type: type, source: source)
    case .date(let op, let start, let end, let spec, let duration):
      return date(op: op, start: start, end: end, spec: spec, duration: duration)
    }
  }

  private func expression(attribute: String, op: String, value: String?, type: String?, source: String?) -> Bool {
    let actual = nodeAttributes[attribute]
    var expected = value
    if let source, let v = value {
      switch source {
      case "param": expected = resourceParams[v]
      case "meta": expected = resourceMeta[v]
      default: break
      }
    }
    switch op {
    case "defined": return actual != nil
    case "not_defined": return actual == nil
    default: break
    }
    guard let actual, let expected else { return op == "ne" }
    let cmp = compare(actual, expected, type: type, op: op)
    switch op {
    case "eq": return cmp == 0
    case "ne": return cmp != 0
    case "lt": return cmp < 0
    case "lte": return cmp <= 0
    case "gt": return cmp > 0
    case "gte": return cmp >= 0
    default: return false
    }
  }

  /// Pacemaker's typed comparison; values that fail to parse compare as strings.
  private func compare(_ a: String, _ b: String, type: String?, op: String) -> Int {
    var kind = type?.lowercased()
    if kind == nil {
      if ["lt", "lte", "gt", "gte"].contains(op) {
        kind = (a.contains(".") || b.contains(".")) ? "number" : "integer"
      } else {
        kind = "string"
      }
    }
    switch kind {
    case "integer", "int":
      if let x = leadingInteger(a), let y = leadingInteger(b) { return x < y ? -1 : (x > y ? 1 : 0) }
    case "number":
      if let x = leadingDouble(a), let y = leadingDouble(b) { return x < y ? -1 : (x > y ? 1 : 0) }
    case "version":
      return compareVersions(a, b)
    default:
      break
    }
    let x = a.lowercased(), y = b.lowercased()
    return x < y ? -1 : (x > y ? 1 : 0)
  }

  private func leadingInteger(_ s: String) -> Int64? {
    let t = s.trimmingCharacters(in: .whitespaces)
    var digits = ""
    for (i, ch) in t.enumerated() {
      if ch.isASCII && ch.isNumber { digits.append(ch) } else if i == 0 && (ch == "-" || ch == "+") { digits.append(ch) } else { break }
    }
    return Int64(digits)
  }

  private func leadingDouble(_ s: String) -> Double? {
    let t = s.trimmingCharacters(in: .whitespaces)
    var best: Double?
    var prefix = ""
    for ch in t {
      prefix.append(ch)
      if let d = Double(prefix) { best = d } else if !(ch == "e" || ch == "E" || ch == "-" || ch == "+" || ch == ".") { break }
    }
    return best
  }

  private func compareVersions(_ a: String, _ b: String) -> Int {
    let x = a.split(separator: ".").map { Int($0) ?? 0 }, y = b.split(separator: ".").map { Int($0) ?? 0 }
    for i in 0..<max(x.count, y.count) {
      let p = i < x.count ? x[i] : 0, q = i < y.count ? y[i] : 0
      if p != q { return p < q ? -1 : 1 }
    }
    return 0
  }

  private func date(op: String, start: String?, end: String?, spec: [String: String], duration: [String: String]) -> Bool {
    switch op {
    case "gt":
      guard let s = start.flatMap(ISODate.parse) else { return false }
      return now > s
    case "lt":
      guard let e = end.flatMap(ISODate.parse) else { return false }
      return now < e
    case "in_range":
      let s = start.flatMap(ISODate.parse)
      var e = end.flatMap(ISODate.parse)
      if e == nil, let s, !duration.isEmpty { e = ISODate.add(duration: duration, to: s) }
      if s == nil && e == nil { return false }
      if let s, now < s { return false }
      if let e, now > e { return false }
      return true
    case "date_spec":
      return ISODate.matches(spec: spec, at: now)
    default:
      return false
    }
  }
}

/// Minimal ISO 8601 handling for date rules and `-t DATE` (UTC arithmetic, offsets honoured).
enum ISODate {
  static func parse(_ text: String) -> Int64? {
    var t = text.trimmingCharacters(in: .whitespaces)
    if t.isEmpty { return nil }
    // Split date and time.
    var datePart = t
    var timePart = ""
    if let sep = t.firstIndex(where: { $0 == "T" || $0 == " " }) {
      datePart = String(t[..<sep])
      timePart = String(t[t.index(after: sep)...]).trimmingCharacters(in: .whitespaces)
    }
    t = datePart
    var days: Int64
    let comps = t.split(separator: "-").map(String.init)
    if comps.count == 3, let y = Int(comps[0]), let m = Int(comps[1]), let d = Int(comps[2]) {
      days = daysFromCivil(y, m, d)
    } else if comps.count == 2, let y = Int(comps[0]), comps[1].count == 3, let doy = Int(comps[1]) {
      days = daysFromCivil(y, 1, 1) + Int64(doy - 1)
    } else if comps.count == 3, let y = Int(comps[0]), comps[1].hasPrefix("W"), let w = Int(comps[1].dropFirst()),
              let wd = Int(comps[2]) {
      // ISO week date: week 1 contains Jan 4th.
      let jan4 = daysFromCivil(y, 1, 4)
      let jan4Weekday = Int64(((jan4 % 7) + 7 + 3) % 7)  // 0 = Monday
      days = jan4 - jan4Weekday + Int64((w - 1) * 7 + (wd - 1))
    } else if comps.count == 1, let y = Int(comps[0]), comps[0].count == 4 {
      days = daysFromCivil(y, 1, 1)
    } else {
      return nil
    }
    var seconds: Int64 = days * 86_400
    if !timePart.isEmpty {
      var offset: Int64 = 0
      var clock = timePart
      if clock.hasSuffix("Z") {
        clock.removeLast()
      } else if let signIndex = clock.lastIndex(where: { $0 == "+" || $0 == "-" }) {
        let off = String(clock[clock.index(after: signIndex)...]).trimmingCharacters(in: .whitespaces)
        let sign: Int64 = clock[signIndex] == "-" ? -1 : 1
        let parts = off.split(separator: ":").compactMap { Int64($0) }
        if parts.count >= 1 {
          let h = parts[0] >= 100 && parts.count == 1 ? parts[0] / 100 : parts[0]
          let m = parts.count > 1 ? parts[1] : (parts[0] >= 100 ? parts[0] % 100 : 0)
          offset = sign * (h * 3600 + m * 60)
        }
        clock = String(clock[..<signIndex]).trimmingCharacters(in: .whitespaces)
      }
      let hms = clock.split(separator: ":").compactMap { Int64($0) }
      if hms.count >= 1 { seconds += hms[0] * 3600 }
      if hms.count >= 2 { seconds += hms[1] * 60 }
      if hms.count >= 3 { seconds += hms[2] }
      seconds -= offset
    }
    return seconds
  }

  static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int64 {
    let y = Int64(m <= 2 ? y0 - 1 : y0)
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = Int64((m + 9) % 12)
    let doy = (153 * mp + 2) / 5 + Int64(d) - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  static func civil(_ days: Int64) -> (y: Int, m: Int, d: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
  }

  static func add(duration: [String: String], to t: Int64) -> Int64 {
    var r = t
    func v(_ k: String) -> Int64 { Int64(duration[k] ?? "0") ?? 0 }
    r += v("seconds") + v("minutes") * 60 + v("hours") * 3600 + v("days") * 86_400 + v("weeks") * 7 * 86_400
    if v("months") != 0 || v("years") != 0 {
      let days = r >= 0 ? r / 86_400 : (r - 86_399) / 86_400
      let rem = r - days * 86_400
      let c = civil(days)
      var month = c.m - 1 + Int(v("months"))
      var year = c.y + Int(v("years")) + month / 12
      month = month % 12
      if month < 0 { month += 12; year -= 1 }
      r = daysFromCivil(year, month + 1, c.d) * 86_400 + rem
    }
    return r
  }

  static func matches(spec: [String: String], at t: Int64) -> Bool {
    let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
    let secs = t - days * 86_400
    let c = civil(days)
    let weekday = Int(((days % 7) + 7 + 3) % 7) + 1  // 1 = Monday
    let yearday = Int(days - daysFromCivil(c.y, 1, 1)) + 1
    let values: [String: Int] = [
      "seconds": Int(secs % 60), "minutes": Int((secs / 60) % 60), "hours": Int(secs / 3600),
      "monthdays": c.d, "weekdays": weekday, "yeardays": yearday, "months": c.m, "years": c.y,
    ]
    for (key, range) in spec.sorted(by: { $0.key < $1.key }) {
      guard let value = values[key] else { continue }
      let bounds = range.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
      if bounds.count == 1 { if value != bounds[0] { return false } }
      if bounds.count == 2 { if value < bounds[0] || value > bounds[1] { return false } }
    }
    return true
  }
}
