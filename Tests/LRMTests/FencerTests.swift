import CIB
import Foundation
import Testing
@testable import LRM

/// The fencer with real fence agents: Debian's fence_dummy (fence-agents) and a small fence script written here
/// that logs every request it gets, can fail or hang on demand, and lists the nodes it was given.
@Suite struct FencerTests {
  static let fenceScript = """
    #!/bin/sh
    # Vigil's test fence agent: key=value options on stdin, as fence-agents read them.
    action=""; port=""; nodename=""; mode=ok; log=/dev/null; nodes=""; self=""; racedir=""
    while IFS= read -r line; do
      case "$line" in
        action=*) action=${line#action=} ;;
        port=*) port=${line#port=} ;;
        nodename=*) nodename=${line#nodename=} ;;
        mode=*) mode=${line#mode=} ;;
        log=*) log=${line#log=} ;;
        nodes=*) nodes=${line#nodes=} ;;
        self=*) self=${line#self=} ;;
        racedir=*) racedir=${line#racedir=} ;;
      esac
    done
    case "$action" in
      metadata)
        cat <<'EOF'
    <?xml version="1.0" ?>
    <resource-agent name="fence_vigil_test" shortdesc="Vigil test fence agent">
    <longdesc>Logs requests; mode=ok|fail|hang.</longdesc>
    <parameters>
    <parameter name="port" unique="0" required="0"><content type="string"/><shortdesc lang="en">Port</shortdesc></parameter>
    <parameter name="mode" unique="0" required="0"><content type="string"/><shortdesc lang="en">ok, fail or hang</shortdesc></parameter>
    </parameters>
    <actions>
    <action name="on"/><action name="off"/><action name="reboot"/><action name="status"/><action name="list"/>
    <action name="monitor"/><action name="metadata"/>
    </actions>
    </resource-agent>
    EOF
        exit 0 ;;
    esac
    echo "$action port=$port nodename=$nodename" >> "$log"
    case "$action" in
      list) for n in $(echo "$nodes" | tr ',' ' '); do echo "$n,$n-alias"; done; exit 0 ;;
      status) case ",$nodes," in *",$port,"*) exit 0 ;; *) echo "unknown port $port" >&2; exit 1 ;; esac ;;
      monitor) exit 0 ;;
      on|off|reboot)
        # A fence race: a node already shot cannot shoot; otherwise its target is now dead.
        if [ -n "$racedir" ]; then
          if [ -e "$racedir/$self.dead" ]; then echo "$self is dead" >&2; exit 1; fi
          sleep 1  # the power is cut a second after the request: a shot already fired still lands
          touch "$racedir/$port.dead"
        fi
        case "$mode" in
          fail) echo "failed to $action $port" >&2; exit 1 ;;
          hang) sleep 60; exit 1 ;;
        esac
        echo "Success: $action $port"; exit 0 ;;
    esac
    exit 1

    """

  /// A fence directory with the test script and fence_dummy, a log file and a status file for fence_dummy.
  struct Bench {
    let dir: TempDir
    let fencer: Fencer
    var log: String { "\(dir.path)/requests.log" }
    var statusFile: String { "\(dir.path)/dummy.status" }
    var requests: [String] {
      ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    init() throws {
      dir = TempDir("fence")
      let script = "\(dir.path)/fence_vigil_test"
      try FencerTests.fenceScript.write(toFile: script, atomically: true, encoding: .utf8)
      chmod(script, 0o755)
      symlink("/usr/sbin/fence_dummy", "\(dir.path)/fence_dummy")
      let runner = AgentRunner(roots: AgentRoots(fenceDirectory: dir.path), logger: testLogger)
      fencer = Fencer(runner: runner)
    }

    func configuration(_ resources: String, topology: String = "", properties: String = "") throws -> FencingConfiguration {
      let xml = """
        <cib><configuration><crm_config><cluster_property_set id="cib-bootstrap-options">\(properties)</cluster_property_set></crm_config>
        <nodes/><resources>\(resources)</resources><constraints/>\(topology.isEmpty ? "" : "<fencing-topology>\(topology)</fencing-topology>")
        </configuration><status/></cib>
        """
      return try FencingConfiguration(CIBDocument(decoding: try CIBXML.parse(xml)).configuration)
    }

    /// A stonith primitive with instance attributes.
    func device(_ id: String, _ type: String, _ attributes: [(String, String)]) -> String {
      let pairs = attributes.enumerated().map { k, a in "<nvpair id=\"\(id)-\(k)\" name=\"\(a.0)\" value=\"\(a.1)\"/>" }.joined()
      return "<primitive id=\"\(id)\" class=\"stonith\" type=\"\(type)\"><instance_attributes id=\"\(id)-ia\">\(pairs)</instance_attributes></primitive>"
    }
  }

  @Test(.enabled(if: haveFenceDummy, fenceDummyMissing))
  func fenceDummyPowersOffAStaticListTarget() async throws {
    let b = try Bench()
    defer { b.dir.remove() }
    let config = try b.configuration(
      b.device("dummy", "fence_dummy", [("type", "file"), ("status_file", b.statusFile), ("pcmk_host_list", "node1 node2")]))
    // fence_dummy keeps the power state in its status file: the node is on before fencing.
    try "on".write(toFile: b.statusFile, atomically: true, encoding: .utf8)
    let result = await b.fencer.fence("node2", action: .off, configuration: config)
    #expect(result.succeeded, "\(result.summary)")
    #expect(result.outcome == .fenced(level: nil, devices: ["dummy"]))
    #expect((try? String(contentsOfFile: b.statusFile, encoding: .utf8))?.hasPrefix("off") == true)
    // A node outside the static list: no device can fence it, and nothing ran.
    let other = await b.fencer.fence("node3", action: .off, configuration: config)
    #expect(other.outcome == .failed(.noCapableDevice(target: "node3")) && other.attempts.isEmpty)
  }

  @Test(.enabled(if: haveFenceDummy, fenceDummyMissing))
  func topologyFallsBackToTheSecondLevel() async throws {
    let b = try Bench()
    defer { b.dir.remove() }
    let config = try b.configuration(
      b.device("ipmi", "fence_vigil_test", [("mode", "fail"), ("log", b.log), ("pcmk_host_list", "node2")])
        + b.device("pdu", "fence_dummy", [("type", "file"), ("status_file", b.statusFile), ("pcmk_host_list", "node2")]),
      topology: """
        <fencing-level id="fl-2" target="node2" index="2" devices="pdu"/>
        <fencing-level id="fl-1" target="node2" index="1" devices="ipmi"/>
        """)
    let result = await b.fencer.fence("node2", configuration: config)
    #expect(result.outcome == .fenced(level: 2, devices: ["pdu"]), "\(result.summary)")
    #expect(result.action == .reboot)
    let first = result.attempts.filter { $0.level == 1 }
    // pcmk_reboot_retries defaults to 2: two tries at level 1, each with rc 1 and the agent's words.
    #expect(first.count == 2 && first.allSatisfy { !$0.succeeded && $0.rc == 1 && $0.device == "ipmi" })
    #expect(first.first?.outputTail == ["failed to reboot node2"])
    #expect(result.attempts.last?.level == 2 && result.attempts.last?.succeeded == true)
    #expect(b.requests == ["reboot port=node2 nodename=node2", "reboot port=node2 nodename=node2"])
    // With every level failing, the result says so and names the levels.
    let failing = try b.configuration(
      b.device("ipmi", "fence_vigil_test", [("mode", "fail"), ("log", b.log), ("pcmk_host_list", "node2"), ("pcmk_reboot_retries", "1")]),
      topology: "<fencing-level id=\"fl-1\" target-pattern=\"node[0-9]\" index=\"1\" devices=\"ipmi\"/>")
    let failed = await b.fencer.fence("node2", configuration: failing)
    #expect(failed.outcome == .failed(.allLevelsFailed(target: "node2", levels: [1])))
    #expect(failed.summary.contains("failed to reboot node2"))
  }

  @Test func delaysAreBasePlusARandomPartOfMaxAsPacemakerComputesThem() throws {
    let b = try Bench()
    defer { b.dir.remove() }
    let config = try b.configuration(
      b.device("d1", "fence_vigil_test", [("pcmk_delay_base", "1s"), ("pcmk_delay_max", "3s")])
        + b.device("d2", "fence_vigil_test", [("pcmk_delay_base", "node1:2s;node2:0")])
        + b.device("d3", "fence_vigil_test", [("pcmk_delay_max", "4s")]),
      properties: "<nvpair id=\"pfd\" name=\"priority-fencing-delay\" value=\"10s\"/>")
    let (d1, d2, d3) = (config.device("d1")!, config.device("d2")!, config.device("d3")!)
    #expect(d1.delay(for: "node1", action: .reboot, fraction: 0) == .seconds(1))
    #expect(d1.delay(for: "node1", action: .off, fraction: 0.5) == .seconds(2))
    #expect(d1.delay(for: "node1", action: .on, fraction: 0.5) == .zero, "no delay for on")
    #expect(d2.delay(for: "node1", action: .reboot, fraction: 0.9) == .seconds(2) && d2.delay(for: "node2", action: .reboot, fraction: 0.9) == .zero)
    #expect(d2.delay(for: "node3", action: .reboot, fraction: 0) == .zero, "a node not in the map: no delay")
    #expect(d3.delay(for: "node1", action: .reboot, fraction: 0.25) == .seconds(1))
    #expect(config.priorityFencingDelay == .seconds(10))
    #expect(throws: FencingConfigurationError.self) {
      try b.configuration(b.device("bad", "fence_vigil_test", [("pcmk_delay_base", "soon")]))
    }
  }

  /// Both nodes of a pair fence each other at once with fence agents that can only shoot while their node lives
  /// (the power goes a second after the shot):
  /// without delays both die; with pcmk_delay_base on the device that fences node1, node1 shoots first and is the
  /// one survivor. The priority delay does the same for the side given it.
  @Test func aDelayLeavesExactlyOneSurvivorOfAFenceRace() async throws {
    func race(delayOnNode1Device: String?, priorityDelayFencingNode1: Duration = .zero) async throws -> Set<String> {
      let b = try Bench()
      defer { b.dir.remove() }
      var fenceNode1 = [("pcmk_host_list", "node1"), ("self", "node2"), ("racedir", b.dir.path), ("pcmk_off_retries", "1")]
      if let delayOnNode1Device { fenceNode1.append(("pcmk_delay_base", delayOnNode1Device)) }
      let config = try b.configuration(
        b.device("fence-node1", "fence_vigil_test", fenceNode1)
          + b.device("fence-node2", "fence_vigil_test", [("pcmk_host_list", "node2"), ("self", "node1"), ("racedir", b.dir.path), ("pcmk_off_retries", "1")]))
      async let byNode2 = b.fencer.fence("node1", action: .off, configuration: config, priorityDelay: priorityDelayFencingNode1)
      async let byNode1 = b.fencer.fence("node2", action: .off, configuration: config)
      _ = await (byNode1, byNode2)
      return Set(["node1", "node2"].filter { !FileManager.default.fileExists(atPath: "\(b.dir.path)/\($0).dead") })
    }
    #expect(try await race(delayOnNode1Device: nil).isEmpty, "without a delay both shoot: no survivor")
    // The delays leave the undelayed shot many seconds to land: on a loaded CI machine an agent's spawn alone has
    // taken seconds, and a shot that lands after the delayed one fires is the no-delay race again.
    #expect(try await race(delayOnNode1Device: "10s") == ["node1"])
    #expect(try await race(delayOnNode1Device: nil, priorityDelayFencingNode1: .seconds(10)) == ["node1"])
  }

  @Test func hostMapRemapAndMultiDeviceReboot() async throws {
    let b = try Bench()
    defer { b.dir.remove() }
    // pcmk_host_map gives the port; pcmk_reboot_action turns reboot into off.
    let mapped = try b.configuration(
      b.device("sw", "fence_vigil_test", [("log", b.log), ("pcmk_host_map", "node1:p1;node2:p7"), ("pcmk_reboot_action", "off")]))
    let r = await b.fencer.fence("node2", configuration: mapped)
    #expect(r.succeeded, "\(r.summary)")
    #expect(b.requests == ["off port=p7 nodename=node2"])
    #expect(r.attempts.map(\.action) == ["off"] && r.attempts.first?.port == "p7")

    // A level of two devices: reboot is off on both, then on on both.
    try? FileManager.default.removeItem(atPath: b.log)
    let dual = try b.configuration(
      b.device("psu1", "fence_vigil_test", [("log", b.log), ("pcmk_host_list", "node2")])
        + b.device("psu2", "fence_vigil_test", [("log", b.log), ("pcmk_host_list", "node2")]),
      topology: "<fencing-level id=\"fl\" target=\"node2\" index=\"1\" devices=\"psu1,psu2\"/>")
    let d = await b.fencer.fence("node2", configuration: dual)
    #expect(d.outcome == .fenced(level: 1, devices: ["psu1", "psu2"]))
    #expect(b.requests.map { String($0.prefix(3)) } == ["off", "off", "on ", "on "])
  }

  @Test func dynamicListAndStatusHostChecks() async throws {
    let b = try Bench()
    defer { b.dir.remove() }
    // No host list: the agent has a list action, so the fencer asks it (dynamic-list).
    let listed = try b.configuration(b.device("lst", "fence_vigil_test", [("log", b.log), ("nodes", "node1,node3")]))
    let yes = await b.fencer.fence("node3", action: .off, configuration: listed)
    #expect(yes.outcome == .fenced(level: nil, devices: ["lst"]), "\(yes.summary)")
    #expect(b.requests == ["list port= nodename=", "off port=node3 nodename=node3"])
    let no = await b.fencer.fence("node2", action: .off, configuration: listed)
    #expect(no.outcome == .failed(.noCapableDevice(target: "node2")))

    let status = try b.configuration(
      b.device("st", "fence_vigil_test", [("log", b.log), ("nodes", "node1"), ("pcmk_host_check", "status")]))
    #expect(await b.fencer.fence("node1", action: .on, configuration: status).succeeded)
    #expect(!(await b.fencer.fence("node2", action: .on, configuration: status).succeeded))

    // Without topology, the device with the higher priority is tried first.
    try? FileManager.default.removeItem(atPath: b.log)
    let prio = try b.configuration(
      b.device("low", "fence_vigil_test", [("log", b.log), ("pcmk_host_check", "none")])
        + "<primitive id=\"high\" class=\"stonith\" type=\"fence_vigil_test\"><instance_attributes id=\"h-ia\"><nvpair id=\"h1\" name=\"log\" value=\"\(b.log)\"/><nvpair id=\"h2\" name=\"mode\" value=\"fail\"/><nvpair id=\"h3\" name=\"pcmk_host_check\" value=\"none\"/><nvpair id=\"h4\" name=\"pcmk_off_retries\" value=\"1\"/></instance_attributes><meta_attributes id=\"h-ma\"><nvpair id=\"h5\" name=\"priority\" value=\"10\"/></meta_attributes></primitive>")
    let p = await b.fencer.fence("nodeX", action: .off, configuration: prio)
    #expect(p.outcome == .fenced(level: nil, devices: ["low"]))
    #expect(p.attempts.map(\.device) == ["high", "low"])
  }

  @Test func aHangingDeviceTimesOutWithinItsTimeout() async throws {
    let b = try Bench()
    defer { b.dir.remove() }
    let config = try b.configuration(
      b.device("slow", "fence_vigil_test", [("mode", "hang"), ("pcmk_host_list", "node2"), ("pcmk_off_timeout", "1s")]),
      properties: "<nvpair id=\"st\" name=\"stonith-timeout\" value=\"90s\"/>")
    #expect(config.stonithTimeout == .seconds(90))
    let r = await b.fencer.fence("node2", action: .off, configuration: config)
    #expect(r.outcome == .failed(.allDevicesFailed(target: "node2", devices: ["slow"])))
    #expect(r.attempts.first?.status == .timedOut)
  }

  @Test func configurationIsReadFromTheCIB() throws {
    let b = try Bench()
    defer { b.dir.remove() }
    let c = try b.configuration(
      b.device("a", "fence_ipmilan", [("ip", "10.0.0.1"), ("pcmk_host_map", "n1:1,n2=2"), ("pcmk_reboot_timeout", "2min"), ("pcmk_off_action", "reboot")]),
      topology: """
        <fencing-level id="l3" target="n1" index="3" devices="a"/>
        <fencing-level id="l1" target="n1" index="1" devices="a,b"/>
        <fencing-level id="lp" target-pattern="^n[0-9]$" index="2" devices="a"/>
        <fencing-level id="la" target-attribute="rack" target-value="r1" index="1" devices="b"/>
        """,
      properties: "<nvpair id=\"sa\" name=\"stonith-action\" value=\"poweroff\"/>")
    let a = try #require(c.device("a"))
    #expect(a.parameters == [.init("ip", "10.0.0.1")])
    #expect(a.hostMap.map(\.node) == ["n1", "n2"] && a.port(for: "n2") == "2" && a.port(for: "n9") == "n9")
    #expect(a.actionTimeout["reboot"] == .seconds(120) && a.agentAction(for: .off) == "reboot")
    #expect(a.effectiveHostCheck(agentActions: ["list"]) == .staticList)
    #expect(c.stonithAction == .off && c.stonithTimeout == .seconds(60))
    #expect(c.levels(for: "n1").map(\.index) == [1, 2, 3])
    #expect(c.levels(for: "n1")[0].deviceIDs == ["a", "b"])
    #expect(c.levels(for: "x1", nodeAttributes: ["rack": "r1"]).map(\.deviceIDs) == [["b"]])
    #expect(FenceDevice(id: "d", agent: try .parse("stonith:x")).effectiveHostCheck(agentActions: ["status"]) == .status)
    #expect(FenceDevice(id: "d", agent: try .parse("stonith:x")).effectiveHostCheck(agentActions: []) == HostCheck.none)
    #expect(parseFenceList("n1,alias\nn2\n\n n3 x\n") == ["n1", "n2", "n3"])

    #expect(throws: FencingConfigurationError.invalidTime(element: "crm_config", name: "stonith-timeout", value: "soon")) {
      try b.configuration("", properties: "<nvpair id=\"x\" name=\"stonith-timeout\" value=\"soon\"/>")
    }
    #expect(throws: FencingConfigurationError.self) {
      try b.configuration(b.device("a", "fence_x", [("pcmk_host_check", "maybe")]))
    }
    #expect(throws: FencingConfigurationError.invalidLevel(id: "bad", reason: "index=\"0\" is not a positive integer")) {
      try b.configuration("", topology: "<fencing-level id=\"bad\" target=\"n1\" index=\"0\" devices=\"a\"/>")
    }
  }
}
