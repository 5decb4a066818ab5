import Files
import Membership

#if canImport(Glibc)
  import Glibc
#endif

/// Vigil's options of `pcs cluster setup` beyond GlobalOptions (they arrive among the free words).
struct ClusterSetupFlags: Equatable, Sendable {
  var overwrite = false
  var noClusterUUID = false
  var enable = false
  var start = false
  var noKeysSync = false
  var vigilPortBase: Int?
  var membership: String?
  var requestTimeoutS = 60
  var words: [String] = []
  /// Options pcs does not know for this command (refused with pcs's message).
  var unsupported: [String] = []

  static func parse(_ args: [String]) throws(PcsFailure) -> ClusterSetupFlags {
    var f = ClusterSetupFlags()
    var i = 0
    func value(_ name: String, _ inline: String?) throws(PcsFailure) -> String {
      if let inline { return inline }
      guard i + 1 < args.count else { throw .legacy("option \(name) requires an argument") }
      i += 1
      return args[i]
    }
    while i < args.count {
      let w = args[i]
      defer { i += 1 }
      guard w.hasPrefix("--") && w != "--" else {
        f.words.append(w)
        continue
      }
      let parts = w.split(separator: "=", maxSplits: 1).map(String.init)
      let name = parts[0]
      let inline = parts.count > 1 ? parts[1] : nil
      switch name {
      case "--overwrite": f.overwrite = true
      case "--no-cluster-uuid": f.noClusterUUID = true
      case "--enable": f.enable = true
      case "--start": f.start = true
      case "--wait": break  // --start waits for the local start path anyway
      case "--no-keys-sync": f.noKeysSync = true
      case "--vigil-port-base":
        let v = try value(name, inline)
        guard let n = Int(v), (1...65535).contains(n) else {
          throw .legacy("'\(v)' is not a valid --vigil-port-base value, use a port number 1..65535")
        }
        f.vigilPortBase = n
      case "--membership": f.membership = try value(name, inline)
      case "--request-timeout":
        let v = try value(name, inline)
        guard let n = Int(v), n > 0 else { throw .legacy("'\(v)' is not a valid --request-timeout value, use a positive integer") }
        f.requestTimeoutS = n
      default: if !f.unsupported.contains(name) { f.unsupported.append(name) }
      }
    }
    return f
  }
}

/// `pcs cluster setup`: one machine's file (`--corosync_conf FILE`, pcs's local mode, plus an authkey next to it),
/// or every node's /etc/corosync/{corosync.conf,authkey} through ClusterRemote (ssh), then optionally
/// enable/start them.
func runClusterSetup(_ cmd: ClusterSetup) throws(PcsFailure) {
  let flags = try ClusterSetupFlags.parse(cmd.args)
  if !flags.unsupported.isEmpty || cmd.global.file != nil {
    try cmd.rejectUnsupportedOptions(in: flags.unsupported, alsoRefuseFile: true)
  }
  let local = cmd.global.corosyncConf != nil
  if local && (flags.enable || flags.start) {
    try cmd.rejectUnsupportedOptions(in: (flags.enable ? ["--enable"] : []) + (flags.start ? ["--start"] : []))
  }
  var report = Report(force: cmd.global.force)
  let plan = try ClusterSetupPlan.parse(
    flags.words, vigilPortBase: flags.vigilPortBase, membership: flags.membership, noClusterUUID: flags.noClusterUUID,
    uuid: { ClusterSetupKeys.uuidHex() }, report: &report)
  try report.check()
  let text = plan.corosyncConf()
  // The text must read back as a configuration Vigil accepts: a writer bug must never reach a node.
  do {
    _ = try CorosyncConfig.parse(text)
  } catch {
    throw .legacy("internal error: the generated corosync.conf does not parse: \(error.description)")
  }
  if let path = cmd.global.corosyncConf {
    try writeLocal(path: path, text: text, flags: flags)
  } else {
    try distribute(plan, text: text, flags: flags, force: cmd.global.force)
  }
}

/// pcs's local mode: FILE, plus `authkey` in FILE's folder (mode 0400) unless --no-keys-sync.
private func writeLocal(path: String, text: String, flags: ClusterSetupFlags) throws(PcsFailure) {
  let dir: String
  if let slash = path.lastIndex(of: "/") {
    dir = slash == path.startIndex ? "/" : String(path[..<slash])
  } else {
    dir = "."
  }
  let keyPath = (dir == "/" ? "" : dir) + "/authkey"
  if !flags.overwrite && access(path, F_OK) == 0 {
    throw .legacy("Corosync configuration file '\(path)' already exists, use --overwrite to overwrite existing file(s)")
  }
  if !flags.noKeysSync && !flags.overwrite && access(keyPath, F_OK) == 0 {
    throw .legacy("Corosync authkey file '\(keyPath)' already exists, use --overwrite to overwrite existing file(s)")
  }
  do {
    if !flags.noKeysSync {
      try FileIO.writeAtomically(path: keyPath, bytes: try ClusterSetupKeys.authkey(), mode: 0o400)
    }
    try FileIO.writeAtomically(path: path, text: text, mode: 0o644)
  } catch let FileIOError.unwritable(path, reason) {
    throw .legacy("Unable to write \(path): \(reason)")
  } catch {
    throw .legacy("Unable to write \(error)")
  }
}

/// Every node gets corosync.conf and one shared authkey through ssh, with pcs's progress lines.
private func distribute(_ plan: ClusterSetupPlan, text: String, flags: ClusterSetupFlags, force: Bool) throws(PcsFailure) {
  let dir = ClusterRemote.corosyncDir
  let limits = ClusterRemote.Limits(timeoutMs: flags.requestTimeoutS * 1000)
  let names = plan.nodes.map(\.name)
  let list = names.map { "'\($0)'" }.joined(separator: ", ")
  // 1. Every node reachable, and none in a cluster already (pcs: forceable; --overwrite also allows it).
  var report = Report(force: force || flags.overwrite)
  var unreachable: [String] = []
  for name in names {
    let o = ClusterRemote.run(
      host: name, command: "test ! -e \(ClusterRemote.quote(dir + "/corosync.conf"))", limits: limits)
    if o.status == 255 || o.status == 127 || o.timedOut {
      unreachable.append(name)
      Console.err("\(name): Unable to connect to \(name) (\(o.reason))")
    } else if o.status != 0 {
      report.forceable(
        "Host '\(name)' seems to be in a cluster already as cluster configuration files have been found on the host. If the host does not belong to any cluster, run 'pcs cluster destroy' on the host to remove those configuration files")
    }
  }
  if !unreachable.isEmpty {
    report.error("Unable to connect to \(unreachable.map { "'\($0)'" }.joined(separator: ", ")), check that ssh as root works without a password (README, \"Many machines\")")
  }
  try report.check()
  // 2. The authkey, then corosync.conf.
  var failed = false
  func send(_ what: String, _ name: String, _ bytes: [UInt8], _ mode: String) {
    Console.err("Sending '\(what)' to \(list)")
    for node in names {
      let o = ClusterRemote.install(host: node, dir: dir, name: name, bytes: bytes, mode: mode, limits: limits)
      if o.succeeded {
        Console.err("\(node): successful distribution of the file '\(what)'")
      } else {
        Console.err("\(node): unable to distribute the file '\(what)': \(o.reason)")
        failed = true
      }
    }
  }
  if !flags.noKeysSync {
    let key: [UInt8]
    do {
      key = try ClusterSetupKeys.authkey()
    } catch {
      throw .legacy("Unable to create the authkey: \(error.description)")
    }
    send("corosync authkey", "authkey", key, "0400")
  }
  if !failed { send("corosync.conf", "corosync.conf", Array(text.utf8), "0644") }
  if failed { throw .library("Unable to set up the cluster on every node, no cluster has been created") }
  Console.err("Cluster has been successfully set up.")
  // 3. Optionally enable and start every node (the same path as `pcs cluster enable/start --all`).
  let conf = ClusterSetupKeys.scratchConf(text)
  defer { unlink(conf) }
  if flags.enable {
    try ClusterRemote.run(.enable, nodes: [], all: true, confPath: conf, timeoutMs: limits.timeoutMs) { () throws(PcsFailure) in
      try ClusterSetupKeys.localAction("enable")
    }
  }
  if flags.start {
    try ClusterRemote.run(.start, nodes: [], all: true, confPath: conf, timeoutMs: limits.timeoutMs) { () throws(PcsFailure) in
      try ClusterSetupKeys.localAction("start")
    }
  }
}

/// Key material and small helpers of `pcs cluster setup`.
enum ClusterSetupKeys {
  /// corosync-keygen's format: 256 random bytes (corosync accepts 128-4096; 256 is corosync-keygen's default).
  static let authkeyBytes = 256

  static func authkey() throws(CorosyncConfError) -> [UInt8] {
    try randomBytes(authkeyBytes)
  }

  static func randomBytes(_ count: Int) throws(CorosyncConfError) -> [UInt8] {
    let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw .io(path: "/dev/urandom", message: String(cString: strerror(errno))) }
    defer { close(fd) }
    var out = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { throw .io(path: "/dev/urandom", message: n < 0 ? String(cString: strerror(errno)) : "short read") }
      filled += n
    }
    return out
  }

  /// A random 32-hex-digit cluster_uuid, as pcs writes it (a UUID4 without dashes).
  static func uuidHex() -> String {
    var b = (try? randomBytes(16)) ?? [UInt8](repeating: 0, count: 16)
    b[6] = (b[6] & 0x0f) | 0x40
    b[8] = (b[8] & 0x3f) | 0x80
    return b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
  }

  /// The generated corosync.conf in a private temporary file, for the enable/start fan-out.
  static func scratchConf(_ text: String) -> String {
    var template = Array("/tmp/vigil-setup-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    let path = String(cString: template)
    if fd >= 0 {
      let bytes = Array(text.utf8)
      _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
      close(fd)
    }
    return path
  }

  /// This machine's part of `--enable` / `--start`: the same local path as `pcs cluster enable|start` here.
  static func localAction(_ action: String) throws(PcsFailure) {
    let pcs = CommandLine.arguments[0]
    let o = ClusterRemote.spawn(pcs, ["cluster", action], input: [], limits: .init(timeoutMs: 120_000))
    if !o.succeeded { throw .legacy(o.reason) }
  }
}
