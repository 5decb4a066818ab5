import CIB
import ControlProtocol
import Membership

/// `pcs status` against the running cluster: crm_mon's layout from the live CIB, plus what only the daemon
/// knows (Daemon Status), in pcs 0.11.5's order.
enum LiveStatus {
  static let notRunning = PcsFailure(lines: [
    "Error: error running crm_mon, is pacemaker running?", "  error: Could not connect to launcher: Connection refused",
    "  crm_mon: Connection to cluster failed: Connection refused",
  ])

  static func run(_ cmd: some PcsCommand, view: StatusView, full: Bool) throws(PcsFailure) {
    let response = try LiveCIB.send(.status, notRunning: view == .cluster ? notRunning : .legacy("unable to get cib"))
    guard let info = response.status else { throw .legacy("unable to get cib") }
    let cib = try CIBCodec.parse(Array(info.cib.utf8))
    var model = StatusReader.read(cib)
    if let warning = info.watchdogWarning { model.warnings.append(warning) }
    if view == .cluster, !StatusReader.fencingConfigured(cib), let q = try? LiveCIB.send(.quorum).quorum,
      q.status.twoNode, q.status.members.count <= 2
    {
      model.warnings.append(TwoNodeWarning.text)
    }
    if cmd.global.outputAs == .json {
      var json = StatusJSON.render(model, view: view)
      if view == .cluster, case .object(var fields) = json {
        fields.append(("cluster_name", .string(info.clusterName)))
        fields.append(("local_node", .string(info.localNode)))
        fields.append(("quorate", .bool(info.quorate)))
        fields.append(("members", .array(info.members.map(JSON.string))))
        fields.append(("membership", .string(info.membershipBackend)))
        if let w = info.watchdog { fields.append(("watchdog", .string(w))) }
        json = .object(fields)
      }
      Console.out(json.render())
      return
    }
    switch view {
    case .cluster:
      var out = StatusText.cluster(
        model, clusterName: info.clusterName, full: full, now: StatusClock.now(), watchdog: info.watchdog)
      out += "\nDaemon Status:\n"
      out += "  clusterd: active/enabled\n"
      out += "  membership: active (\(info.membershipBackend))\n"
      Console.outRaw(out)
    case .resources:
      let lines = StatusText.resourceLines(model, full: false, includeStonith: false)
      Console.outRaw(lines.isEmpty ? "NO resources configured\n" : lines.joined())
    case .nodes:
      Console.outRaw(StatusText.nodes(model))
    }
  }
}
