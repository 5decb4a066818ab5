import Foundation
import Processes
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct ProcessRunnerTests {
  /// Generous: the deadline is not under test here, and a CI machine running the whole suite in parallel can leave
  /// a run's readers waiting for a thread for many seconds.
  let limits = ProcessLimits(timeout: .seconds(120))

  @Test func exitStatusAndBothOutputs() async {
    let outcome = await ProcessRunner.run("sh", ["-c", "echo out; echo err >&2; exit 3"], limits: limits)
    #expect((outcome.status, outcome.stdout, outcome.stderr, outcome.timedOut) == (3, "out\n", "err\n", false))
  }

  @Test func stdinIsFed() async {
    let outcome = await ProcessRunner.run("/bin/cat", [], input: Array("line\n".utf8), limits: limits)
    #expect(outcome.succeeded)
    #expect(outcome.stdout == "line\n")
  }

  /// A program that exits without reading its stdin: the write fails (the pipe's reader is gone) or is cut short,
  /// and the run still ends with the program's status, the pipe closed, nothing trapped. The input is larger than a
  /// pipe's buffer so the write cannot complete before the program exits.
  @Test func aProgramThatIgnoresItsInputStillEndsCleanly() async {
    for _ in 0..<20 {
      let outcome = await ProcessRunner.run(
        "sh", ["-c", "exit 4"], input: [UInt8](repeating: 65, count: 256 * 1024), limits: limits)
      #expect((outcome.status, outcome.timedOut) == (4, false))
    }
  }

  /// Killed by SIGKILL (status 137): the program did not run its 600 s.
  @Test func theDeadlineKillsAHungProgram() async {
    let outcome = await ProcessRunner.run("sleep", ["600"], limits: ProcessLimits(timeout: .milliseconds(300)))
    #expect(outcome.timedOut)
    #expect(!outcome.succeeded)
    #expect(outcome.status == 128 + 9)
  }

  /// The run ends when the program exits, even when something it started (a daemon) still holds its output open:
  /// neither the wait nor the deadline touches what the program left running on purpose.
  /// (Had the run waited for the 600 s sleep, the 300 s deadline would have ended it as timed out.)
  @Test func theRunEndsWhenTheProgramExits() async {
    let outcome = await ProcessRunner.run(
      "sh", ["-c", "sleep 600 & echo $!"], limits: ProcessLimits(timeout: .seconds(300)))
    #expect((outcome.status, outcome.stderr, outcome.timedOut) == (0, "", false))
    let pid = Int32(outcome.stdout.split(separator: "\n").first ?? "") ?? 0
    #expect(pid > 0)
    if pid > 0 { kill(pid, SIGKILL) }
  }

  @Test func outputIsKeptUpToItsBoundAndTheRestDrained() async {
    let outcome = await ProcessRunner.run(
      "head", ["-c", "1000000", "/dev/zero"], limits: ProcessLimits(timeout: .seconds(120), outputBytesMax: 1000))
    #expect(outcome.succeeded)
    #expect(outcome.stdout.utf8.count == 1000)
  }

  @Test func anInputOverItsBoundIsRefusedBeforeTheSpawn() async {
    let outcome = await ProcessRunner.run(
      "/bin/cat", [], input: [UInt8](repeating: 65, count: 11),
      limits: ProcessLimits(timeout: .seconds(120), inputBytesMax: 10))
    #expect(outcome.status == 127)
    #expect(outcome.stderr.contains("over the limit of 10 bytes"))
  }

  @Test func aMissingProgramIsStatus127() async {
    let outcome = await ProcessRunner.run("/nonexistent/program", [], limits: limits)
    #expect(outcome.status == 127)
    #expect(outcome.stderr.hasPrefix("/nonexistent/program: "))
  }

  /// Called from a thread of its own, as a tool's main thread calls it (blocking a task's thread is not allowed).
  @Test func theBlockingFormGivesTheSameOutcome() async {
    let outcome = await withCheckedContinuation { continuation in
      Thread.detachNewThread {
        continuation.resume(returning: ProcessRunner.runBlocking("sh", ["-c", "printf x; exit 2"], limits: limits))
      }
    }
    #expect((outcome.status, outcome.stdout, outcome.stderr, outcome.timedOut) == (2, "x", "", false))
  }
}
