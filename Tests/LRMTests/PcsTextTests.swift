import Foundation
import Testing
@testable import LRM

/// pcs 0.11.5 layouts, checked against the reference samples captured from the real pcs.
struct PcsTextTests {
  func sample(_ name: String) throws -> String {
    try String(contentsOfFile: "\(Repo.samples)/\(name)", encoding: .utf8)
  }

  /// Rebuilds (name, shortdesc) pairs from a `list` sample by joining wrapped continuation lines.
  func entries(ofListSample text: String) -> [(String, String?)] {
    var result: [(String, String?)] = []
    for line in text.split(separator: "\n") {
      if line.hasPrefix(" "), let last = result.popLast() {
        result.append((last.0, (last.1 ?? "") + " " + line.trimmingCharacters(in: .whitespaces)))
      } else if let r = line.range(of: " - ") {
        result.append((String(line[..<r.lowerBound]), String(line[r.upperBound...])))
      } else {
        result.append((String(line), nil))
      }
    }
    return result
  }

  func agentName(_ full: String, stonith: Bool) -> ResourceAgentName {
    if stonith { return ResourceAgentName(standard: .stonith, type: full) }
    let parts = full.split(separator: ":").map(String.init)
    return parts.count == 3
      ? ResourceAgentName(standard: .ocf, provider: parts[1], type: parts[2])
      : ResourceAgentName(standard: AgentStandard(rawValue: parts[0])!, type: parts[1])
  }

  @Test(.enabled(if: Repo.samplesPresent, Repo.samplesMissing))
  func resourceListMatchesPcsLayoutAndWrapping() throws {
    let expected = try sample("resource-list.txt")
    let input = entries(ofListSample: expected).reversed().map { (agent: agentName($0.0, stonith: false), shortdesc: $0.1) }
    #expect(PcsAgentText.list(Array(input), stonith: false) == expected)
  }

  @Test(.enabled(if: Repo.samplesPresent, Repo.samplesMissing))
  func stonithListMatchesPcsLayout() throws {
    let expected = try sample("stonith-list.txt")
    let input = entries(ofListSample: expected).map { (agent: agentName($0.0, stonith: true), shortdesc: $0.1) }
    #expect(PcsAgentText.list(input, stonith: true) == expected)
  }

  @Test(.enabled(if: Repo.samplesPresent, Repo.samplesMissing))
  func agentsAreSortedCaseInsensitively() throws {
    for file in ["resource-agents.txt", "resource-agents-ocf-heartbeat.txt"] {
      let expected = try sample(file)
      let names = expected.split(separator: "\n").reversed().map {
        ResourceAgentName(standard: .ocf, provider: "heartbeat", type: String($0))
      }
      #expect(PcsAgentText.agents(Array(names)) == expected, "\(file)")
    }
  }

  @Test func textWrapFollowsPythonTextwrap() {
    #expect(PcsAgentText.textWrap("aaa bbb ccc", width: 7) == ["aaa bbb", "ccc"])
    #expect(PcsAgentText.textWrap("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
    #expect(PcsAgentText.textWrap("This agent activates/deactivates LVM-activate volumes", width: 40)
      == ["This agent activates/deactivates LVM-", "activate volumes"])
  }

  @Test func defaultOperationsFollowPcs() {
    let md = AgentMetadata(
      agent: ResourceAgentName(standard: .ocf, provider: "pacemaker", type: "Stateful"),
      actions: [
        AgentActionSpec(name: "start", timeout: "20s"), AgentActionSpec(name: "meta-data", timeout: "5s"),
        AgentActionSpec(name: "monitor", timeout: "20s", interval: "10s", role: "Master", depth: "0"),
        AgentActionSpec(name: "validate-all", timeout: "20s"),
      ])
    let ops = PcsAgentText.defaultOperations(md)
    #expect(ops.map(\.name) == ["start", "monitor"])
    #expect(ops[1].pairs.map { "\($0.0)=\($0.1)" } == ["interval=10s", "timeout=20s", "role=Promoted"])
    let fence = AgentMetadata(agent: ResourceAgentName(standard: .stonith, type: "fence_x"), actions: [AgentActionSpec(name: "on")])
    #expect(PcsAgentText.defaultOperations(fence).map { "\($0.name) \($0.pairs.map(\.1))" } == ["monitor [\"60s\"]"])
  }

  @Test func lsbHeaderGivesPacemakerStyleMetadata() throws {
    let script = try String(contentsOfFile: "\(Repo.agents)/init.d/vigil-lsb-test", encoding: .utf8)
    let header = LSBHeader(script: script)
    #expect(header.shortDescription == "Vigil LSB test service")
    #expect(header.provides == "vigil-lsb-test")
    let md = header.metadata(for: try .parse("lsb:vigil-lsb-test"))
    let text = PcsAgentText.describe(md)
    #expect(text.hasPrefix("lsb:vigil-lsb-test - Vigil LSB test service\n\nA tiny init script used by Vigil's tests: it runs a sleeping                     process and tracks it with a pid file.\n\nDefault operations:\n  start:\n    interval=0s\n    timeout=15\n"))
    #expect(text.hasSuffix("  monitor:\n    interval=15\n    timeout=15\n"))
  }
}
