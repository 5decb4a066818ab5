import CIB
import ControlProtocol
import Foundation
import Testing

@testable import AttributeTools

/// A clusterd stand-in that answers from fixed values and records what it was asked (the tools' own logic under
/// test; the live path is ClusterdTests' NodeAttributeTests).
final class RecordingCluster: ClusterAccess, @unchecked Sendable {
  var asked: [ControlRequest] = []
  var answer: (ControlRequest) -> ControlResponse
  init(_ answer: @escaping (ControlRequest) -> ControlResponse) { self.answer = answer }
  func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
    asked.append(request)
    return answer(request)
  }
}

struct Unreachable: ClusterAccess {
  func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
    throw .notRunning(path: "/run/vigil/clusterd.sock", reason: "Connection refused")
  }
}

struct OptionParsingTests {
  @Test func glibStyles() throws {
    let specs = CrmAttribute.specs
    let p = try ParsedOptions.parse(["-nfoo", "--node=node1", "-v", "-INFINITY", "-qG", "-p", "st", "--lifetime", "reboot"],
                                    specs: specs).get()
    #expect(p.value("name") == "foo" && p.value("node") == "node1" && p.value("update") == "-INFINITY")
    #expect(p.has("quiet") && p.has("query") && p.value("promotion") == "st" && p.value("lifetime") == "reboot")
    #expect(ParsedOptions.parse(["-x"], specs: specs) == .failure(.unknown("-x")))
    #expect(ParsedOptions.parse(["-n"], specs: specs) == .failure(.missingValue("-n")))
    #expect(ParsedOptions.parse(["--query=1"], specs: specs) == .failure(.unexpectedValue("--query=1")))
  }
}

struct AttrdUpdaterTests {
  @Test func pingsCallsBecomeManagedUpdates() throws {
    #expect(try AttrdUpdater.parse(["-n", "pingd", "-v", "1000", "-d", "5s"]).get() == .update(
      AttributeUpdate(name: "pingd", value: "1000", node: nil, scope: .status, managed: true, dampenMs: 5_000),
      delayOnly: false))
    #expect(try AttrdUpdater.parse(["-n", "pingd", "-B", "0", "-d", "5"]).get() == .update(
      AttributeUpdate(name: "pingd", value: "0", node: nil, scope: .status, managed: true, dampenMs: 5_000),
      delayOnly: false), "a delay without unit is in seconds")
    #expect(try AttrdUpdater.parse(["-D", "-n", "pingd", "-d", "5s", "-N", "node2"]).get() == .update(
      AttributeUpdate(name: "pingd", value: nil, node: "node2", scope: .status, managed: true, dampenMs: 5_000),
      delayOnly: false))
    #expect(try AttrdUpdater.parse(["-Q", "-n", "pingd", "-A"]).get() == .query(name: "pingd", node: nil, all: true))
  }

  @Test func refusalsAsPacemakerSaysThem() {
    #expect(AttrdUpdater.run(["-U", "1"], cluster: Unreachable()) == ToolResult(
      stderr: "attrd_updater: Command requires --name or --pattern argument\n", exitCode: 64))
    #expect(AttrdUpdater.run(["-n", "x", "-U", "1"], cluster: Unreachable()) == ToolResult(
      stderr: "attrd_updater: Could not update x=1: Connection refused\n", exitCode: 102))
    #expect(AttrdUpdater.run(["-n", "x", "-U", "1", "-d", "soon"], cluster: Unreachable()).exitCode == 64)
  }

  @Test func queryOutput() {
    let cluster = RecordingCluster { _ in
      var r = ControlResponse()
      r.attributes = [AttributeValue(node: "node1", name: "pingd", value: "1000"),
                      AttributeValue(node: "node2", name: "pingd", value: "0")]
      return r
    }
    #expect(AttrdUpdater.run(["-Q", "-n", "pingd", "-A"], cluster: cluster).stdout
            == "name=\"pingd\" host=\"node1\" value=\"1000\"\nname=\"pingd\" host=\"node2\" value=\"0\"\n")
    let none = RecordingCluster { _ in var r = ControlResponse(); r.attributes = []; return r }
    #expect(AttrdUpdater.run(["-Q", "-n", "pingd"], cluster: none) == ToolResult(
      stderr: "attrd_updater: Could not query value of pingd: attribute does not exist\n", exitCode: 78))
  }
}

struct CrmAttributeTests {
  static let cibXML = """
    <cib crm_feature_set="3.16.2" validate-with="pacemaker-3.7" epoch="5" num_updates="0" admin_epoch="0">\
    <configuration><crm_config><cluster_property_set id="cib-bootstrap-options">\
    <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/></cluster_property_set>\
    </crm_config><nodes><node id="1" uname="node1"><instance_attributes id="nodes-1">\
    <nvpair id="nodes-1-site" name="site" value="a"/></instance_attributes></node><node id="2" uname="node2"/></nodes>\
    <resources/><constraints/></configuration><status><node_state id="1" uname="node1" in_ccm="true" crmd="online" \
    join="member" expected="member"><transient_attributes id="1"><instance_attributes id="status-1">\
    <nvpair id="status-1-pingd" name="pingd" value="1000"/><nvpair id="status-1-master-st" name="master-st" value="10"/>\
    </instance_attributes></transient_attributes></node_state></status></cib>
    """

  func file() throws -> String {
    let path = NSTemporaryDirectory() + "vigil-crm-attribute-\(UInt32.random(in: 0...UInt32.max)).xml"
    try Self.cibXML.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Each read as Pacemaker 2.1.5's crm_attribute prints it on the same CIB (its output, checked by hand and by
  /// `sameAsPacemakersCrmAttribute` where installed).
  static let reads: [([String], ToolResult)] = [
    (["-G", "-n", "pingd", "-N", "node1", "-l", "reboot"], ToolResult(stdout: "scope=status  name=pingd value=1000\n")),
    (["-G", "-n", "pingd", "-N", "node1", "-l", "reboot", "-q"], ToolResult(stdout: "1000\n")),
    (["-G", "-n", "pingd", "-N", "node2", "-l", "reboot"],
     ToolResult(stderr: "crm_attribute: Error performing operation: No such device or address\n", exitCode: 105)),
    (["-G", "-n", "site", "-N", "node1"], ToolResult(stdout: "scope=nodes  name=site value=a\n")),
    (["-G", "-n", "site", "-N", "node3"], ToolResult(stderr: "crm_attribute: Could not map name=node3 to a UUID\n", exitCode: 105)),
    (["-G", "-n", "stonith-enabled"], ToolResult(stdout: "scope=crm_config  name=stonith-enabled value=false\n")),
    (["-G", "-n", "nope", "-d", "dflt"], ToolResult(stdout: "scope=crm_config  name=nope value=dflt\n")),
    (["--promotion=st", "-G", "-N", "node1"], ToolResult(stdout: "scope=status  name=master-st value=10\n")),
    (["-p", "st", "-G", "-N", "node1"], ToolResult(stdout: "scope=status  name=master-st value=10\n")),
  ]

  @Test func readsOfACIBFile() throws {
    let path = try file()
    defer { try? FileManager.default.removeItem(atPath: path) }
    for (args, expected) in Self.reads {
      #expect(CrmAttribute.run(args, environment: [:], backend: .file(path)) == expected, "\(args)")
    }
  }

  static let pacemakerInstalled = FileManager.default.isExecutableFile(atPath: "/usr/sbin/crm_attribute")

  @Test(.enabled(if: pacemakerInstalled, "Pacemaker's crm_attribute (pacemaker-cli-utils) to compare with"))
  func sameAsPacemakersCrmAttribute() throws {
    let path = try file()
    defer { try? FileManager.default.removeItem(atPath: path) }
    for (args, _) in Self.reads {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/sbin/crm_attribute")
      p.arguments = args
      p.environment = ["CIB_file": path, "PATH": "/usr/sbin:/usr/bin"]
      let out = Pipe()
      let err = Pipe()
      p.standardOutput = out
      p.standardError = err
      try p.run()
      let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      let ours = CrmAttribute.run(args, environment: [:], backend: .file(path))
      #expect(ours == ToolResult(stdout: o, stderr: e, exitCode: p.terminationStatus), "\(args)")
    }
  }

  @Test func writesToACIBFileBumpTheRightVersion() throws {
    let path = try file()
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(CrmAttribute.run(["-n", "pingd", "-v", "0", "-N", "node1", "-l", "reboot"], environment: [:],
                             backend: .file(path)) == ToolResult())
    var cib = try CIBXML.parse(fileAt: path)
    #expect(cib[attribute: "epoch"] == "5" && cib[attribute: "num_updates"] == "1", "a status change bumps num_updates")
    #expect(CrmAttribute.run(["--promotion", "-v", "5"], environment: ["OCF_RESOURCE_INSTANCE": "st",
      "OCF_RESKEY_CRM_meta_on_node": "node2"], backend: .file(path)) == ToolResult())
    #expect(CrmAttribute.run(["-n", "site", "-D", "-N", "node1"], environment: [:], backend: .file(path)) == ToolResult())
    cib = try CIBXML.parse(fileAt: path)
    #expect(cib[attribute: "epoch"] == "6", "a configuration change bumps epoch")
    let xml = CIBXML.serialize(cib)
    #expect(xml.contains(#"name="pingd" value="0""#) && xml.contains(#"id="status-2-master-st" name="master-st" value="5""#))
    #expect(!xml.contains(#"name="site""#))
  }

  @Test func liveWritesNameTheChange() {
    let cluster = RecordingCluster { r in
      switch r {
      case .status:
        return ControlResponse(status: LiveStatusInfo(clusterName: "c", localNode: "node2", dcName: nil, dcID: nil,
          quorate: true, members: [], membershipBackend: "native", cib: ""))
      case .getCIB: return ControlResponse(cib: Self.cibXML)
      default: return ControlResponse()
      }
    }
    #expect(CrmAttribute.run(["--promotion", "-v", "10"], environment: ["OCF_RESOURCE_INSTANCE": "st"],
                             backend: .live(cluster)) == ToolResult())
    #expect(cluster.asked.last == .updateAttribute(
      AttributeUpdate(name: "master-st", value: "10", node: "node2", scope: .status)))
  }
}

struct CrmNodeTests {
  let cluster = RecordingCluster { _ in
    ControlResponse(status: LiveStatusInfo(
      clusterName: "demo", localNode: "node2", dcName: "node1", dcID: "1", quorate: true, members: ["node1", "node2"],
      membershipBackend: "native",
      cib: #"<cib><configuration><nodes><node id="1" uname="node1"/><node id="2" uname="node2"/><node id="3" uname="node3"/></nodes></configuration></cib>"#))
  }

  @Test func outputs() {
    #expect(CrmNode.run(["-n"], cluster: cluster).stdout == "node2\n")
    #expect(CrmNode.run(["-i"], cluster: cluster).stdout == "2\n")
    #expect(CrmNode.run(["-N", "3"], cluster: cluster).stdout == "node3\n")
    #expect(CrmNode.run(["-l"], cluster: cluster).stdout == "1 node1 member\n2 node2 member\n3 node3 lost\n")
    #expect(CrmNode.run(["-p"], cluster: cluster).stdout == "node1 node2\n")
    #expect(CrmNode.run(["-q"], cluster: cluster) == ToolResult(stdout: "1\n"))
    #expect(CrmNode.run(["-n"], cluster: Unreachable()) == ToolResult(
      stderr: "error: Could not connect to controller: Connection refused\n", exitCode: 102))
  }
}
