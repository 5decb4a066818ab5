import Foundation
import Logging
import Subprocess
import Synchronization

#if canImport(System)
  import System
#else
  import SystemPackage
#endif

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Bounds applied to every agent process, set explicitly by the caller (TigerStyle: a limit on everything).
public struct RunnerLimits: Sendable, Equatable {
  /// Between SIGTERM to the operation's process group and SIGKILL.
  public var killGrace: Duration
  /// Bytes of stdout and of stderr kept (the tail); the rest is counted and dropped.
  public var outputBytesMax: Int
  /// Output kept for meta-data calls, whose XML must arrive whole.
  public var metadataBytesMax: Int
  /// Last lines of output carried by a timed-out result.
  public var forensicLinesMax: Int

  public init(
    killGrace: Duration = .milliseconds(500), outputBytesMax: Int = 64 * 1024, metadataBytesMax: Int = 1 << 20,
    forensicLinesMax: Int = 20
  ) {
    precondition(killGrace >= .zero, "kill grace must not be negative")
    precondition(outputBytesMax > 0 && metadataBytesMax > 0 && forensicLinesMax > 0, "bounds must be positive")
    self.killGrace = killGrace
    self.outputBytesMax = outputBytesMax
    self.metadataBytesMax = metadataBytesMax
    self.forensicLinesMax = forensicLinesMax
  }
}

/// The result of one operation: what the controller records in `lrm_rsc_op` and what a person reads.
public struct OperationResult: Sendable, Hashable {
  public var status: ExecutionStatus
  /// The agent's exit code read per its standard; nil when it did not exit on its own.
  public var code: AgentExitCode?
  /// The OCF meaning recorded in the CIB (`rc-code`).
  public var ocf: OCFResult
  /// `ocf_exit_reason` text (stderr lines starting with "ocf-exit-reason:"), or our own explanation.
  public var exitReason: String?
  public var standardOutput: String
  public var standardError: String
  /// Output bytes beyond `RunnerLimits.outputBytesMax` that were dropped (from the start of the stream).
  public var outputBytesDropped: Int
  /// Set only when the operation timed out.
  public var forensics: TimeoutForensics?
  public var runtime: Duration

  public init(
    status: ExecutionStatus, code: AgentExitCode?, ocf: OCFResult, exitReason: String? = nil,
    standardOutput: String = "", standardError: String = "", outputBytesDropped: Int = 0,
    forensics: TimeoutForensics? = nil, runtime: Duration = .zero
  ) {
    self.status = status
    self.code = code
    self.ocf = ocf
    self.exitReason = exitReason
    self.standardOutput = standardOutput
    self.standardError = standardError
    self.outputBytesDropped = outputBytesDropped
    self.forensics = forensics
    self.runtime = runtime
  }

  /// What makes two results of a recurring monitor "the same" for reporting: status, rc and reason,
  /// not output or runtime.
  public var outcome: OperationOutcome { OperationOutcome(status: status, ocf: ocf, exitReason: exitReason) }

  /// One line for logs and `pcs resource debug-*`.
  public var summary: String {
    switch status {
    case .done: "\(ocf) (rc=\(ocf.exitCode))" + (exitReason.map { ": \($0)" } ?? "")
    default: "\(status)" + (exitReason.map { ": \($0)" } ?? "")
    }
  }
}

/// The comparable part of an `OperationResult` (see `OperationResult.outcome`).
public struct OperationOutcome: Sendable, Hashable {
  public var status: ExecutionStatus
  public var ocf: OCFResult
  public var exitReason: String?
}

/// Runs agents in real child processes: the thin shell around `makeInvocation` and `interpretExit`.
///
/// Each operation runs as the leader of a new session (setsid), hence of its own process group. Past its
/// timeout, the process tree is recorded from /proc, then the whole group (and every process still in the
/// session) gets SIGTERM, then SIGKILL after `killGrace`. Output is read by `OutputCapture` with a bound and
/// never waits for a daemonized grandchild. Exit codes become `AgentExitCode` values at this edge.
public struct AgentRunner: Sendable {
  public var roots: AgentRoots
  public var limits: RunnerLimits
  public var logger: Logger

  public init(
    roots: AgentRoots = .system, limits: RunnerLimits = RunnerLimits(), logger: Logger = Logger(label: "vigil.lrm")
  ) {
    // A fence agent that exits before reading its stdin must make our write fail with EPIPE, not kill the
    // node's daemon with SIGPIPE (Pacemaker's daemons ignore it too).
    signal(SIGPIPE, SIG_IGN)
    self.roots = roots
    self.limits = limits
    self.logger = logger
  }

  public func run(_ call: AgentCall) async -> OperationResult {
    let clock = ContinuousClock()
    let started = clock.now
    if call.agent.standard == .systemd {
      return logged(call, await roots.systemd.run(call))
    }
    let invocation: Invocation
    do {
      invocation = try makeInvocation(call, roots: roots)
    } catch {
      return OperationResult(status: .done, code: nil, ocf: .unimplemented, exitReason: error.description)
    }
    if let immediate = invocation.immediateResult {
      return OperationResult(status: .done, code: nil, ocf: immediate)
    }
    guard access(invocation.executable, X_OK) == 0 else {
      let reason = "\(call.agent) is not installed (no executable \(invocation.executable))"
      return OperationResult(status: .notInstalled, code: nil, ocf: .notInstalled, exitReason: reason)
    }
    var result = await execute(
      invocation, timeout: call.timeout,
      bytesMax: call.action == .metaData ? limits.metadataBytesMax : limits.outputBytesMax)
    result.runtime = clock.now - started
    if case .done = result.status, let exit = result.code {
      // Re-read the raw code through the standard's table (execute() only knows it as OCF).
      result.code = interpretExit(exit.ocf.exitCode, standard: call.agent.standard, action: call.action)
      result.ocf = result.code!.ocf
    }
    if result.ocf != .success, result.exitReason == nil, case .done = result.status {
      result.exitReason = lastLine(of: result.standardError)
    }
    return logged(call, result)
  }

  private func logged(_ call: AgentCall, _ result: OperationResult) -> OperationResult {
    logger.debug(
      "operation finished",
      metadata: [
        "resource": "\(call.resource)", "action": "\(call.action.rawValue)", "agent": "\(call.agent)",
        "result": "\(result.summary)",
      ])
    return result
  }

  /// Runs one invocation with a timeout. Exposed for the pcs `debug-*` commands and the benchmark.
  public func execute(_ invocation: Invocation, timeout: Duration, bytesMax: Int) async -> OperationResult {
    var outPipe: [Int32] = [-1, -1]
    var errPipe: [Int32] = [-1, -1]
    guard makeCloseOnExecPipe(&outPipe) else {
      return OperationResult(status: .spawnFailed("pipe: errno \(errno)"), code: nil, ocf: .genericError)
    }
    guard makeCloseOnExecPipe(&errPipe) else {
      close(outPipe[0]); close(outPipe[1])
      return OperationResult(status: .spawnFailed("pipe: errno \(errno)"), code: nil, ocf: .genericError)
    }
    let capture = OutputCapture(stdoutFD: outPipe[0], stderrFD: errPipe[0], bytesMax: bytesMax)

    var options = PlatformOptions()
    options.createSession = true
    var env: [Environment.Key: String] = [:]
    for (name, value) in invocation.environment { env[Environment.Key(stringLiteral: name)] = value }
    let configuration = Configuration(
      executable: .path(FilePath(invocation.executable)), arguments: Arguments(invocation.arguments),
      environment: .custom(env), workingDirectory: "/", platformOptions: options)
    let output = FileDescriptor(rawValue: outPipe[1])
    let error = FileDescriptor(rawValue: errPipe[1])
    let shared = RunShared()

    enum Event: Sendable {
      case exited(TerminationStatus)
      case failed(String)
      case timerDone
    }

    let killGrace = limits.killGrace
    let event: Event = await withTaskGroup(of: Event.self) { group in
      group.addTask {
        do {
          let status: TerminationStatus
          if let input = invocation.standardInput {
            // Written here, not by swift-subprocess's own input task: that task leaves the pipe open when its
            // write fails or is cancelled (an agent that exits without reading) and the library then traps on the
            // unclosed descriptor. A failed write is the agent's choice; the writer is always finished.
            status = try await Subprocess.run(
              configuration, input: .inputWriter,
              output: .fileDescriptor(output, closeAfterSpawningProcess: true),
              error: .fileDescriptor(error, closeAfterSpawningProcess: true)
            ) { execution in
              shared.leader.store(execution.processIdentifier.value, ordering: .releasing)
              let writer = execution.standardInputWriter
              _ = try? await writer.write(Array(input.utf8))
              try? await writer.finish()
            }.terminationStatus
          } else {
            status = try await Subprocess.run(
              configuration, input: .none,
              output: .fileDescriptor(output, closeAfterSpawningProcess: true),
              error: .fileDescriptor(error, closeAfterSpawningProcess: true)
            ) { execution in shared.leader.store(execution.processIdentifier.value, ordering: .releasing) }.terminationStatus
          }
          return .exited(status)
        } catch {
          return .failed("\(error)")
        }
      }
      group.addTask {
        do { try await Task.sleep(for: timeout) } catch { return .timerDone }
        // The spawn publishes the pid right after fork/exec; wait for it (bounded) rather than miss the kill.
        var pid = shared.leader.load(ordering: .acquiring)
        for _ in 0..<1000 where pid == 0 {
          try? await Task.sleep(for: .milliseconds(1))
          pid = shared.leader.load(ordering: .acquiring)
        }
        guard pid > 0 else { return .timerDone }
        // The agent may have exited before the deadline while its exit was not yet observed (a busy machine can
        // delay the exit continuation past the timer): a leader that is gone or a zombie did not time out.
        guard leaderIsRunning(pid) else { return .timerDone }
        // Record what the agent is stuck on before killing it.
        shared.forensics.withLock { $0 = TimeoutForensics(processes: processesInSession(pid), lastOutputLines: []) }
        signalSession(pid, SIGTERM)
        let deadline = ContinuousClock.now + killGrace
        while ContinuousClock.now < deadline, sessionHasLiveProcesses(pid) {
          try? await Task.sleep(for: .milliseconds(10))
        }
        signalSession(pid, SIGKILL)
        // SIGKILL cannot be ignored, but delivery is asynchronous: wait until none is left (bounded).
        let killDeadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < killDeadline, sessionHasLiveProcesses(pid) {
          try? await Task.sleep(for: .milliseconds(5))
        }
        return .timerDone
      }
      var first: Event? = nil
      for await e in group {
        if case .timerDone = e {
          continue  // the process task still reports the exit status
        }
        first = e
        // Exited before the timer fired: cancel it. If it already fired, let it finish its escalation.
        if shared.forensics.withLock({ $0 == nil }) { group.cancelAll() }
      }
      return first ?? .failed("no exit status")
    }

    capture.finish()
    let captured = await capture.result()
    let stdoutText = captured.standardOutput.text
    let stderrText = captured.standardError.text
    let dropped = captured.standardOutput.droppedBytes + captured.standardError.droppedBytes
    let reason = exitReason(fromStandardError: stderrText)

    if var forensics = shared.forensics.withLock({ $0 }) {
      forensics.lastOutputLines = lastLines(stdoutText + (stdoutText.isEmpty || stdoutText.hasSuffix("\n") ? "" : "\n") + stderrText, max: limits.forensicLinesMax)
      return OperationResult(
        status: .timedOut, code: nil, ocf: .genericError,
        exitReason: reason ?? "timed out after \(timeout.formattedForHumans)",
        standardOutput: stdoutText, standardError: stderrText, outputBytesDropped: dropped, forensics: forensics)
    }
    switch event {
    case .exited(.exited(let code)):
      return OperationResult(
        status: .done, code: .ocf(OCFResult(exitCode: code)), ocf: OCFResult(exitCode: code), exitReason: reason,
        standardOutput: stdoutText, standardError: stderrText, outputBytesDropped: dropped)
    case .exited(.signaled(let signal)):
      return OperationResult(
        status: .signaled(signal), code: nil, ocf: .genericError, exitReason: reason ?? "killed by signal \(signal)",
        standardOutput: stdoutText, standardError: stderrText, outputBytesDropped: dropped)
    case .failed(let message):
      return OperationResult(
        status: .spawnFailed(message), code: nil, ocf: .genericError, exitReason: message,
        standardOutput: stdoutText, standardError: stderrText, outputBytesDropped: dropped)
    default:
      return OperationResult(status: .spawnFailed("unexpected termination"), code: nil, ocf: .genericError)
    }
  }
}

/// State shared between an operation's process task and its timer task.
final class RunShared: Sendable {
  /// The agent's pid once spawned (0 before): also its session and process group id.
  let leader = Atomic<Int32>(0)
  /// Set when the timer fired: the operation timed out.
  let forensics = Mutex<TimeoutForensics?>(nil)
}

/// Sends `signal` to the process group `session` and to every process still in that session (a child may
/// have moved to its own group without leaving the session).
func signalSession(_ session: pid_t, _ signal: Int32) {
  _ = kill(-session, signal)
  for p in processesInSession(session) where p.state != "Z" { _ = kill(p.pid, signal) }
}

/// True while the process `pid` exists and is not a zombie (it has not exited).
func leaderIsRunning(_ pid: pid_t) -> Bool {
  guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let stat = parseProcStat(text) else {
    return false
  }
  return stat.state != "Z" && stat.state != "X"
}

/// True while a process of the session other than a zombie exists.
func sessionHasLiveProcesses(_ session: pid_t) -> Bool {
  processesInSession(session).contains { $0.state != "Z" }
}

/// Lines written with `ocf_exit_reason` ("ocf-exit-reason:TEXT" on stderr); the last one wins, as in Pacemaker.
public func exitReason(fromStandardError text: String) -> String? {
  var reason: String? = nil
  for line in text.split(separator: "\n") {
    if let r = line.range(of: "ocf-exit-reason:") {
      let value = line[r.upperBound...].trimmingCharacters(in: .whitespaces)
      if !value.isEmpty { reason = String(value.prefix(256)) }
    }
  }
  return reason
}

func lastLines(_ text: String, max: Int) -> [String] {
  Array(text.split(separator: "\n", omittingEmptySubsequences: true).suffix(max).map(String.init))
}

func lastLine(of text: String) -> String? {
  lastLines(text, max: 1).first.map { String($0.prefix(256)) }
}

extension Duration {
  /// "20s", "1500ms": the way Pacemaker and pcs write durations.
  public var formattedForHumans: String {
    let ms = wholeMilliseconds
    return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
  }
}

/// pipe() with FD_CLOEXEC on both ends (Glibc's module does not export pipe2), so concurrently spawned agents
/// do not inherit each other's pipes. The spawn dup2()s the write end onto the child's stdout, which clears the
/// flag there only.
func makeCloseOnExecPipe(_ fds: inout [Int32]) -> Bool {
  guard pipe(&fds) == 0 else { return false }
  for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
  return true
}
