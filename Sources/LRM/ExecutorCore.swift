/// Identifies an operation the way Pacemaker names it in the CIB: resource, action, interval
/// (`web_monitor_10000`). A recurring monitor keeps its key across runs.
public struct OperationKey: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var resource: String
  public var action: AgentAction
  public var intervalMs: Int64

  public init(resource: String, action: AgentAction, interval: Duration = .zero) {
    self.resource = resource
    self.action = action
    self.intervalMs = interval.wholeMilliseconds
  }

  public init(_ call: AgentCall) { self.init(resource: call.resource, action: call.action, interval: call.interval) }

  public var description: String { "\(resource)_\(action.rawValue)_\(intervalMs)" }

  public static func < (a: OperationKey, b: OperationKey) -> Bool {
    (a.resource, a.action.rawValue, a.intervalMs) < (b.resource, b.action.rawValue, b.intervalMs)
  }
}

/// One run of an operation handed to the shell; ids increase by one per run, so they also order runs.
public struct RunID: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let rawValue: UInt64
  public init(_ rawValue: UInt64) { self.rawValue = rawValue }
  public static func < (a: RunID, b: RunID) -> Bool { a.rawValue < b.rawValue }
  public var description: String { "run\(rawValue)" }
}

/// Facts the executor core learns (past tense, as house style names inputs).
public enum ExecutorInput: Sendable, Equatable {
  /// The controller asked for an operation; a call with an interval registers a recurring operation.
  case operationRequested(AgentCall)
  /// The controller cancelled a recurring operation (or a queued one-shot).
  case cancelRequested(OperationKey)
  /// A run handed out with `.runOperation` finished.
  case operationCompleted(RunID, OperationResult)
  /// A timer started with `.startTimer` expired.
  case timerFired(OperationKey)
}

/// What the shell must do, in order.
public enum ExecutorEffect: Sendable, Equatable {
  case runOperation(RunID, AgentCall)
  case startTimer(OperationKey, after: Duration)
  case cancelTimer(OperationKey)
  case report(OperationReport)
}

/// A result the controller must hear about: every one-shot result, and a recurring operation's result only
/// when it differs from the previous one (Pacemaker's executor does the same, so a healthy monitor is silent).
public struct OperationReport: Sendable, Equatable {
  public var key: OperationKey
  public var call: AgentCall
  public var result: OperationResult
  public init(key: OperationKey, call: AgentCall, result: OperationResult) {
    self.key = key
    self.call = call
    self.result = result
  }
}

/// Bounds of the executor on one node.
public struct ExecutorLimits: Sendable, Equatable {
  /// Agents running at once on this node (Pacemaker's `node-action-limit`).
  public var concurrentOperationsMax: Int
  /// Operations waiting to run; past it a request is refused with a result, never silently dropped.
  public var queuedOperationsMax: Int
  public init(concurrentOperationsMax: Int = 8, queuedOperationsMax: Int = 4096) {
    precondition(concurrentOperationsMax > 0, "concurrentOperationsMax must be positive")
    precondition(queuedOperationsMax > 0, "queuedOperationsMax must be positive")
    self.concurrentOperationsMax = concurrentOperationsMax
    self.queuedOperationsMax = queuedOperationsMax
  }
}

/// The LRM's scheduling core: which operation runs when. Pure: no processes, no clock, no tasks.
///
/// Invariants (checked by `checkInvariants`, exercised by the tests):
/// - never two runs on one resource at once;
/// - never more than `concurrentOperationsMax` runs at once;
/// - queued runs start in request order (FIFO), skipping only those whose resource is busy;
/// - a recurring operation has at most one run queued, running or waiting on its timer.
/// Timers are effects; the shell owns the clock.
public struct ExecutorCore: Sendable {
  public let limits: ExecutorLimits

  private struct Queued: Sendable {
    var key: OperationKey
    var call: AgentCall
  }
  private struct Recurring: Sendable {
    var call: AgentCall
    var lastOutcome: OperationOutcome?
  }
  private struct Running: Sendable {
    var key: OperationKey
    var call: AgentCall
    /// False once the recurring operation was cancelled or replaced while this run was in flight.
    var current: Bool
  }

  private var nextRun: UInt64 = 1
  private var queue: [Queued] = []
  private var running: [RunID: Running] = [:]
  private var busyResources: Set<String> = []
  private var recurring: [OperationKey: Recurring] = [:]

  public init(limits: ExecutorLimits) { self.limits = limits }

  public var runningCount: Int { running.count }
  public var queuedCount: Int { queue.count }
  /// Recurring operations currently registered, sorted.
  public var recurringKeys: [OperationKey] { recurring.keys.sorted() }

  public mutating func handle(_ input: ExecutorInput) -> [ExecutorEffect] {
    var effects: [ExecutorEffect] = []
    switch input {
    case .operationRequested(let call):
      let key = OperationKey(call)
      if call.action == .stop {
        // A stop ends every recurring operation of its resource first, whether or not the controller cancelled
        // them: its cancel list comes from the recorded history, which misses an operation whose first result
        // was never recorded. A monitor left armed would run after the stop and report "not running".
        for other in recurring.keys.sorted() where other.resource == call.resource { cancel(other, into: &effects) }
      }
      if call.interval > .zero {
        // Re-requesting a recurring operation replaces it (new parameters), as Pacemaker does.
        if recurring[key] != nil {
          effects.append(.cancelTimer(key))
          queue.removeAll { $0.key == key }
          for (id, r) in running where r.key == key { running[id]!.current = false }
        }
        recurring[key] = Recurring(call: call, lastOutcome: nil)
      }
      enqueue(key: key, call: call, into: &effects)
    case .cancelRequested(let key):
      cancel(key, into: &effects)
    case .operationCompleted(let id, let result):
      guard let run = running.removeValue(forKey: id) else {
        preconditionFailure("completion of unknown \(id)")
      }
      busyResources.remove(run.key.resource)
      if run.call.interval == .zero {
        effects.append(.report(OperationReport(key: run.key, call: run.call, result: result)))
      } else if run.current, var reg = recurring[run.key] {
        if reg.lastOutcome != result.outcome {
          effects.append(.report(OperationReport(key: run.key, call: run.call, result: result)))
          reg.lastOutcome = result.outcome
          recurring[run.key] = reg
        }
        effects.append(.startTimer(run.key, after: run.call.interval))
      }
    case .timerFired(let key):
      if let reg = recurring[key], !queue.contains(where: { $0.key == key }),
        !running.values.contains(where: { $0.key == key && $0.current })
      {
        enqueue(key: key, call: reg.call, into: &effects)
      }
    }
    dispatch(into: &effects)
    return effects
  }

  /// Ends a recurring operation (or drops a queued one-shot): its timer stops, a run in flight is no longer
  /// reported, and the cancellation itself is reported once.
  private mutating func cancel(_ key: OperationKey, into effects: inout [ExecutorEffect]) {
    let registration = recurring.removeValue(forKey: key)
    if registration != nil {
      effects.append(.cancelTimer(key))
      for (id, r) in running where r.key == key { running[id]!.current = false }
    }
    let dropped = queue.filter { $0.key == key }
    queue.removeAll { $0.key == key }
    if let call = registration?.call ?? dropped.first?.call {
      effects.append(.report(OperationReport(key: key, call: call, result: cancelledResult)))
    }
  }

  private var cancelledResult: OperationResult {
    OperationResult(status: .cancelled, code: nil, ocf: .success, exitReason: "cancelled")
  }

  private mutating func enqueue(key: OperationKey, call: AgentCall, into effects: inout [ExecutorEffect]) {
    guard queue.count < limits.queuedOperationsMax else {
      let refused = OperationResult(
        status: .spawnFailed("executor queue full (\(limits.queuedOperationsMax) operations waiting)"), code: nil,
        ocf: .genericError, exitReason: "executor queue full")
      effects.append(.report(OperationReport(key: key, call: call, result: refused)))
      if call.interval > .zero { effects.append(.startTimer(key, after: call.interval)) }
      return
    }
    queue.append(Queued(key: key, call: call))
  }

  private mutating func dispatch(into effects: inout [ExecutorEffect]) {
    var index = 0
    while index < queue.count && running.count < limits.concurrentOperationsMax {
      let item = queue[index]
      if busyResources.contains(item.key.resource) {
        index += 1
        continue
      }
      queue.remove(at: index)
      let id = RunID(nextRun)
      nextRun += 1
      running[id] = Running(key: item.key, call: item.call, current: true)
      busyResources.insert(item.key.resource)
      effects.append(.runOperation(id, item.call))
    }
  }

  /// Programmer-error check used by tests and debug builds.
  public func checkInvariants() {
    precondition(running.count <= limits.concurrentOperationsMax, "too many operations running")
    let resources = running.values.map(\.key.resource)
    precondition(Set(resources).count == resources.count, "two operations on one resource")
    precondition(Set(resources) == busyResources, "busy set out of sync")
  }
}
