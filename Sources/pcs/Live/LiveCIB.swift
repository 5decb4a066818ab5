import CIB
import ControlProtocol

/// pcs without `-f`: the CIB of the running cluster, through the local clusterd's control socket
/// (`VIGIL_SOCKET`, else /run/vigil/clusterd.sock).
enum LiveCIB {
  /// Part of the DC's answer when the configuration changed between read and write (clusterd's applyReplace).
  static let conflictMarker = "the CIB changed while this command ran"

  static func client(timeoutMs: Int = 60_000) -> ControlClient { ControlClient(timeoutMs: timeoutMs) }

  /// Sends a request; a daemon that is not running gives pcs's own "cluster is not running" error.
  static func send(_ request: ControlRequest, notRunning: PcsFailure = .legacy("unable to get cib")) throws(PcsFailure)
    -> ControlResponse
  {
    let response: ControlResponse
    do {
      response = try client().send(request)
    } catch {
      switch error {
      case .notRunning: throw notRunning
      case .protocolError(let m): throw .legacy(m)
      }
    }
    if let e = response.error { throw .legacy(e) }
    return response
  }

  static func load() throws(PcsFailure) -> CIBElement {
    let response = try send(.getCIB)
    guard let xml = response.cib else { throw .legacy("unable to get cib") }
    return try CIBCodec.parse(Array(xml.utf8))
  }

  /// `base`: the CIB the edit started from (its configuration must still be the live one).
  static func replace(_ cib: CIBElement, base: CIBElement) throws(PcsFailure) {
    let admin = UInt64(cib[attribute: "admin_epoch"] ?? "0") ?? 0
    let epoch = UInt64(cib[attribute: "epoch"] ?? "0") ?? 0
    let xml = CIBXML.serialize(cib)
    _ = try send(
      .replaceCIB(xml: xml, baseAdminEpoch: admin, baseEpoch: epoch, baseDigest: ConfigurationDigest.of(base)),
      notRunning: .legacy("Unable to push to the CIB: the cluster is not running"))
  }
}
