import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A cgroup of the v1 pids hierarchy for one test, removed (after killing what is left in it) by `remove()`.
struct TestCgroup {
  static let hierarchy = "/sys/fs/cgroup/pids"
  static var usable: Bool { getuid() == 0 && access(hierarchy + "/cgroup.procs", W_OK) == 0 }
  let path: String

  init(_ name: String) throws {
    path = Self.hierarchy + "/" + name
    guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw HarnessError("cannot create the cgroup \(path)") }
  }

  var processes: [pid_t] {
    ((try? String(contentsOfFile: path + "/cgroup.procs", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
  }

  func remove() {
    for _ in 0..<100 {
      let left = processes
      if left.isEmpty { break }
      for p in left { kill(p, SIGKILL) }
      usleep(10_000)
    }
    rmdir(path)
  }
}

/// Whether `pid` is gone (or a zombie nobody reaped yet: it runs nothing any more).
func processDead(_ pid: pid_t) -> Bool {
  guard kill(pid, 0) == 0 else { return true }
  let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
  guard let close = stat.lastIndex(of: ")") else { return true }
  return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

/// Starts `args` with stdout and stderr appended to `log`; returns its pid.
func spawnProcess(_ args: [String], log: String) throws -> pid_t {
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
  posix_spawn_file_actions_adddup2(&actions, 1, 2)
  // The test runner blocks some signals in its threads; the child starts with none blocked and default actions.
  var attributes = posix_spawnattr_t()
  posix_spawnattr_init(&attributes)
  defer { posix_spawnattr_destroy(&attributes) }
  var none = sigset_t()
  sigemptyset(&none)
  var all = sigset_t()
  sigfillset(&all)
  posix_spawnattr_setsigmask(&attributes, &none)
  posix_spawnattr_setsigdefault(&attributes, &all)
  posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
  var pid: pid_t = 0
  let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
  defer { for p in argv { free(p) } }
  let rc = posix_spawn(&pid, args[0], &actions, &attributes, argv, environ)
  guard rc == 0 else { throw HarnessError("cannot start \(args[0]): \(String(cString: strerror(rc)))") }
  return pid
}

/// The watchdog stand-in (Tests/Support/vigil-watchdog) as a device: keepalives hold it off, their absence makes it
/// kill the whole cgroup (daemonized processes included) and empty the --clear folders, and a magic close disarms it.
@Suite(.serialized)
struct WatchdogStandInTests {
  static let runnable = TestCgroup.usable
    && FileManager.default.isExecutableFile(atPath: TestCluster.bin + "/vigil-watchdog")

  @Test(.enabled(if: runnable, "needs root, the cgroup v1 pids hierarchy and .build/debug/vigil-watchdog"))
  func expiryKillsTheCgroupAndClearsStateAndAMagicCloseDisarms() async throws {
    var template = Array("/tmp/vigil-watchdog-test-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
    let dir = String(cString: made)
    let group = try TestCgroup("vigil-watchdog-test-\(getpid())")
    let run = dir + "/run"
    try FileManager.default.createDirectory(atPath: run + "/sub", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: run + "/Dummy-x.state", contents: Data("x".utf8))
    FileManager.default.createFile(atPath: run + "/sub/y.pid", contents: Data("1".utf8))
    let device = dir + "/watchdog"
    let standIn = try spawnProcess(
      [TestCluster.bin + "/vigil-watchdog", "--device", device, "--timeout-s", "1", "--cgroup", group.path, "--clear", run],
      log: dir + "/watchdog.log")
    defer {
      kill(standIn, SIGTERM)
      var status: Int32 = 0
      waitpid(standIn, &status, 0)
      group.remove()
      try? FileManager.default.removeItem(atPath: dir)
    }
    // A plain process and a daemonized one (its parent exits; it stays in the cgroup), both joining the cgroup.
    let sleeper = try spawnProcess(
      ["/bin/sh", "-c", "echo $$ > \(group.path)/cgroup.procs && exec sleep 1000"], log: dir + "/sleep.log")
    let launcher = try spawnProcess(
      ["/bin/sh", "-c", "echo $$ > \(group.path)/cgroup.procs; sleep 1000 >/dev/null 2>&1 & echo $! > \(dir)/daemon.pid"],
      log: dir + "/daemon.log")
    var status: Int32 = 0
    waitpid(launcher, &status, 0)
    let daemonText = try String(contentsOfFile: dir + "/daemon.pid", encoding: .utf8)
    let daemon = try #require(pid_t(daemonText.trimmingCharacters(in: .whitespacesAndNewlines)))
    #expect(await eventuallyTrue { group.processes.count == 2 }, "both sleeps joined the cgroup: \(group.processes)")
    #expect(await eventuallyTrue { access(device, F_OK) == 0 }, "the stand-in created its FIFO")

    // Keepalives every 200 ms for 1.6 s (longer than the timeout): nothing dies. The FIFO is opened close-on-exec:
    // a child that other tests spawn meanwhile must not inherit the writer (the stand-in would never see it close).
    // The timed part runs on its own GCD thread: the Swift concurrency pool (2 threads here) may be starved by other
    // suites long enough to miss a keepalive, and then the stand-in rightly fires.
    struct Feeding: Sendable {
      var openError: String?
      var writesFailed = 0
      var killedWhileFed = false
      var fedUntil = ContinuousClock.now
      var deadAt: ContinuousClock.Instant?
    }
    let feeding = try await blocking { () -> Feeding in
      var r = Feeding()
      let fd = open(device, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
      guard fd >= 0 else {
        r.openError = String(cString: strerror(errno))
        return r
      }
      var byte = UInt8(ascii: "k")
      for _ in 0..<8 {
        if write(fd, &byte, 1) != 1 { r.writesFailed += 1 }
        usleep(200_000)
      }
      r.killedWhileFed = processDead(sleeper) || processDead(daemon)
      // A last keepalive, then the feeder goes away without the magic 'V' (as a killed clusterd): the device stays
      // armed and fires a timeout after that keepalive.
      if write(fd, &byte, 1) != 1 { r.writesFailed += 1 }
      r.fedUntil = ContinuousClock.now
      close(fd)
      var status: Int32 = 0
      while ContinuousClock.now - r.fedUntil < .seconds(3) {
        _ = waitpid(sleeper, &status, WNOHANG)
        if processDead(sleeper) && processDead(daemon) {
          r.deadAt = ContinuousClock.now
          break
        }
        usleep(5_000)
      }
      return r
    }
    #expect(feeding.openError == nil, "cannot open the FIFO: \(feeding.openError ?? "")")
    #expect(feeding.writesFailed == 0)
    #expect(!feeding.killedWhileFed, "killed while fed")
    let stoppedFeeding = feeding.fedUntil
    let deadAt = feeding.deadAt
    var byte = UInt8(ascii: "k")
    let died = try #require(deadAt, "the processes survived the watchdog")
    #expect(died - stoppedFeeding >= .milliseconds(900), "fired before the timeout: \(died - stoppedFeeding)")
    #expect(died - stoppedFeeding <= .milliseconds(1_500), "fired later than timeout + 0.5 s: \(died - stoppedFeeding)")
    #expect(await eventuallyTrue { ((try? FileManager.default.contentsOfDirectory(atPath: run)) ?? ["?"]).isEmpty },
            "the --clear folder was not emptied")
    #expect(await eventuallyTrue {
      ((try? String(contentsOfFile: dir + "/watchdog.log", encoding: .utf8)) ?? "").contains("watchdog expired: killed 2 processes")
    })

    // Re-armed by a new writer, then disarmed by the magic close: a new process in the cgroup lives on.
    let survivor = try spawnProcess(
      ["/bin/sh", "-c", "echo $$ > \(group.path)/cgroup.procs && exec sleep 1000"], log: dir + "/sleep2.log")
    #expect(await eventuallyTrue { group.processes.count == 1 })
    let again = open(device, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
    #expect(write(again, &byte, 1) == 1)
    var v = UInt8(ascii: "V")
    #expect(write(again, &v, 1) == 1)
    close(again)
    try await Task.sleep(for: .milliseconds(1_600))
    let log = (try? String(contentsOfFile: dir + "/watchdog.log", encoding: .utf8)) ?? ""
    #expect(log.contains("disarmed by a magic close"), "\(log)")
    #expect(log.components(separatedBy: "watchdog expired").count == 2, "it fired after the magic close:\n\(log)")
    #expect(!processDead(survivor), "the process in the cgroup died after the magic close:\n\(log)")
    kill(survivor, SIGKILL)
    waitpid(survivor, &status, 0)
  }
}

/// Polls `condition` every 10 ms for at most `timeoutS`.
func eventuallyTrue(timeoutS: Double = 5, _ condition: () -> Bool) async -> Bool {
  let deadline = ContinuousClock.now + .milliseconds(Int64(timeoutS * 1000))
  while ContinuousClock.now < deadline {
    if condition() { return true }
    try? await Task.sleep(for: .milliseconds(10))
  }
  return condition()
}
