import CIB

/// When the scheduler's answer may change with no event at all: the DC plans again at the earliest of these.
///
/// Why it exists: the DC computes a transition only when something happens; a failure-timeout that expires, a
/// constraint whose `lifetime=` ends (`pcs resource ban ... lifetime=`, a `date_expression operation="lt"`), or a
/// date rule that starts or ends would otherwise take effect only at the next unrelated event. Pacemaker's scheduler
/// computes the same "recheck-by" time while unpacking; the earliest candidate is when the DC runs the scheduler
/// again. `date_spec` boundaries are not computed (neither does Pacemaker 2.1.5): `cluster-recheck-interval` after now
/// (default 15 min, 0 = off) covers them. Unlike Pacemaker, the interval is armed only when it is set explicitly or a
/// `date_spec` exists: every other boundary is computed exactly, and a timer re-armed forever would replan an idle
/// cluster for nothing (and a cluster never becomes quiet, which the controller's simulations rely on).
public enum RecheckTimer {
  /// Pacemaker's default cluster-recheck-interval.
  public static let defaultIntervalS: Int64 = 15 * 60

  /// The earliest time (seconds since the epoch, > `now`) at which the scheduler's inputs change by the clock alone;
  /// nil when nothing is due and the interval is 0.
  public static func next(cib: CIBElement, input: SchedulerInput, state: ClusterState, now: Int64) -> Int64? {
    var candidates: [Int64] = []
    let conf = cib.firstElement(named: "configuration")
    let explicit = input.clusterOptions["cluster-recheck-interval"]
    if explicit != nil || conf.map(hasDateSpec) == true,
       let interval = intervalS(explicit), interval > 0 {
      candidates.append(now + interval)
    }
    candidates += failureExpiries(state, now: now)
    if let conf { candidates += dateBoundaries(in: conf, now: now) }
    return candidates.filter { $0 > now }.min()
  }

  static func hasDateSpec(_ e: CIBElement) -> Bool {
    (e.name == "date_expression" && e[attribute: "operation"] == "date_spec") || e.elements.contains(where: hasDateSpec)
  }

  /// The interval in whole seconds (nil: unreadable, and then the default applies as Pacemaker does).
  static func intervalS(_ text: String?) -> Int64? {
    guard let text else { return defaultIntervalS }
    guard let ms = try? Milliseconds(time: text) else { return defaultIntervalS }
    return ms.value == 0 ? 0 : max(1, (ms.value + 999) / 1000)
  }

  /// When each recorded failure's fail count expires (last-failure + failure-timeout), still in the future.
  public static func failureExpiries(_ state: ClusterState, now: Int64) -> [Int64] {
    var out: [Int64] = []
    for r in state.resources where r.failureTimeoutS > 0 {
      for (_, last) in r.lastFailure.sorted(by: { $0.key < $1.key }) {
        let t = last + Int64(r.failureTimeoutS)
        if t > now { out.append(t) }
      }
    }
    return out
  }

  /// Where a `date_expression` changes its value after `now`: `gt` one second after start, `lt` at end, `in_range` at
  /// start and one second after its end (the end given, or start + duration).
  public static func dateBoundaries(in element: CIBElement, now: Int64) -> [Int64] {
    var out: [Int64] = []
    if element.name == "date_expression" {
      let start = element[attribute: "start"].flatMap(ISODate.parse)
      var end = element[attribute: "end"].flatMap(ISODate.parse)
      switch element[attribute: "operation"] ?? "in_range" {
      case "gt": if let s = start { out.append(s + 1) }
      case "lt": if let e = end { out.append(e) }
      case "in_range":
        if end == nil, let s = start, let d = element.firstElement(named: "duration") {
          var fields: [String: String] = [:]
          for a in d.attributes where a.name != "id" { fields[a.name] = a.value }
          end = ISODate.add(duration: fields, to: s)
        }
        if let s = start { out.append(s) }
        if let e = end { out.append(e + 1) }
      default: break
      }
    }
    for child in element.elements { out += dateBoundaries(in: child, now: now) }
    return out.filter { $0 > now }
  }
}
