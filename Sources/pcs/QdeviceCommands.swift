import ArgumentParser
import Files
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

// `pcs qdevice setup model net [--enable] [--start]`, `pcs qdevice start|stop|status|destroy net`: the arbiter side,
// run on the arbiter's machine. pcs 0.11.5 drives corosync-qnetd through systemd; Vigil starts `vigil-arbiter`
// (next to this pcs, else /usr/sbin) itself, detached, with a pid file. Its key directory holds a copy of each
// served cluster's authkey as CLUSTER.authkey (where pcs keeps corosync-qnetd's certificate database).
// VIGIL_ARBITER_DIR and VIGIL_ARBITER_PID move the key directory and the pid file, VIGIL_ARBITER_PORT the port
// (tests, unprivileged runs).

enum Qdevice {
  static var dir: String { ProcessInfo.processInfo.environment["VIGIL_ARBITER_DIR"] ?? "/etc/vigil-arbiter" }
  static var pidFile: String { ProcessInfo.processInfo.environment["VIGIL_ARBITER_PID"] ?? "/run/vigil-arbiter.pid" }
  static let startWaitS = 10.0
  static let stopWaitS = 10.0

  static var binary: String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    let sibling = FileIO.directoryName(of: exe) + "/vigil-arbiter"
    return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "/usr/sbin/vigil-arbiter"
  }

  static func model(_ words: [String], usage: String) throws(PcsFailure) {
    guard let m = words.first, words.count == 1 else { throw .legacy(usage) }
    guard m == "net" else { throw .legacy("'\(m)' is not a valid model value, use 'net'") }
  }

  static var initialized: Bool { FileIO.exists(dir) }

  /// The running arbiter's pid, from the pid file, if that process is alive.
  static func runningPid() -> pid_t? {
    guard let text = try? FileIO.readText(path: pidFile, bytesMax: 64),
      let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, kill(pid, 0) == 0
    else { return nil }
    return pid
  }

  static func start() throws(PcsFailure) {
    Console.out("Starting quorum device...")
    if runningPid() != nil {
      Console.out("quorum device started")
      return
    }
    unlink(pidFile)
    let log = dir + "/vigil-arbiter.log"
    var args = [binary, "--key-dir", dir, "--pid-file", pidFile]
    if let port = ProcessInfo.processInfo.environment["VIGIL_ARBITER_PORT"] { args += ["--port", port] }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID (glibc): its own session, detached from this terminal
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Nothing else of this pcs (its caller's pipes) stays open in the daemon, or the caller waits for it forever.
    for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
      if let fd = Int32(name), fd >= 3 { posix_spawn_file_actions_addclose(&actions, fd) }
    }
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    let rc = posix_spawn(&pid, args[0], &actions, &attributes, argv, environ)
    guard rc == 0 else { throw .legacy("Unable to start vigil-arbiter (\(args[0])): \(String(cString: strerror(rc)))") }
    let deadline = Date().addingTimeInterval(startWaitS)
    while Date() < deadline {
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        let said = (try? FileIO.readText(path: log, bytesMax: 1 << 20)).map { String($0.suffix(300)) } ?? ""
        throw .legacy("Unable to start vigil-arbiter: it exited: \(said.trimmingCharacters(in: .whitespacesAndNewlines))")
      }
      if runningPid() == pid {
        Console.out("quorum device started")
        return
      }
      usleep(20_000)
    }
    throw .legacy("Unable to start vigil-arbiter: no pid file \(pidFile) after \(Int(startWaitS)) s (see \(log))")
  }

  static func stop() throws(PcsFailure) {
    Console.out("Stopping quorum device...")
    if let pid = runningPid() {
      kill(pid, SIGTERM)
      let deadline = Date().addingTimeInterval(stopWaitS)
      while kill(pid, 0) == 0 && Date() < deadline {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)  // reaps it when this pcs started it (tests)
        usleep(20_000)
      }
      if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }
    unlink(pidFile)
    Console.out("quorum device stopped")
  }
}

struct QdeviceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "qdevice", abstract: "Manage the quorum device provider (vigil-arbiter) on this machine.",
    subcommands: [QdeviceSetup.self, QdeviceStart.self, QdeviceStop.self, QdeviceStatus.self, QdeviceDestroy.self])
}

/// `pcs qdevice setup model net [--enable] [--start]`.
struct QdeviceSetup: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "setup", abstract: "Set up the quorum device provider.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("start")) var start = false
  @Flag(name: .customLong("enable")) var enable = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []

  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    guard args.first == "model" else { throw .legacy("Usage: pcs qdevice setup model <device model> [--enable] [--start]") }
    try Qdevice.model(Array(args.dropFirst()), usage: "Usage: pcs qdevice setup model <device model> [--enable] [--start]")
    if Qdevice.initialized { throw .legacy("Quorum device 'net' has been already initialized") }
    guard mkdir(Qdevice.dir, 0o700) == 0 else {
      throw .legacy("Unable to create \(Qdevice.dir): \(String(cString: strerror(errno)))")
    }
    Console.out("Quorum device 'net' initialized")
    if enable {
      Console.err("Warning: vigil-arbiter is not started at boot by pcs (no service manager unit is installed); start it from your init system or with 'pcs qdevice start net'")
    }
    if start { try Qdevice.start() }
  }
}

struct QdeviceStart: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "start", abstract: "Start the quorum device provider.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    try Qdevice.model(args, usage: "Usage: pcs qdevice start <device model>")
    guard Qdevice.initialized else { throw .legacy("Quorum device 'net' has not been initialized yet") }
    try Qdevice.start()
  }
}

struct QdeviceStop: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop the quorum device provider.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    try Qdevice.model(args, usage: "Usage: pcs qdevice stop <device model>")
    try Qdevice.stop()
  }
}

struct QdeviceStatus: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the quorum device provider's state.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    try Qdevice.model(args, usage: "Usage: pcs qdevice status <device model>")
    guard let pid = Qdevice.runningPid() else { throw .legacy("Quorum device 'net' is not running") }
    let keys = ((try? FileManager.default.contentsOfDirectory(atPath: Qdevice.dir)) ?? []).filter { $0.hasSuffix(".authkey") }
    Console.out("vigil-arbiter running, pid \(pid)")
    Console.out("Key directory:\t\t\(Qdevice.dir)")
    Console.out("Clusters with a key:\t\(keys.map { String($0.dropLast(8)) }.sorted().joined(separator: " "))")
  }
}

struct QdeviceDestroy: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "destroy", abstract: "Stop the quorum device provider and delete its configuration.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    try Qdevice.model(args, usage: "Usage: pcs qdevice destroy <device model>")
    try Qdevice.stop()
    do { try FileManager.default.removeItem(atPath: Qdevice.dir) } catch {
      if Qdevice.initialized { throw .legacy("Unable to delete \(Qdevice.dir): \(error.localizedDescription)") }
    }
    Console.out("Quorum device 'net' configuration files removed")
  }
}
