import Logging

/// The LRM's shell: feeds facts to `ExecutorCore` and performs its effects with real agents and a clock.
///
/// The clock is a parameter (`ContinuousClock` in the daemon, a manual clock in tests) so recurring monitors
/// can be driven without sleeping. Reports arrive on `reports` in the order the core emits them.
public actor LocalExecutor<C: Clock<Duration>> {
  private var core: ExecutorCore
  private let run: @Sendable (AgentCall) async -> OperationResult
  private let clock: C
  private let logger: Logger
  private var timers: [OperationKey: Task<Void, Never>] = [:]
  private var timerGeneration: [OperationKey: UInt64] = [:]
  private var runs: [RunID: Task<Void, Never>] = [:]
  public nonisolated let reports: AsyncStream<OperationReport>
  private let reportSink: AsyncStream<OperationReport>.Continuation

  /// - Parameter run: runs one call; the daemon passes `AgentRunner.run`.
  public init(
    limits: ExecutorLimits, clock: C, logger: Logger,
    reportsBufferedMax: Int = 65_536,
    run: @escaping @Sendable (AgentCall) async -> OperationResult
  ) {
    self.core = ExecutorCore(limits: limits)
    self.run = run
    self.clock = clock
    self.logger = logger
    (reports, reportSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(reportsBufferedMax))
  }

  /// Requests an operation; one with an interval becomes a recurring operation until cancelled.
  public func request(_ call: AgentCall) { deliver(.operationRequested(call)) }

  /// Cancels a recurring operation (or a queued one-shot).
  public func cancel(_ key: OperationKey) { deliver(.cancelRequested(key)) }

  /// Cancels everything and stops reporting.
  public func shutdown() {
    for key in core.recurringKeys { deliver(.cancelRequested(key)) }
    for t in timers.values { t.cancel() }
    timers.removeAll()
    reportSink.finish()
  }

  public var runningCount: Int { core.runningCount }
  /// Reports the bounded `reports` buffer had no room for (nobody consuming): counted and logged, never silent.
  public private(set) var reportsDropped = 0

  private func deliver(_ input: ExecutorInput) {
    for effect in core.handle(input) {
      switch effect {
      case .runOperation(let id, let call):
        let run = self.run
        runs[id] = Task {
          let result = await run(call)
          self.completed(id, result)
        }
      case .startTimer(let key, let delay):
        timers[key]?.cancel()
        let generation = (timerGeneration[key] ?? 0) + 1
        timerGeneration[key] = generation
        let clock = self.clock
        timers[key] = Task {
          do { try await clock.sleep(for: delay) } catch { return }
          self.timerFired(key, generation: generation)
        }
      case .cancelTimer(let key):
        timers.removeValue(forKey: key)?.cancel()
        timerGeneration[key] = (timerGeneration[key] ?? 0) + 1
      case .report(let report):
        if case .dropped = reportSink.yield(report) {
          reportsDropped += 1
          logger.error(
            "operation report dropped: reports buffer full",
            metadata: ["operation": "\(report.key)", "reportsDropped": "\(reportsDropped)"])
        }
      }
    }
  }

  private func completed(_ id: RunID, _ result: OperationResult) {
    runs.removeValue(forKey: id)
    deliver(.operationCompleted(id, result))
  }

  private func timerFired(_ key: OperationKey, generation: UInt64) {
    // A timer cancelled or restarted after it fired must not fire again.
    guard timerGeneration[key] == generation else { return }
    timers.removeValue(forKey: key)
    deliver(.timerFired(key))
  }
}
