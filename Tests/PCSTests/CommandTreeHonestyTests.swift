import Foundation
import Testing

/// pcs 0.11.5's whole command tree, each path either implemented by Vigil or refused; never a silent success.
///
/// The paths are `Fixtures/pcs-0.11.5-command-tree.txt`, printed from the real pcs 0.11.5's help texts by
/// `scripts/pcs-command-tree.py` (CI has no pcs, so the list is committed), plus the paths pcs still routes but
/// no longer documents. What each implemented path does is covered by the differential, replay and error-table
/// suites; here it only must not be refused, nor fall back to its group's default view or usage. A refused path
/// prints one `Error:` line naming it, exits 1 and leaves the CIB file byte-identical.
@Suite struct CommandTreeHonestyTests {
  static let treeFile = PCSHarness.repoRoot.appendingPathComponent("Tests/PCSTests/Fixtures/pcs-0.11.5-command-tree.txt")

  /// Every command path of pcs 0.11.5, in the fixture's order.
  static func tree() throws -> [String] {
    try PCSHarness.read(treeFile).split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
  }

  /// Fewest implemented paths accepted: raise it when a command lands, so a command that regresses to a
  /// refusal fails this suite.
  static let implementedMin = 115

  /// Implemented paths whose output is the same as their group's default view by design (pcs aliases).
  static let aliasesOfDefault: Set<String> = [
    "resource status", "stonith status", "property config", "property list", "property show", "constraint config",
    "status cluster", "config show", "quorum config", "resource failcount show", "resource defaults config",
    "resource op defaults config", "constraint colocation show", "constraint colocation config",
    "constraint order config", "constraint location config",
  ]

  static let cib = """
    <cib admin_epoch="0" epoch="5" num_updates="0" validate-with="pacemaker-3.1">
      <configuration>
        <crm_config/>
        <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
        <resources>
          <primitive id="D" class="ocf" provider="pacemaker" type="Dummy"/>
          <primitive id="vmfence" class="stonith" type="fence_xvm"/>
        </resources>
        <constraints/>
      </configuration>
      <status/>
    </cib>

    """

  /// Runs `pcs -f CIB path...` on a fresh copy of `cib` and returns the run and whether the file changed.
  static func run(_ words: [String], in dir: URL) throws -> (run: PCSRun, unchanged: Bool) {
    let file = dir.appendingPathComponent("cib.xml")
    try Data(cib.utf8).write(to: file)
    let r = try PCSHarness.run(["-f", file.path] + words, in: dir)
    let after = try Data(contentsOf: file)
    return (r, after == Data(cib.utf8))
  }

  static func isRefusal(_ r: PCSRun) -> Bool {
    r.status == 1 && r.stdout.isEmpty && r.stderr.hasPrefix("Error: 'pcs ") && r.stderr.contains("is not implemented in Vigil")
      && r.stderr.filter { $0 == "\n" }.count == 1
  }

  @Test func everyPcsSubcommandIsImplementedOrRefused() throws {
    let dir = try PCSHarness.scratch()
    let tree = try Self.tree()
    #expect(tree.count == Set(tree).count, "the fixture lists a path twice")
    #expect(tree.count > 300, "the fixture lost paths: \(tree.count)")
    var silent: [String] = []
    var refused: [String] = []
    var outputs: [String: PCSRun] = [:]
    for path in tree {
      let words = path.split(separator: " ").map(String.init)
      let (r, unchanged) = try Self.run(words, in: dir)
      outputs[path] = r
      #expect(r.status == 0 || r.status == 1, "\(path): exit \(r.status) \(r.stderr)")
      guard Self.isRefusal(r) else { continue }
      refused.append(path)
      // The refusal names the command: the quoted words are a prefix of the path.
      let named = r.stderr.split(separator: "'").dropFirst().first.map(String.init) ?? ""
      #expect(("pcs " + path + " ").hasPrefix(named + " "), "\(path): names '\(named)'")
      #expect(unchanged, "\(path) changed the CIB file")
    }
    let implemented = tree.filter { !refused.contains($0) }
    for path in implemented {
      let words = path.split(separator: " ")
      guard let r = outputs[path], words.count > 1 else { continue }
      let group = words.dropLast().joined(separator: " ")
      // A word Vigil's dispatcher does not know prints the group's usage: neither implemented nor refused.
      #expect(!r.stderr.hasPrefix("\nUsage: pcs \(words[words.count - 2]) ..."), "\(path) is unknown to Vigil: \(r.stderr.prefix(80))")
      // A word that falls back to its group's default view is a silent success.
      if r.status == 0, !Self.aliasesOfDefault.contains(path), let g = outputs[group], g.status == 0, g.stdout == r.stdout {
        silent.append(path)
      }
    }
    #expect(silent.isEmpty, "silent successes: \(silent)")
    #expect(implemented.count >= Self.implementedMin, "implemented \(implemented.count) < \(Self.implementedMin)")
    let share = Double(implemented.count) / Double(tree.count) * 100
    print(
      "pcs_command_tree paths=\(tree.count) implemented=\(implemented.count) refused=\(refused.count) "
        + "implemented_pct=\(String(format: "%.1f", share)) silent_successes=\(silent.count)")
  }

  /// The operator's commands from the field report: each used to print a status or config and exit 0.
  @Test func unimplementedCommandsWithArgumentsAreRefusedAndWriteNothing() throws {
    let dir = try PCSHarness.scratch()
    let cases: [[String]] = [
      ["stonith", "level", "add", "1", "node1", "vmfence"], ["stonith", "op", "add", "vmfence", "monitor", "interval=10s"],
      ["stonith", "defaults", "update", "a=b"],
      ["quorum", "expected-votes", "2"], ["quorum", "update", "wait_for_all=1"], ["config", "backup", "b"],
      ["config", "checkpoint"], ["constraint", "ticket", "config"], ["resource", "defaults", "set", "create", "meta", "a=b"],
      ["acl", "role", "create", "r"], ["cluster", "destroy", "--all"],
    ]
    for words in cases {
      let (r, unchanged) = try Self.run(words, in: dir)
      #expect(Self.isRefusal(r), "\(words): \(r.status) \(r.stdout) \(r.stderr)")
      #expect(unchanged, "\(words) changed the CIB file")
    }
  }

  @Test func groupsWithoutMeaningSayWhy() throws {
    let dir = try PCSHarness.scratch()
    for group in ["pcsd", "host", "client", "booth", "dr"] {
      let (r, _) = try Self.run([group, "status"], in: dir)
      #expect(r.stderr == "Error: 'pcs \(group)' is not implemented in Vigil: " + Self.detail(group) + "\n")
    }
  }

  static func detail(_ group: String) -> String {
    let noPcsd = "Vigil has no pcsd: nodes are reached over ssh"
    switch group {
    case "client": return noPcsd + ", so there is no pcsd token to authenticate with; pcs uses clusterd's local socket"
    case "host": return noPcsd + " (set up ssh keys to the nodes instead)"
    case "booth": return "Vigil has no booth ticket manager (multi-site clusters are not supported); run one Vigil cluster per site"
    case "dr": return "Vigil has no pcsd disaster-recovery site pairing; configure each site's cluster with pcs on that site"
    default: return noPcsd + "; pcs talks to the local clusterd through its socket"
    }
  }

  @Test func unknownWordInAGroupWithADefaultPrintsUsageNotTheDefaultView() throws {
    let dir = try PCSHarness.scratch()
    for words in [["stonith", "bogus"], ["quorum", "bogus", "2"], ["constraint", "bogus"], ["property", "bogus"], ["config", "bogus"]] {
      let (r, unchanged) = try Self.run(words, in: dir)
      #expect(r.status == 1, "\(words)")
      #expect(r.stdout.isEmpty, "\(words): \(r.stdout)")
      #expect(r.stderr.contains("Usage: pcs"), "\(words): \(r.stderr)")
      #expect(unchanged)
    }
    let (help, _) = try Self.run(["stonith", "help"], in: dir)
    #expect(help.status == 0)
    #expect(help.stdout.contains("USAGE") || help.stdout.contains("Usage"))
  }
}
