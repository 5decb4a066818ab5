import CIB
import PolicyEngine

/// Which resources a starting clusterd stops before it joins: what an earlier life of clusterd may have left
/// running on this node.
///
/// What can run here when clusterd starts is what an earlier life started since the machine booted: a reboot, and
/// the watchdog's reset (a reboot; the test stand-in kills the node's cgroup and empties its run folders), ends every
/// process and empties /run. Each life records in a file under /run every resource before it asks the local LRM to
/// start, promote or migrate it here, and every resource a monitor found running here (`.recordMayRun`, performed
/// before the `.runLocally` it precedes). So at start-up the record lists all that may run here: no record means
/// the machine booted since and nothing of ours runs. The stored status adds what the DC recorded active here
/// (a record lost some other way, a CIB from a version without the record).
///
/// Why not stop every configured primitive, as before: with hundreds configured that is hundreds of agent runs
/// before the node may feed its watchdog (below), longer than the watchdog's timeout: the node was reset, started
/// again, stopped everything again and was reset again, for as long as the cluster ran. Now the cost is what this
/// boot ran here, and if even that outlasts the watchdog, the reset empties the record, so the next start has
/// nothing to stop: at most one reset, never a loop.
///
/// Why the node does not feed its watchdog while it stops leftovers, though it has started nothing in this life:
/// the survivors start a lost node's resources once the watchdog bound has passed since they last heard it, and
/// that bound is about the earlier life: it fed last at most C after, and the device fires W after its last feed
/// unless someone feeds it again. A new life that feeds while leftovers still run pushes that deadline back with
/// the leftovers alive; restarted within W (systemd restarts a unit after 100 ms) with stops slower than the
/// survivors' wait, a resource would run here and on a survivor at once. So the rule stays the lease's
/// (`LeaseFacts.leaseHeld`): feed only in a quorate view or with nothing that may run here (stops in flight count as
/// running). In a quorate view the node feeds while it stops: its hello waits for the stops, and the view's join,
/// and with it anything a DC would do, waits for its hello. A frozen or starved daemon loop stops feeding either way.
public enum StartUpCleanup {
  /// The history ids to stop at start-up, newest configured first (the order resources usually stop in), then any
  /// the stored status shows active here that is no longer configured.
  /// - `configured`: the configured primitives' history ids, fencing devices excluded, in configuration order.
  /// - `activeHere`: what the stored status shows active (or pending) on this node.
  /// - `mayRunHere`: the record of this boot (empty: booted since; nil: unknown, so every configured primitive).
  public static func stops(configured: [String], activeHere: [String], mayRunHere: Set<String>?) -> [String] {
    let active = Set(activeHere)
    var out: [String] = []
    var seen: Set<String> = []
    for id in configured.reversed() where mayRunHere.map({ $0.contains(id) }) ?? true || active.contains(id) {
      if seen.insert(id).inserted { out.append(id) }
    }
    for id in activeHere.sorted() where seen.insert(id).inserted { out.append(id) }
    return out
  }
}

extension NodeCore {
  // MARK: start-up

  /// Stops what an earlier life of this node may have left running (`StartUpCleanup`) before it joins. A stop of
  /// something not running is a no-op for an OCF agent; the LRM runs a resource's operations in order, so any later
  /// probe sees the stop's result. The CIB is read once: this runs in the daemon loop, which must turn well within
  /// the watchdog's timeout.
  mutating func startUp(mayRunHere: [String]?) {
    if let mayRunHere { mayRunRecorded = Set(mayRunHere) }
    guard let input = try? CIBReader.read(controller.cib, now: now.wallSeconds) else {
      phase = .idle
      return
    }
    let state = interpretStatus(input)
    var configured: [String] = []
    var seen: Set<String> = []
    for r in state.resources where r.isPrimitive && r.agentClass != "stonith" {
      var id = r.id
      if let clone = state.isInClone(r.index), !state.resources[clone].unique { id = r.baseID }
      if seen.insert(id).inserted { configured.append(id) }
    }
    let ids = StartUpCleanup.stops(
      configured: configured, activeHere: controller.activeResources(on: config.localNode.name, state),
      mayRunHere: mayRunHere.map { Set($0) })
    var pending: Set<String> = []
    var stops: [ControllerEffect] = []
    for rid in ids {
      let effects = controller.leaseStop(rid, input: input).filter {
        if case .execute = $0 { true } else { false }  // recurring ops of an earlier life are unknown to this LRM
      }
      guard !effects.isEmpty else { continue }
      stops += effects
      pending.insert(rid)
    }
    phase = pending.isEmpty ? .idle : .cleaningUp(stopsPending: pending, join: nil)
    let recorded = mayRunHere.map { "\($0.count) recorded in this boot" } ?? "no record of this boot: all configured"
    guard !stops.isEmpty else {
      log(.info, "nothing of an earlier life of this node to stop (\(recorded))")
      return
    }
    log(.notice, "stopping what an earlier life of this node may have left running: \(pending.count) resource(s) "
          + "(\(recorded), \(configured.count) configured)")
    perform(stops)
  }

  /// A local stop completed: once every leftover is stopped the node joins (its hello goes out), and the record of
  /// what may run here keeps only what could not be stopped.
  mutating func startUpStopDone(_ resource: String, rc: Int, done: Bool) {
    guard case .cleaningUp(var pending, let join) = phase, pending.contains(resource) else { return }
    pending.remove(resource)
    // 5 (not installed) and 7 (not running): nothing of it runs here.
    if !done || ![0, 5, 7].contains(rc) {
      log(.error, "could not stop \(resource) left from an earlier life (rc=\(rc)); the DC's probe will find it")
      mayRunRecorded.insert(resource)
    } else {
      mayRunRecorded.remove(resource)
    }
    guard pending.isEmpty else {
      phase = .cleaningUp(stopsPending: pending, join: join)
      return
    }
    out.append(.rewriteMayRun(mayRunRecorded.sorted()))
    log(.notice, "leftovers stopped; joining")
    if let join, join.view == view?.id {
      phase = .joining(join)
      sendHello()
      checkHellos()
    } else {
      phase = .idle
    }
  }

  /// Adds `resource` to this boot's record of what may run here, before the operation that may make it run.
  mutating func recordMayRun(_ resource: String) {
    guard mayRunRecorded.insert(resource).inserted else { return }
    out.append(.recordMayRun(resource))
  }
}
