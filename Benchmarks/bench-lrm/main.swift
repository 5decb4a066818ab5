// bench-lrm: executor overhead against a bare fork+exec, monitor throughput with 200 Dummy resources, peak
// memory. Prints key=value lines (docs/BENCHMARKS.md records them). Wiring only; the logic is in LRM.
import Foundation
import LRM
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

let logger = Logger(label: "bench-lrm")
let env = ProcessInfo.processInfo.environment
let spawnCount = Int(env["BENCH_SPAWNS"] ?? "") ?? 300
let resourceCount = Int(env["BENCH_RESOURCES"] ?? "") ?? 200
let monitorSeconds = Int(env["BENCH_SECONDS"] ?? "") ?? 30

func microseconds(_ d: Duration) -> Double {
  Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
}

/// Baseline: posix_spawn + waitpid of /bin/true, nothing else. Deliberately not a process runner: it is the floor
/// the executor's overhead is measured against.
func bareSpawn(_ n: Int) -> Duration {
  let clock = ContinuousClock()
  let start = clock.now
  for _ in 0..<n {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { free(argv[0]) }
    guard posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0 else { fatalError("posix_spawn failed") }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
  }
  return (clock.now - start) / n
}

let runner = AgentRunner(roots: .system, limits: RunnerLimits(), logger: logger)

func executorSpawn(_ n: Int) async -> Duration {
  let invocation = Invocation(
    executable: "/bin/true", arguments: [], environment: [(name: "PATH", value: "/usr/bin:/bin")],
    standardInput: nil, immediateResult: nil)
  let clock = ContinuousClock()
  let start = clock.now
  for _ in 0..<n {
    let r = await runner.execute(invocation, timeout: .seconds(10), bytesMax: 64 * 1024)
    precondition(r.ocf == .success, "executor run of /bin/true failed: \(r.summary)")
  }
  return (clock.now - start) / n
}

// Interleaved rounds so machine load hits both sides alike; medians of the per-round means.
_ = bareSpawn(20)
_ = await executorSpawn(20)
let rounds = 5
var bareRounds: [Duration] = []
var executorRounds: [Duration] = []
for _ in 0..<rounds {
  bareRounds.append(bareSpawn(spawnCount / rounds))
  executorRounds.append(await executorSpawn(spawnCount / rounds))
}
let bare = bareRounds.sorted()[rounds / 2]
let executor = executorRounds.sorted()[rounds / 2]
print("spawn_iterations=\(spawnCount)")
print(String(format: "bare_fork_exec_us=%.0f", microseconds(bare)))
print(String(format: "executor_op_us=%.0f", microseconds(executor)))
print(String(format: "executor_overhead_us=%.0f", microseconds(executor - bare)))

// 200 Dummy resources: start them, then one 10 s recurring monitor each, for `monitorSeconds`.
let dir = NSTemporaryDirectory() + "bench-lrm-\(getpid())"
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }
let dummy = try ResourceAgentName.parse("ocf:heartbeat:Dummy")
let monitorRuns = Atomic<Int>(0)
let busyNanos = Atomic<Int>(0)
let exec = LocalExecutor(
  limits: ExecutorLimits(concurrentOperationsMax: 8), clock: ContinuousClock(), logger: logger
) { call in
  let r = await runner.run(call)
  if call.action == .monitor {
    monitorRuns.add(1, ordering: .relaxed)
    busyNanos.add(Int(microseconds(r.runtime) * 1000), ordering: .relaxed)
  }
  return r
}
let reportTask = Task { var n = 0; for await _ in exec.reports { n += 1 }; return n }
func params(_ i: Int) -> [AgentCall.Parameter] { [.init("state", "\(dir)/r\(i).state")] }
let clock = ContinuousClock()
let startAll = clock.now
for i in 0..<resourceCount {
  await exec.request(AgentCall(resource: "r\(i)", agent: dummy, action: .start, parameters: params(i)))
}
while await exec.runningCount > 0 { try await Task.sleep(for: .milliseconds(20)) }
let startElapsed = clock.now - startAll
print(String(format: "start_%d_dummy_s=%.2f", resourceCount, microseconds(startElapsed) / 1e6))

let t0 = clock.now
for i in 0..<resourceCount {
  await exec.request(
    AgentCall(resource: "r\(i)", agent: dummy, action: .monitor, parameters: params(i), interval: .seconds(10)))
}
try await Task.sleep(for: .seconds(monitorSeconds))
let runs = monitorRuns.load(ordering: .relaxed)
let elapsed = microseconds(clock.now - t0) / 1e6
await exec.shutdown()
let reports = await reportTask.value
print("monitor_resources=\(resourceCount)")
print("monitor_interval_s=10")
print("monitor_window_s=\(monitorSeconds)")
print("monitor_runs=\(runs)")
print(String(format: "monitors_per_s=%.1f", Double(runs) / elapsed))
print(String(format: "monitors_per_s_expected=%.1f", Double(resourceCount) / 10))
print(String(format: "dummy_monitor_mean_ms=%.1f", Double(busyNanos.load(ordering: .relaxed)) / 1e6 / Double(max(runs, 1))))
print("reports_total=\(reports)")

// Capacity: one-shot Dummy monitors back to back, 8 at a time, as fast as the executor can run them.
let capacityRuns = Int(env["BENCH_CAPACITY_RUNS"] ?? "") ?? 400
let capacityDone = Atomic<Int>(0)
let capacity = LocalExecutor(
  limits: ExecutorLimits(concurrentOperationsMax: 8), clock: ContinuousClock(), logger: logger
) { call in
  let r = await runner.run(call)
  capacityDone.add(1, ordering: .relaxed)
  return r
}
let c0 = clock.now
for i in 0..<capacityRuns {
  await capacity.request(
    AgentCall(resource: "r\(i % resourceCount)", agent: dummy, action: .monitor, parameters: params(i % resourceCount)))
}
while capacityDone.load(ordering: .relaxed) < capacityRuns { try await Task.sleep(for: .milliseconds(10)) }
let capacitySeconds = microseconds(clock.now - c0) / 1e6
await capacity.shutdown()
print(String(format: "monitor_capacity_per_s=%.0f", Double(capacityRuns) / capacitySeconds))

// A hung agent: ignores SIGTERM and keeps a child in its group; the bound is "gone within timeout + 1 s".
let hungTimeout = Duration.seconds(1)
let hung = Invocation(
  executable: "/bin/sh", arguments: ["-c", "trap '' TERM; sleep 600 & sleep 601"],
  environment: [(name: "PATH", value: "/usr/bin:/bin")], standardInput: nil, immediateResult: nil)
var hungSamples: [Duration] = []
for _ in 0..<5 {
  let h0 = clock.now
  let r = await runner.execute(hung, timeout: hungTimeout, bytesMax: 64 * 1024)
  precondition(r.status == .timedOut, "the hung agent was not reported as timed out: \(r.summary)")
  hungSamples.append(clock.now - h0)
}
print(String(format: "hung_agent_timeout_ms=%.0f", microseconds(hungTimeout) / 1e3))
print(String(format: "hung_agent_gone_ms_max=%.0f", microseconds(hungSamples.max()!) / 1e3))

var usage = rusage()
getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
print("peak_rss_kb=\(usage.ru_maxrss)")
