import Membership

#if canImport(Glibc)
  import Glibc
#endif

/// How pcs reaches the other machines of a cluster: ssh, with the node names of corosync.conf as host names
/// (README, "Many machines"). pcs itself talks to its pcsd daemon on every node; Vigil has no such daemon and uses
/// the ssh that administrators already have: root on each node must accept `ssh -o BatchMode=yes NODE` from the
/// machine running pcs (keys, no password prompt), and each node has Vigil's `pcs` in its PATH.
///
/// Environment (documented): `VIGIL_SSH` replaces the ssh program (its arguments stay `[options] HOST COMMAND`;
/// the tests use a script that runs COMMAND in a folder per host), `VIGIL_COROSYNC_DIR` replaces /etc/corosync as
/// the folder of corosync.conf and authkey on every node, `VIGIL_REMOTE_PCS` replaces `pcs` on the other nodes.
enum ClusterRemote {
  /// The result of one command on one node.
  struct Outcome: Sendable, Equatable {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
    var ok: Bool { status == 0 && !timedOut }
    /// The last non-empty stderr line, for one-line reports.
    var reason: String {
      let lines = stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
      if timedOut { return "timed out" }
      return lines.last ?? "exit status \(status)"
    }
  }

  /// Bounds of one remote call.
  struct Limits: Sendable {
    var timeoutMs: Int
    var outputBytesMax = 64 * 1024
    var inputBytesMax = 1 << 20
  }

  static var sshProgram: String { env("VIGIL_SSH") ?? "ssh" }
  static var corosyncDir: String { env("VIGIL_COROSYNC_DIR") ?? "/etc/corosync" }
  static var remotePcs: String { env("VIGIL_REMOTE_PCS") ?? "pcs" }

  static func env(_ name: String) -> String? {
    guard let v = getenv(name) else { return nil }
    let s = String(cString: v)
    return s.isEmpty ? nil : s
  }

  /// Single-quotes a word for the remote shell.
  static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

  /// Runs `COMMAND` on `host` through ssh, feeding `input` on its stdin.
  static func run(host: String, command: String, input: [UInt8] = [], limits: Limits) -> Outcome {
    let connect = max(1, min(30, limits.timeoutMs / 1000))
    let args = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=\(connect)", "--", host, command]
    return spawn(sshProgram, args, input: input, limits: limits)
  }

  /// Writes `bytes` to DIR/NAME on `host` atomically (temporary file, chmod, rename, sync).
  static func install(host: String, dir: String, name: String, bytes: [UInt8], mode: String, limits: Limits) -> Outcome {
    let tmp = "\(dir)/.\(name).vigil-tmp"
    let command = [
      "umask 077", "mkdir -p \(quote(dir))",
      "cat > \(quote(tmp)) && chmod \(mode) \(quote(tmp)) && sync \(quote(tmp)) && mv -f \(quote(tmp)) \(quote(dir + "/" + name)) && sync \(quote(dir))",
    ].joined(separator: " && ")
    return run(host: host, command: command, input: bytes, limits: limits)
  }

  // MARK: process plumbing (posix_spawn, pipes, poll; bounded output, a deadline, kill on timeout)

  static func spawn(_ program: String, _ args: [String], input: [UInt8], limits: Limits) -> Outcome {
    // Refused, never cut: a truncated stdin would install a half-written file on the other node.
    guard input.count <= limits.inputBytesMax else {
      return Outcome(
        status: 127, stdout: "", stderr: "input of \(input.count) bytes is over the limit of \(limits.inputBytesMax) bytes",
        timedOut: false)
    }
    var inPipe: [Int32] = [0, 0]
    var outPipe: [Int32] = [0, 0]
    var errPipe: [Int32] = [0, 0]
    guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
      return Outcome(status: 127, stdout: "", stderr: "pipe: \(String(cString: strerror(errno)))", timedOut: false)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
    for fd in inPipe + outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))
    posix_spawnattr_setpgroup(&attr, 0)
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attr, &noSignals)
    let argv: [UnsafeMutablePointer<CChar>?] = ([program] + args).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, program, &actions, &attr, argv, environ)
    close(inPipe[0])
    close(outPipe[1])
    close(errPipe[1])
    guard rc == 0 else {
      close(inPipe[1])
      close(outPipe[0])
      close(errPipe[0])
      return Outcome(status: 127, stdout: "", stderr: "\(program): \(String(cString: strerror(rc)))", timedOut: false)
    }
    // Feed stdin, read both outputs, until the child closes them or the deadline passes.
    var written = 0
    let data = input
    var inFD: Int32 = inPipe[1]
    if data.isEmpty {
      close(inFD)
      inFD = -1
    } else {
      _ = fcntl(inFD, F_SETFL, fcntl(inFD, F_GETFL) | O_NONBLOCK)
    }
    var out: [UInt8] = []
    var err: [UInt8] = []
    var openOut = true
    var openErr = true
    var timedOut = false
    let deadline = monotonicMs() + Int64(limits.timeoutMs)
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    signal(SIGPIPE, SIG_IGN)
    while openOut || openErr || inFD >= 0 {
      let left = deadline - monotonicMs()
      if left <= 0 {
        timedOut = true
        break
      }
      var fds: [pollfd] = []
      if openOut { fds.append(pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0)) }
      if openErr { fds.append(pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)) }
      if inFD >= 0 { fds.append(pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)) }
      let n = poll(&fds, nfds_t(fds.count), Int32(min(left, 1000)))
      if n < 0 && errno != EINTR { break }
      for f in fds where f.revents != 0 {
        if f.fd == inFD {
          let w = data.withUnsafeBytes { write(inFD, $0.baseAddress! + written, data.count - written) }
          if w > 0 { written += w }
          if w < 0 && errno != EAGAIN && errno != EINTR || written >= data.count {
            close(inFD)
            inFD = -1
          }
          continue
        }
        let r = buffer.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, $0.count) }
        if r <= 0 {
          if r < 0 && (errno == EINTR || errno == EAGAIN) { continue }
          if f.fd == outPipe[0] { openOut = false } else { openErr = false }
          continue
        }
        if f.fd == outPipe[0] {
          if out.count < limits.outputBytesMax { out.append(contentsOf: buffer[0..<min(r, limits.outputBytesMax - out.count)]) }
        } else if err.count < limits.outputBytesMax {
          err.append(contentsOf: buffer[0..<min(r, limits.outputBytesMax - err.count)])
        }
      }
    }
    if inFD >= 0 { close(inFD) }
    close(outPipe[0])
    close(errPipe[0])
    // Both outputs closed does not mean the child is gone (it may close them and keep running): the wait for
    // its exit is bounded by the same deadline, then its process group is killed.
    var status: Int32 = 0
    var reaped = false
    while !timedOut {
      let r = waitpid(pid, &status, WNOHANG)
      if r == pid || (r < 0 && errno != EINTR) {
        reaped = true
        break
      }
      if monotonicMs() >= deadline {
        timedOut = true
        break
      }
      usleep(5_000)
    }
    if timedOut { kill(-pid, SIGKILL) }
    if !reaped { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
    let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return Outcome(
      status: exitCode, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
      timedOut: timedOut)
  }

  static func monotonicMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
  }

  // MARK: which node is this machine

  /// True when `node` is this machine: its name is the host name (short or full), or one of its addresses is a
  /// loopback address or an address of a local interface.
  static func isLocal(_ node: (name: String, addrs: [String])) -> Bool {
    var host = [CChar](repeating: 0, count: 256)
    if gethostname(&host, host.count) == 0 {
      let full = String(cString: host)
      let short = full.split(separator: ".").first.map(String.init) ?? full
      if node.name == full || node.name == short { return true }
    }
    let local = localAddresses()
    return node.addrs.contains { local.contains($0) }
  }

  static func localAddresses() -> Set<String> {
    var out: Set<String> = ["127.0.0.1", "::1", "localhost"]
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0 else { return out }
    defer { freeifaddrs(list) }
    var p = list
    while let ifa = p {
      defer { p = ifa.pointee.ifa_next }
      guard let sa = ifa.pointee.ifa_addr else { continue }
      var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
      let len = socklen_t(sa.pointee.sa_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
      guard sa.pointee.sa_family == sa_family_t(AF_INET) || sa.pointee.sa_family == sa_family_t(AF_INET6) else { continue }
      if getnameinfo(sa, len, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
        out.insert(String(cString: text).split(separator: "%").first.map(String.init) ?? "")
      }
    }
    if out.contains(where: { $0.hasPrefix("127.") }) { out.insert("127.0.0.1") }
    return out
  }
}

// MARK: pcs cluster start/stop/enable/disable --all | NODE...

/// What `pcs cluster start|stop|enable|disable` does on each node, and how pcs reports it.
enum ClusterNodeAction: String, Sendable {
  case start, stop, enable, disable

  /// pcs 0.11.5's per-node progress line.
  func progress(_ node: String) -> String {
    switch self {
    case .start: "\(node): Starting Cluster..."
    case .stop: "\(node): Stopping Cluster..."
    case .enable: "\(node): Cluster Enabled"
    case .disable: "\(node): Cluster Disabled"
    }
  }

  /// pcs's summary error when some node failed.
  var failure: String {
    switch self {
    case .start: "unable to start all nodes"
    case .stop: "unable to stop all nodes"
    case .enable: "unable to enable all nodes"
    case .disable: "unable to disable all nodes"
    }
  }
}

extension ClusterRemote {
  /// `pcs cluster ACTION --all` or `pcs cluster ACTION NODE...`: the nodes come from corosync.conf (`confPath`);
  /// this machine's node runs `local` (clusterd's local start/stop path); every
  /// other node runs `pcs cluster ACTION` through ssh, one after the other in corosync.conf's order.
  static func run(
    _ action: ClusterNodeAction, nodes requested: [String], all: Bool, confPath: String, timeoutMs: Int,
    local: () throws(PcsFailure) -> Void
  ) throws(PcsFailure) {
    let conf: CorosyncConfig
    do {
      conf = try CorosyncConfig.load(path: confPath)
    } catch {
      throw .legacy("Unable to read \(confPath): \(error.description)")
    }
    let known = conf.nodes.map { (name: $0.displayName, addrs: [$0.ring0Addr]) }
    var targets: [(name: String, addrs: [String])] = []
    if all {
      targets = known
    } else {
      for name in requested {
        guard let n = known.first(where: { $0.name == name }) else {
          throw .legacy("Node '\(name)' does not appear to exist in configuration")
        }
        if !targets.contains(where: { $0.name == name }) { targets.append(n) }
      }
    }
    var failures: [String] = []
    var localDone = false
    for node in targets {
      if isLocal(node) {
        // One machine may hold several nodes (vigil_port): its local path runs once.
        if !localDone {
          localDone = true
          do {
            try local()
            Console.err(action.progress(node.name))
          } catch {
            failures.append("\(node.name): " + error.lines.joined(separator: " ").replacingOccurrences(of: "Error: ", with: ""))
          }
        } else {
          Console.err(action.progress(node.name))
        }
        continue
      }
      let outcome = run(
        host: node.name, command: "\(quote(remotePcs)) cluster \(action.rawValue)", limits: Limits(timeoutMs: timeoutMs))
      if outcome.ok {
        Console.err(action.progress(node.name))
      } else if outcome.status == 255 || outcome.status == 127 {
        failures.append("\(node.name): Unable to connect to \(node.name) (\(outcome.reason))")
      } else {
        failures.append("\(node.name): \(outcome.reason)")
      }
    }
    if !failures.isEmpty { throw PcsFailure(lines: ["Error: " + action.failure] + failures) }
  }
}
