import Foundation
import Membership

/// What a local tool (pcs, cibadmin, crm_verify) asks the clusterd of its node, over the unix socket.
///
/// Why it exists: pcs and clusterd share these types, so the two sides cannot drift apart. Each request is one
/// frame (4-byte big-endian length, then JSON); each gets exactly one response frame.
public enum ControlRequest: Codable, Sendable, Equatable {
  /// The whole live CIB (configuration + status) as XML.
  case getCIB
  /// Replaces the CIB with `xml`, written by the DC. `baseEpoch` is the `admin_epoch.epoch` the edit started
  /// from: if the configuration changed meanwhile, the request is refused (never a lost update). `baseDigest`
  /// (`ConfigurationDigest`) of the configuration the edit started from, when the client gives it: the DC refuses
  /// the edit unless its live configuration is that one (an equal epoch can hide a different configuration).
  case replaceCIB(xml: String, baseAdminEpoch: UInt64, baseEpoch: UInt64, baseDigest: String? = nil)
  /// What `pcs status` needs besides the CIB: DC, quorum, daemons, cluster name.
  case status
  /// Forgets failures (`cleanup`) or the whole operation history (`refresh`) of a resource (nil = all).
  case cleanup(resource: String?, node: String?, refresh: Bool)
  /// The membership and votequorum state of this node.
  case quorum
  /// The failover timeline: one entry per incident, newest last.
  case timeline
  /// Stops this node's clusterd gracefully (its resources move away first).
  case shutdown
  /// Stops the named nodes' clusterd (empty = every node), through the cluster's broadcast.
  case stopNodes([String])
  /// Test only: drops all membership traffic of this node (MembershipShell's fault switch).
  case setIsolated(Bool)
  /// Sets or removes a node attribute or cluster property (attrd_updater, crm_attribute, pcs node attribute).
  case updateAttribute(AttributeUpdate)
  /// The attribute manager's values of transient attribute `name` for `node` (nil: the answering node) or every
  /// node (`all`), dampened ones not yet written included (attrd_updater -Q).
  case queryAttribute(name: String, node: String?, all: Bool)
}

/// The answer to one `ControlRequest`. `error` set means the request failed and changed nothing.
public struct ControlResponse: Codable, Sendable, Equatable {
  public var error: String?
  public var cib: String?
  public var status: LiveStatusInfo?
  public var quorum: LiveQuorumInfo?
  public var timeline: FailoverTimeline?
  /// The answer to `queryAttribute`.
  public var attributes: [AttributeValue]? = nil
  public init(
    error: String? = nil, cib: String? = nil, status: LiveStatusInfo? = nil, quorum: LiveQuorumInfo? = nil,
    timeline: FailoverTimeline? = nil
  ) {
    self.error = error
    self.cib = cib
    self.status = status
    self.quorum = quorum
    self.timeline = timeline
  }
  public static func failure(_ message: String) -> ControlResponse { ControlResponse(error: message) }
}

/// The live parts of `pcs status` that are not in the CIB.
public struct LiveStatusInfo: Codable, Sendable, Equatable {
  public var clusterName: String
  public var localNode: String
  public var dcName: String?
  public var dcID: String?
  public var quorate: Bool
  /// Members of the current view, by name, sorted.
  public var members: [String]
  /// "native" or "corosync".
  public var membershipBackend: String
  public var cib: String
  /// The watchdog line of the cluster summary ("armed (...)" or "none: ..."); nil from an older clusterd.
  public var watchdog: String? = nil
  /// Set when `stonith-watchdog-timeout` is unsafe for this node's watchdog (pcs status lists it under WARNINGS).
  public var watchdogWarning: String? = nil
  public init(
    clusterName: String, localNode: String, dcName: String?, dcID: String?, quorate: Bool, members: [String],
    membershipBackend: String, cib: String
  ) {
    self.clusterName = clusterName
    self.localNode = localNode
    self.dcName = dcName
    self.dcID = dcID
    self.quorate = quorate
    self.members = members
    self.membershipBackend = membershipBackend
    self.cib = cib
  }
}

/// votequorum of the answering node (Membership's own `QuorumStatus`, not a copy) and the two texts clusterd renders
/// from it with the node names of its corosync.conf.
public struct LiveQuorumInfo: Codable, Sendable, Equatable {
  public var status: QuorumStatus
  /// `corosync-quorumtool -s` and `pcs status corosync` as Membership's QuorumStatusText renders them.
  public var quorumtoolText: String
  public var membershipText: String
  /// `corosync-qdevice-tool -s` of the node's quorum device client; nil without a device (or on the corosync backend).
  public var qdeviceText: String?
  public init(status: QuorumStatus, quorumtoolText: String, membershipText: String) {
    self.init(status: status, quorumtoolText: quorumtoolText, membershipText: membershipText, qdeviceText: nil)
  }

  public init(status: QuorumStatus, quorumtoolText: String, membershipText: String, qdeviceText: String?) {
    self.status = status
    self.quorumtoolText = quorumtoolText
    self.membershipText = membershipText
    self.qdeviceText = qdeviceText
  }
}

/// Length-prefixed JSON frames: 4 bytes big-endian length, then that many bytes of JSON.
public enum ControlFrame {
  /// The largest frame either side accepts (a CIB of up to 16 MiB plus JSON escaping).
  public static let bytesMax = 48 << 20

  public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let body = [UInt8](try encoder.encode(value))
    precondition(body.count <= bytesMax, "control frame of \(body.count) bytes exceeds \(bytesMax)")
    let n = UInt32(body.count)
    return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + body
  }

  public static func length(of header: [UInt8]) -> Int {
    precondition(header.count == 4)
    return Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
  }

  public static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
    try JSONDecoder().decode(type, from: Data(body))
  }
}
