import Foundation
import Testing

/// `--output-as json` (Vigil's addition, docs/PCS-JSON.md): every read command prints one JSON document with
/// the documented keys, in a fixed order, and the same bytes on every run.
@Suite(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing))
struct JSONOutputTests {
  static let corosync = PCSHarness.referenceFile("session/corosync2.conf").path

  /// A scratch copy of a reference CIB (never the original).
  func copy(_ relative: String) throws -> URL {
    let dir = try PCSHarness.scratch()
    let cib = dir.appendingPathComponent("cib.xml")
    try FileManager.default.copyItem(at: PCSHarness.referenceFile(relative), to: cib)
    return cib
  }

  func json(_ cib: URL, _ args: [String]) throws -> (Any, String) {
    let r = try PCSHarness.run(["-f", cib.path] + args + ["--output-as", "json", "--corosync_conf", Self.corosync])
    #expect(r.status == 0, "\(args): \(r.stderr)")
    let value = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    // Stable: a second run prints the same bytes.
    let again = try PCSHarness.run(["-f", cib.path] + args + ["--output-as", "json", "--corosync_conf", Self.corosync])
    #expect(again.stdout == r.stdout, "\(args) output changed between runs")
    return (value, r.stdout)
  }

  /// Keys of a JSON object in the order they are printed (JSONSerialization forgets the order).
  func keyOrder(_ text: String, of keys: [String]) -> [String] {
    keys.compactMap { k in text.range(of: "\"\(k)\":").map { (k, $0.lowerBound) } }.sorted { $0.1 < $1.1 }.map(\.0)
  }

  @Test func statusHasSummaryNodesResourcesAndFailures() throws {
    let cib = try copy("status/s3-failed-monitor.xml")
    let (value, text) = try json(cib, ["status"])
    let doc = try #require(value as? [String: Any])
    let keys = ["summary", "warnings", "nodes", "resources", "failed_actions"]
    #expect(Set(doc.keys) == Set(keys))
    #expect(keyOrder(text, of: keys) == keys)
    let nodes = try #require(doc["nodes"] as? [[String: Any]])
    #expect(nodes.compactMap { $0["name"] as? String } == nodes.compactMap { $0["name"] as? String }.sorted())
    let failed = try #require(doc["failed_actions"] as? [[String: Any]])
    #expect(!failed.isEmpty)
    // The fail count of the failed monitor shows on its node.
    let counts = nodes.flatMap { ($0["fail_counts"] as? [[String: Any]]) ?? [] }
    #expect(counts.contains { ($0["resource"] as? String) == "VIP" })
  }

  @Test func configHasEverySection() throws {
    let cib = try copy("steps/11-extra-rsc-defaults-op-defaults.xml")
    let (value, text) = try json(cib, ["config"])
    let doc = try #require(value as? [String: Any])
    let keys = [
      "cluster_name", "corosync_nodes", "pacemaker_nodes", "resources", "stonith_devices", "constraints",
      "resource_defaults", "operation_defaults", "properties",
    ]
    #expect(Set(doc.keys) == Set(keys))
    #expect(keyOrder(text, of: keys) == keys)
    #expect((doc["pacemaker_nodes"] as? [String]) == ["server1", "server4"])
    let stonith = try #require(doc["stonith_devices"] as? [[String: Any]])
    #expect(stonith.first?["id"] as? String == "vmfence")
    let resources = try #require(doc["resources"] as? [[String: Any]])
    #expect(resources.first?["type"] as? String == "group")
    #expect(!((doc["resource_defaults"] as? [Any]) ?? []).isEmpty)
  }

  @Test func constraintListsEveryKind() throws {
    let cib = try copy("steps/10-stonith-create.xml")
    let add = try PCSHarness.run(["-f", cib.path, "constraint", "location", "VIP", "prefers", "server1=50"])
    #expect(add.status == 0, "\(add.stderr)")
    let (value, _) = try json(cib, ["constraint"])
    let doc = try #require(value as? [String: Any])
    #expect(Set(doc.keys) == ["location", "colocation", "order", "ticket"])
    let locations = try #require(doc["location"] as? [[String: Any]])
    #expect(locations.count == 1)
  }

  @Test func propertyConfigIsNameValuePairs() throws {
    let cib = try copy("steps/10-stonith-create.xml")
    let (value, _) = try json(cib, ["property", "config"])
    let doc = try #require(value as? [String: Any])
    let props = try #require(doc["properties"] as? [[String: String]])
    #expect(props.contains { $0["name"] == "stonith-enabled" && $0["value"] == "false" })
  }

  @Test func resourceConfigIsAnArrayOfResources() throws {
    let cib = try copy("steps/10-stonith-create.xml")
    let (value, _) = try json(cib, ["resource", "config"])
    let list = try #require(value as? [[String: Any]])
    #expect(list.map { $0["id"] as? String } == ["hagroup"])
    let members = try #require(list.first?["members"] as? [[String: Any]])
    #expect(members.compactMap { $0["id"] as? String } == ["VIP", "haproxy"])
    #expect(members.first?["agent_type"] as? String == "IPaddr2")
  }

  @Test func failcountAndUtilizationToo() throws {
    let cib = try copy("status/s3-failed-monitor.xml")
    let (fc, _) = try json(cib, ["resource", "failcount", "show"])
    let list = try #require(fc as? [[String: Any]])
    #expect(list.first?["resource"] as? String == "VIP")
    #expect(list.first?["interval_ms"] as? String == "30000")
    let (util, _) = try json(cib, ["resource", "utilization"])
    #expect((util as? [String: Any])?.isEmpty == true)
  }
}
