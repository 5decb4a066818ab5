import Foundation

/// How one alert agent run ended.
public struct AlertResult: Sendable, Hashable {
  public var alertID: String
  public var recipient: String?
  /// The node_sequence of the event.
  public var sequence: UInt64
  public var status: ExecutionStatus
  /// The agent's exit code when it exited on its own.
  public var rc: Int32?
  /// Last lines of its output (stdout then stderr).
  public var outputTail: [String]
  public var runtime: Duration

  public var succeeded: Bool { status == .done && rc == 0 }
}

/// Runs the CIB's alert agents for cluster events, as Pacemaker's controller and fencer do: every selecting
/// alert and recipient is a real child process in its own session with the alert's timeout (SIGTERM, then
/// SIGKILL to its group), all runs of one event at once but at most `concurrentRunsMax` at a time. Each event
/// takes the next node_sequence number. Results come back to the caller; a failing alert never fails the event.
public actor AlertRunner {
  private let runner: AgentRunner
  private let version: String
  private let concurrentRunsMax: Int
  private let outputLinesMax: Int
  private var sequence: UInt64 = 0

  /// `version` is CRM_alert_version (Pacemaker's version string; agents compare it).
  public init(runner: AgentRunner, version: String = "2.1.5", concurrentRunsMax: Int = 8, outputLinesMax: Int = 20) {
    precondition(concurrentRunsMax > 0 && outputLinesMax > 0)
    self.runner = runner
    self.version = version
    self.concurrentRunsMax = concurrentRunsMax
    self.outputLinesMax = outputLinesMax
  }

  /// The sequence number the next event will get.
  public var nextSequence: UInt64 { sequence + 1 }

  /// Sends `event` to every alert that selects it; returns one result per run, in plan order.
  public func send(_ event: AlertEvent, alerts: [AlertDefinition], timestamp: AlertTimestamp = .now()) async -> [AlertResult] {
    sequence += 1
    let seq = sequence
    let runs = planAlerts(alerts, event: event, sequence: seq, timestamp: timestamp, version: version, path: runner.roots.path)
    guard !runs.isEmpty else { return [] }
    let runner = self.runner
    let linesMax = outputLinesMax
    let limit = concurrentRunsMax
    return await withTaskGroup(of: (Int, AlertResult).self) { group in
      var next = 0
      var results = [AlertResult?](repeating: nil, count: runs.count)
      func add(_ group: inout TaskGroup<(Int, AlertResult)>) {
        guard next < runs.count else { return }
        let k = next
        next += 1
        group.addTask {
          let run = runs[k]
          let started = ContinuousClock.now
          let r = await runner.execute(run.invocation, timeout: run.timeout, bytesMax: 64 * 1024)
          var rc: Int32? = nil
          if case .done = r.status { rc = r.ocf.exitCode }
          let output = r.standardOutput + (r.standardOutput.isEmpty || r.standardOutput.hasSuffix("\n") ? "" : "\n") + r.standardError
          return (
            k,
            AlertResult(
              alertID: run.alertID, recipient: run.recipient, sequence: seq, status: r.status, rc: rc,
              outputTail: lastLines(output, max: linesMax), runtime: ContinuousClock.now - started)
          )
        }
      }
      for _ in 0..<limit { add(&group) }
      while let (k, r) = await group.next() {
        results[k] = r
        add(&group)
      }
      return results.compactMap { $0 }
    }
  }
}
