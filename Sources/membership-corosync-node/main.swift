#if canImport(Glibc)
  import Glibc
#endif
import Dispatch
import Membership
import MembershipCorosync
import Synchronization

/// One Vigil membership client over the local corosync daemon, for the corosync tests and benchmark (the daemon
/// proper is clusterd). Run it in the node's network namespace: libqb's IPC sockets are per namespace.
///
///     membership-corosync-node [--group NAME] [--connect-wait-ms MS]
///
/// Prints one line per event on stdout, prefixed by the wall-clock time in ms:
///     <ms> READY node=N token=T
///     <ms> VIEW ring=1.c5 members=1,2,3
///     <ms> QUORUM quorate=1 quorum=2 total=3 expected=3 highest=3 members=1,2,3 flags=Quorate
///     <ms> REACHED count=N digest=D         (after `expect N`: N messages delivered; D hashes their order)
///     <ms> REJECTED reason | <ms> LEFT | <ms> ERROR reason
/// Commands on stdin: `broadcast COUNT SIZE`, `expect N`, `status` (one STATUS line, same fields as QUORUM),
/// `quorumtool` (the `corosync-quorumtool -s` rendering, then STATUS-END), `leave`, `quit`.

func emit(_ line: String) {
  let bytes = Array((line + "\n").utf8)
  var off = 0
  while off < bytes.count {
    let n = bytes.withUnsafeBytes { write(1, $0.baseAddress! + off, bytes.count - off) }
    if n <= 0 { return }
    off += n
  }
}

func wallMs() -> Int64 {
  var ts = timespec()
  clock_gettime(CLOCK_REALTIME, &ts)
  return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

func fields(_ s: QuorumStatus) -> String {
  var flags: [String] = []
  if s.twoNode { flags.append("2Node") }
  if s.quorate { flags.append("Quorate") }
  if s.waitForAll { flags.append("WaitForAll") }
  if s.lastManStanding { flags.append("LastManStanding") }
  if s.autoTieBreaker { flags.append("AutoTieBreaker") }
  return "quorate=\(s.quorate ? 1 : 0) quorum=\(s.quorum) total=\(s.totalVotes) expected=\(s.expectedVotes)"
    + " highest=\(s.highestExpected) members=\(s.members.map { String($0.nodeID.rawValue) }.joined(separator: ","))"
    + " flags=\(flags.joined(separator: ","))"
}

/// Blocks the calling (non-async) thread on an async call; the backend's work runs on its own thread.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
  let box = Mutex<Result<T, any Error>?>(nil)
  let done = DispatchSemaphore(value: 0)
  Task {
    let r: Result<T, any Error>
    do { r = .success(try await body()) } catch { r = .failure(error) }
    box.withLock { $0 = r }
    done.signal()
  }
  done.wait()
  return box.withLock { $0! }
}

final class App: Sendable {
  struct Counters {
    var delivered = 0
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325
    var expect: Int?
  }
  let counters = Mutex(Counters())

  func onEvent(_ event: MembershipEvent) {
    switch event {
    case .viewInstalled(let v):
      emit("\(wallMs()) VIEW ring=\(v.id.ringIDText) members=\(v.nodeIDs.map(\.description).joined(separator: ","))")
    case .quorumChanged(let s):
      emit("\(wallMs()) QUORUM \(fields(s))")
    case .delivered(let d):
      counters.withLock { c in
        c.delivered += 1
        // FNV-1a over (sender node, sender sequence): identical on every node iff the order is identical.
        for b in [UInt64(d.sender.id.rawValue), d.senderSequence] { c.digest = (c.digest ^ b) &* 0x100_0000_01b3 }
        reached(&c)
      }
    case .broadcastRejected(let r):
      emit("\(wallMs()) REJECTED \(r)")
    case .left:
      emit("\(wallMs()) LEFT")
    }
  }

  func reached(_ c: inout Counters) {
    if let e = c.expect, c.delivered >= e {
      c.expect = nil
      emit("\(wallMs()) REACHED count=\(c.delivered) digest=\(String(c.digest, radix: 16))")
    }
  }
}

func main() {
  var groupName = "vigil"
  var connectWaitMs = 0
  var args = Array(CommandLine.arguments.dropFirst())
  while !args.isEmpty {
    let a = args.removeFirst()
    guard !args.isEmpty else {
      emit("\(wallMs()) ERROR missing value for \(a)")
      exit(2)
    }
    let v = args.removeFirst()
    switch a {
    case "--group": groupName = v
    case "--connect-wait-ms": connectWaitMs = Int(v) ?? 0
    default:
      emit("\(wallMs()) ERROR unknown option \(a)")
      exit(2)
    }
  }
  let app = App()
  let options = CorosyncBackendOptions(groupName: groupName)
  // corosync may still be starting (CS_ERR_LIBRARY until its IPC is up): retry within the given bound.
  let deadline = wallMs() + Int64(connectWaitMs)
  var backend: CorosyncBackend?
  while backend == nil {
    switch blocking({ try await CorosyncBackend.start(options: options, onEvent: { app.onEvent($0) }) }) {
    case .success(let b): backend = b
    case .failure(let e):
      if wallMs() >= deadline {
        emit("\(wallMs()) ERROR \(e)")
        exit(1)
      }
      usleep(100_000)
    }
  }
  guard let backend else { exit(1) }
  emit("\(wallMs()) READY node=\(backend.localNode) token=\(backend.tokenMs.map(String.init) ?? "-")")

  while let line = readLine() {
    let words = line.split(separator: " ").map(String.init)
    guard let cmd = words.first else { continue }
    switch cmd {
    case "broadcast":
      let count = words.count > 1 ? Int(words[1]) ?? 1 : 1
      let size = max(8, words.count > 2 ? Int(words[2]) ?? 32 : 32)
      for i in 0..<count {
        var p = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: size)
        p[0] = UInt8(truncatingIfNeeded: backend.localNode.rawValue)
        backend.broadcast(p)
      }
    case "expect":
      app.counters.withLock { c in
        c.expect = words.count > 1 ? Int(words[1]) : nil
        app.reached(&c)
      }
    case "status":
      switch blocking({ try await backend.currentQuorumStatus() }) {
      case .success(let s): emit("\(wallMs()) STATUS \(fields(s))")
      case .failure(let e): emit("\(wallMs()) ERROR \(e)")
      }
    case "quorumtool":
      switch blocking({ try await backend.currentQuorumStatus() }) {
      case .success(let s):
        let text = QuorumStatusText.quorumtool(
          s, nodes: backend.nodelist, date: QuorumStatusText.ctimeDate(epochSeconds: wallMs() / 1000))
        for l in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() { emit(String(l)) }
        emit("\(wallMs()) STATUS-END")
      case .failure(let e): emit("\(wallMs()) ERROR \(e)")
      }
    case "leave":
      if case .failure(let e) = blocking({ try await backend.leaveCluster() }) { emit("\(wallMs()) ERROR \(e)") }
    case "quit":
      _ = blocking({ try await backend.shutdown() })
      exit(0)
    default:
      emit("\(wallMs()) UNKNOWN \(cmd)")
    }
  }
  _ = blocking({ try await backend.shutdown() })  // stdin closed: the parent went away
  exit(0)
}

main()
