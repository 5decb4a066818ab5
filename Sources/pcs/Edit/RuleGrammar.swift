import CIB

/// pcs 0.11.5's rule expressions (`constraint location R rule ...`): the grammar, its errors, and the XML pcs writes.
///
/// Grammar (pcs's words, lowercase only):
///   rule     := operand (("and" | "or") operand)*          left to right, one precedence for both
///   operand  := "(" rule ")" | "defined" ATTR | "not_defined" ATTR
///             | "date" ("gt" | "lt") DATE | "date" "in_range" DATE "to" (DATE | "duration" PART+)
///             | "date-spec" PART+ | ATTR OP [TYPE] VALUE
///   OP := lt | gt | lte | gte | eq | ne,  TYPE := integer | number | version | string,  PART := key=value
/// A chain of one operator is one `<rule>` with that boolean-op; a change of operator makes the chain so far a
/// nested `<rule score="0">` (so `a or b and c` is `(a or b) and c`, as pcs writes it); parentheses group, and a
/// group with the same operator as its parent merges into it.
indirect enum RuleNode: Equatable, Sendable {
  case boolean(op: String, children: [RuleNode])
  /// `defined`/`not_defined` have no type and no value.
  case attribute(name: String, op: String, type: String?, value: String?)
  case date(op: String, start: String?, end: String?, duration: [(String, String)]?)
  case dateSpec([(String, String)])

  static func == (a: RuleNode, b: RuleNode) -> Bool {
    switch (a, b) {
    case (.boolean(let o1, let c1), .boolean(let o2, let c2)): o1 == o2 && c1 == c2
    case (.attribute(let n1, let o1, let t1, let v1), .attribute(let n2, let o2, let t2, let v2)):
      n1 == n2 && o1 == o2 && t1 == t2 && v1 == v2
    case (.date(let o1, let s1, let e1, let d1), .date(let o2, let s2, let e2, let d2)):
      o1 == o2 && s1 == s2 && e1 == e2 && d1?.map { "\($0)=\($1)" } == d2?.map { "\($0)=\($1)" }
    case (.dateSpec(let p1), .dateSpec(let p2)): p1.map { "\($0)=\($1)" } == p2.map { "\($0)=\($1)" }
    default: false
    }
  }
}

/// A rule pcs cannot parse; `reason` is pcs's wording after "is not a valid rule expression: ".
struct RuleSyntaxError: Error, Equatable, Sendable {
  var reason: String
}

enum RuleGrammar {
  static let comparisons: Set<String> = ["lt", "gt", "lte", "gte", "eq", "ne"]
  static let types: Set<String> = ["integer", "number", "version", "string"]
  /// date-spec and duration keys pcs accepts (Pacemaker's minutes and seconds are not among them).
  static let partKeys: Set<String> = ["hours", "monthdays", "weekdays", "yeardays", "months", "weeks", "years", "weekyears", "moon"]
  /// Bounds pcs checks on a single date-spec value (a range such as `9-25` is taken as written).
  static let partBounds: [String: ClosedRange<Int>] = ["hours": 0...23, "weekdays": 1...7]

  static func parse(_ words: [String]) throws(RuleSyntaxError) -> RuleNode {
    let tokens = tokenize(words)
    var parser = Parser(words: tokens)
    let node = try parser.rule(depth: 0)
    if parser.position < tokens.count { throw RuleSyntaxError(reason: "unexpected '\(tokens[parser.position])'") }
    return node
  }

  /// Parentheses written against a word (`(#uname`, `node2)`) are tokens of their own, as pcs reads them.
  static func tokenize(_ words: [String]) -> [String] {
    var tokens: [String] = []
    for word in words {
      var rest = Substring(word)
      while rest.first == "(" {
        tokens.append("(")
        rest = rest.dropFirst()
      }
      var closing = 0
      while rest.last == ")" {
        closing += 1
        rest = rest.dropLast()
      }
      if !rest.isEmpty { tokens.append(String(rest)) }
      tokens += Array(repeating: ")", count: closing)
    }
    return tokens
  }

  /// The rule's whole text as pcs quotes it in its error.
  static func message(_ words: [String], _ error: RuleSyntaxError) -> String {
    "'\(words.joined(separator: " "))' is not a valid rule expression: \(error.reason)"
  }

  /// Recursion bound for parentheses (a rule is one command line; 32 levels is far beyond any real one).
  static let depthMax = 32

  struct Parser {
    let words: [String]
    var position = 0

    var next: String? { position < words.count ? words[position] : nil }

    mutating func take() throws(RuleSyntaxError) -> String {
      guard let w = next else { throw RuleSyntaxError(reason: "unexpected end of rule") }
      position += 1
      return w
    }

    mutating func rule(depth: Int) throws(RuleSyntaxError) -> RuleNode {
      guard depth < RuleGrammar.depthMax else { throw RuleSyntaxError(reason: "too many nested parentheses") }
      var result = try operand(depth: depth)
      while let op = next, op == "and" || op == "or" {
        position += 1
        let right = try operand(depth: depth)
        result = RuleGrammar.combine(op, result, right)
      }
      return result
    }

    mutating func operand(depth: Int) throws(RuleSyntaxError) -> RuleNode {
      let word = try take()
      switch word {
      case "(":
        let inner = try rule(depth: depth + 1)
        guard next == ")" else {
          if let w = next { throw RuleSyntaxError(reason: "unexpected '\(w)'") }
          throw RuleSyntaxError(reason: "missing ')'")
        }
        position += 1
        return inner
      case ")", "and", "or": throw RuleSyntaxError(reason: "unexpected '\(word)'")
      case "defined", "not_defined":
        let name = try take()
        return .attribute(name: name, op: word, type: nil, value: nil)
      case "date-spec":
        return .dateSpec(try parts(in: "date-spec"))
      case "date" where next == "gt" || next == "lt" || next == "in_range":
        return try dateExpression()
      default:
        let op = try take()
        if op == "in_range" { throw RuleSyntaxError(reason: "unexpected '\(word)' before 'in_range'") }
        guard RuleGrammar.comparisons.contains(op) else { throw RuleSyntaxError(reason: "unexpected '\(op)'") }
        var type: String?
        if let t = next, RuleGrammar.types.contains(t) {
          position += 1
          type = t
        }
        let value = try take()
        try RuleGrammar.checkValue(value, type: type)
        return .attribute(name: word, op: op, type: type, value: value)
      }
    }

    mutating func dateExpression() throws(RuleSyntaxError) -> RuleNode {
      let op = try take()
      let first = try take()
      switch op {
      case "gt": return .date(op: op, start: try RuleGrammar.checkDate(first), end: nil, duration: nil)
      case "lt": return .date(op: op, start: nil, end: try RuleGrammar.checkDate(first), duration: nil)
      default:
        if first == "to" { throw RuleSyntaxError(reason: "unexpected 'to'") }
        let start = try RuleGrammar.checkDate(first)
        guard next == "to" else {
          if let w = next { throw RuleSyntaxError(reason: "unexpected '\(w)'") }
          throw RuleSyntaxError(reason: "missing 'to'")
        }
        position += 1
        if next == "duration" {
          position += 1
          return .date(op: "in_range", start: start, end: nil, duration: try parts(in: "duration"))
        }
        return .date(op: "in_range", start: start, end: try RuleGrammar.checkDate(try take()), duration: nil)
      }
    }

    /// One or more `key=value` words with pcs's date-spec keys; stops at the first other word.
    mutating func parts(in what: String) throws(RuleSyntaxError) -> [(String, String)] {
      var result: [(String, String)] = []
      while let w = next, let eq = w.firstIndex(of: "="), RuleGrammar.partKeys.contains(String(w[..<eq])) {
        let key = String(w[..<eq]), value = String(w[w.index(after: eq)...])
        try RuleGrammar.checkPart(key, value, in: what)
        result.append((key, value))
        position += 1
      }
      if result.isEmpty {
        guard let w = next else { throw RuleSyntaxError(reason: "unexpected end of rule") }
        throw RuleSyntaxError(reason: "unexpected '\(w)' in \(what)")
      }
      return result
    }
  }

  /// `left op right`, merging chains of one operator as pcs does.
  static func combine(_ op: String, _ left: RuleNode, _ right: RuleNode) -> RuleNode {
    var children: [RuleNode] = []
    if case .boolean(op, let c) = left { children = c } else { children = [left] }
    if case .boolean(op, let c) = right { children += c } else { children.append(right) }
    return .boolean(op: op, children: children)
  }

  static func checkValue(_ value: String, type: String?) throws(RuleSyntaxError) {
    let ok: Bool
    switch type {
    case "integer": ok = Int(value) != nil
    case "number": ok = Double(value) != nil && value.allSatisfy { $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" }
    case "version": ok = !value.isEmpty && value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    default: ok = true
    }
    if !ok { throw RuleSyntaxError(reason: "invalid \(type ?? "") value '\(value)'") }
  }

  static func checkPart(_ key: String, _ value: String, in what: String) throws(RuleSyntaxError) {
    let bad = RuleSyntaxError(reason: "invalid \(key) '\(value)' in '\(what)'")
    if what == "duration" {
      guard Int(value) != nil else { throw bad }
      return
    }
    let bounds = value.split(separator: "-", omittingEmptySubsequences: false)
    guard (1...2).contains(bounds.count), bounds.allSatisfy({ Int($0) != nil }) else { throw bad }
    if bounds.count == 1, let range = partBounds[key], let n = Int(value), !range.contains(n) { throw bad }
  }

  /// An ISO 8601 date, optionally with a time and a zone (`2026-01-01`, `2026-01-01T12:00:00Z`); returned as written.
  static func checkDate(_ text: String) throws(RuleSyntaxError) -> String {
    let bad = RuleSyntaxError(reason: "'\(text)' is not an ISO 8601 date")
    let halves = text.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
    let ymd = halves[0].split(separator: "-", omittingEmptySubsequences: false)
    guard ymd.count == 3, ymd[0].count == 4, ymd[1].count == 2, ymd[2].count == 2,
      let y = Int(ymd[0]), let m = Int(ymd[1]), let d = Int(ymd[2]), y > 0, (1...12).contains(m)
    else { throw bad }
    let daysInMonth = [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard (1...daysInMonth[m - 1]).contains(d) else { throw bad }
    if halves.count == 2 {
      var time = Substring(halves[1])
      if time.hasSuffix("Z") { time = time.dropLast() } else if let sign = time.lastIndex(where: { $0 == "+" || $0 == "-" }) {
        time = time[..<sign]
      }
      let hms = time.split(separator: ":", omittingEmptySubsequences: false)
      guard (1...3).contains(hms.count), let h = Int(hms[0]), (0...23).contains(h),
        hms.dropFirst().allSatisfy({ $0.count == 2 && Int($0).map { (0...59).contains($0) } == true })
      else { throw bad }
    }
    return text
  }

  /// The `<rule>` pcs writes for `node` (top level: `attributes` are id, role, score or score-attribute).
  static func element(
    _ node: RuleNode, id: String, role: String?, scoreAttribute: (String, String), ids: inout IdProvider
  ) -> CIBElement {
    var rule = CIBElement("rule", ["id": id])
    if let role { rule[attribute: "role"] = role }
    fill(&rule, node, ruleId: id, scoreAttribute: scoreAttribute, ids: &ids)
    return rule
  }

  private static func fill(
    _ rule: inout CIBElement, _ node: RuleNode, ruleId: String, scoreAttribute: (String, String), ids: inout IdProvider
  ) {
    let children: [RuleNode]
    if case .boolean(let op, let c) = node {
      rule[attribute: "boolean-op"] = op
      children = c
    } else {
      children = [node]
    }
    rule[attribute: scoreAttribute.0] = scoreAttribute.1
    for child in children {
      switch child {
      case .boolean:
        let nestedId = ids.subelementId(ruleId, "rule")
        var nested = CIBElement("rule", ["id": nestedId])
        fill(&nested, child, ruleId: nestedId, scoreAttribute: ("score", "0"), ids: &ids)
        rule.append(nested)
      case .attribute(let name, let op, let type, let value):
        var e = CIBElement("expression", ["id": ids.subelementId(ruleId, "expr"), "operation": op, "attribute": name])
        if let type { e[attribute: "type"] = type }
        if let value { e[attribute: "value"] = value }
        rule.append(e)
      case .date(let op, let start, let end, let duration):
        let exprId = ids.subelementId(ruleId, "expr")
        var e = CIBElement("date_expression", ["id": exprId, "operation": op])
        if let start { e[attribute: "start"] = start }
        if let end { e[attribute: "end"] = end }
        if let duration { e.append(parts("duration", id: ids.subelementId(exprId, "duration"), duration)) }
        rule.append(e)
      case .dateSpec(let spec):
        let exprId = ids.subelementId(ruleId, "expr")
        var e = CIBElement("date_expression", ["id": exprId, "operation": "date_spec"])
        e.append(parts("date_spec", id: ids.subelementId(exprId, "datespec"), spec))
        rule.append(e)
      }
    }
  }

  private static func parts(_ name: String, id: String, _ parts: [(String, String)]) -> CIBElement {
    var e = CIBElement(name, ["id": id])
    for (k, v) in parts { e[attribute: k] = v }
    return e
  }

  /// Whether the rule uses `type="integer"`, which Pacemaker's schema accepts from pacemaker-3.5 on.
  static func usesIntegerType(_ node: RuleNode) -> Bool {
    switch node {
    case .boolean(_, let children): children.contains(where: usesIntegerType)
    case .attribute(_, _, let type, _): type == "integer"
    case .date, .dateSpec: false
    }
  }
}
