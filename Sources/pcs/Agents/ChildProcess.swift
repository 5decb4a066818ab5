#if canImport(Glibc)
  import Glibc
#endif

/// Runs an agent as a child process in its own process group, with a deadline and a bound on what it may
/// print. Why not Foundation.Process: it waits for grandchildren and cannot kill a process group.
enum ChildProcess {
  struct Outcome {
    var exitCode: Int32?  // nil when killed (timeout or signal)
    var stdout: [UInt8]
    var timedOut: Bool
  }

  /// `timeoutMs` bounds the whole run; `outputBytesMax` bounds stdout (the rest is discarded).
  static func run(
    _ path: String, _ args: [String], environment: [String], timeoutMs: Int, outputBytesMax: Int = 1 << 20
  ) -> Outcome? {
    precondition(timeoutMs > 0 && outputBytesMax > 0)
    var pipeFds: [Int32] = [0, 0]
    guard pipe(&pipeFds) == 0 else { return nil }
    let readFd = pipeFds[0]
    let writeFd = pipeFds[1]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addclose(&actions, readFd)
    posix_spawn_file_actions_adddup2(&actions, writeFd, 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addclose(&actions, writeFd)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attr, 0)

    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
    defer {
      for p in argv { free(p) }
      for p in envp { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
    close(writeFd)
    if rc != 0 {
      close(readFd)
      return nil
    }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    var deadline = timespec()
    clock_gettime(CLOCK_MONOTONIC, &deadline)
    let deadlineMs = Int(deadline.tv_sec) * 1000 + Int(deadline.tv_nsec) / 1_000_000 + timeoutMs
    var timedOut = false
    var open = true
    while open {
      var now = timespec()
      clock_gettime(CLOCK_MONOTONIC, &now)
      let remaining = deadlineMs - (Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000)
      if remaining <= 0 {
        timedOut = true
        break
      }
      var pfd = pollfd(fd: readFd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&pfd, 1, Int32(min(remaining, 1000)))
      if ready < 0 && errno != EINTR { break }
      if ready <= 0 { continue }
      let n = buffer.withUnsafeMutableBytes { Glibc.read(readFd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 {
        open = false
      } else if output.count < outputBytesMax {
        output.append(contentsOf: buffer[0..<min(n, outputBytesMax - output.count)])
      }
    }
    close(readFd)
    if timedOut { kill(-pid, SIGKILL) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // WIFEXITED / WEXITSTATUS by hand: the C macros are not imported into Swift.
    let exited = (status & 0x7f) == 0
    return Outcome(exitCode: exited && !timedOut ? (status >> 8) & 0xff : nil, stdout: output, timedOut: timedOut)
  }
}
