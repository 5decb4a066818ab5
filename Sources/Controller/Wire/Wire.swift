import Foundation

import PolicyEngine

/// The messages clusterd nodes exchange over the membership layer's ordered broadcast.
///
/// Why this shape: every member delivers the same messages in the same order (extended virtual synchrony), so
/// the CIB needs no consensus of its own: the DC is the only writer and broadcasts each new CIB whole; members
/// apply them in delivery order. Operation requests and results travel the same way, so a result can never
/// overtake the CIB write that preceded it, and every controller core sees every result (a DC that dies before
/// recording one leaves it to the next DC).
public enum ClusterMessage: Codable, Sendable, Equatable {
  /// Sent by every member after each view change (a restarted node: once its leftovers are stopped): its CIB's
  /// term and version, so the newest can be chosen, the resources its LRM runs now, and how long ago it last heard
  /// each node that was in one of its views and is not in its current one (the DC's survivor wait counts from the
  /// latest of these, whoever heard it).
  case hello(node: UInt32, adminEpoch: UInt64, epoch: UInt64, numUpdates: UInt64, term: UInt64, shuttingDown: Bool,
             active: [String], heard: [HeardAge] = [])
  /// A whole CIB. `sync` marks the copy sent after a view change by the node holding the newest CIB; `term` is the
  /// join term of the view whose DC wrote it (NodeCore: the newest CIB is the one with the highest term, then version).
  case cib(xml: String, sync: Bool, viewEpoch: UInt64, term: UInt64)
  /// A member stored (persisted, fsync'd) the DC's CIB of this version, written in join term `term`: the DC
  /// acknowledges a write once a quorum of nodes stored it.
  case cibStored(node: UInt32, term: UInt64, adminEpoch: UInt64, epoch: UInt64, numUpdates: UInt64)
  /// A node asks the DC to replace the CIB (from pcs on that node). Answered by `replaceDone`.
  case replaceRequest(origin: UInt32, requestID: UInt64, xml: String, baseAdminEpoch: UInt64, baseEpoch: UInt64)
  case replaceDone(origin: UInt32, requestID: UInt64, error: String?)
  /// A node asks the DC to forget failures or history of resources.
  case cleanupRequest(origin: UInt32, requestID: UInt64, resource: String?, node: String?, refresh: Bool)
  /// The DC asks a node's LRM to run an operation (`ControllerEffect.execute`).
  case execute(WireRequest)
  /// The DC asks `node` to stop a recurring operation.
  case cancel(node: UInt32, resource: String, task: String, intervalMs: Int)
  /// A node reports an operation's result (a transition action, a lease stop, or a recurring monitor that changed).
  case result(WireCompletion)
  /// A node is shutting down: the DC moves its resources away, then answers with `shutdownReady`.
  case shuttingDown(node: UInt32)
  case shutdownReady(node: UInt32)
  /// `pcs cluster stop --all|NODE...`: the named nodes (empty = all) shut down gracefully.
  case stopRequest(nodes: [UInt32])
}

/// How long before sending a message its sender last heard `node`: an age, never a time, since the members' clocks
/// differ. The receiver takes `receiveTime - ageMs`, later than the truth by the transit delay, so never too early.
public struct HeardAge: Codable, Sendable, Equatable {
  public var node: UInt32
  public var ageMs: Int64
  public init(node: UInt32, ageMs: Int64) { self.node = node; self.ageMs = ageMs }
}

/// `ActionRequest` on the wire.
public struct WireRequest: Codable, Sendable, Equatable {
  public var nodeID: UInt32
  public var nodeName: String
  public var resource: String
  public var agentClass: String
  public var agentProvider: String?
  public var agentType: String
  public var task: String
  public var intervalMs: Int
  /// Sorted by name (deterministic messages).
  public var parameters: [[String]]
  public var timeoutMs: Int
  /// "action:transition:target-rc:uuid".
  public var transitionKey: String

  public init(_ r: ActionRequest) {
    nodeID = r.node.id; nodeName = r.node.name; resource = r.resource; agentClass = r.agentClass
    agentProvider = r.agentProvider; agentType = r.agentType; task = r.task; intervalMs = r.intervalMs
    parameters = r.parameters.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }
    timeoutMs = r.timeoutMs; transitionKey = r.transitionKey.description
  }

  public var request: ActionRequest? {
    guard let key = TransitionKey(parsing: transitionKey) else { return nil }
    var params: [String: String] = [:]
    for p in parameters where p.count == 2 { params[p[0]] = p[1] }
    return ActionRequest(
      node: ControllerNode(id: nodeID, name: nodeName), resource: resource, agentClass: agentClass,
      agentProvider: agentProvider, agentType: agentType, task: task, intervalMs: intervalMs, parameters: params,
      timeoutMs: timeoutMs, transitionKey: key)
  }
}

/// `OperationCompletion` on the wire.
public struct WireCompletion: Codable, Sendable, Equatable {
  public var node: String
  public var resource: String
  public var task: String
  public var intervalMs: Int
  public var rc: Int
  /// Pacemaker's op-status (`ExecStatus` raw value).
  public var opStatus: Int
  public var exitReason: String
  public var execTimeMs: Int
  public var transitionKey: String?

  public init(_ c: OperationCompletion) {
    node = c.node; resource = c.resource; task = c.task; intervalMs = c.intervalMs; rc = c.rc
    opStatus = c.status.rawValue; exitReason = c.exitReason; execTimeMs = c.execTimeMs
    transitionKey = c.transitionKey?.description
  }

  public var completion: OperationCompletion {
    OperationCompletion(
      node: node, resource: resource, task: task, intervalMs: intervalMs, rc: rc,
      status: ExecStatus(rawValue: opStatus) ?? .error, exitReason: exitReason, execTimeMs: execTimeMs,
      transitionKey: transitionKey.flatMap { TransitionKey(parsing: $0) })
  }
}

/// Splits encoded messages into broadcast payloads and joins them again.
///
/// Payload layout: byte 0 = 0x56 ('V'), byte 1 = format version 1, bytes 2..9 message number (big endian),
/// bytes 10..13 fragment index, 14..17 fragment count, then the fragment. A message is at most
/// `messageBytesMax`; each payload at most `fragmentBytesMax` + header, below the broadcast limit.
public enum WireFraming {
  public static let fragmentBytesMax = 30_000
  public static let messageBytesMax = 16 << 20
  static let headerBytes = 18

  public static func encode(_ message: ClusterMessage, number: UInt64) -> [[UInt8]] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(message) else { return [] }
    let body = [UInt8](data)
    precondition(body.count <= messageBytesMax, "cluster message of \(body.count) bytes exceeds \(messageBytesMax)")
    let count = max(1, (body.count + fragmentBytesMax - 1) / fragmentBytesMax)
    var out: [[UInt8]] = []
    out.reserveCapacity(count)
    for i in 0..<count {
      var p: [UInt8] = [0x56, 1]
      p += be64(number) + be32(UInt32(i)) + be32(UInt32(count))
      let lo = i * fragmentBytesMax
      p += body[lo..<min(body.count, lo + fragmentBytesMax)]
      out.append(p)
    }
    return out
  }

  static func be64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (56 - 8 * UInt64($0))) & 0xff) } }
  static func be32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (24 - 8 * UInt32($0))) & 0xff) } }
  static func read(_ p: [UInt8], _ at: Int, _ n: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<n { v = v << 8 | UInt64(p[at + i]) }
    return v
  }

  /// Reassembles fragments per sender. Senders deliver in FIFO order, so fragments of one message arrive in
  /// order; anything out of order or over a bound is dropped with a reason.
  public struct Assembler: Sendable {
    struct Partial: Sendable {
      var number: UInt64
      var next: UInt32
      var count: UInt32
      var bytes: [UInt8]
    }
    var partial: [String: Partial] = [:]
    /// Senders with a message in progress at once (a bound on memory).
    public let sendersMax = 1024

    public init() {}

    public enum Outcome: Sendable {
      case message(ClusterMessage)
      case incomplete
      case dropped(String)
    }

    public mutating func add(_ payload: [UInt8], sender: String) -> Outcome {
      guard payload.count >= WireFraming.headerBytes, payload[0] == 0x56, payload[1] == 1 else {
        return .dropped("not a clusterd message")
      }
      let number = WireFraming.read(payload, 2, 8)
      let index = UInt32(WireFraming.read(payload, 10, 4))
      let count = UInt32(WireFraming.read(payload, 14, 4))
      let chunk = payload[WireFraming.headerBytes...]
      guard count >= 1, index < count, Int(count) * WireFraming.fragmentBytesMax <= WireFraming.messageBytesMax + WireFraming.fragmentBytesMax
      else { return .dropped("bad fragment header") }
      if count == 1 { return decode(Array(chunk)) }
      if index == 0 {
        if partial[sender] == nil && partial.count >= sendersMax { return .dropped("too many partial messages") }
        partial[sender] = Partial(number: number, next: 1, count: count, bytes: Array(chunk))
        return .incomplete
      }
      guard var p = partial[sender], p.number == number, p.next == index, p.count == count else {
        partial[sender] = nil
        return .dropped("fragment \(index) of message \(number) out of order")
      }
      p.bytes += chunk
      p.next += 1
      guard p.bytes.count <= WireFraming.messageBytesMax else {
        partial[sender] = nil
        return .dropped("message \(number) exceeds \(WireFraming.messageBytesMax) bytes")
      }
      if p.next == p.count {
        partial[sender] = nil
        return decode(p.bytes)
      }
      partial[sender] = p
      return .incomplete
    }

    /// Forgets partial messages of senders that left the view.
    public mutating func forget(except senders: Set<String>) {
      partial = partial.filter { senders.contains($0.key) }
    }

    func decode(_ bytes: [UInt8]) -> Outcome {
      do {
        return .message(try JSONDecoder().decode(ClusterMessage.self, from: Data(bytes)))
      } catch {
        return .dropped("undecodable message: \(error)")
      }
    }
  }
}
