import CIB
import Testing

@testable import PolicyEngine

/// `RecheckTimer`: the earliest time the clock alone changes the scheduler's answer.
struct RecheckTests {
  /// 2026-12-08T00:00:00Z.
  static let now: Int64 = 1_796_688_000

  func cib(_ extra: String, options: String = "", status: String = "") throws -> CIBElement {
    try CIBXML.parse("""
      <cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config>\
      <cluster_property_set id="cib-bootstrap-options">\(options)</cluster_property_set></crm_config>\
      <nodes><node id="1" uname="node1"/></nodes><resources>\
      <primitive id="web" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="web-meta">\
      <nvpair id="web-ft" name="failure-timeout" value="10s"/></meta_attributes></primitive></resources>\
      <constraints>\(extra)</constraints></configuration><status>\(status)</status></cib>
      """)
  }

  func next(_ root: CIBElement, now: Int64 = now) throws -> Int64? {
    let input = try CIBReader.read(root, now: now)
    return RecheckTimer.next(cib: root, input: input, state: interpretStatus(input), now: now)
  }

  @Test func theIntervalAloneAndItsOff() throws {
    #expect(try next(cib("")) == nil, "nothing changes by the clock alone: no timer")
    let spec = #"<rsc_location id="l" rsc="web"><rule id="r" score="1"><date_expression id="d" operation="date_spec"><date_spec id="s" hours="9-17"/></date_expression></rule></rsc_location>"#
    #expect(try next(cib(spec)) == Self.now + 900, "a date_spec is covered by the default interval, 15 minutes")
    #expect(try next(cib("", options: #"<nvpair id="o1" name="cluster-recheck-interval" value="2min"/>"#)) == Self.now + 120)
    #expect(try next(cib("", options: #"<nvpair id="o1" name="cluster-recheck-interval" value="0"/>"#)) == nil)
  }

  @Test func aBanLifetimeEndsAtItsDate() throws {
    // What `pcs resource ban web node1 lifetime=PT10S` writes: a rule true while now < end.
    let ban = """
      <rsc_location id="cli-ban-web-on-node1" rsc="web"><rule id="r" score="-INFINITY" boolean-op="and">\
      <expression id="e" attribute="#uname" operation="eq" value="node1"/>\
      <date_expression id="d" operation="lt" end="2026-12-08 00:00:10Z"/></rule></rsc_location>
      """
    #expect(try next(cib(ban)) == Self.now + 10)
    #expect(try next(cib(ban), now: Self.now + 10) == nil, "past the end nothing is left")
  }

  @Test func dateRangesChangeAtBothEnds() throws {
    let range = """
      <rsc_location id="l" rsc="web"><rule id="r" score="100"><date_expression id="d" operation="in_range" \
      start="2026-12-08 00:01:00Z"><duration id="du" minutes="2"/></date_expression></rule></rsc_location>
      """
    #expect(try next(cib(range)) == Self.now + 60)
    #expect(try next(cib(range), now: Self.now + 60) == Self.now + 60 + 120 + 1)
    let after = #"<rsc_location id="l" rsc="web"><rule id="r" score="100"><date_expression id="d" operation="gt" start="2026-12-08 00:00:30Z"/></rule></rsc_location>"#
    #expect(try next(cib(after)) == Self.now + 31)
  }

  @Test func aFailureExpiresAfterItsTimeout() throws {
    let status = """
      <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">\
      <transient_attributes id="1"><instance_attributes id="status-1">\
      <nvpair id="s1" name="fail-count-web#monitor_10000" value="1"/>\
      <nvpair id="s2" name="last-failure-web#monitor_10000" value="\(Self.now - 4)"/></instance_attributes>\
      </transient_attributes></node_state>
      """
    #expect(try next(cib("", status: status)) == Self.now + 6)
  }
}
