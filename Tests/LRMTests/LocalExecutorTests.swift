import Foundation
import Testing
@testable import LRM

/// The executor shell with real Dummy agents and a manual clock: recurring monitors without sleeping.
@Suite(.serialized) struct LocalExecutorTests {
  @Test func recurringMonitorReportsTheChangeWhenTheResourceDies() async throws {
    let dir = TempDir("executor")
    defer { dir.remove() }
    let clock = ManualClock()
    let runner = AgentRunner(roots: systemRoots, logger: testLogger)
    let executor = LocalExecutor(limits: ExecutorLimits(concurrentOperationsMax: 4), clock: clock, logger: testLogger) {
      await runner.run($0)
    }
    var reports = executor.reports.makeAsyncIterator()
    let dummy = try ResourceAgentName.parse("ocf:heartbeat:Dummy")
    let state = "\(dir.path)/r.state"
    let params: [AgentCall.Parameter] = [.init("state", state)]

    await executor.request(AgentCall(resource: "r", agent: dummy, action: .start, parameters: params))
    let started = try #require(await reports.next())
    #expect(started.key.action == .start && started.result.ocf == .success)

    let monitor = AgentCall(resource: "r", agent: dummy, action: .monitor, parameters: params, interval: .seconds(10))
    await executor.request(monitor)
    let first = try #require(await reports.next())
    #expect(first.key == OperationKey(monitor) && first.result.ocf == .success)

    // Three more intervals with the resource healthy: the monitor runs each time but reports nothing.
    for _ in 0..<3 {
      try await waitUntil { clock.sleeperCount == 1 }
      clock.advance(by: .seconds(10))
    }
    // The resource dies behind the cluster's back: the next run reports "not running", once.
    try await waitUntil { clock.sleeperCount == 1 }
    try FileManager.default.removeItem(atPath: state)
    clock.advance(by: .seconds(10))
    let failed = try #require(await reports.next())
    #expect(failed.key == OperationKey(monitor))
    #expect(failed.result.ocf == .notRunning)

    await executor.cancel(OperationKey(monitor))
    let cancelled = try #require(await reports.next())
    #expect(cancelled.result.status == .cancelled)
    await executor.shutdown()
    #expect(await reports.next() == nil)
  }

  /// Cancel (or not) then stop, with a real Dummy: nothing reports "not running" after the stop. The controller
  /// cancels only the monitors its recorded history shows, so the stop itself must end the others; the probe
  /// requested afterwards runs on the same resource, so a monitor run after the stop would report before it.
  @Test(arguments: [true, false])
  func noMonitorReportsAfterAStop(controllerCancels: Bool) async throws {
    let dir = TempDir("executor-stop")
    defer { dir.remove() }
    let clock = ManualClock()
    let runner = AgentRunner(roots: systemRoots, logger: testLogger)
    let executor = LocalExecutor(limits: ExecutorLimits(concurrentOperationsMax: 4), clock: clock, logger: testLogger) {
      await runner.run($0)
    }
    var reports = executor.reports.makeAsyncIterator()
    let dummy = try ResourceAgentName.parse("ocf:heartbeat:Dummy")
    let params: [AgentCall.Parameter] = [.init("state", "\(dir.path)/r.state")]
    await executor.request(AgentCall(resource: "r", agent: dummy, action: .start, parameters: params))
    #expect(try #require(await reports.next()).result.ocf == .success)
    let monitor = AgentCall(resource: "r", agent: dummy, action: .monitor, parameters: params, interval: .seconds(10))
    await executor.request(monitor)
    #expect(try #require(await reports.next()).result.ocf == .success)
    try await waitUntil { clock.sleeperCount == 1 }

    if controllerCancels { await executor.cancel(OperationKey(monitor)) }
    await executor.request(AgentCall(resource: "r", agent: dummy, action: .stop, parameters: params))
    var afterCancel: [OperationReport] = []
    while let r = await reports.next() {
      afterCancel.append(r)
      if r.key.action == .stop { break }
    }
    #expect(afterCancel.map(\.key) == [OperationKey(monitor), OperationKey(resource: "r", action: .stop)])
    #expect(afterCancel.first?.result.status == .cancelled)
    #expect(afterCancel.last?.result.ocf == .success)
    #expect(clock.sleeperCount == 0, "no monitor timer is left armed after the stop")

    clock.advance(by: .seconds(10))
    try await Task.sleep(for: .milliseconds(50))  // a timer that was left armed gets to fire
    await executor.request(AgentCall(resource: "r", agent: dummy, action: .monitor, parameters: params))
    let next = try #require(await reports.next())
    #expect(next.key.intervalMs == 0, "after the stop: \(next.key) reported \(next.result.ocf)")
    #expect(next.result.ocf == .notRunning)
    await executor.shutdown()
  }

  /// Rule 6: the reports buffer is bounded, and a report it has no room for is counted (and logged), not lost
  /// without a trace.
  @Test func aFullReportsBufferCountsWhatItDrops() async throws {
    let executor = LocalExecutor(
      limits: ExecutorLimits(concurrentOperationsMax: 1), clock: ManualClock(), logger: testLogger, reportsBufferedMax: 1
    ) { _ in OperationResult(status: .done, code: nil, ocf: .success) }
    let dummy = try ResourceAgentName.parse("ocf:heartbeat:Dummy")
    for name in ["a", "b", "c"] { await executor.request(AgentCall(resource: name, agent: dummy, action: .start)) }
    // The fake runs finish asynchronously: wait (bounded) until all three reported.
    for _ in 0..<2000 where await executor.reportsDropped < 2 { try await Task.sleep(for: .milliseconds(5)) }
    var reports = executor.reports.makeAsyncIterator()
    #expect(try #require(await reports.next()).key.resource == "a")
    #expect(await executor.reportsDropped == 2)
    await executor.shutdown()
  }

  /// Polls a condition the shell reaches asynchronously (a timer armed after a real agent ran), bounded.
  func waitUntil(_ condition: @Sendable () -> Bool) async throws {
    for _ in 0..<2000 {
      if condition() { return }
      try await Task.sleep(for: .milliseconds(5))
    }
    Issue.record("condition not reached within 10 s")
  }
}
