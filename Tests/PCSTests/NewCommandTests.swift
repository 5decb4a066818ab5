import Foundation
import Testing

/// Commands added in session 2 (set constraints, cluster cib/verify, failcount, utilization, lifetime=): each case
/// runs on a scratch copy of a reference CIB and must print what the real pcs 0.11.5 printed on the same file
/// (captured from /usr/sbin/pcs), exit with its code, leave the file untouched on failure and, on success, give
/// the configuration the real pcs wrote (whitespace between elements aside) with epoch bumped by one.
@Suite(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing))
struct NewCommandTests {
  struct NewCommandCase: Sendable, CustomStringConvertible {
    var file: String
    var args: [String]
    var status: Int32
    var stdout: String
    var stderr: String
    var changesFile: Bool
    var configuration: String? = nil
    var description: String { args.joined(separator: " ") }
  }

  static func configuration(_ text: String) -> String? {
    guard let start = text.range(of: "<configuration>"), let end = text.range(of: "</configuration>") else { return nil }
    let section = String(text[start.lowerBound..<end.upperBound])
    return section.replacingOccurrences(of: ">\\s+<", with: "><", options: .regularExpression)
  }

  static func epoch(_ text: String) -> Int? {
    guard let r = text.range(of: "epoch=\"[0-9]+\"", options: .regularExpression) else { return nil }
    return Int(text[r].dropFirst("epoch=\"".count).dropLast())
  }

  @Test(arguments: cases)
  func matchesRealPcs(_ c: NewCommandCase) throws {
    let dir = try PCSHarness.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cib = dir.appendingPathComponent("g.xml")
    try FileManager.default.copyItem(at: PCSHarness.referenceFile(c.file), to: cib)
    let before = try PCSHarness.read(cib)
    let r = try PCSHarness.run(["-f", "g.xml"] + c.args, in: dir, environment: ["LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    #expect(r.status == c.status)
    #expect(r.stdout == c.stdout)
    #expect(r.stderr == c.stderr)
    let after = try PCSHarness.read(cib)
    if c.changesFile {
      #expect(Self.configuration(after) == c.configuration)
      #expect(Self.epoch(after) == Self.epoch(before).map { $0 + 1 })
    } else {
      #expect(after == before, "the file must be untouched")
    }
  }

  @Test func lifetimeWritesARuleEndingAtNowPlusTheDuration() throws {
    let dir = try PCSHarness.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cib = dir.appendingPathComponent("g.xml")
    try FileManager.default.copyItem(at: PCSHarness.referenceFile("steps/10-stonith-create.xml"), to: cib)
    let startedAt = Date()
    let r = try PCSHarness.run(["-f", "g.xml", "resource", "ban", "VIP", "server4", "lifetime=P1DT2H"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let text = try PCSHarness.read(cib)
    #expect(text.contains("<rsc_location id=\"cli-ban-VIP-on-server4\" rsc=\"VIP\" role=\"Started\">"))
    #expect(text.contains("<rule id=\"cli-ban-VIP-on-server4-rule\" score=\"-INFINITY\" boolean-op=\"and\">"))
    #expect(text.contains(
      "<expression id=\"cli-ban-VIP-on-server4-expr\" attribute=\"#uname\" operation=\"eq\" value=\"server4\" type=\"string\"/>"))
    // The end date is now + 1 day 2 hours, in UTC, as "YYYY-MM-DD HH:MM:SSZ" (one second of slack either side).
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
    let candidates = (-1...2).map { formatter.string(from: startedAt.addingTimeInterval(93_600 + Double($0))) }
    #expect(candidates.contains { end in
      text.contains("<date_expression id=\"cli-ban-VIP-on-server4-lifetime\" operation=\"lt\" end=\"\(end)\"/>")
    })
    #expect(r.stderr.hasPrefix("Migration will take effect until: "))
    // A bare number gets pcs's "P" prefix: lifetime=1W is one week.
    let move = try PCSHarness.run(["-f", "g.xml", "resource", "move-with-constraint", "VIP", "server1", "lifetime=1W"], in: dir)
    #expect(move.status == 0, "\(move.stderr)")
    #expect(try PCSHarness.read(cib).contains("<date_expression id=\"cli-prefer-lifetime-end-VIP\" operation=\"lt\""))
  }

  @Test func bundleIsRefusedClearly() throws {
    let dir = try PCSHarness.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cib = dir.appendingPathComponent("g.xml")
    try FileManager.default.copyItem(at: PCSHarness.referenceFile("steps/10-stonith-create.xml"), to: cib)
    let before = try PCSHarness.read(cib)
    let r = try PCSHarness.run(["-f", "g.xml", "resource", "bundle", "create", "b1", "container", "docker", "image=x"], in: dir)
    #expect(r.status == 1)
    #expect(r.stderr == "Error: 'pcs resource bundle' is not implemented in Vigil: Vigil's scheduler has no container bundles\n")
    #expect(try PCSHarness.read(cib) == before)
  }

  static let cases: [NewCommandCase] = [
    NewCommandCase(file: "steps/04-create-haproxy.xml", args: ["constraint", "order", "set", "VIP", "haproxy", "action=start", "set", "VIP", "require-all=false", "role=Promoted", "setoptions", "kind=Optional", "symmetrical=false", "id=myord"], status: 0, stdout: "", stderr: "", changesFile: true, configuration: "<configuration><crm_config><cluster_property_set id=\"cib-bootstrap-options\"><nvpair id=\"cib-bootstrap-options-stonith-enabled\" name=\"stonith-enabled\" value=\"false\"/></cluster_property_set></crm_config><nodes><node id=\"1\" uname=\"server1\"/><node id=\"2\" uname=\"server4\"/></nodes><resources><primitive id=\"VIP\" class=\"ocf\" type=\"IPaddr2\" provider=\"heartbeat\"><instance_attributes id=\"VIP-instance_attributes\"><nvpair id=\"VIP-instance_attributes-cidr_netmask\" name=\"cidr_netmask\" value=\"24\"/><nvpair id=\"VIP-instance_attributes-ip\" name=\"ip\" value=\"172.25.5.100\"/></instance_attributes><operations><op name=\"monitor\" interval=\"30s\" id=\"VIP-monitor-interval-30s\"/><op name=\"start\" interval=\"0s\" timeout=\"20s\" id=\"VIP-start-interval-0s\"/><op name=\"stop\" interval=\"0s\" timeout=\"20s\" id=\"VIP-stop-interval-0s\"/></operations></primitive><primitive id=\"haproxy\" class=\"systemd\" type=\"haproxy\"><operations><op name=\"monitor\" interval=\"60s\" id=\"haproxy-monitor-interval-60s\"/></operations></primitive></resources><constraints><rsc_order kind=\"Optional\" symmetrical=\"false\" id=\"myord\"><resource_set action=\"start\" id=\"myord_set\"><resource_ref id=\"VIP\"/><resource_ref id=\"haproxy\"/></resource_set><resource_set require-all=\"false\" role=\"Promoted\" id=\"myord_set-1\"><resource_ref id=\"VIP\"/></resource_set></rsc_order></constraints></configuration>"),
    NewCommandCase(file: "steps/04-create-haproxy.xml", args: ["constraint", "location", "VIP", "rule", "score=-INFINITY", "not_defined", "pingd", "or", "pingd", "lte", "0"], status: 0, stdout: "", stderr: "", changesFile: true, configuration: "<configuration><crm_config><cluster_property_set id=\"cib-bootstrap-options\"><nvpair id=\"cib-bootstrap-options-stonith-enabled\" name=\"stonith-enabled\" value=\"false\"/></cluster_property_set></crm_config><nodes><node id=\"1\" uname=\"server1\"/><node id=\"2\" uname=\"server4\"/></nodes><resources><primitive id=\"VIP\" class=\"ocf\" type=\"IPaddr2\" provider=\"heartbeat\"><instance_attributes id=\"VIP-instance_attributes\"><nvpair id=\"VIP-instance_attributes-cidr_netmask\" name=\"cidr_netmask\" value=\"24\"/><nvpair id=\"VIP-instance_attributes-ip\" name=\"ip\" value=\"172.25.5.100\"/></instance_attributes><operations><op name=\"monitor\" interval=\"30s\" id=\"VIP-monitor-interval-30s\"/><op name=\"start\" interval=\"0s\" timeout=\"20s\" id=\"VIP-start-interval-0s\"/><op name=\"stop\" interval=\"0s\" timeout=\"20s\" id=\"VIP-stop-interval-0s\"/></operations></primitive><primitive id=\"haproxy\" class=\"systemd\" type=\"haproxy\"><operations><op name=\"monitor\" interval=\"60s\" id=\"haproxy-monitor-interval-60s\"/></operations></primitive></resources><constraints><rsc_location id=\"location-VIP\" rsc=\"VIP\"><rule id=\"location-VIP-rule\" boolean-op=\"or\" score=\"-INFINITY\"><expression id=\"location-VIP-rule-expr\" operation=\"not_defined\" attribute=\"pingd\"/><expression id=\"location-VIP-rule-expr-1\" operation=\"lte\" attribute=\"pingd\" value=\"0\"/></rule></rsc_location></constraints></configuration>"),
    NewCommandCase(file: "steps/04-create-haproxy.xml", args: ["constraint", "order", "set", "VIP", "nosuch"], status: 1, stdout: "", stderr: "Error: bundle/clone/group/resource 'nosuch' does not exist\n", changesFile: false),
    NewCommandCase(file: "steps/04-create-haproxy.xml", args: ["constraint", "order", "set", "VIP", "bogus=1"], status: 1, stdout: "", stderr: "Error: invalid set option 'bogus', allowed options are: 'action', 'require-all', 'role', 'sequential'\nError: Errors have occurred, therefore pcs is unable to continue\n", changesFile: false),
    NewCommandCase(file: "steps/04-create-haproxy.xml", args: ["constraint", "order", "set", "VIP", "setoptions", "bogus=1"], status: 1, stdout: "", stderr: "Error: invalid option 'bogus', allowed options are: 'id', 'kind', 'symmetrical'\n", changesFile: false),
    NewCommandCase(file: "steps/04-create-haproxy.xml", args: ["constraint", "colocation", "set", "VIP", "haproxy", "setoptions", "score=abc"], status: 1, stdout: "", stderr: "Error: invalid score 'abc', use integer or INFINITY or -INFINITY\n", changesFile: false),
    NewCommandCase(file: "steps/04-create-haproxy.xml", args: ["constraint", "order", "set", "VIP", "action=bogus", "sequential=maybe"], status: 1, stdout: "", stderr: "Error: 'bogus' is not a valid action value, use 'demote', 'promote', 'start', 'stop'\nError: 'maybe' is not a valid sequential value, use 'false', 'true'\nError: Errors have occurred, therefore pcs is unable to continue\n", changesFile: false),
    NewCommandCase(file: "steps/04-create-haproxy.xml", args: ["constraint", "colocation", "set", "VIP", "role=Master"], status: 0, stdout: "", stderr: "Deprecation Warning: Value 'Master' of option role is deprecated and should not be used, use 'Promoted' value instead\n", changesFile: true, configuration: "<configuration><crm_config><cluster_property_set id=\"cib-bootstrap-options\"><nvpair id=\"cib-bootstrap-options-stonith-enabled\" name=\"stonith-enabled\" value=\"false\"/></cluster_property_set></crm_config><nodes><node id=\"1\" uname=\"server1\"/><node id=\"2\" uname=\"server4\"/></nodes><resources><primitive id=\"VIP\" class=\"ocf\" type=\"IPaddr2\" provider=\"heartbeat\"><instance_attributes id=\"VIP-instance_attributes\"><nvpair id=\"VIP-instance_attributes-cidr_netmask\" name=\"cidr_netmask\" value=\"24\"/><nvpair id=\"VIP-instance_attributes-ip\" name=\"ip\" value=\"172.25.5.100\"/></instance_attributes><operations><op name=\"monitor\" interval=\"30s\" id=\"VIP-monitor-interval-30s\"/><op name=\"start\" interval=\"0s\" timeout=\"20s\" id=\"VIP-start-interval-0s\"/><op name=\"stop\" interval=\"0s\" timeout=\"20s\" id=\"VIP-stop-interval-0s\"/></operations></primitive><primitive id=\"haproxy\" class=\"systemd\" type=\"haproxy\"><operations><op name=\"monitor\" interval=\"60s\" id=\"haproxy-monitor-interval-60s\"/></operations></primitive></resources><constraints><rsc_colocation id=\"colocation_set_VP\" score=\"INFINITY\"><resource_set role=\"Promoted\" id=\"colocation_set_VP_set\"><resource_ref id=\"VIP\"/></resource_set></rsc_colocation></constraints></configuration>"),
    NewCommandCase(file: "steps/10-stonith-create.xml", args: ["constraint", "colocation", "set", "VIP", "haproxy", "sequential=false", "set", "vmfence", "setoptions", "score=100"], status: 0, stdout: "", stderr: "", changesFile: true, configuration: "<configuration><crm_config><cluster_property_set id=\"cib-bootstrap-options\"><nvpair id=\"cib-bootstrap-options-stonith-enabled\" name=\"stonith-enabled\" value=\"false\"/></cluster_property_set></crm_config><nodes><node id=\"1\" uname=\"server1\"><instance_attributes id=\"nodes-1\"/></node><node id=\"2\" uname=\"server4\"><instance_attributes id=\"nodes-2\"/></node></nodes><resources><group id=\"hagroup\"><primitive id=\"VIP\" class=\"ocf\" type=\"IPaddr2\" provider=\"heartbeat\"><instance_attributes id=\"VIP-instance_attributes\"><nvpair id=\"VIP-instance_attributes-cidr_netmask\" name=\"cidr_netmask\" value=\"24\"/><nvpair id=\"VIP-instance_attributes-ip\" name=\"ip\" value=\"172.25.5.100\"/></instance_attributes><operations><op name=\"monitor\" interval=\"30s\" id=\"VIP-monitor-interval-30s\"/><op name=\"start\" interval=\"0s\" timeout=\"20s\" id=\"VIP-start-interval-0s\"/><op name=\"stop\" interval=\"0s\" timeout=\"20s\" id=\"VIP-stop-interval-0s\"/></operations></primitive><primitive id=\"haproxy\" class=\"systemd\" type=\"haproxy\"><operations><op name=\"monitor\" interval=\"60s\" id=\"haproxy-monitor-interval-60s\"/></operations></primitive></group><primitive id=\"vmfence\" class=\"stonith\" type=\"fence_xvm\"><instance_attributes id=\"vmfence-instance_attributes\"><nvpair id=\"vmfence-instance_attributes-pcmk_host_map\" name=\"pcmk_host_map\" value=\"server1:Node1;server4:Node4\"/></instance_attributes><operations><op name=\"monitor\" interval=\"30s\" id=\"vmfence-monitor-interval-30s\"/></operations></primitive></resources><constraints><rsc_colocation score=\"100\" id=\"colocation_set_VPhyve\"><resource_set sequential=\"false\" id=\"colocation_set_VPhyve_set\"><resource_ref id=\"VIP\"/><resource_ref id=\"haproxy\"/></resource_set><resource_set id=\"colocation_set_VPhyve_set-1\"><resource_ref id=\"vmfence\"/></resource_set></rsc_colocation></constraints></configuration>"),
    NewCommandCase(file: "steps/10-stonith-create.xml", args: ["constraint", "order", "set", "VIP", "haproxy"], status: 1, stdout: "", stderr: "Error: Cannot create an order constraint for resources in the same group\n", changesFile: false),
    NewCommandCase(file: "verify/nostonith-empty.xml", args: ["cluster", "verify"], status: 1, stdout: "", stderr: "Error: invalid cib:\ncrm_verify: Errors found during check: config not valid\n\n\nUse --full for more details.\nError: Errors have occurred, therefore pcs is unable to continue\n", changesFile: false),
    NewCommandCase(file: "verify/nostonith-empty.xml", args: ["cluster", "verify", "--full"], status: 1, stdout: "", stderr: "Error: invalid cib:\n(cluster_status) \twarning: Fencing and resource management disabled due to lack of quorum\n(unpack_resources) \terror: Resource start-up disabled since no STONITH resources have been defined\n(unpack_resources) \terror: Either configure some or disable STONITH with the stonith-enabled option\n(unpack_resources) \terror: NOTE: Clusters with shared data need STONITH to ensure data integrity\n(schedule_fencing_and_shutdowns) \twarning: Node server1 is unclean but cannot be fenced\n(schedule_fencing_and_shutdowns) \twarning: Node server4 is unclean but cannot be fenced\ncrm_verify: Errors found during check: config not valid\n\nError: Errors have occurred, therefore pcs is unable to continue\n", changesFile: false),
    NewCommandCase(file: "verify/withstonith.xml", args: ["cluster", "verify"], status: 1, stdout: "", stderr: "Error: invalid cib:\ncrm_verify: Warnings found during check: config may not be valid\n\n\nUse --full for more details.\nError: Errors have occurred, therefore pcs is unable to continue\n", changesFile: false),
    NewCommandCase(file: "steps/10-stonith-create.xml", args: ["cluster", "verify"], status: 0, stdout: "", stderr: "", changesFile: false),
    NewCommandCase(file: "steps/10-stonith-create.xml", args: ["cluster", "cib", "scope=resources"], status: 0, stdout: "<resources>\n  <group id=\"hagroup\">\n    <primitive id=\"VIP\" class=\"ocf\" type=\"IPaddr2\" provider=\"heartbeat\">\n      <instance_attributes id=\"VIP-instance_attributes\">\n        <nvpair id=\"VIP-instance_attributes-cidr_netmask\" name=\"cidr_netmask\" value=\"24\"/>\n        <nvpair id=\"VIP-instance_attributes-ip\" name=\"ip\" value=\"172.25.5.100\"/>\n      </instance_attributes>\n      <operations>\n        <op name=\"monitor\" interval=\"30s\" id=\"VIP-monitor-interval-30s\"/>\n        <op name=\"start\" interval=\"0s\" timeout=\"20s\" id=\"VIP-start-interval-0s\"/>\n        <op name=\"stop\" interval=\"0s\" timeout=\"20s\" id=\"VIP-stop-interval-0s\"/>\n      </operations>\n    </primitive>\n    <primitive id=\"haproxy\" class=\"systemd\" type=\"haproxy\">\n      <operations>\n        <op name=\"monitor\" interval=\"60s\" id=\"haproxy-monitor-interval-60s\"/>\n      </operations>\n    </primitive>\n  </group>\n  <primitive id=\"vmfence\" class=\"stonith\" type=\"fence_xvm\">\n    <instance_attributes id=\"vmfence-instance_attributes\">\n      <nvpair id=\"vmfence-instance_attributes-pcmk_host_map\" name=\"pcmk_host_map\" value=\"server1:Node1;server4:Node4\"/>\n    </instance_attributes>\n    <operations>\n      <op name=\"monitor\" interval=\"30s\" id=\"vmfence-monitor-interval-30s\"/>\n    </operations>\n  </primitive>\n</resources>\n", stderr: "", changesFile: false),
    NewCommandCase(file: "steps/10-stonith-create.xml", args: ["cluster", "cib", "scope=bogus"], status: 1, stdout: "", stderr: "Error: invalid CIB scope 'bogus'\n", changesFile: false),
    NewCommandCase(file: "status/s3-failed-monitor.xml", args: ["resource", "failcount"], status: 0, stdout: "Failcounts for resource 'VIP'\n  server1: 1\n", stderr: "", changesFile: false),
    NewCommandCase(file: "status/s3-failed-monitor.xml", args: ["resource", "failcount", "show", "--full"], status: 0, stdout: "Failcounts for resource 'VIP'\n  server1:\n    monitor 30000ms: 1\n", stderr: "", changesFile: false),
    NewCommandCase(file: "status/s3-failed-monitor.xml", args: ["resource", "failcount", "show", "VIP", "node=server4"], status: 0, stdout: "No failcounts for resource 'VIP' on node 'server4'\n", stderr: "", changesFile: false),
    NewCommandCase(file: "status/s3-failed-monitor.xml", args: ["resource", "failcount", "show", "VIP", "operation=monitor", "interval=30s"], status: 0, stdout: "Failcounts for operation 'monitor' with interval '30s' of resource 'VIP'\n  server1: 1\n", stderr: "", changesFile: false),
    NewCommandCase(file: "status/s3-failed-monitor.xml", args: ["resource", "failcount", "show", "VIP", "interval=30s"], status: 1, stdout: "", stderr: "Error: If option 'interval' is specified, option 'operation' must be specified as well\n", changesFile: false),
    NewCommandCase(file: "status/s3-failed-monitor.xml", args: ["resource", "failcount", "show", "VIP", "operation=monitor", "interval=abc"], status: 1, stdout: "", stderr: "Error: 'abc' is not a valid interval value, use time interval (e.g. 1, 2s, 3m, 4h, ...)\n", changesFile: false),
    NewCommandCase(file: "steps/10-stonith-create.xml", args: ["resource", "utilization", "VIP", "cpu=2", "mem=100"], status: 0, stdout: "", stderr: "", changesFile: true, configuration: "<configuration><crm_config><cluster_property_set id=\"cib-bootstrap-options\"><nvpair id=\"cib-bootstrap-options-stonith-enabled\" name=\"stonith-enabled\" value=\"false\"/></cluster_property_set></crm_config><nodes><node id=\"1\" uname=\"server1\"><instance_attributes id=\"nodes-1\"/></node><node id=\"2\" uname=\"server4\"><instance_attributes id=\"nodes-2\"/></node></nodes><resources><group id=\"hagroup\"><primitive id=\"VIP\" class=\"ocf\" type=\"IPaddr2\" provider=\"heartbeat\"><instance_attributes id=\"VIP-instance_attributes\"><nvpair id=\"VIP-instance_attributes-cidr_netmask\" name=\"cidr_netmask\" value=\"24\"/><nvpair id=\"VIP-instance_attributes-ip\" name=\"ip\" value=\"172.25.5.100\"/></instance_attributes><operations><op name=\"monitor\" interval=\"30s\" id=\"VIP-monitor-interval-30s\"/><op name=\"start\" interval=\"0s\" timeout=\"20s\" id=\"VIP-start-interval-0s\"/><op name=\"stop\" interval=\"0s\" timeout=\"20s\" id=\"VIP-stop-interval-0s\"/></operations><utilization id=\"VIP-utilization\"><nvpair id=\"VIP-utilization-cpu\" name=\"cpu\" value=\"2\"/><nvpair id=\"VIP-utilization-mem\" name=\"mem\" value=\"100\"/></utilization></primitive><primitive id=\"haproxy\" class=\"systemd\" type=\"haproxy\"><operations><op name=\"monitor\" interval=\"60s\" id=\"haproxy-monitor-interval-60s\"/></operations></primitive></group><primitive id=\"vmfence\" class=\"stonith\" type=\"fence_xvm\"><instance_attributes id=\"vmfence-instance_attributes\"><nvpair id=\"vmfence-instance_attributes-pcmk_host_map\" name=\"pcmk_host_map\" value=\"server1:Node1;server4:Node4\"/></instance_attributes><operations><op name=\"monitor\" interval=\"30s\" id=\"vmfence-monitor-interval-30s\"/></operations></primitive></resources><constraints/></configuration>"),
    NewCommandCase(file: "steps/10-stonith-create.xml", args: ["resource", "utilization", "VIP", "a=x"], status: 1, stdout: "", stderr: "Error: Value of utilization attribute must be integer: 'a=x'\n", changesFile: false),
    NewCommandCase(file: "steps/10-stonith-create.xml", args: ["resource", "utilization", "hagroup", "a=1"], status: 1, stdout: "", stderr: "Error: Unable to find a resource: hagroup\n", changesFile: false),
    NewCommandCase(file: "steps/10-stonith-create.xml", args: ["resource", "ban", "VIP", "server4", "lifetime=bogus"], status: 1, stdout: "", stderr: "Error: cannot ban resource 'VIP'\nInvalid duration specified: bogus\nPlease refer to https://en.wikipedia.org/wiki/ISO_8601#Durations for examples of valid durations\n", changesFile: false),
  ]
}
