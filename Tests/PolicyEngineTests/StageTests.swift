import Testing

@testable import PolicyEngine

@Test func scoreAdditionSaturatesAndMinusInfinityWins() {
  #expect(ScoreMath.add(ScoreMath.infinity, ScoreMath.minusInfinity) == ScoreMath.minusInfinity)
  #expect(ScoreMath.add(999_999, 5) == ScoreMath.infinity)
  #expect(ScoreMath.add(-999_999, -5) == ScoreMath.minusInfinity)
  #expect(ScoreMath.add(100, -30) == 70)
  #expect(ScoreMath.parse("-INFINITY") == ScoreMath.minusInfinity)
  #expect(ScoreMath.parse("+INFINITY") == ScoreMath.infinity)
  #expect(ScoreMath.parse("abc") == nil)
}

@Test(arguments: [(Int64(0), Int64(5)), (Int64(-7), Int64(3)), (Int64(999_998), Int64(999_998))])
func scoreAdditionIsCommutativeWithinRange(a: Int64, b: Int64) {
  let x = Int(a), y = Int(b)
  #expect(ScoreMath.add(x, y) == ScoreMath.add(y, x))
  #expect(ScoreMath.add(x, y) == min(max(x + y, ScoreMath.minusInfinity), ScoreMath.infinity))
}

@Test func isoDatesParseWithOffsetsAndOrdinals() {
  #expect(ISODate.parse("1970-01-01") == 0)
  #expect(ISODate.parse("1970-002") == 86_400)
  #expect(ISODate.parse("2019-09-20 15:10:52 +00:00") == 1_568_992_252)
  #expect(ISODate.parse("2019-09-20T17:10:52+02:00") == 1_568_992_252)
  #expect(ISODate.parse("garbage") == nil)
}

@Test func ruleComparisonsAreTyped() {
  let e = RuleEvaluator(now: 0, nodeAttributes: ["n": "10", "s": "abc"])
  #expect(e.evaluate(.expression(attribute: "n", operation: "gt", value: "9", type: "integer", valueSource: nil)))
  #expect(!e.evaluate(.expression(attribute: "n", operation: "gt", value: "9", type: "string", valueSource: nil)))
  #expect(e.evaluate(.expression(attribute: "s", operation: "defined", value: nil, type: nil, valueSource: nil)))
  #expect(e.evaluate(.expression(attribute: "x", operation: "not_defined", value: nil, type: nil, valueSource: nil)))
}

/// Built by hand, no XML: the stages run on the scheduler's own input type.
@Test func stagesRunOnHandBuiltInput() {
  var input = SchedulerInput()
  input.clusterOptions = ["stonith-enabled": "false"]
  input.nodes = [NodeConfig(id: "1", uname: "node1"), NodeConfig(id: "2", uname: "node2")]
  var ip = ResourceConfig(id: "ip", variant: .primitive)
  ip.agentClass = "ocf"; ip.agentProvider = "heartbeat"; ip.agentType = "IPaddr2"
  var web = ip
  web.id = "web"
  var grp = ResourceConfig(id: "grp", variant: .group)
  grp.children = [ip, web]
  input.resources = [grp]
  input.locations = [ExpandedLocation(id: "l", resource: "web", node: "node2", score: 50)]
  for n in ["1", "2"] {
    var s = NodeStateRecord(id: n, uname: "node" + n)
    s.inCCM = "true"; s.crmd = "online"; s.join = "member"; s.expected = "member"
    input.nodeStates.append(s)
  }
  let result = schedule(input)
  let summary = result.summaryLines.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
  #expect(summary == ["Start ip ( node2 )", "Start web ( node2 )"])
  let state = result.state
  #expect(result.assignment.node[state.resourceByID["web"]!] == state.nodeByName["node2"])
}

@Test func unknownRootIsATypedError() {
  #expect(throws: PolicyEngineError.notACIB(rootElement: "html")) {
    _ = try CIBReader.read(.init("html"), now: 0)
  }
}

@Test func digestsMatchPacemakersRecordedValues() {
  #expect(MD5.hex(Array("".utf8)) == "d41d8cd98f00b204e9800998ecf8427e")
  #expect(OperationDigests.digest([:]) == "f2317cad3d54cec5d7d7aa7d0bf35cf8")
  #expect(OperationDigests.digest(["delay": "20s"]) == "aac543f6f4d775af853b5cf2666f79aa")
}

@Test func verifyReportsMissingFencingDevicesAndUnfenceableNodes() throws {
  let noDevice = interpretStatus(try Fixtures.input("fencing-enabled-without-device"))
  let messages = verifyConfiguration(noDevice)
  #expect(messages.filter { $0.severity == .error }.map(\.text).first
    == "Resource start-up disabled since no STONITH resources have been defined")
  let lost = interpretStatus(try Fixtures.input("fence-lost-node"))
  #expect(verifyConfiguration(lost).map(\.line) == [
    "(pe_fence_node) \twarning: Cluster node node1 will be fenced: peer is no longer part of the cluster"
  ])
  let clean = interpretStatus(try Fixtures.input("primitive-start"))
  // Only Pacemaker's -VV notice for a cluster without fencing, which does not count as a finding.
  #expect(verifyConfiguration(clean).map(\.line) == ["(unpack_config) \twarning: Blind faith: not fencing unseen nodes"])
  #expect(verifyConfiguration(clean).allSatisfy { !$0.counts })
}
