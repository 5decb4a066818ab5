import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A promotable clone of the real ocf:pacemaker:Stateful: its promotion scores come from the agent's own
/// `${HA_SBIN_DIR}/crm_attribute --promotion` calls (Vigil's tool, through the LRM's environment); exactly one
/// instance is promoted, and another once the promoted node dies.
@Suite(.serialized)
struct StatefulLiveTests {
  static let installed = FileManager.default.isExecutableFile(atPath: "/usr/lib/ocf/resource.d/pacemaker/Stateful")

  /// The nodes (of `among`) whose Stateful state file says Promoted.
  func promoted(_ c: TestCluster, among: [String]) -> [String] {
    among.filter { n in
      let text = try? String(contentsOfFile: c.dir + "/" + n + "/agents/run/Stateful-st.state", encoding: .utf8)
      return text?.trimmingCharacters(in: .whitespacesAndNewlines) == "Promoted"
    }
  }

  @Test(.enabled(if: installed, "ocf:pacemaker:Stateful (Debian's pacemaker-resource-agents)"))
  func oneInstanceIsPromotedAndAnotherAfterItsNodeDies() async throws {
    let c = try TestCluster()
    defer { c.stop() }
    try c.startAll()
    #expect(await c.eventually { await c.allQuorate(c.names) }, "no quorate DC\n\(c.log("node1"))")
    for args in [
      ["property", "set", "stonith-enabled=false"],
      ["resource", "create", "st", "ocf:pacemaker:Stateful", "op", "monitor", "interval=2s", "role=Promoted",
       "op", "monitor", "interval=3s", "role=Unpromoted", "promotable"],
    ] {
      let r = try await c.pcs("node1", args)
      #expect(r.status == 0, "pcs \(args): \(r.stderr)")
    }
    #expect(await c.eventually(timeoutS: 40) { promoted(c, among: c.names).count == 1 },
            "not exactly one promoted instance: \(promoted(c, among: c.names))\n\(c.log("node1"))")
    // The promotion scores the agents set through crm_attribute --promotion are in the CIB.
    let score = try await c.tool("crm_attribute", "node2", ["-n", "master-st", "-N", "node3", "-l", "reboot", "-G", "-q"])
    #expect(score.status == 0 && !score.stdout.isEmpty, "no promotion score for node3: \(score.stderr)")
    guard let first = promoted(c, among: c.names).first else { return }
    c.kill9(first)
    let survivors = c.names.filter { $0 != first }
    #expect(await c.eventually(timeoutS: 40) { promoted(c, among: survivors).count == 1 },
            "no survivor was promoted after \(first) died\n\(c.log(survivors[0]))")
  }
}
