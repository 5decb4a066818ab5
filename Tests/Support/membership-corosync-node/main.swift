#if canImport(Glibc)
  import Glibc
#endif
import Dispatch
import Membership
import MembershipCorosync
import MembershipNodeKit
import Synchronization

/// One Vigil membership client over the local corosync daemon, for the corosync tests and benchmark (the daemon
/// proper is clusterd). Run it in the node's network namespace: libqb's IPC sockets are per namespace.
///
///     membership-corosync-node [--group NAME] [--connect-wait-ms MS] [--batch N]
///
/// Prints one line per event on stdout, prefixed by the wall-clock time in ms:
///     <ms> READY node=N token=T
///     <ms> VIEW ring=1.c5 members=1,2,3
///     <ms> QUORUM quorate=1 quorum=2 total=3 expected=3 highest=3 members=1,2,3 flags=Quorate
///     <ms> REACHED count=N digest=D         (after `expect N`: N messages delivered; D hashes their order)
///     <ms> REJECTED reason | <ms> LEFT | <ms> ERROR reason
/// Commands on stdin: `broadcast COUNT SIZE`, `expect N`, `status` (one STATUS line, same fields as QUORUM),
/// `quorumtool` (the `corosync-quorumtool -s` rendering, then STATUS-END), `leave`, `quit`.

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
  let ledger = Mutex(DeliveryLedger())

  func onEvent(_ event: MembershipEvent) {
    if let line = eventLine(event, record: { d in ledger.withLock { $0.record(d) } }) { emit(line) }
  }
}

func main() {
  var groupName = "vigil"
  var connectWaitMs = 0
  var batch = CorosyncBackendOptions().batchBroadcastsMax
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
    case "--batch": batch = Int(v) ?? 0
    default:
      emit("\(wallMs()) ERROR unknown option \(a)")
      exit(2)
    }
  }
  let app = App()
  let options = CorosyncBackendOptions(groupName: groupName, batchBroadcastsMax: batch)
  do { try options.validate() } catch {
    emit("\(wallMs()) ERROR \(error)")
    exit(2)
  }
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
      let size = words.count > 2 ? Int(words[2]) ?? 32 : 32
      for p in benchmarkPayloads(count: count, size: size, nodeID: backend.localNode.rawValue) { backend.broadcast(p) }
    case "expect":
      let n = words.count > 1 ? Int(words[1]) : nil
      if let line = app.ledger.withLock({ $0.expect(n) }) { emit(line) }
    case "status":
      switch blocking({ try await backend.currentQuorumStatus() }) {
      case .success(let s): emit("\(wallMs()) STATUS \(quorumFields(s))")
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
