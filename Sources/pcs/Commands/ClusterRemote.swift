import Membership
import Processes

#if canImport(Glibc)
  import Glibc
#endif

extension ProcessOutcome {
  /// The last non-empty stderr line, for one-line reports.
  var reason: String {
    if timedOut { return "timed out" }
    return stderr.split(separator: "\n").last { !$0.isEmpty }.map(String.init) ?? "exit status \(status)"
  }
}

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
  typealias Outcome = ProcessOutcome

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

  /// Runs `program` through the one process runner: a deadline, bounded output, and stdin refused (never cut) when
  /// over its limit, since a cut input would install a half-written file on the other node.
  static func spawn(_ program: String, _ args: [String], input: [UInt8], limits: Limits) -> Outcome {
    ProcessRunner.runBlocking(
      program, args, input: input,
      limits: ProcessLimits(
        timeout: .milliseconds(limits.timeoutMs), outputBytesMax: limits.outputBytesMax,
        inputBytesMax: limits.inputBytesMax))
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
      if outcome.succeeded {
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
