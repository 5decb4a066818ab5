import CIB
import ControlProtocol
import Controller
import LRM
import Membership

/// Something that happens at a simulated instant.
struct SimEvent: Comparable {
  var atUs: Int64
  var order: UInt64
  var kind: Kind

  enum Kind {
    /// An input for the clusterd process `incarnation` of a node; dropped if that process is gone, held while it
    /// is frozen.
    case process(node: Int, incarnation: UInt64, ProcessEvent)
    /// An agent process finishes an operation (agents outlive a killed clusterd, not a crashed machine).
    case agentDone(node: Int, boot: Int, AgentRun)
    case fault
    case restart(node: Int, withDisk: Bool)
    case boot(node: Int, withDisk: Bool)
    case resume(node: Int)
    /// The watchdog device of a node fires if it was not fed since `deadlineMs` was set.
    case watchdogExpiry(node: Int, deadlineMs: Int64)
    case clientWrite
    case clientTimeout(requestID: UInt64)
    case heal
  }

  static func < (a: SimEvent, b: SimEvent) -> Bool { a.atUs != b.atUs ? a.atUs < b.atUs : a.order < b.order }
  static func == (a: SimEvent, b: SimEvent) -> Bool { a.atUs == b.atUs && a.order == b.order }
}

/// Inputs of one clusterd process.
enum ProcessEvent {
  case membershipTick
  case packet(Packet)
  /// clusterd's periodic tick (every 20 ms): request deadlines, shutdown progress.
  case nodeTick
  case timerFired(atMs: Int64)
  /// The LRM hears that an agent run finished.
  case agentRunDone(AgentRun, OperationResult)
  /// A recurring operation's timer (stale when its generation was cancelled since).
  case lrmTimer(OperationKey, generation: Int)
  case control(ControlRequestID, ControlRequest)
}

/// One run of an agent: which LRM instance asked for it.
struct AgentRun {
  var id: RunID
  var call: AgentCall
  var lrmIncarnation: UInt64
}

/// A binary min-heap (ties broken by insertion order, so runs are deterministic).
struct SimEventHeap {
  private var items: [SimEvent] = []
  var count: Int { items.count }
  mutating func push(_ e: SimEvent) {
    items.append(e)
    var i = items.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard items[i] < items[parent] else { break }
      items.swapAt(i, parent)
      i = parent
    }
  }
  mutating func pop() -> SimEvent? {
    guard !items.isEmpty else { return nil }
    items.swapAt(0, items.count - 1)
    let top = items.removeLast()
    var i = 0
    while true {
      let l = 2 * i + 1
      let r = l + 1
      var m = i
      if l < items.count && items[l] < items[m] { m = l }
      if r < items.count && items[r] < items[m] { m = r }
      if m == i { break }
      items.swapAt(i, m)
      i = m
    }
    return top
  }
}
