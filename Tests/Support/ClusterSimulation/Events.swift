import CIB
import ControlProtocol
import Controller
import LRM
import Membership
import TestKit

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

/// The simulator's event queue: a heap of small keys (time, order, slot) whose events wait in slots beside it, so
/// the heap's sifting moves plain integers rather than events that carry packets and agent calls. Pops in the same
/// order as a heap of the events themselves.
struct SimEventHeap {
  struct Key: Comparable {
    var atUs: Int64
    var order: UInt64
    var slot: Int
    static func < (a: Key, b: Key) -> Bool { a.atUs != b.atUs ? a.atUs < b.atUs : a.order < b.order }
    static func == (a: Key, b: Key) -> Bool { a.atUs == b.atUs && a.order == b.order }
  }

  var keys = MinHeap<Key>()
  var slots: [SimEvent.Kind?] = []
  var freeSlots: [Int] = []

  mutating func push(_ e: SimEvent) {
    let slot: Int
    if let free = freeSlots.popLast() {
      slot = free
      slots[slot] = e.kind
    } else {
      slot = slots.count
      slots.append(e.kind)
    }
    keys.push(Key(atUs: e.atUs, order: e.order, slot: slot))
  }

  mutating func pop() -> SimEvent? {
    guard let k = keys.pop() else { return nil }
    let kind = slots[k.slot].take()!
    freeSlots.append(k.slot)
    return SimEvent(atUs: k.atUs, order: k.order, kind: kind)
  }
}
