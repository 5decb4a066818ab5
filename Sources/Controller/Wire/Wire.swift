import Foundation

import ControlProtocol
import PolicyEngine

/// The messages clusterd nodes exchange over the membership layer's ordered broadcast.
///
/// Why this shape: every member delivers the same messages in the same order (extended virtual synchrony), so
/// the CIB needs no consensus of its own: the DC is the only writer and broadcasts each new CIB version (as a diff
/// from the previous one, whole after a view change or when a member asks); members apply them in delivery order. Operation requests and results travel the same way, so a result can never
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
  /// The DC's next CIB version as the diff from the one it replicated before (`baseTerm` and the diff's source
  /// version name that one); `term` as in `.cib`. A member holding another base asks for the whole CIB.
  case cibDiff(diff: WireCIBDiff, baseTerm: UInt64, term: UInt64)
  /// A member's CIB did not match a diff's base: the DC answers with its whole CIB (`.cib`, not sync).
  case cibWanted(node: UInt32)
  /// A member stored (persisted, fsync'd) the DC's CIB of this version, written in join term `term`: the DC
  /// acknowledges a write once a quorum of nodes stored it.
  case cibStored(node: UInt32, term: UInt64, adminEpoch: UInt64, epoch: UInt64, numUpdates: UInt64)
  /// A node asks the DC to replace the CIB (from pcs on that node). Answered by `replaceDone`.
  case replaceRequest(origin: UInt32, requestID: UInt64, xml: String, baseAdminEpoch: UInt64, baseEpoch: UInt64,
                      baseDigest: String? = nil)
  case replaceDone(origin: UInt32, requestID: UInt64, error: String?)
  /// The DC cannot take a write now (its view is synchronizing, or it has no quorum): nothing was changed; the
  /// origin sends it again once a synchronized view has a DC, within the request's deadline.
  case writeNotNow(origin: UInt32, requestID: UInt64)
  /// A node asks the DC to forget failures or history of resources.
  case cleanupRequest(origin: UInt32, requestID: UInt64, resource: String?, node: String?, refresh: Bool)
  /// A node asks the DC to set or remove a node attribute or cluster property (attrd_updater once its dampening ran
  /// out, crm_attribute, pcs). Answered by `replaceDone`.
  case attributeRequest(origin: UInt32, requestID: UInt64, update: AttributeUpdate)
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

/// Encodes cluster messages as broadcast payloads and decodes them again.
///
/// Payload layout: byte 0 = 0x56 ('V'), byte 1 = format version 2, then the JSON body. One message is one
/// payload: the membership layer carries it whole or not at all (the native core fragments it and drops a message cut
/// by a view change everywhere alike; corosync's CPG fragments and reassembles it and fails the send of a message cut
/// by a configuration change with CS_ERR_INTERRUPT). Reassembling fragments above the membership layer could not
/// tell a message cut by a view change from one still arriving.
public enum WireFraming {
  public static let messageBytesMax = 16 << 20
  static let header: [UInt8] = [0x56, 2]

  public static func encode(_ message: ClusterMessage) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(message) else { preconditionFailure("a cluster message always encodes") }
    precondition(data.count + header.count <= messageBytesMax, "cluster message of \(data.count) bytes exceeds \(messageBytesMax)")
    return header + [UInt8](data)
  }

  public enum DecodeError: Error, CustomStringConvertible {
    case notClusterd
    case undecodable(String)
    public var description: String {
      switch self {
      case .notClusterd: return "not a clusterd message (or another format version)"
      case .undecodable(let why): return "undecodable message: \(why)"
      }
    }
  }

  public static func decode(_ payload: [UInt8]) throws(DecodeError) -> ClusterMessage {
    guard payload.count > header.count, payload[0] == header[0], payload[1] == header[1] else { throw .notClusterd }
    do {
      return try JSONDecoder().decode(ClusterMessage.self, from: Data(payload[header.count...]))
    } catch {
      throw .undecodable("\(error)")
    }
  }
}
