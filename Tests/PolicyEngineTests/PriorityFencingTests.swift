import CIB
import Testing

@testable import PolicyEngine

/// priority-fencing-delay on a two-node CIB: node2 ran `important` (priority 10) and is lost; node1 is online.
private func state(node2Online: Bool, priority: String = "10") throws -> ClusterState {
  let text = """
    <cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7" have-quorum="true" dc-uuid="1">
      <configuration>
        <crm_config><cluster_property_set id="o"/></crm_config>
        <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
        <resources>
          <primitive id="important" class="ocf" provider="pacemaker" type="Dummy">
            <meta_attributes id="m"><nvpair id="m-p" name="priority" value="\(priority)"/></meta_attributes>
          </primitive>
        </resources>
        <constraints/>
      </configuration>
      <status>
        <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>
        <node_state id="2" uname="node2" in_ccm="\(node2Online)" crmd="\(node2Online ? "online" : "offline")" join="\(node2Online ? "member" : "down")" expected="member">
          <lrm id="2"><lrm_resources>
            <lrm_resource id="important" class="ocf" provider="pacemaker" type="Dummy">
              <lrm_rsc_op id="important_last_0" operation_key="important_start_0" operation="start" call-id="3" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" on_node="node2"/>
            </lrm_resource>
          </lrm_resources></lrm>
        </node_state>
      </status>
    </cib>
    """
  return interpretStatus(try CIBReader.read(try CIBXML.parse(text), now: 1_704_067_200))
}

@Test func theLostNodeWithTheHighestPriorityIsFencedLater() throws {
  let lost = try state(node2Online: false)
  #expect(nodePriorities(lost)[lost.node(named: "node2")!] == 10)
  #expect(priorityFencingDelay(lost, target: "node2", delay: .seconds(5)) == .seconds(5))
  #expect(priorityFencingDelay(lost, target: "node1", delay: .seconds(5)) == .zero, "node1 is online here")
  #expect(priorityFencingDelay(lost, target: "node2", delay: .zero) == .zero)
  let equal = try state(node2Online: false, priority: "0")
  #expect(priorityFencingDelay(equal, target: "node2", delay: .seconds(5)) == .zero, "equal priorities: no delay")
}
