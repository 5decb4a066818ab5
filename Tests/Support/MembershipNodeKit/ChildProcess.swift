import Files
import Membership
import TestKit
#if canImport(Glibc)
  import Glibc
#endif

/// A child process with line-oriented pipes, for the loopback tests and the benchmark that run real
/// `membership-node` processes. posix_spawn, bounded reads with timeouts, kill by pid only.
public final class ChildProcess: @unchecked Sendable {
  public let pid: pid_t
  private let stdinFD: Int32
  private let stdoutFD: Int32
  private var pending: [UInt8] = []
  public private(set) var exited = false
  /// Every line read so far (bounded), for diagnostics when a test fails.
  public private(set) var transcript: [String] = []
  static let transcriptMax = 10_000

  public init(path: String, arguments: [String]) throws(CorosyncConfError) {
    var inPipe: [Int32] = [0, 0]
    var outPipe: [Int32] = [0, 0]
    guard pipe(&inPipe) == 0, pipe(&outPipe) == 0 else { throw .io(path: path, message: "pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_addclose(&actions, inPipe[1])
    posix_spawn_file_actions_addclose(&actions, outPipe[0])
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var child: pid_t = 0
    let rc = posix_spawn(&child, path, &actions, nil, argv, environ)
    close(inPipe[0])
    close(outPipe[1])
    if rc != 0 {
      close(inPipe[1])
      close(outPipe[0])
      throw .io(path: path, message: String(cString: strerror(rc)))
    }
    pid = child
    stdinFD = inPipe[1]
    stdoutFD = outPipe[0]
    _ = fcntl(stdinFD, F_SETFD, FD_CLOEXEC)
    _ = fcntl(stdoutFD, F_SETFD, FD_CLOEXEC)
  }

  public func send(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var off = 0
    while off < bytes.count {
      let n = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress! + off, bytes.count - off) }
      if n <= 0 { return }
      off += n
    }
  }

  /// The next line, or nil after `timeoutMs` or at end of file.
  public func readLine(timeoutMs: Int) -> String? {
    let deadline = Self.monotonicMs() + Int64(timeoutMs)
    while true {
      if let nl = pending.firstIndex(of: 10) {
        let line = String(decoding: pending[..<nl], as: UTF8.self)
        pending.removeFirst(nl + 1)
        if transcript.count < Self.transcriptMax { transcript.append(line) }
        return line
      }
      let left = deadline - Self.monotonicMs()
      if left <= 0 || exited { return nil }
      var pfd = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
      let r = poll(&pfd, 1, Int32(min(left, 1000)))
      if r < 0 && errno != EINTR { return nil }
      if r > 0 {
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress, $0.count) }
        if n <= 0 {
          exited = true
          continue
        }
        pending.append(contentsOf: buf[0..<n])
      }
    }
  }

  /// Reads lines until one satisfies `match`; nil on timeout.
  public func waitFor(timeoutMs: Int, _ match: (String) -> Bool) -> String? {
    let deadline = Self.monotonicMs() + Int64(timeoutMs)
    while true {
      let left = deadline - Self.monotonicMs()
      if left <= 0 { return nil }
      guard let line = readLine(timeoutMs: Int(left)) else { return nil }
      if match(line) { return line }
    }
  }

  public func signal(_ sig: Int32) { kill(pid, sig) }

  /// Waits up to `timeoutMs` for the child to exit, then kills it (SIGKILL) and reaps it.
  public func stop(timeoutMs: Int = 2000) {
    close(stdinFD)
    let deadline = Self.monotonicMs() + Int64(timeoutMs)
    var status: Int32 = 0
    while Self.monotonicMs() < deadline {
      if waitpid(pid, &status, WNOHANG) == pid {
        close(stdoutFD)
        return
      }
      usleep(10_000)
    }
    kill(pid, SIGKILL)
    _ = waitpid(pid, &status, 0)
    close(stdoutFD)
  }

  public static func monotonicMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
  }

  public static func wallMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
  }
}

/// Writes a loopback cluster (corosync.conf with `vigil_port` per node, and an authkey) into `dir`, for tests and
/// benchmarks. Ports are `basePort + nodeid`.
public enum LoopbackCluster {
  public static func write(dir: String, nodes n: Int, basePort: Int, tokenMs: Int? = nil, cipher: Bool = true, keySeed: UInt64)
    throws(CorosyncConfError)
  {
    let conf = CorosyncConfig(
      totem: TotemOptions(
        clusterName: "vigil-loopback", cryptoCipher: cipher ? "aes256" : nil, cryptoHash: cipher ? "sha256" : nil,
        tokenMs: tokenMs),
      nodes: (1...n).map {
        NodeEntry(nodeID: NodeID(UInt32($0)), name: "node\($0)", ring0Addr: "127.0.0.1", port: basePort + $0)
      })
    try conf.write(path: dir + "/corosync.conf")
    var rng = SplitMix64(seed: keySeed)
    let key = (0..<256).map { _ in UInt8.random(in: 0...255, using: &rng) }
    do { try FileIO.writeAtomically(path: dir + "/authkey", bytes: key, mode: 0o600) } catch {
      throw .io(path: dir + "/authkey", message: error.description)
    }
  }
}
