import Foundation
import Testing
@testable import LRM

/// Real agents in real child processes: resource-agents' Dummy and IPaddr2, an LSB script, fence_dummy and the
/// project's misbehaving test agents.
@Suite(.serialized) struct AgentRunnerTests {
  let runner = AgentRunner(roots: systemRoots, logger: testLogger)
  let dummy = try! ResourceAgentName.parse("ocf:heartbeat:Dummy")

  @Test func dummyStartMonitorStopMonitorWithItsStateFile() async throws {
    let dir = TempDir("dummy")
    defer { dir.remove() }
    let state = "\(dir.path)/d1.state"
    func call(_ a: AgentAction) -> AgentCall {
      AgentCall(resource: "d1", agent: dummy, action: a, parameters: [.init("state", state)], timeout: .seconds(20))
    }
    let probe = await runner.run(call(.monitor))
    #expect(probe.status == .done)
    #expect(probe.ocf == .notRunning)

    let start = await runner.run(call(.start))
    #expect(start.ocf == .success, "\(start.summary) \(start.standardError)")
    #expect(FileManager.default.fileExists(atPath: state))

    let monitor = await runner.run(call(.monitor))
    #expect(monitor.ocf == .success)
    #expect(monitor.code == .ocf(.success))

    let stop = await runner.run(call(.stop))
    #expect(stop.ocf == .success)
    #expect(!FileManager.default.fileExists(atPath: state))

    let after = await runner.run(call(.monitor))
    #expect(after.ocf == .notRunning)
    #expect(after.code == .ocf(.notRunning))
  }

  /// A fence agent that exits without reading its stdin (it failed early): the call ends with its exit code; the
  /// daemon neither dies of SIGPIPE nor traps on the pipe. The input is larger than a pipe's buffer so the write
  /// cannot complete before the program exits.
  @Test func anAgentThatIgnoresItsStdinStillEndsCleanly() async {
    let invocation = Invocation(
      executable: "/bin/sh", arguments: ["-c", "exit 1"], environment: [],
      standardInput: String(repeating: "x", count: 256 * 1024))
    for _ in 0..<10 {
      let result = await runner.execute(invocation, timeout: .seconds(120), bytesMax: 4096)
      #expect(result.code?.ocf == .genericError, "\(result.summary)")
    }
  }

  @Test func ocfEnvironmentReachesTheAgent() async throws {
    let dir = TempDir("env")
    defer { dir.remove() }
    let runner = AgentRunner(roots: testRoots, logger: testLogger)
    let agent = try ResourceAgentName.parse("ocf:vigil-test:Env")
    let call = AgentCall(
      resource: "envtest", agent: agent, action: .monitor,
      parameters: [.init("state", "\(dir.path)/s"), .init("envfile", "\(dir.path)/env")],
      meta: [.init("target-role", "Started")], interval: .seconds(10), timeout: .seconds(20))
    let r = await runner.run(call)
    #expect(r.ocf == .notRunning, "\(r.summary)")
    let env = (try? String(contentsOfFile: "\(dir.path)/env", encoding: .utf8)) ?? ""
    for expected in [
      "OCF_ROOT=\(Repo.agents)/ocf", "OCF_RESOURCE_INSTANCE=envtest", "OCF_RESOURCE_TYPE=Env",
      "OCF_RESOURCE_PROVIDER=vigil-test", "OCF_RESKEY_state=\(dir.path)/s", "OCF_RESKEY_CRM_meta_interval=10000",
      "OCF_RESKEY_CRM_meta_timeout=20000", "OCF_RESKEY_CRM_meta_target_role=Started",
      "OCF_FUNCTIONS_DIR=\(Repo.agents)/ocf/lib/heartbeat", "OCF_RESKEY_envfile=\(dir.path)/env",
    ] {
      #expect(env.contains(expected), "missing \(expected) in\n\(env)")
    }
  }

  @Test func missingAgentIsNotInstalled() async throws {
    let call = AgentCall(resource: "x", agent: try .parse("ocf:heartbeat:NoSuchAgent"), action: .start)
    let r = await runner.run(call)
    #expect(r.status == .notInstalled)
    #expect(r.ocf == .notInstalled)
    #expect(r.exitReason?.contains("not installed") == true)
    let lsb = await runner.run(AgentCall(resource: "y", agent: try .parse("lsb:no-such-script"), action: .monitor))
    #expect(lsb.ocf == .notInstalled)
  }

  @Test func invalidParametersReachTheCallerThroughValidateAll() async throws {
    let call = AgentCall(
      resource: "bad", agent: dummy, action: .validateAll,
      parameters: [.init("state", "/nonexistent-vigil-dir/sub/bad.state")])
    let r = await runner.run(call)
    #expect(r.status == .done)
    #expect(r.ocf == .invalidArgument)
    #expect(r.exitReason == "State file \"/nonexistent-vigil-dir/sub/bad.state\" is not writable")
  }

  @Test func hangingAgentIsKilledWithItsWholeGroupWithinTimeoutPlusGrace() async throws {
    let grace = Duration.milliseconds(500)
    let runner = AgentRunner(roots: testRoots, limits: RunnerLimits(killGrace: grace), logger: testLogger)
    let call = AgentCall(
      resource: "stuck", agent: try .parse("ocf:vigil-test:Hang"), action: .start, timeout: .seconds(1))
    let started = ContinuousClock.now
    let r = await runner.run(call)
    let elapsed = ContinuousClock.now - started
    #expect(r.status == .timedOut)
    #expect(r.ocf == .genericError)
    // Killed, not waited for: the agent would sleep 600 s. The "timeout + 1 s" figure is measured by
    // `make bench-lrm` (hung_agent_gone_ms_max), not asserted here, so a loaded CI machine cannot flake it.
    #expect(elapsed < .seconds(30), "took \(elapsed)")
    let forensics = try #require(r.forensics)
    // The tree shows the agent and both sleeps it is stuck on, children under their parent.
    let tree = forensics.renderedTree
    #expect(tree.contains("Hang start"), "\(tree)")
    #expect(tree.contains("  ") && tree.contains("sleep 601") && tree.contains("sleep 600"), "\(tree)")
    #expect(forensics.lastOutputLines.contains("hang: starting start for stuck"))
    #expect(forensics.lastOutputLines.contains("hang: waiting for a lock that never comes"))
    // Nothing of its session or group is left running (zombies reparented to init do not run).
    let leader = try #require(forensics.processes.first { $0.command.contains("Hang start") })
    #expect(!sessionHasLiveProcesses(leader.pid))
    for p in forensics.processes {
      let stat = try? String(contentsOfFile: "/proc/\(p.pid)/stat", encoding: .utf8)
      let live = stat.flatMap(parseProcStat).map { $0.state != "Z" && $0.session == leader.session } ?? false
      #expect(!live, "process \(p.pid) (\(p.command)) survived")
    }
  }

  @Test func agentThatDaemonizesDoesNotBlockCompletion() async throws {
    let dir = TempDir("daemonize")
    defer { dir.remove() }
    let runner = AgentRunner(roots: testRoots, logger: testLogger)
    let agent = try ResourceAgentName.parse("ocf:vigil-test:Daemonize")
    func call(_ a: AgentAction) -> AgentCall {
      AgentCall(resource: "dmn", agent: agent, action: a, parameters: [.init("state", "\(dir.path)/pid")], timeout: .seconds(10))
    }
    let started = ContinuousClock.now
    let r = await runner.run(call(.start))
    let elapsed = ContinuousClock.now - started
    #expect(r.status == .done)
    #expect(r.ocf == .success)
    #expect(r.standardOutput == "daemon started\n")
    // The background process holds the pipes for 30 s: completion must not wait for it.
    #expect(elapsed < .seconds(10), "took \(elapsed)")
    #expect(await runner.run(call(.monitor)).ocf == .success)
    #expect(await runner.run(call(.stop)).ocf == .success)
    #expect(await runner.run(call(.monitor)).ocf == .notRunning)
  }

  @Test func outputIsBoundedAndTheExitReasonSurvives() async throws {
    let runner = AgentRunner(roots: testRoots, limits: RunnerLimits(outputBytesMax: 4096), logger: testLogger)
    let r = await runner.run(AgentCall(resource: "c", agent: try .parse("ocf:vigil-test:Chatty"), action: .start))
    #expect(r.ocf == .genericError)
    #expect(r.exitReason == "the last words")
    #expect(r.standardOutput.utf8.count <= 4096)
    #expect(r.standardOutput.hasSuffix("line 19999 of noise\n"))
    #expect(r.outputBytesDropped > 300_000)
  }

  @Test func lsbInitScriptStartStatusStop() async throws {
    let runner = AgentRunner(roots: testRoots, logger: testLogger)
    let agent = try ResourceAgentName.parse("lsb:vigil-lsb-test")
    func call(_ a: AgentAction) -> AgentCall { AgentCall(resource: "svc", agent: agent, action: a) }
    _ = await runner.run(call(.stop))
    let probe = await runner.run(call(.monitor))
    #expect(probe.code == .lsb(.status(.notRunning)))
    #expect(probe.ocf == .notRunning)
    let start = await runner.run(call(.start))
    #expect(start.code == .lsb(.action(.success)))
    let running = await runner.run(call(.monitor))
    #expect(running.code == .lsb(.status(.running)))
    #expect(running.ocf == .success)
    // A daemon that died behind the script's back leaves its pid file: status 1, "not running" for the cluster.
    let pidFile = await shOutput("\(Repo.agents)/init.d/vigil-lsb-test pidfile").trimmingCharacters(in: .whitespacesAndNewlines)
    let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    // (A killed child of a container's init may linger as a zombie that `kill -0` still finds, so the pid file
    // is pointed at a pid that cannot exist, which is what a crashed daemon's stale pid file looks like.)
    await sh("kill \(pid)")
    let pidMax = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "4194304"
    try "\(pidMax)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
    let dead = await runner.run(call(.monitor))
    #expect(dead.code == .lsb(.status(.deadPidFileExists)))
    #expect(dead.ocf == .notRunning)
    #expect(await runner.run(call(.stop)).ocf == .success)
    #expect(await runner.run(call(.monitor)).ocf == .notRunning)
    let bad = await runner.run(AgentCall(resource: "svc", agent: agent, action: .promote))
    #expect(bad.ocf == .unimplemented)
  }

  @Test func fenceDummyReadsItsOptionsFromStdin() async throws {
    let dir = TempDir("fence")
    defer { dir.remove() }
    let agent = try ResourceAgentName.parse("stonith:fence_dummy")
    let status = "\(dir.path)/status"
    func call(_ a: AgentAction) -> AgentCall {
      AgentCall(resource: "fd", agent: agent, action: a, parameters: [.init("status_file", status)])
    }
    let on = await runner.run(call(.on))
    #expect(on.code == .fence(.success), "\(on.summary) \(on.standardError)")
    #expect(try String(contentsOfFile: status, encoding: .utf8).contains("on"))
    #expect(await runner.run(call(.status)).code == .fence(.success))
    #expect(await runner.run(call(.monitor)).ocf == .success)
    let off = await runner.run(call(.off))
    #expect(off.code == .fence(.success))
    let statusOff = await runner.run(call(.status))
    #expect(statusOff.code == .fence(.poweredOff))
    #expect(statusOff.ocf == .notRunning)
    let stop = await runner.run(call(.stop))
    #expect(stop.ocf == .success)
    let meta = await runner.run(call(.metaData))
    #expect(meta.standardOutput.contains("<resource-agent name=\"fence_dummy\""))
  }
}
