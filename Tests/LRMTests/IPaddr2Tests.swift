import CIB
import Foundation
import Testing
@testable import LRM

/// The user's VIP: ocf:heartbeat:IPaddr2 on an interface inside a network namespace this test creates and
/// removes. Only addresses from TEST-NET-1 (192.0.2.0/24), only inside the namespace.
@Suite(.serialized) struct IPaddr2Tests {
  @Test(.enabled("needs root and network namespaces (ip netns add)") { await networkNamespacesWork() })
  func vipStartMonitorStopInsideANamespace() async throws {
    let ns = "vigil-lrm-\(getpid())"
    try #require(await sh("ip netns add \(ns)") == 0, "ip netns add \(ns)")
    // Removed however the body ends (an async cleanup cannot sit in a defer).
    let outcome = await Result { () async throws in try await vipLifecycle(inNamespace: ns) }
    await sh("ip netns del \(ns)")
    try outcome.get()
  }

  func vipLifecycle(inNamespace ns: String) async throws {
    // A dummy interface when the kernel has the module, otherwise one end of a veth pair (both inside the namespace).
    if await sh("ip -n \(ns) link add vigil0 type dummy") != 0 {
      print("IPaddr2Tests: no dummy link type here, using a veth pair inside the namespace")
      #expect(await sh("ip -n \(ns) link add vigil0 type veth peer name vigil1 && ip -n \(ns) link set vigil1 up") == 0)
    }
    #expect(await sh("ip -n \(ns) link set vigil0 up && ip -n \(ns) addr add 192.0.2.1/24 dev vigil0") == 0)

    let runner = AgentRunner(roots: systemRoots, logger: testLogger)
    let agent = try ResourceAgentName.parse("ocf:heartbeat:IPaddr2")
    func call(_ a: AgentAction) -> AgentCall {
      AgentCall(
        resource: "vip", agent: agent, action: a,
        parameters: [
          .init("ip", "192.0.2.10"), .init("cidr_netmask", "24"), .init("nic", "vigil0"),
          .init("network_namespace", ns),
        ], timeout: .seconds(20))
    }
    func addresses() async -> String { await shOutput("ip -n \(ns) -4 addr show dev vigil0") }

    #expect(await runner.run(call(.monitor)).ocf == .notRunning)
    let start = await runner.run(call(.start))
    #expect(start.ocf == .success, "\(start.summary)\n\(start.standardError)")
    #expect(await addresses().contains("192.0.2.10/24"))
    #expect(await runner.run(call(.monitor)).ocf == .success)
    let stop = await runner.run(call(.stop))
    #expect(stop.ocf == .success)
    #expect(!(await addresses()).contains("192.0.2.10"))
    #expect(await runner.run(call(.monitor)).ocf == .notRunning)
    // The host's own interfaces never saw the address.
    #expect(!(await shOutput("ip -4 addr")).contains("192.0.2.10"))

    // The same VIP through `pcs resource debug-start|debug-monitor|debug-stop`, its parameters from a CIB.
    let doc = try CIBXML.parse(
      """
      <cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources>
      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="vip-ia">
      <nvpair id="vip-ip" name="ip" value="192.0.2.20"/><nvpair id="vip-mask" name="cidr_netmask" value="24"/>
      <nvpair id="vip-nic" name="nic" value="vigil0"/><nvpair id="vip-ns" name="network_namespace" value="\(ns)"/>
      </instance_attributes></primitive></resources><constraints/></configuration><status/></cib>
      """)
    for (action, expected) in [(DebugAction.start, Int32(0)), (.monitor, 0), (.stop, 0), (.monitor, 7)] {
      let c = try action.call(in: doc, resource: "vip")
      let r = await runner.run(c)
      #expect(action.exitStatus(r) == expected, "\(action.rawValue): \(action.report(c, r, full: true))")
      if action == .start { #expect(await addresses().contains("192.0.2.20/24")) }
    }
    #expect(!(await addresses()).contains("192.0.2.20"))

    // validate-all's reason reaches the caller.
    var bad = call(.validateAll)
    bad.parameters.append(.init("arp_count", "many"))
    let invalid = await runner.run(bad)
    #expect(invalid.ocf == .notConfigured)
    #expect(invalid.exitReason == "Invalid OCF_RESKEY_arp_count [many]")
  }
}

extension Result where Failure == any Error {
  /// Runs an async throwing body and keeps its outcome, so cleanup can run before the error is rethrown.
  init(_ body: () async throws -> Success) async {
    do { self = .success(try await body()) } catch { self = .failure(error) }
  }
}
