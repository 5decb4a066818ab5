import CIB
import TestKit

/// Makes new scheduler inputs from known ones: seeded, random changes of the kinds a cluster sees (a node lost, a
/// node put in standby, an operation failing, a location score or a target role changed). The differential test
/// runs the result through Pacemaker's crm_simulate and ours; the CIB stays valid for both, because each change
/// only edits attributes or adds a uniquely named nvpair.
struct CIBMutator {
  enum Change: CaseIterable, CustomStringConvertible {
    case nodeLost, nodeStandby, operationFailed, locationScore, targetRole

    var description: String {
      switch self {
      case .nodeLost: return "node-lost"
      case .nodeStandby: return "node-standby"
      case .operationFailed: return "operation-failed"
      case .locationScore: return "location-score"
      case .targetRole: return "target-role"
      }
    }
  }

  var rng: SplitMix64
  /// Each change adds nvpairs with ids from this counter, so two changes never collide.
  private var nextID = 0

  init(seed: UInt64) { rng = SplitMix64(seed: seed) }

  mutating func pick<T>(_ items: [T]) -> T? {
    items.isEmpty ? nil : items[Int.random(in: 0..<items.count, using: &rng)]
  }

  /// Applies `count` random changes; returns what was changed (for the failure message), empty if none applied.
  mutating func mutate(_ cib: inout CIBElement, count: Int) -> [String] {
    var done: [String] = []
    var attempts = 0
    while done.count < count && attempts < count * 8 {
      attempts += 1
      guard let change = pick(Change.allCases) else { break }
      if let what = apply(change, to: &cib) { done.append(what) }
    }
    return done
  }

  mutating func apply(_ change: Change, to cib: inout CIBElement) -> String? {
    switch change {
    case .nodeLost:
      // The node drops out of the membership while expected up: Pacemaker fences it (if it can).
      let paths = elementPaths(cib, ["status", "node_state"])
      guard let path = pick(paths) else { return nil }
      var name = ""
      edit(&cib, path) { e in
        e[attribute: "in_ccm"] = "false"
        e[attribute: "crmd"] = "offline"
        e[attribute: "join"] = "down"
        name = e[attribute: "uname"] ?? e.id ?? "?"
      }
      return "\(change) \(name)"
    case .nodeStandby:
      let paths = elementPaths(cib, ["configuration", "nodes", "node"])
      guard let path = pick(paths) else { return nil }
      var name = ""
      let id = newID("standby")
      edit(&cib, path) { e in
        name = e[attribute: "uname"] ?? e.id ?? "?"
        let pair = CIBElement("nvpair", ["id": id, "name": "standby", "value": "on"])
        if let i = e.childIndex(named: "instance_attributes"), case .element(var set) = e.children[i] {
          set.children.insert(.element(pair), at: 0)
          e.children[i] = .element(set)
        } else {
          e.append(CIBElement("instance_attributes", ["id": id + "-set"], children: [pair]))
        }
      }
      return "\(change) \(name)"
    case .operationFailed:
      // A recorded monitor or start now reports a generic error (rc 1).
      let paths = elementPaths(cib, ["status", "node_state", "lrm", "lrm_resources", "lrm_resource", "lrm_rsc_op"])
        .filter { p in
          let e = element(cib, p)
          return ["monitor", "start"].contains(e?[attribute: "operation"] ?? "") && e?[attribute: "rc-code"] == "0"
            && e?[attribute: "op-status"] == "0"
        }
      guard let path = pick(paths) else { return nil }
      var what = ""
      edit(&cib, path) { e in
        e[attribute: "rc-code"] = "1"
        what = e.id ?? "?"
      }
      return "\(change) \(what)"
    case .locationScore:
      let paths = elementPaths(cib, ["configuration", "constraints", "rsc_location"])
        .filter { element(cib, $0)?[attribute: "score"] != nil }
      guard let path = pick(paths), let score = pick(["-INFINITY", "-100", "0", "50", "100", "INFINITY"]) else {
        return nil
      }
      var what = ""
      edit(&cib, path) { e in
        e[attribute: "score"] = score
        what = "\(e.id ?? "?")=\(score)"
      }
      return "\(change) \(what)"
    case .targetRole:
      let paths = elementPaths(cib, ["configuration", "resources", "*"])
        .filter { ["primitive", "group", "clone", "master"].contains(element(cib, $0)?.name ?? "") }
      guard let path = pick(paths), let target = element(cib, path) else { return nil }
      let promotable = target.name == "master"
        || target.elements(named: "meta_attributes").contains { set in
          set.elements(named: "nvpair").contains { $0[attribute: "name"] == "promotable" && $0[attribute: "value"] == "true" }
        }
      guard let role = pick(promotable ? ["Stopped", "Started", "Unpromoted", "Promoted"] : ["Stopped", "Started"]) else {
        return nil
      }
      let id = newID("target-role")
      edit(&cib, path) { e in
        // A new first meta_attributes set wins over any existing target-role (first set wins).
        let set = CIBElement("meta_attributes", ["id": id + "-set"],
                             children: [CIBElement("nvpair", ["id": id, "name": "target-role", "value": role])])
        let at = e.children.firstIndex { if case .element = $0 { return true } else { return false } } ?? e.children.count
        e.children.insert(.element(set), at: at)
      }
      return "\(change) \(target.id ?? "?")=\(role)"
    }
  }

  private mutating func newID(_ kind: String) -> String {
    nextID += 1
    return "vigil-mutation-\(kind)-\(nextID)"
  }

  /// Child-index paths of the elements reached by following `names` from the root ("*" matches any name).
  func elementPaths(_ root: CIBElement, _ names: [String]) -> [[Int]] {
    var out: [[Int]] = []
    func walk(_ e: CIBElement, _ rest: ArraySlice<String>, _ path: [Int]) {
      guard let name = rest.first else { out.append(path); return }
      for (i, c) in e.children.enumerated() {
        guard case .element(let child) = c, name == "*" || child.name == name else { continue }
        walk(child, rest.dropFirst(), path + [i])
      }
    }
    walk(root, names[...], [])
    return out
  }

  func element(_ root: CIBElement, _ path: [Int]) -> CIBElement? {
    var e = root
    for i in path {
      guard case .element(let child) = e.children[i] else { return nil }
      e = child
    }
    return e
  }

  func edit(_ root: inout CIBElement, _ path: [Int], _ body: (inout CIBElement) -> Void) {
    guard let first = path.first else { body(&root); return }
    guard case .element(var child) = root.children[first] else { return }
    edit(&child, Array(path.dropFirst()), body)
    root.children[first] = .element(child)
  }
}
