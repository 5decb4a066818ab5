/// A rule as evaluation sees it: every `id-ref` followed, each condition reduced to what it tests.
///
/// Why a second shape beside `Rule`: `Rule` keeps the document (ids, raw texts, references) so it can be
/// edited and written back; evaluation (location rules, conditional attribute sets) walks the same tree many
/// times per node and wants neither references nor raw elements. `Rule.resolved(_:)` builds it once.
public indirect enum ResolvedRule: Sendable, Equatable {
  case all([ResolvedRule])
  case any([ResolvedRule])
  /// `expression`: `operation` defaults to "eq", a missing `attribute` reads as "".
  case expression(attribute: String, operation: String, value: String?, type: String?, valueSource: String?)
  /// `date_expression`: `operation` defaults to "in_range"; `spec` and `duration` hold the `date_spec` and
  /// `duration` fields present (years, months, weekdays...), by attribute name.
  case date(operation: String, start: String?, end: String?, spec: [String: String], duration: [String: String])
  /// `rsc_expression` and `op_expression` (meaningful only to defaults): satisfied.
  case constant(Bool)
}

extension Rule {
  /// This rule with its references followed: the rule an `id-ref` names (itself when the reference is
  /// dangling), and in it each nested rule or expression an `id-ref` names. `lookup` finds the element with an
  /// id (one that is not itself a reference).
  public func resolved(_ lookup: (String) -> CIBElement?) -> ResolvedRule {
    if let ref = idRef, let target = lookup(ref) { return Rule(decoding: target).resolvedConditions(lookup) }
    return resolvedConditions(lookup)
  }

  private func resolvedConditions(_ lookup: (String) -> CIBElement?) -> ResolvedRule {
    let parts = conditions.map { $0.resolved(lookup) }
    return booleanOpText?.lowercased() == "or" ? .any(parts) : .all(parts)
  }
}

extension RuleCondition {
  fileprivate func resolved(_ lookup: (String) -> CIBElement?) -> ResolvedRule {
    switch self {
    case .expression(var x):
      if let ref = x.idRef, let target = lookup(ref) { x = Expression(decoding: target) }
      return .expression(
        attribute: x.attribute ?? "", operation: x.operation ?? "eq", value: x.value, type: x.type,
        valueSource: x.valueSource)
    case .dateExpression(var x):
      if let ref = x.source[attribute: "id-ref"], let target = lookup(ref) { x = DateExpression(decoding: target) }
      return .date(
        operation: x.operation ?? "in_range", start: x.start, end: x.end, spec: x.dateSpec?.fields ?? [:],
        duration: x.duration?.fields ?? [:])
    case .rule(let r):
      return r.resolved(lookup)
    case .resourceExpression, .operationExpression:
      return .constant(true)
    }
  }
}

extension DateSpec {
  /// The fields present, by attribute name ("years", "weekdays"...).
  public var fields: [String: String] {
    var out: [String: String] = [:]
    let all: [(String, String?)] = [
      ("seconds", seconds), ("minutes", minutes), ("hours", hours), ("days", days), ("monthdays", monthdays),
      ("weekdays", weekdays), ("yeardays", yeardays), ("months", months), ("weeks", weeks), ("years", years),
      ("weekyears", weekyears), ("moon", moon),
    ]
    for (name, value) in all { if let value { out[name] = value } }
    return out
  }
}
