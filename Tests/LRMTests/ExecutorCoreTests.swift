import TestKit
import Testing
@testable import LRM

/// The scheduling core alone: inputs in, effects out, no processes and no clock.
struct ExecutorCoreTests {
  let dummy = try! ResourceAgentName.parse("ocf:heartbeat:Dummy")

  func call(_ rsc: String, _ action: AgentAction, every interval: Duration = .zero) -> AgentCall {
    AgentCall(resource: rsc, agent: dummy, action: action, interval: interval, timeout: .seconds(20))
  }
  func ok() -> OperationResult { OperationResult(status: .done, code: .ocf(.success), ocf: .success) }
  func notRunning() -> OperationResult { OperationResult(status: .done, code: .ocf(.notRunning), ocf: .notRunning) }

  func runs(_ effects: [ExecutorEffect]) -> [(RunID, AgentCall)] {
    effects.compactMap { if case .runOperation(let id, let c) = $0 { (id, c) } else { nil } }
  }
  func reports(_ effects: [ExecutorEffect]) -> [OperationReport] {
    effects.compactMap { if case .report(let r) = $0 { r } else { nil } }
  }

  @Test func oneShotRunsAndReports() {
    var core = ExecutorCore(limits: ExecutorLimits())
    let e1 = core.handle(.operationRequested(call("a", .start)))
    #expect(e1 == [.runOperation(RunID(1), call("a", .start))])
    let e2 = core.handle(.operationCompleted(RunID(1), ok()))
    #expect(e2 == [.report(OperationReport(key: OperationKey(call("a", .start)), call: call("a", .start), result: ok()))])
    core.checkInvariants()
  }

  @Test func neverTwoOperationsOnOneResourceAtOnce() {
    var core = ExecutorCore(limits: ExecutorLimits())
    #expect(runs(core.handle(.operationRequested(call("a", .start)))).count == 1)
    // Same resource: queued, not run. Another resource: runs at once.
    #expect(runs(core.handle(.operationRequested(call("a", .monitor)))).isEmpty)
    #expect(runs(core.handle(.operationRequested(call("b", .start)))).map(\.1.resource) == ["b"])
    core.checkInvariants()
    // When a's start completes, a's monitor starts (and only then).
    let e = core.handle(.operationCompleted(RunID(1), ok()))
    #expect(runs(e).map { "\($0.1.resource):\($0.1.action.rawValue)" } == ["a:monitor"])
    #expect(core.runningCount == 2)
    core.checkInvariants()
  }

  @Test func concurrencyIsBoundedAndQueueIsFIFO() {
    var core = ExecutorCore(limits: ExecutorLimits(concurrentOperationsMax: 2))
    var started: [String] = []
    for r in ["r1", "r2", "r3", "r4"] {
      started += runs(core.handle(.operationRequested(call(r, .start)))).map(\.1.resource)
      core.checkInvariants()
    }
    #expect(started == ["r1", "r2"])
    #expect(core.queuedCount == 2)
    started += runs(core.handle(.operationCompleted(RunID(2), ok()))).map(\.1.resource)
    started += runs(core.handle(.operationCompleted(RunID(1), ok()))).map(\.1.resource)
    #expect(started == ["r1", "r2", "r3", "r4"])
    core.checkInvariants()
  }

  @Test func queueBoundRefusesWithAResult() {
    var core = ExecutorCore(limits: ExecutorLimits(concurrentOperationsMax: 1, queuedOperationsMax: 1))
    _ = core.handle(.operationRequested(call("a", .start)))
    _ = core.handle(.operationRequested(call("b", .start)))
    let refused = reports(core.handle(.operationRequested(call("c", .start))))
    #expect(refused.count == 1)
    #expect(refused.first?.key.resource == "c")
    #expect(refused.first?.result.ocf == .genericError)
    #expect(core.queuedCount == 1)
  }

  @Test func recurringMonitorReportsOnlyChangesAndReschedulesItself() {
    var core = ExecutorCore(limits: ExecutorLimits())
    let mon = call("a", .monitor, every: .seconds(10))
    let key = OperationKey(mon)
    #expect(runs(core.handle(.operationRequested(mon))).count == 1)
    // First result is always reported, then the timer is armed for the interval.
    var e = core.handle(.operationCompleted(RunID(1), ok()))
    #expect(reports(e).map(\.result.ocf) == [.success])
    #expect(e.contains(.startTimer(key, after: .seconds(10))))
    // Same result again: silent, re-armed.
    e = core.handle(.timerFired(key))
    #expect(runs(e).map(\.0) == [RunID(2)])
    e = core.handle(.operationCompleted(RunID(2), ok()))
    #expect(reports(e).isEmpty)
    #expect(e == [.startTimer(key, after: .seconds(10))])
    // A change is reported once.
    _ = core.handle(.timerFired(key))
    e = core.handle(.operationCompleted(RunID(3), notRunning()))
    #expect(reports(e).map(\.result.ocf) == [.notRunning])
    _ = core.handle(.timerFired(key))
    e = core.handle(.operationCompleted(RunID(4), notRunning()))
    #expect(reports(e).isEmpty)
    _ = core.handle(.timerFired(key))
    e = core.handle(.operationCompleted(RunID(5), ok()))
    #expect(reports(e).map(\.result.ocf) == [.success])
  }

  @Test func cancellationStopsTheMonitorAndDropsItsInFlightResult() {
    var core = ExecutorCore(limits: ExecutorLimits())
    let mon = call("a", .monitor, every: .seconds(10))
    let key = OperationKey(mon)
    _ = core.handle(.operationRequested(mon))
    let e = core.handle(.cancelRequested(key))
    #expect(e.contains(.cancelTimer(key)))
    #expect(reports(e).map(\.result.status) == [.cancelled])
    #expect(core.recurringKeys.isEmpty)
    // The run in flight completes: no report, no new timer.
    #expect(core.handle(.operationCompleted(RunID(1), notRunning())).isEmpty)
    // A stale timer firing does nothing.
    #expect(core.handle(.timerFired(key)).isEmpty)
    core.checkInvariants()
  }

  @Test func aProbeWaitsBehindAStopOnTheSameResource() {
    var core = ExecutorCore(limits: ExecutorLimits())
    _ = core.handle(.operationRequested(call("a", .stop)))  // runs now (resource idle)
    #expect(runs(core.handle(.operationRequested(call("a", .monitor)))).isEmpty)
    let e = core.handle(.operationCompleted(RunID(1), ok()))
    #expect(runs(e).map(\.1.action) == [.monitor])
  }

  /// A stop ends its resource's recurring operations before it runs, cancelled by the controller or not (the
  /// controller cancels only what its recorded history shows): the armed timer, a queued run and a run in flight
  /// all end without a report, so nothing says "not running" after the stop.
  @Test func aStopEndsTheRecurringOperationsOfItsResource() {
    var core = ExecutorCore(limits: ExecutorLimits())
    let mon = call("a", .monitor, every: .seconds(5))
    let slow = call("a", .monitor, every: .seconds(30))
    let other = call("b", .monitor, every: .seconds(5))
    _ = core.handle(.operationRequested(mon))       // run1
    _ = core.handle(.operationRequested(other))     // run2
    _ = core.handle(.operationCompleted(RunID(1), ok()))  // mon armed; slow queues next
    _ = core.handle(.operationRequested(slow))      // run3, in flight when the stop comes
    var e = core.handle(.operationRequested(call("a", .stop)))
    #expect(e.contains(.cancelTimer(OperationKey(mon))) && e.contains(.cancelTimer(OperationKey(slow))))
    #expect(reports(e).map(\.key).sorted() == [OperationKey(mon), OperationKey(slow)].sorted())
    #expect(reports(e).allSatisfy { $0.result.status == .cancelled })
    #expect(core.recurringKeys == [OperationKey(other)], "b's monitor is not a's")
    #expect(core.handle(.timerFired(OperationKey(mon))).isEmpty)
    // The run in flight ends: no report; the stop runs next.
    e = core.handle(.operationCompleted(RunID(3), notRunning()))
    #expect(reports(e).isEmpty)
    #expect(runs(e).map(\.1.action) == [.stop])
    e = core.handle(.operationCompleted(RunID(4), ok()))
    #expect(reports(e).map(\.key.action) == [.stop])
    #expect(!e.contains { if case .startTimer = $0 { true } else { false } })
    core.checkInvariants()
  }

  /// Seeded random interleavings of requests, completions, timers and cancels never break the invariants.
  @Test(arguments: [1, 2, 3, 42, 1234] as [UInt64])
  func randomScheduleKeepsInvariants(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var core = ExecutorCore(limits: ExecutorLimits(concurrentOperationsMax: 3, queuedOperationsMax: 50))
    var inFlight: [RunID] = []
    var timers: Set<OperationKey> = []
    let resources = ["r1", "r2", "r3", "r4", "r5"]
    /// Resources whose last request was a stop: none of their recurring operations may report any more.
    var stopped: Set<String> = []
    for _ in 0..<2000 {
      let effects: [ExecutorEffect]
      switch Int.random(in: 0..<5, using: &rng) {
      case 0:
        let r = resources.randomElement(using: &rng)!
        switch Int.random(in: 0..<3, using: &rng) {
        case 0:
          effects = core.handle(.operationRequested(call(r, .monitor, every: .seconds(10))))
          stopped.remove(r)
        case 1: effects = core.handle(.operationRequested(call(r, .start)))
        default:
          effects = core.handle(.operationRequested(call(r, .stop)))
          stopped.insert(r)
        }
      case 1, 2:
        guard !inFlight.isEmpty else { continue }
        let id = inFlight.remove(at: Int.random(in: 0..<inFlight.count, using: &rng))
        effects = core.handle(.operationCompleted(id, Bool.random(using: &rng) ? ok() : notRunning()))
      case 3:
        guard let key = timers.sorted().randomElement(using: &rng) else { continue }
        timers.remove(key)
        effects = core.handle(.timerFired(key))
      default:
        let r = resources.randomElement(using: &rng)!
        effects = core.handle(.cancelRequested(OperationKey(resource: r, action: .monitor, interval: .seconds(10))))
      }
      for e in effects {
        switch e {
        case .runOperation(let id, _): inFlight.append(id)
        case .startTimer(let k, _): timers.insert(k)
        case .cancelTimer(let k): timers.remove(k)
        case .report(let r):
          let late = r.key.intervalMs > 0 && r.result.status != .cancelled && stopped.contains(r.key.resource)
          #expect(!late, "seed \(seed): \(r.key) reported after its resource's stop")
        }
      }
      core.checkInvariants()
      #expect(inFlight.count == core.runningCount, "seed \(seed)")
    }
  }
}
