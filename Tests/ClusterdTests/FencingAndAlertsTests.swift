import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Fencing and alerts with real processes: a fence agent script that logs whom it fences, and an alert script
/// that writes its CRM_alert_* environment, both run by real clusterd processes. Part of the serialized
/// `ClusterdTests` suite, so that no two test clusters run at once.
extension ClusterdTests {

  /// A fence agent: options as key=value lines on stdin; fencing actions append "<ns since epoch> <action>
  /// <target>" to the log; monitor/status/list succeed; meta-data names the port parameter.
  static func fenceAgent(log: String) -> String {
    """
    #!/bin/sh
    action=""; target=""; port=""
    while IFS= read -r line; do
      case "$line" in
        action=*) action="${line#action=}" ;;
        nodename=*) target="${line#nodename=}" ;;
        port=*|plug=*) port="${line#*=}" ;;
      esac
    done
    [ -n "$target" ] || target="$port"
    case "$action" in
      metadata)
        cat <<'XML'
    <?xml version="1.0" ?>
    <resource-agent name="fence_vigiltest" shortdesc="Fence agent for Vigil's tests">
    <parameters>
      <parameter name="port" unique="0" required="0"><content type="string"/><shortdesc lang="en">Node</shortdesc></parameter>
    </parameters>
    <actions>
      <action name="on"/><action name="off"/><action name="reboot"/><action name="status"/>
      <action name="list"/><action name="monitor"/><action name="metadata"/>
    </actions>
    </resource-agent>
    XML
        exit 0 ;;
      off|reboot|on)
        echo "$(date +%s%N) $action $target" >> \(log)
        exit 0 ;;
      *) exit 0 ;;
    esac

    """
  }

  /// An alert agent: appends its CRM_alert_* variables (sorted) and a separator to the recipient file, holding a
  /// lock on it. clusterd runs one process per alert, concurrently: a start and the monitor issued right after it
  /// alert within a few ms, and unlocked, sort's write and echo's separator of the two interleaved into one merged
  /// block (the start's variables overwritten by the monitor's) and an empty one, so the start alert went missing.
  static let alertAgent = """
    #!/bin/sh
    block=$(env | grep '^CRM_alert_' | sort; echo "--")
    exec 9>>"$CRM_alert_recipient"
    flock 9
    printf '%s\\n' "$block" >&9

    """

  /// Writes a script with O_CLOEXEC: a write descriptor inherited by a process another test spawns at that moment
  /// would make every exec of the script fail with ETXTBSY ("Text file busy") for that process's lifetime.
  func writeExecutable(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    guard fd >= 0 else { throw HarnessError("cannot create \(path)") }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == bytes.count else { throw HarnessError("cannot write \(path)") }
  }

  /// The alert blocks written so far, each as name -> value.
  func alerts(_ path: String) -> [[String: String]] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    var out: [[String: String]] = []
    var current: [String: String] = [:]
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line == "--" {
        out.append(current)
        current = [:]
      } else if let eq = line.firstIndex(of: "=") {
        current[String(line[..<eq])] = String(line[line.index(after: eq)...])
      }
    }
    return out
  }

  /// Nanoseconds since the epoch of an alert (CRM_alert_timestamp_epoch + _usec).
  func alertTimeNs(_ a: [String: String]) -> Int64? {
    guard let s = a["CRM_alert_timestamp_epoch"].flatMap({ Int64($0) }),
          let us = a["CRM_alert_timestamp_usec"].flatMap({ Int64($0) }) else { return nil }
    return s * 1_000_000_000 + us * 1000
  }

  @Test(.enabled(if: agentsInstalled))
  func theDCFencesALostNodeBeforeRecoveringItsGroupAndRunsAlerts() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    let fenceLog = c.dir + "/fenced.log"
    let alertLog = c.dir + "/alerts.log"
    try writeExecutable(c.dir + "/fence/fence_vigiltest", Self.fenceAgent(log: fenceLog))
    try writeExecutable(c.dir + "/alert.sh", Self.alertAgent)
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(c.names) })
    let alertXML = """
      <alerts><alert id="log" path="\(c.dir)/alert.sh"><recipient id="log-file" value="\(alertLog)"/></alert></alerts>
      """
    let alertsCreated = try await c.tool("cibadmin", "node1", ["-C", "-o", "configuration", "-X", alertXML])
    #expect(alertsCreated.status == 0, "\(alertsCreated.stderr)")
    let fencerXML = """
      <primitive id="fencer" class="stonith" type="fence_vigiltest"><instance_attributes id="fencer-ia">\
      <nvpair id="fencer-hosts" name="pcmk_host_list" value="node1 node2 node3"/></instance_attributes></primitive>
      """
    let fencerCreated = try await c.tool("cibadmin", "node1", ["-C", "-o", "resources", "-X", fencerXML])
    #expect(fencerCreated.status == 0, "\(fencerCreated.stderr)")
    for args in [
      ["property", "set", "stonith-enabled=true"],
      ["resource", "defaults", "update", "resource-stickiness=1"],
      ["resource", "create", "VIP", "ocf:heartbeat:Dummy", "op", "monitor", "interval=1s", "--group", "web"],
      ["resource", "create", "service", "ocf:heartbeat:Dummy", "op", "monitor", "interval=1s", "--group", "web"],
    ] {
      let r = try await c.pcs("node1", args)
      #expect(r.status == 0, "pcs \(args.joined(separator: " ")): \(r.stderr)")
    }
    var home: String?
    #expect(await c.eventually { home = await c.groupNode("node1"); return home != nil }, "\(c.log("node1"))")
    guard let victim = home else { return }
    let survivors = c.names.filter { $0 != victim }

    // The node holding the group dies: the DC fences it, then recovers the group on a survivor.
    c.kill9(victim)
    #expect(await c.eventually {
      guard let n = await c.groupNode(survivors[0]) else { return false }
      return n != victim
    }, "the group was not recovered\n\(c.log(survivors[0]))")
    let fenced = ((try? String(contentsOfFile: fenceLog, encoding: .utf8)) ?? "").split(separator: "\n")
    #expect(fenced.count >= 1, "the fence agent never ran\n\(c.log(survivors[0]))")
    let fence = fenced.first.map { $0.split(separator: " ").map(String.init) } ?? []
    #expect(fence.count == 3 && fence[2] == victim && ["reboot", "off"].contains(fence[1]), "\(fenced)")
    let fencedAtNs = fence.first.flatMap { Int64($0) } ?? .max

    // Alerts: node lost, fencing OK, and the recovery's starts, which came after the fencing.
    var all: [[String: String]] = []
    #expect(await c.eventually {
      all = alerts(alertLog)
      // Alert scripts run as separate processes: VIP's and service's lines may land in either order.
      return all.contains { $0["CRM_alert_kind"] == "fencing" }
        && all.contains { $0["CRM_alert_kind"] == "node" && $0["CRM_alert_node"] == victim }
        && ["VIP", "service"].allSatisfy { rsc in
          all.contains { $0["CRM_alert_kind"] == "resource" && $0["CRM_alert_rsc"] == rsc
            && $0["CRM_alert_task"] == "start" && $0["CRM_alert_node"] != victim }
        }
    }, "alerts missing: \(alerts(alertLog))")
    #expect(!all.contains { $0.isEmpty }, "interleaved alert blocks: \(all)")
    let lost = all.first { $0["CRM_alert_kind"] == "node" && $0["CRM_alert_node"] == victim }
    #expect(lost?["CRM_alert_desc"] == "lost", "\(String(describing: lost))")
    let fencing = all.first { $0["CRM_alert_kind"] == "fencing" }
    #expect(fencing?["CRM_alert_node"] == victim)
    #expect(fencing?["CRM_alert_rc"] == "0")
    #expect(fencing?["CRM_alert_desc"]?.contains("OK") ?? false, "\(String(describing: fencing))")
    let recoveryStarts = all.filter {
      $0["CRM_alert_kind"] == "resource" && $0["CRM_alert_task"] == "start" && $0["CRM_alert_node"] != victim
        && ($0["CRM_alert_rsc"] == "VIP" || $0["CRM_alert_rsc"] == "service")
    }
    #expect(recoveryStarts.count >= 2)
    for s in recoveryStarts {
      #expect(s["CRM_alert_rc"] == "0" && s["CRM_alert_target_rc"] == "0" && s["CRM_alert_status"] == "0", "\(s)")
      let t = alertTimeNs(s) ?? 0
      #expect(t > fencedAtNs, "\(s["CRM_alert_rsc"] ?? "") started at \(t), before the fencing at \(fencedAtNs)")
    }
    // The fenced node's state is recorded: it shows as OFFLINE, not unclean.
    let status = try await c.pcs(survivors[0], ["status"]).stdout
    #expect(status.contains("OFFLINE: [ \(victim) ]"), "\(status)")
  }
}
