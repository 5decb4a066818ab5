// Checks of attribute sets (nvpairs, meta values), rules and single attribute values (idrefs, scores, roles,
// booleans, enumerations).

extension Validator {
  mutating func checkAttributeSet(_ set: CIBElement, meta: Bool) {
    if let ref = set[attribute: "id-ref"] { checkIDRef(set, ref) }
    checkScoreAttribute(set, "score")
    for rule in set.elements(named: "rule") { checkRule(rule, inLocation: false) }
    for pair in set.elements(named: "nvpair") {
      if let ref = pair[attribute: "id-ref"] {
        checkIDRef(pair, ref)
        continue
      }
      guard let name = pair[attribute: "name"] else {
        report(.error, .missingAttribute, pair, "nvpair has no name: add name=\"...\"")
        continue
      }
      guard meta, let value = pair[attribute: "value"] else { continue }
      checkMetaValue(pair, name: name, value: value)
    }
  }

  mutating func checkMetaValue(_ pair: CIBElement, name: String, value: String) {
    if metaScoreAttributes.contains(name), Score(parsing: value) == nil {
      // Pacemaker reads meta scores with char2score: "1.0" counts as 1 (a warning), "lots" as 0 (an error here).
      do throws(ScoreParseError) { _ = try Score(validating: value) } catch {
        if case .trailingCharacters = error {
          report(.warning, .invalidScore, pair,
                 "\(name)=\"\(value)\" is read as \(Score(lenient: value)): write a plain integer, INFINITY or -INFINITY")
        } else {
          report(.error, .invalidScore, pair,
                 "\(name)=\"\(value)\" is not a score: use an integer, INFINITY or -INFINITY")
        }
      }
    } else if value == "#default" {
      return  // Pacemaker's "use the default" marker
    } else if metaBooleanAttributes.contains(name), parseBoolean(value) == nil {
      report(.error, .invalidBoolean, pair, "\(name)=\"\(value)\" is not a boolean: use true or false")
    } else if metaTimeAttributes.contains(name) {
      do throws(DurationParseError) { _ = try Milliseconds(interval: value) } catch {
        report(.error, .invalidDuration, pair, "\(name): \(error.message)")
      }
    } else if let allowed = metaEnumAttributes[name], value != "#default", !allowed.contains(value.lowercased()) {
      report(.error, .invalidEnumValue, pair,
             "\(name)=\"\(value)\" is not one of \(allowed.sorted().joined(separator: ", "))")
    } else if name == "target-role", topIsPromotable == false,
      ["promoted", "unpromoted", "master", "slave"].contains(value.lowercased())
    {
      report(.error, .roleNeedsPromotable, pair,
             "target-role=\"\(value)\" only makes sense for promotable clones (Pacemaker ignores it): use Started or Stopped, or make the clone promotable")
    }
  }

  mutating func checkRule(_ rule: CIBElement, inLocation: Bool) {
    if let ref = rule[attribute: "id-ref"] {
      checkIDRef(rule, ref)
      return
    }
    checkScoreAttribute(rule, "score")
    if inLocation, rule[attribute: "score"] == nil, rule[attribute: "score-attribute"] == nil {
      report(.warning, .missingAttribute, rule,
             "a location rule without score or score-attribute scores 0: add score=\"INFINITY\" (or another score)")
    }
    if let op = rule[attribute: "boolean-op"], !["and", "or"].contains(op.lowercased()) {
      report(.error, .invalidEnumValue, rule, "boolean-op=\"\(op)\" is not valid: use and or or")
    }
    checkRole(rule, "role")
    for c in rule.elements {
      switch c.name {
      case "rule": checkRule(c, inLocation: inLocation)
      case "expression":
        if let ref = c[attribute: "id-ref"] {
          checkIDRef(c, ref)
          continue
        }
        if c[attribute: "attribute"] == nil {
          report(.error, .missingAttribute, c, "expression has no attribute: name the node attribute to test, e.g. attribute=\"#uname\"")
        }
        let op = c[attribute: "operation"]
        if let op, !Expression.operations.contains(op) {
          report(.error, .invalidEnumValue, c,
                 "operation=\"\(op)\" is not valid: use one of \(Expression.operations.sorted().joined(separator: ", "))")
        } else if op == nil {
          report(.error, .missingAttribute, c, "expression has no operation: add e.g. operation=\"eq\"")
        } else if let op, !["defined", "not_defined"].contains(op), c[attribute: "value"] == nil {
          report(.error, .missingAttribute, c, "operation \"\(op)\" needs a value: add value=\"...\"")
        }
        if let t = c[attribute: "type"], !Expression.types.contains(t) {
          report(.error, .invalidEnumValue, c,
                 "type=\"\(t)\" is not valid: use one of \(Expression.types.sorted().joined(separator: ", "))")
        }
      case "date_expression":
        let op = c[attribute: "operation"] ?? "in_range"
        if !DateExpression.operations.contains(op) {
          report(.error, .invalidEnumValue, c,
                 "operation=\"\(op)\" is not valid: use one of \(DateExpression.operations.sorted().joined(separator: ", "))")
        } else if op == "date_spec", c.firstElement(named: "date_spec") == nil {
          report(.error, .missingAttribute, c, "operation date_spec needs a <date_spec> child")
        } else if op == "in_range", c[attribute: "start"] == nil, c[attribute: "end"] == nil {
          report(.error, .missingAttribute, c, "operation in_range needs start and/or end (or a duration)")
        } else if op == "gt", c[attribute: "start"] == nil {
          report(.error, .missingAttribute, c, "operation gt needs start=\"...\"")
        } else if op == "lt", c[attribute: "end"] == nil {
          report(.error, .missingAttribute, c, "operation lt needs end=\"...\"")
        }
      default: break
      }
    }
  }

  mutating func checkIDRef(_ e: CIBElement, _ ref: String) {
    if definitions[ref] == nil {
      report(.error, .danglingIDRef, e,
             "id-ref=\"\(ref)\" references an unknown ID: define an element with id \"\(ref)\" or fix the reference")
    } else if let target = definitions[ref], target != e.name {
      report(.error, .danglingIDRef, e,
             "id-ref=\"\(ref)\" points to a \(target), not a \(e.name): reference an element of the same kind")
    }
  }

  /// The schema's score type: an integer, INFINITY, +INFINITY or -INFINITY (the health names red,
  /// yellow and green are for node-health options only).
  mutating func checkScoreAttribute(_ e: CIBElement, _ name: String) {
    guard let v = e[attribute: name] else { return }
    do throws(ScoreParseError) {
      _ = try Score(validating: v)
      if ["red", "yellow", "green"].contains(v.lowercased()) { throw .notANumber(v) }
    } catch {
      report(.error, .invalidScore, e,
             "\(name)=\"\(v)\" is not a score: use an integer, INFINITY or -INFINITY")
    }
  }

  /// Roles as the schema spells them (case matters; Master and Slave are still accepted).
  static let schemaRoles: Set<String> = ["Stopped", "Started", "Promoted", "Unpromoted", "Master", "Slave"]

  mutating func checkRole(_ e: CIBElement, _ name: String) {
    guard let v = e[attribute: name] else { return }
    if !Validator.schemaRoles.contains(v) {
      report(.error, .invalidEnumValue, e,
             "\(name)=\"\(v)\" is not a role: use Stopped, Started, Unpromoted or Promoted (case matters)")
    }
  }

  mutating func checkBoolean(_ e: CIBElement, _ name: String) {
    guard let v = e[attribute: name] else { return }
    if parseBoolean(v) == nil {
      report(.error, .invalidBoolean, e, "\(name)=\"\(v)\" is not a boolean: use true or false")
    }
  }

  mutating func checkEnum(_ e: CIBElement, _ name: String, _ allowed: Set<String>, caseInsensitive: Bool = false) {
    guard let v = e[attribute: name] else { return }
    let ok = caseInsensitive ? allowed.contains { $0.lowercased() == v.lowercased() } : allowed.contains(v)
    if !ok {
      let reset = e.name == "rsc_order" && name == "kind" ? " (Pacemaker resets it to Mandatory)" : ""
      report(.error, .invalidEnumValue, e,
             "\(name)=\"\(v)\" is not valid\(reset): use one of \(allowed.sorted().joined(separator: ", "))")
    }
  }
}
