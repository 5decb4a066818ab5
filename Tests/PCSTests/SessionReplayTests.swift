import CIB
import Foundation
import Testing

/// The user's session (reference/pcs/session/replay.sh), replayed with our pcs: after every step the
/// configuration section must equal the captured `steps/NN-*.xml`, and epoch must match (one per write).
@Suite struct SessionReplayTests {
  struct Step: Sendable, CustomStringConvertible {
    var args: [String]
    var snapshot: String?
    var stderr: String = ""
    var status: Int32 = 0
    var description: String { args.joined(separator: " ") }
  }

  static let fenceXvmInstalled = FileManager.default.isExecutableFile(atPath: "/usr/sbin/fence_xvm")

  static let haproxyFailure = """
    Error: Agent 'systemd:haproxy' is not installed or does not provide valid metadata: crm_resource: Metadata query for systemd:haproxy failed: No such device or address, Error performing operation: No such object, use --force to override
    Error: Errors have occurred, therefore pcs is unable to continue

    """

  static let steps: [Step] = [
    Step(args: ["property", "set", "stonith-enabled=false"], snapshot: "02-property-stonith"),
    Step(
      args: ["resource", "create", "VIP", "ocf:heartbeat:IPaddr2", "ip=172.25.5.100", "cidr_netmask=24", "op", "monitor", "interval=30s"],
      snapshot: "03-create-VIP"),
    Step(
      args: ["resource", "create", "haproxy", "systemd:haproxy", "op", "monitor", "interval=60s"], snapshot: nil,
      stderr: haproxyFailure, status: 1),
    Step(
      args: ["resource", "create", "haproxy", "systemd:haproxy", "op", "monitor", "interval=60s", "--force"],
      snapshot: "04-create-haproxy",
      stderr: """
        Warning: Agent 'systemd:haproxy' is not installed or does not provide valid metadata: crm_resource: Metadata query for systemd:haproxy failed: No such device or address, Error performing operation: No such object
        Warning: 'monitor' is not a valid operation name value

        """),
    Step(args: ["resource", "group", "add", "hagroup", "VIP", "haproxy"], snapshot: "05-group-add"),
    Step(args: ["node", "standby"], snapshot: nil, stderr: "Error: Node(s) must be specified if -f is used\n", status: 1),
    Step(args: ["node", "standby", "server1"], snapshot: "06-node-standby-server1"),
    Step(args: ["node", "standby", "--all"], snapshot: "07-node-standby-all"),
    Step(args: ["node", "unstandby", "server1"], snapshot: "08-node-unstandby-server1"),
    Step(args: ["node", "unstandby", "--all"], snapshot: "09-node-unstandby-all"),
    Step(
      args: ["stonith", "create", "vmfence", "fence_xvm", "pcmk_host_map=server1:Node1;server4:Node4", "op", "monitor", "interval=30s"]
        + (fenceXvmInstalled ? [] : ["--force"]),
      snapshot: "10-stonith-create",
      stderr: fenceXvmInstalled
        ? ""
        : "Warning: Agent 'stonith:fence_xvm' is not installed or does not provide valid metadata: crm_resource: Metadata query for stonith:fence_xvm failed: No such device or address, Error performing operation: No such object\nWarning: 'monitor' is not a valid operation name value\n"),
    Step(args: ["resource", "defaults", "resource-stickiness=100"], snapshot: nil, stderr: "", status: 0),
    Step(args: ["resource", "op", "defaults", "timeout=240s"], snapshot: "11-extra-rsc-defaults-op-defaults"),
  ]

  @Test(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing))
  func replayMatchesEveryCapturedStep() throws {
    let dir = try PCSHarness.scratch()
    let cib = dir.appendingPathComponent("cib.xml")
    try FileManager.default.copyItem(at: PCSHarness.referenceFile("steps/01-nodes.xml"), to: cib)
    for step in Self.steps {
      let before = try Data(contentsOf: cib)
      let r = try PCSHarness.run(["-f", "cib.xml"] + step.args, in: dir)
      #expect(r.status == step.status, "\(step): \(r.stderr)")
      if step.args.first == "resource" && step.args.contains("defaults") {
        #expect(r.stderr.contains("Warning: Defaults do not apply to resources which override them with their own defined values"), "\(step)")
      } else {
        #expect(r.stderr == step.stderr, "\(step)")
      }
      #expect(r.stdout == "", "\(step)")
      if step.status != 0 {
        #expect(try Data(contentsOf: cib) == before, "a failed command must leave the file untouched: \(step)")
        continue
      }
      guard let snapshot = step.snapshot else { continue }
      let ours = try CIBXML.parse(PCSHarness.read(cib))
      let expected = try CIBXML.parse(PCSHarness.read(PCSHarness.referenceFile("steps/\(snapshot).xml")))
      #expect(ours.firstElement(named: "configuration") == expected.firstElement(named: "configuration"), "\(step)")
      #expect(ours[attribute: "epoch"] == expected[attribute: "epoch"], "\(step)")
    }
  }

  @Test(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing))
  func nonexistentFileIsCreatedAsPcsDoes() throws {
    let dir = try PCSHarness.scratch()
    let r = try PCSHarness.run(["-f", "new.xml", "resource", "create", "d1", "ocf:pacemaker:Dummy"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let ours = try CIBXML.parse(PCSHarness.read(dir.appendingPathComponent("new.xml")))
    let expected = try CIBXML.parse(
      PCSHarness.read(PCSHarness.referenceFile("samples/cib-created-by-pcs-f-nonexistent-file.xml")))
    #expect(ours == expected)
  }

  @Test func emptyFileIsUnableToGetCib() throws {
    let dir = try PCSHarness.scratch()
    FileManager.default.createFile(atPath: dir.appendingPathComponent("empty.xml").path, contents: Data())
    let r = try PCSHarness.run(["-f", "empty.xml", "property", "set", "stonith-enabled=false"], in: dir)
    #expect(r.status == 1)
    #expect(r.stderr == "Error: unable to get cib\n")
    #expect(try Data(contentsOf: dir.appendingPathComponent("empty.xml")).isEmpty)
  }
}
