import Dispatch
import Subprocess
import Synchronization

#if canImport(System)
  import System
#else
  import SystemPackage
#endif

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What one program run ended with: its exit status (128 + the signal when killed), what it printed (the first
/// `outputBytesMax` bytes of each stream), and whether the deadline killed it.
public struct ProcessOutcome: Sendable, Equatable {
  public var status: Int32
  public var stdout: String
  public var stderr: String
  public var timedOut: Bool

  public var succeeded: Bool { status == 0 && !timedOut }
}

/// The bounds of one run: every run has a deadline, and what it reads and writes is bounded.
public struct ProcessLimits: Sendable, Equatable {
  /// From the spawn to the exit; past it the program's whole process group is killed.
  public var timeout: Duration
  /// Bytes kept of stdout and of stderr each; the rest is read and dropped, so the program never blocks on a pipe.
  public var outputBytesMax: Int
  /// Bytes of stdin accepted; a larger input is refused before the spawn, never cut (a cut input could install a
  /// half-written file).
  public var inputBytesMax: Int

  public init(timeout: Duration, outputBytesMax: Int = 64 * 1024, inputBytesMax: Int = 1 << 20) {
    precondition(timeout > .zero && outputBytesMax > 0 && inputBytesMax >= 0, "bounds must be positive")
    self.timeout = timeout
    self.outputBytesMax = outputBytesMax
    self.inputBytesMax = inputBytesMax
  }
}

/// What a run's process task and its deadline task share.
final class RunState: Sendable {
  /// The program's pid once spawned (0 before), also its process group id.
  let leader = Atomic<Int32>(0)
  /// Set when the deadline killed the process group.
  let killed = Atomic<Bool>(false)
}

/// The one runner of short-lived programs for the tools (pcs's ssh and systemctl calls, benchmarks), over
/// swift-subprocess. The program gets a process group of its own, so the deadline kills what it started too. The run
/// ends when the program exits, even if something it started on purpose (a daemon) still holds its output open.
/// Resource agents have their own runner in the LRM (sessions, a grace period between SIGTERM and SIGKILL,
/// forensics of what hung), also over swift-subprocess.
public enum ProcessRunner {
  /// Runs `program` (a path, or a name looked up in PATH) with `arguments`, feeding `input` on stdin.
  public static func run(
    _ program: String, _ arguments: [String], input: [UInt8] = [], limits: ProcessLimits
  ) async -> ProcessOutcome {
    guard input.count <= limits.inputBytesMax else {
      return ProcessOutcome(
        status: 127, stdout: "",
        stderr: "input of \(input.count) bytes is over the limit of \(limits.inputBytesMax) bytes", timedOut: false)
    }
    let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
    let options = {
      var options = PlatformOptions()
      options.processGroupID = 0  // a group of its own: the deadline kills what the program started too
      return options
    }()
    let shared = RunState()
    let bytesMax = limits.outputBytesMax

    let outcome = await withTaskGroup(of: ProcessOutcome?.self) { group in
      group.addTask {
        do {
          let result =
            input.isEmpty
            ? try await spawn(executable, arguments, options, shared, bytesMax)
            : try await spawn(executable, arguments, options, feeding: input, shared, bytesMax)
          let status: Int32 =
            switch result.terminationStatus {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
          let (out, err) = result.closureResult
          // Timed out only when the deadline's SIGKILL is what ended it: on a starved machine the deadline may fire
          // after the program exited on its own but before its end was observed, and that run did not time out.
          let killedByDeadline = shared.killed.load(ordering: .acquiring) && status == 128 + SIGKILL
          return ProcessOutcome(
            status: status, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
            timedOut: killedByDeadline)
        } catch {
          return ProcessOutcome(status: 127, stdout: "", stderr: "\(program): \(error)", timedOut: false)
        }
      }
      group.addTask {
        do { try await Task.sleep(for: limits.timeout) } catch { return nil }
        // The pid is published right after the spawn; wait for it (bounded) rather than miss the kill.
        var pid = shared.leader.load(ordering: .acquiring)
        for _ in 0..<1000 where pid == 0 {
          try? await Task.sleep(for: .milliseconds(1))
          pid = shared.leader.load(ordering: .acquiring)
        }
        guard pid > 0 else { return nil }
        shared.killed.store(true, ordering: .releasing)
        _ = kill(-pid, SIGKILL)
        return nil
      }
      var outcome: ProcessOutcome?
      for await result in group {
        guard let result else { continue }
        outcome = result
        group.cancelAll()
      }
      return outcome!
    }
    return outcome
  }

  /// `run` for synchronous callers (a command-line tool's main thread); never call it from inside a task.
  public static func runBlocking(
    _ program: String, _ arguments: [String], input: [UInt8] = [], limits: ProcessLimits
  ) -> ProcessOutcome {
    let done = DispatchSemaphore(value: 0)
    let box = Mutex<ProcessOutcome?>(nil)
    Task {
      let outcome = await run(program, arguments, input: input, limits: limits)
      box.withLock { $0 = outcome }
      done.signal()
    }
    done.wait()
    return box.withLock { $0! }
  }

  /// A run without stdin (it reads end of file at once).
  private static func spawn(
    _ executable: Executable, _ arguments: [String], _ options: PlatformOptions, _ shared: RunState, _ bytesMax: Int
  ) async throws -> (terminationStatus: TerminationStatus, closureResult: ([UInt8], [UInt8])) {
    let result = try await Subprocess.run(
      executable, arguments: Arguments(arguments), platformOptions: options, input: .none,
      output: .sequence, error: .sequence
    ) { execution in
      shared.leader.store(execution.processIdentifier.value, ordering: .releasing)
      async let out = collect(execution.standardOutput, bytesMax: bytesMax)
      let err = try await collect(execution.standardError, bytesMax: bytesMax)
      return (try await out, err)
    }
    return (result.terminationStatus, result.closureResult)
  }

  /// A run fed `input` on stdin, written here rather than by swift-subprocess's own input task: that task skips
  /// closing the pipe when its write fails or is cancelled (the program exited without reading), and the library
  /// traps on the unclosed descriptor ("FileDescriptor ... was not closed"). Here a failed write is the program's
  /// business (it chose not to read), and the writer is always finished.
  private static func spawn(
    _ executable: Executable, _ arguments: [String], _ options: PlatformOptions, feeding input: [UInt8],
    _ shared: RunState, _ bytesMax: Int
  ) async throws -> (terminationStatus: TerminationStatus, closureResult: ([UInt8], [UInt8])) {
    let result = try await Subprocess.run(
      executable, arguments: Arguments(arguments), platformOptions: options, input: .inputWriter,
      output: .sequence, error: .sequence
    ) { execution in
      shared.leader.store(execution.processIdentifier.value, ordering: .releasing)
      ignoreBrokenPipes
      let writer = execution.standardInputWriter
      async let out = collect(execution.standardOutput, bytesMax: bytesMax)
      async let err = collect(execution.standardError, bytesMax: bytesMax)
      _ = try? await writer.write(input)
      try? await writer.finish()
      return (try await out, try await err)
    }
    return (result.terminationStatus, result.closureResult)
  }

  /// A write to a program that closed its stdin must fail with EPIPE, not kill this process with SIGPIPE. Process
  /// wide, set once; harmless to the programs run here: swift-subprocess resets every signal to its default in the
  /// child before exec.
  private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

  /// Reads a stream to its end, keeping its first `bytesMax` bytes.
  static func collect(_ stream: SubprocessOutputSequence, bytesMax: Int) async throws -> [UInt8] {
    var kept: [UInt8] = []
    for try await buffer in stream where kept.count < bytesMax {
      buffer.withUnsafeBytes { raw in kept.append(contentsOf: raw.prefix(bytesMax - kept.count)) }
    }
    return kept
  }
}
