#if canImport(Glibc)
  import Glibc
#endif
import Dispatch
import Membership
import MembershipNodeKit
import NIOCore
import NIOPosix

/// A single membership node over UDP, for loopback tests and the benchmark (the daemon proper is clusterd).
///
///     membership-node --config corosync.conf --authkey authkey --nodeid N [--token-ms T]
///
/// Prints one line per event on stdout, prefixed by the wall-clock time in ms:
///     <ms> VIEW ring=1.5 members=1,2,3
///     <ms> QUORUM quorate=1 quorum=2 total=3 expected=3 highest=3 members=1,2,3 flags=Quorate
///     <ms> REACHED count=N digest=D         (after `expect N`: N messages delivered; D hashes their order)
/// Reads commands on stdin: `broadcast COUNT SIZE`, `expect N`, `isolate on|off`, `status`, `leave`, `quit`.
/// SIGTERM makes it leave gracefully.

func fail(_ message: String) -> Never {
  errorLine("membership-node: \(message)")
  exit(1)
}

/// A pthread mutex (no Foundation).
final class Mutex: @unchecked Sendable {
  private var m = pthread_mutex_t()
  init() { pthread_mutex_init(&m, nil) }
  func withLock<T>(_ body: () -> T) -> T {
    pthread_mutex_lock(&m)
    defer { pthread_mutex_unlock(&m) }
    return body()
  }
}

final class NodeApp: @unchecked Sendable {
  let config: CorosyncConfig
  let nodeID: UInt32
  let lock = Mutex()
  var ledger = DeliveryLedger()
  var shell: MembershipShell!

  init(config: CorosyncConfig, nodeID: UInt32) {
    self.config = config
    self.nodeID = nodeID
  }

  func onEvent(_ event: MembershipEvent) {
    if let line = eventLine(event, record: { d in lock.withLock { ledger.record(d) } }) { emit(line) }
  }

  func leaveAndExit() -> Never {
    _ = try? shell.leave().wait()
    usleep(20_000)
    exit(0)
  }

  func command(_ line: String) {
    let words = line.split(separator: " ").map(String.init)
    guard let cmd = words.first else { return }
    switch cmd {
    case "broadcast":
      let count = words.count > 1 ? Int(words[1]) ?? 1 : 1
      let size = words.count > 2 ? Int(words[2]) ?? 32 : 32
      shell.broadcast(benchmarkPayloads(count: count, size: size, nodeID: nodeID))
    case "expect":
      let n = words.count > 1 ? Int(words[1]) : nil
      if let line = lock.withLock({ ledger.expect(n) }) { emit(line) }
    case "isolate":
      shell.setIsolated(words.count > 1 && words[1] == "on")
      emit("\(wallMs()) ISOLATED \(words.count > 1 ? words[1] : "off")")
    case "status":
      if let s = try? shell.quorumStatus().wait() {
        let text = QuorumStatusText.quorumtool(s, nodes: config.nodes, date: QuorumStatusText.ctimeDate(epochSeconds: wallMs() / 1000))
        for l in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() { emit(String(l)) }
        emit("\(wallMs()) STATUS-END")
      }
    case "leave": leaveAndExit()
    case "quit": exit(0)
    default: emit("\(wallMs()) UNKNOWN \(cmd)")
    }
  }
}

func main() {
  var configPath: String?
  var keyPath: String?
  var nodeID: UInt32?
  var tokenMs: Int?
  var args = Array(CommandLine.arguments.dropFirst())
  while !args.isEmpty {
    let a = args.removeFirst()
    guard !args.isEmpty else { fail("missing value for \(a)") }
    let v = args.removeFirst()
    switch a {
    case "--config": configPath = v
    case "--authkey": keyPath = v
    case "--nodeid": nodeID = UInt32(v)
    case "--token-ms": tokenMs = Int(v)
    default: fail("unknown option \(a)")
    }
  }
  guard let configPath, let keyPath, let nodeID else {
    fail("usage: membership-node --config FILE --authkey FILE --nodeid N [--token-ms T]")
  }
  let config: CorosyncConfig
  do {
    config = try CorosyncConfig.load(path: configPath)
  } catch {
    fail("\(configPath): \(error)")
  }
  let key: AuthKey
  do {
    key = try AuthKey.load(path: keyPath)
  } catch {
    fail("\(error)")
  }
  let app = NodeApp(config: config, nodeID: nodeID)
  let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
  let timing: MembershipTiming? = tokenMs.map { MembershipTiming(failTimeout: .milliseconds(Int64($0))) }
  let started = DispatchSemaphore(value: 0)
  Task {
    do {
      app.shell = try await MembershipShell.start(
        config: config, me: NodeID(nodeID), incarnation: UInt64(wallMs()), key: key, group: group, timing: timing,
        onEvent: { app.onEvent($0) })
    } catch {
      fail("cannot start: \(error)")
    }
    started.signal()
  }
  started.wait()

  signal(SIGTERM, SIG_IGN)
  let sigterm = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
  sigterm.setEventHandler { app.leaveAndExit() }
  sigterm.resume()

  DispatchQueue.global().async {
    while let line = readLine() { app.command(line) }
    exit(0)  // stdin closed: the parent went away
  }
  withExtendedLifetime(sigterm) { dispatchMain() }
}

main()
