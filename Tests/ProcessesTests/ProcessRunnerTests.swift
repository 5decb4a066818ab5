import Processes
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct ProcessRunnerTests {
  let limits = ProcessLimits(timeout: .seconds(20))

  @Test func exitStatusAndBothOutputs() async {
    let outcome = await ProcessRunner.run("sh", ["-c", "echo out; echo err >&2; exit 3"], limits: limits)
    #expect(outcome == ProcessOutcome(status: 3, stdout: "out\n", stderr: "err\n", timedOut: false))
  }

  @Test func stdinIsFed() async {
    let outcome = await ProcessRunner.run("/bin/cat", [], input: Array("line\n".utf8), limits: limits)
    #expect(outcome.succeeded)
    #expect(outcome.stdout == "line\n")
  }

  @Test func theDeadlineKillsAHungProgram() async {
    let clock = ContinuousClock()
    let start = clock.now
    let outcome = await ProcessRunner.run("sleep", ["30"], limits: ProcessLimits(timeout: .milliseconds(300)))
    #expect(outcome.timedOut)
    #expect(!outcome.succeeded)
    #expect(outcome.status == 128 + 9)
    #expect(clock.now - start < .seconds(10))
  }

  /// The run ends when the program exits, even when something it started (a daemon) still holds its output open:
  /// neither the wait nor the deadline touches what the program left running on purpose.
  @Test func theRunEndsWhenTheProgramExits() async {
    let clock = ContinuousClock()
    let start = clock.now
    let outcome = await ProcessRunner.run("sh", ["-c", "sleep 30 & echo $!"], limits: ProcessLimits(timeout: .seconds(20)))
    #expect(outcome == ProcessOutcome(status: 0, stdout: outcome.stdout, stderr: "", timedOut: false))
    #expect(clock.now - start < .seconds(10))
    let pid = Int32(outcome.stdout.split(separator: "\n").first ?? "") ?? 0
    #expect(pid > 0)
    if pid > 0 { kill(pid, SIGKILL) }
  }

  @Test func outputIsKeptUpToItsBoundAndTheRestDrained() async {
    let outcome = await ProcessRunner.run(
      "head", ["-c", "1000000", "/dev/zero"], limits: ProcessLimits(timeout: .seconds(20), outputBytesMax: 1000))
    #expect(outcome.succeeded)
    #expect(outcome.stdout.utf8.count == 1000)
  }

  @Test func anInputOverItsBoundIsRefusedBeforeTheSpawn() async {
    let outcome = await ProcessRunner.run(
      "/bin/cat", [], input: [UInt8](repeating: 65, count: 11),
      limits: ProcessLimits(timeout: .seconds(20), inputBytesMax: 10))
    #expect(outcome.status == 127)
    #expect(outcome.stderr.contains("over the limit of 10 bytes"))
  }

  @Test func aMissingProgramIsStatus127() async {
    let outcome = await ProcessRunner.run("/nonexistent/program", [], limits: limits)
    #expect(outcome.status == 127)
    #expect(outcome.stderr.hasPrefix("/nonexistent/program: "))
  }

  @Test func theBlockingFormGivesTheSameOutcome() {
    let outcome = ProcessRunner.runBlocking("sh", ["-c", "printf x; exit 2"], limits: limits)
    #expect(outcome == ProcessOutcome(status: 2, stdout: "x", stderr: "", timedOut: false))
  }
}
