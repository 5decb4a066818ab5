import Foundation
import CIB

/// Stage 2 output: each resource's node scores before assignment (location constraints, stickiness,
/// failure bans, history bans), plus role-specific location scores kept aside for promotion.
///
/// `allowed[r][n] == nil` means node n is not in resource r's allowed list (asymmetric clusters);
/// a present score may be -INFINITY.
public struct NodeScores: Sendable, Equatable {
  public var allowed: [[Int?]]
  /// Location scores that only apply to a role (e.g. role=Promoted), per resource index: (node, role, score).
  public var roleLocations: [[RoleLocation]]
}

public struct RoleLocation: Sendable, Equatable {
  public var node: Int
  public var role: Role
  public var score: Int
}

/// Stage 2: location constraints, stickiness and failure thresholds -> node scores per resource.
public func computeScores(_ state: ClusterState) -> NodeScores {
  let nodeCount = state.nodes.count
  let initial: Int? = state.options.symmetricCluster ? 0 : nil
  var allowed = [[Int?]](repeating: [Int?](repeating: initial, count: nodeCount), count: state.resources.count)
  var roleLocations = [[RoleLocation]](repeating: [], count: state.resources.count)

  func subtree(_ r: Int) -> [Int] {
    var out = [r]
    for c in state.resources[r].children { out += subtree(c) }
    return out
  }
  func addLocation(_ r: Int, node: Int, score: Int) {
    for x in subtree(r) {
      allowed[x][node] = ScoreMath.add(allowed[x][node] ?? 0, score)
    }
  }

  /// A location constraint (Pacemaker's apply_location): the resource and its children get the score, except
  /// that members after the first of a colocated group only become allowed there (score 0), because the
  /// first member's scores already reach them through the internal colocations.
  func addConstraintLocation(_ r: Int, node: Int, score: Int, reset: Bool = false) {
    allowed[r][node] = ScoreMath.add(allowed[r][node] ?? 0, reset ? 0 : score)
    guard !state.resources[r].isPrimitive else { return }
    let colocatedGroup = state.resources[r].variant == .group && isTrue(state.resources[r].meta["collocated"] ?? "true")
    var resetChildren = reset
    for c in state.resources[r].children {
      addConstraintLocation(c, node: node, score: score, reset: resetChildren)
      if colocatedGroup { resetChildren = true }
    }
  }

  // Node health ("#health-*" attributes) for strategies that score it.
  if state.options.nodeHealthStrategy != "none" {
    for node in state.nodes {
      var total = 0
      for (k, v) in node.attributes.sorted(by: { $0.key < $1.key }) where k.hasPrefix("#health") {
        switch v.lowercased() {
        case "red": total = ScoreMath.add(total, state.options.nodeScoreRed)
        case "yellow": total = ScoreMath.add(total, state.options.nodeScoreYellow)
        case "green": total = ScoreMath.add(total, state.options.nodeScoreGreen)
        default: total = ScoreMath.add(total, ScoreMath.parse(v) ?? 0)
        }
      }
      if total != 0 {
        for r in state.topLevel { addConstraintLocation(r, node: node.index, score: total) }
      }
    }
  }

  // Location constraints.
  for loc in state.input.locations {
    var targets: [Int] = []
    if let id = loc.resource, let r = state.resourceByID[id] {
      targets = [resolveConfigured(state, r, id: id)]
    } else if let pattern = loc.resourcePattern {
      targets = state.topLevel.filter { state.resources[$0].id.range(of: pattern, options: .regularExpression) != nil }
    }
    guard !targets.isEmpty else { continue }
    let role = loc.role.flatMap { Role(parsing: $0) }
    let roleSpecific = role == .promoted || role == .unpromoted
    for r in targets {
      var entries: [(Int, Int)] = []
      if let nodeName = loc.node {
        if let n = state.nodeByName[nodeName] { entries.append((n, loc.score)) }
      } else {
        for node in state.nodes {
          for rule in loc.rules {
            let eval = RuleEvaluator(now: state.input.now, nodeAttributes: node.attributes,
                                     resourceParams: [:], resourceMeta: state.resources[r].meta)
            guard eval.evaluate(rule.condition) else { continue }
            var score = rule.score ?? 0
            if rule.score == nil, let attr = rule.scoreAttribute {
              guard let v = node.attributes[attr] else { continue }
              score = ScoreMath.parseOrZero(v)
            }
            let ruleRole = rule.role.flatMap { Role(parsing: $0) } ?? role
            if ruleRole == .promoted || ruleRole == .unpromoted {
              for x in subtree(r) { roleLocations[x].append(RoleLocation(node: node.index, role: ruleRole!, score: score)) }
            } else {
              entries.append((node.index, score))
            }
          }
        }
      }
      for (n, score) in entries {
        if roleSpecific {
          for x in subtree(r) { roleLocations[x].append(RoleLocation(node: n, role: role!, score: score)) }
          // A role-specific ban still makes the node known to asymmetric clusters.
          if allowed[r][n] == nil && score >= 0 { for x in subtree(r) where allowed[x][n] == nil { allowed[x][n] = 0 } }
        } else {
          addConstraintLocation(r, node: n, score: score)
        }
      }
    }
  }

  // An unmanaged primitive is pinned where it runs (Pacemaker adds INFINITY there when it records it active).
  for r in state.resources where r.isPrimitive && !r.managed {
    for n in r.runningOn { allowed[r.index][n] = ScoreMath.add(allowed[r.index][n] ?? 0, ScoreMath.infinity) }
  }

  // Stickiness: a managed primitive active on exactly one node prefers it.
  for r in state.resources where r.isPrimitive {
    guard r.managed, r.stickiness >= 1, r.runningOn.count == 1 else { continue }
    let n = r.runningOn[0]
    if !state.options.symmetricCluster && allowed[r.index][n] == nil { continue }
    allowed[r.index][n] = ScoreMath.add(allowed[r.index][n] ?? 0, r.stickiness)
  }

  // History bans (failed stops, hard errors, masked probes, on-fail=stop).
  for r in state.resources where r.isPrimitive {
    for ban in r.historyLocations {
      let target = ban.onParent ? state.topParent(r.index) : r.index
      if let n = ban.node {
        addLocation(target, node: n, score: ban.score)
      } else {
        for n in 0..<nodeCount { addLocation(target, node: n, score: ban.score) }
      }
    }
  }

  // Failure thresholds: failcount >= migration-threshold bans the node (the whole anonymous clone).
  for r in state.resources where r.isPrimitive {
    for (n, count) in r.failCounts.sorted(by: { $0.key < $1.key }) {
      guard count > 0, !r.failureIgnored else { continue }
      if r.failureTimeoutS > 0, let last = r.lastFailure[n], last + Int64(r.failureTimeoutS) <= state.input.now {
        continue
      }
      guard count >= r.migrationThreshold else { continue }
      var target = r.index
      if let clone = state.isInClone(r.index), !state.resources[clone].unique { target = clone }
      addLocation(target, node: n, score: ScoreMath.minusInfinity)
    }
  }

  return NodeScores(allowed: allowed, roleLocations: roleLocations)
}

/// A constraint naming the configured child of an anonymous clone means the clone's instance template;
/// Pacemaker applies it to the clone's child, i.e. all instances. Map such ids to the clone.
func resolveConfigured(_ state: ClusterState, _ r: Int, id: String) -> Int {
  let rsc = state.resources[r]
  if rsc.instanceNumber != nil, rsc.id != id, let clone = state.isInClone(r) {
    // The id named the template (e.g. "rsc" for instances "rsc:0"..); route to the whole clone's subtree
    // only for the matching level.
    if state.resources[clone].children.contains(r) { return clone }
    return clone
  }
  return r
}
