import CIB
import Foundation
import Testing

@testable import PolicyEngine

/// crm_verify on small CIBs written for these tests. Each expected stderr and exit code below was first taken
/// from Pacemaker 2.1.5's /usr/sbin/crm_verify on the same file.
enum VerifyFixture {
  static func cib(properties: String = "", resourceMeta: String = "", operations: String) -> String {
    """
    <cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7" have-quorum="true" dc-uuid="1">
      <configuration>
        <crm_config>
          <cluster_property_set id="o">
            <nvpair id="o-stonith" name="stonith-enabled" value="false"/>\(properties)
          </cluster_property_set>
        </crm_config>
        <nodes>
          <node id="1" uname="node1"/>
        </nodes>
        <resources>
          <primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy">\(resourceMeta)
            <operations>\(operations)
            </operations>
          </primitive>
        </resources>
        <constraints/>
      </configuration>
      <status>
        <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>
      </status>
    </cib>
    """
  }

  static let monitor = "\n          <op id=\"rsc1-mon\" name=\"monitor\" interval=\"10s\"/>"
  static let clean = cib(operations: monitor)
  static let duplicateOp = cib(operations: """

              <op id="rsc1-mon-a" name="monitor" interval="10s"/>
              <op id="rsc1-mon-b" name="monitor" interval="10000ms" timeout="30s"/>
    """)
  static let restartType = cib(
    resourceMeta: "<meta_attributes id=\"m\"><nvpair id=\"m-rt\" name=\"restart-type\" value=\"restart\"/></meta_attributes>",
    operations: monitor)
  static let poweroff = cib(properties: "<nvpair id=\"o-sa\" name=\"stonith-action\" value=\"poweroff\"/>", operations: monitor)

  static func run(_ text: String, _ args: [String]) throws -> (out: String, err: String, status: Int32) {
    let (dir, file) = try CrmSimulateBinary.scratch(cib: text)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try CrmSimulateBinary.run("crm_verify", ["-x", file.path] + args)
  }

  static func messages(_ text: String) throws -> [String] {
    let input = try CIBReader.read(try CIBXML.parse(text), now: 1_704_067_200)
    return verifyConfiguration(interpretStatus(input)).map(\.line)
  }
}

@Test func cleanConfigurationPasses() throws {
  let quiet = try VerifyFixture.run(VerifyFixture.clean, ["-V"])
  #expect(quiet.status == 0 && quiet.err.isEmpty)
  let verbose = try VerifyFixture.run(VerifyFixture.clean, ["-VV"])
  #expect(verbose.status == 0)
  #expect(verbose.err == "(unpack_config) \twarning: Blind faith: not fencing unseen nodes\n")
}

@Test func duplicateOperationIsAnUnpackErrorNotASchemaError() throws {
  let line = "(is_op_dup) \terror: Operation rsc1-mon-b is duplicate of rsc1-mon-a (do not use same name and interval combination more than once per resource)"
  let r = try VerifyFixture.run(VerifyFixture.duplicateOp, ["-V"])
  #expect(r.status == 78)
  #expect(r.err == "\(line)\n\(line)\ncrm_verify: Errors found during check: config not valid\n")
  let terse = try VerifyFixture.run(VerifyFixture.duplicateOp, [])
  #expect(terse.status == 78)
  #expect(terse.err == "crm_verify: Errors found during check: config not valid\n-V may provide more details\n")
}

@Test func deprecatedOptionsAreWarnings() throws {
  let r = try VerifyFixture.run(VerifyFixture.restartType, [])
  #expect(r.status == 78)
  #expect(r.err == "crm_verify: Warnings found during check: config may not be valid\n-V may provide more details\n")
  let vv = try VerifyFixture.run(VerifyFixture.restartType, ["-VV"])
  #expect(vv.err.contains("(pe__unpack_resource) \twarning: Support for restart-type is deprecated and will be removed in a future release\n"))
  #expect(vv.err.hasSuffix("crm_verify: Warnings found during check: config may not be valid\n"))
  let p = try VerifyFixture.messages(VerifyFixture.poweroff)
  #expect(p.contains("(unpack_config) \twarning: Support for stonith-action of 'poweroff' is deprecated and will be removed in a future release (use 'off' instead)"))
}

@Test func liveCheckWithoutClusterdExits66() throws {
  let r = try CrmSimulateBinary.run("crm_verify", ["-L", "-V"], environment: ["PATH": "/usr/bin:/bin"])
  #expect(r.status == 66)
  #expect(r.err.hasPrefix("crm_verify: CIB query failed: Input file not available"))
  #expect(r.err.contains("clusterd"))
}

@Test func liveCheckReadsCIBFile() throws {
  let (dir, file) = try CrmSimulateBinary.scratch(cib: VerifyFixture.duplicateOp)
  defer { try? FileManager.default.removeItem(at: dir) }
  let r = try CrmSimulateBinary.run("crm_verify", ["-L"], environment: ["CIB_file": file.path])
  #expect(r.status == 78)
}

@Test func resourceActiveOnTwoNodesIsLoggedButNotCounted() throws {
  // rsc1 started on node1 and found running by the probe on node2.
  let text = SimulateFixture.twoNodes.replacingOccurrences(
    of: "transition-magic=\"0:7;1:1:7:t\" call-id=\"1\" rc-code=\"7\"",
    with: "transition-magic=\"0:0;1:1:7:t\" call-id=\"1\" rc-code=\"0\"")
  #expect(text != SimulateFixture.twoNodes)
  let r = try VerifyFixture.run(text, ["-V"])
  #expect(r.status == 0)
  #expect(r.err == "(pcmk__primitive_create_actions) \terror: ocf resource rsc1 might be active on 2 nodes (attempting recovery)\n")
}
