import Foundation
import Testing

/// pcs 0.11.5's whole command tree, each path either implemented by Vigil or refused; never a silent success.
///
/// The paths are pcs 0.11.5's routing tables (pcs/cli/routing/*.py at v0.11.5: every key, aliases counted
/// separately, pcsd-internal JSON helpers left out) plus each group that runs a default subcommand when
/// given no word (`pcs stonith`, `pcs stonith level`). What each implemented path does is covered by the
/// differential, replay and error-table suites; here it only must not be refused nor fall back to its
/// group's default view. A refused path prints one `Error:` line naming it, exits 1 and leaves the CIB
/// file byte-identical.
@Suite struct CommandTreeHonestyTests {
  static let implemented: [String] = [
    "cluster setup", "cluster start", "cluster stop", "cluster cib", "cluster verify", "resource", "resource list",
    "resource describe", "resource create", "resource move", "resource move-with-constraint", "resource ban",
    "resource clear", "resource standards", "resource providers", "resource agents", "resource update",
    "resource meta", "resource delete", "resource remove", "resource status", "resource config",
    "resource group add", "resource group list", "resource group remove", "resource group delete",
    "resource ungroup", "resource clone", "resource promotable", "resource unclone", "resource enable",
    "resource disable", "resource debug-start", "resource debug-stop", "resource debug-promote",
    "resource debug-demote", "resource debug-monitor", "resource manage", "resource unmanage",
    "resource failcount", "resource failcount show", "resource op defaults", "resource op defaults config",
    "resource op defaults update", "resource op add", "resource op remove", "resource op delete",
    "resource defaults", "resource defaults config", "resource defaults update", "resource cleanup",
    "resource refresh", "resource utilization", "stonith", "stonith list", "stonith describe", "stonith config",
    "stonith create", "stonith delete", "stonith remove", "stonith status", "property", "property set",
    "property unset", "property list", "property show", "property config", "constraint", "constraint location",
    "constraint order", "constraint colocation", "constraint colocation add", "constraint colocation remove",
    "constraint colocation delete", "constraint colocation set", "constraint colocation show",
    "constraint colocation config", "constraint remove", "constraint delete", "constraint config",
    "constraint ref", "status", "status corosync", "status cluster", "status nodes", "status resources", "config",
    "config show", "node maintenance", "node unmaintenance", "node standby", "node unstandby", "node attribute",
    "node utilization", "quorum", "quorum config", "quorum status", "quorum device add",
    "quorum device heuristics delete", "quorum device heuristics remove", "quorum device delete",
    "quorum device remove", "quorum device update", "qdevice status", "qdevice setup", "qdevice destroy",
    "qdevice start", "qdevice stop",
  ]

  static let refused: [String] = [
    "cluster config", "cluster config show", "cluster config update", "cluster config uuid generate",
    "cluster authkey corosync", "cluster sync", "cluster sync corosync", "cluster status", "cluster pcsd-status",
    "cluster certkey", "cluster auth", "cluster kill", "cluster enable", "cluster disable", "cluster cib-push",
    "cluster cib-upgrade", "cluster edit", "cluster link add", "cluster link delete", "cluster link remove",
    "cluster link update", "cluster node add", "cluster node add-guest", "cluster node add-outside",
    "cluster node add-remote", "cluster node clear", "cluster node delete", "cluster node delete-guest",
    "cluster node delete-remote", "cluster node remove", "cluster node remove-guest", "cluster node remove-remote",
    "cluster uidgid", "cluster corosync", "cluster reload", "cluster destroy", "cluster report", "resource show",
    "resource safe-disable", "resource restart", "resource op defaults set create",
    "resource op defaults set delete", "resource op defaults set remove", "resource op defaults set update",
    "resource defaults set create", "resource defaults set delete", "resource defaults set remove",
    "resource defaults set update", "resource relocate show", "resource relocate dry-run", "resource relocate run",
    "resource relocate clear", "resource bundle create", "resource bundle reset", "resource bundle update",
    "resource relations", "stonith update", "stonith update-scsi-devices", "stonith show", "stonith meta",
    "stonith op defaults", "stonith op defaults config", "stonith op defaults set create",
    "stonith op defaults set delete", "stonith op defaults set remove", "stonith op defaults set update",
    "stonith op defaults update", "stonith op add", "stonith op remove", "stonith op delete", "stonith defaults",
    "stonith defaults config", "stonith defaults set create", "stonith defaults set delete",
    "stonith defaults set remove", "stonith defaults set update", "stonith defaults update", "stonith level",
    "stonith level add", "stonith level clear", "stonith level config", "stonith level remove",
    "stonith level delete", "stonith level verify", "stonith failcount", "stonith failcount show", "stonith fence",
    "stonith cleanup", "stonith refresh", "stonith confirm", "stonith sbd enable", "stonith sbd disable",
    "stonith sbd status", "stonith sbd config", "stonith sbd device setup", "stonith sbd device message",
    "stonith sbd watchdog list", "stonith sbd watchdog test", "stonith enable", "stonith disable",
    "stonith history", "stonith history show", "stonith history cleanup", "stonith history update",
    "constraint ticket", "constraint ticket set", "constraint ticket add", "constraint ticket delete",
    "constraint ticket remove", "constraint ticket show", "constraint ticket config", "constraint show",
    "constraint list", "constraint rule", "acl", "acl show", "acl config", "acl enable", "acl disable",
    "acl role create", "acl role delete", "acl role remove", "acl role assign", "acl role unassign",
    "acl user create", "acl user delete", "acl user remove", "acl group create", "acl group delete",
    "acl group remove", "acl permission add", "acl permission delete", "acl permission remove", "status booth",
    "status pcsd", "status qdevice", "status xml", "status status", "config backup",
    "config restore", "config checkpoint", "config checkpoint list", "config checkpoint view",
    "config checkpoint restore", "config checkpoint diff", "pcsd deauth", "pcsd certkey", "pcsd status",
    "pcsd sync-certificates", "node pacemaker-status", "quorum expected-votes",
    "quorum unblock", "quorum update",
    "qdevice kill",
    "qdevice enable", "qdevice disable", "qdevice sign-net-cert-request", "qdevice net-client setup",
    "qdevice net-client import-certificate", "qdevice net-client destroy", "alert", "alert create", "alert update",
    "alert delete", "alert remove", "alert config", "alert show", "alert recipient add", "alert recipient update",
    "alert recipient delete", "alert recipient remove", "booth config", "booth setup", "booth destroy",
    "booth ticket add", "booth ticket delete", "booth ticket remove", "booth ticket grant", "booth ticket revoke",
    "booth create", "booth delete", "booth remove", "booth restart", "booth sync", "booth pull", "booth enable",
    "booth disable", "booth start", "booth stop", "booth status", "host auth", "host deauth", "client local-auth",
    "dr config", "dr destroy", "dr set-recovery-site", "dr status", "tag", "tag config", "tag create",
    "tag delete", "tag list", "tag remove", "tag update",
  ]

  /// Implemented paths whose output is the same as their group's default view by design (pcs aliases).
  static let aliasesOfDefault: Set<String> = [
    "resource status", "stonith status", "property config", "property list", "property show", "constraint config",
    "status cluster", "config show", "quorum config", "resource failcount show", "resource defaults config",
    "resource op defaults config", "constraint colocation show", "constraint colocation config",
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
    var silent: [String] = []
    for path in Self.refused {
      let words = path.split(separator: " ").map(String.init)
      let (r, unchanged) = try Self.run(words, in: dir)
      #expect(Self.isRefusal(r), "\(path): \(r.status) \(r.stderr)")
      // The refusal names the command: the quoted words are a prefix of the path.
      let named = r.stderr.split(separator: "'").dropFirst().first.map(String.init) ?? ""
      #expect(("pcs " + path + " ").hasPrefix(named + " "), "\(path): names '\(named)'")
      #expect(unchanged, "\(path) changed the CIB file")
      if !Self.isRefusal(r) && r.status == 0 { silent.append(path) }
    }
    var defaultView: [String: String] = [:]
    for path in Self.implemented {
      let words = path.split(separator: " ").map(String.init)
      let (r, _) = try Self.run(words, in: dir)
      #expect(!Self.isRefusal(r), "\(path) is listed as implemented but refused: \(r.stderr)")
      if r.status == 0 { defaultView[path] = r.stdout }
    }
    // A word that falls back to its group's default view is a silent success.
    for path in Self.implemented where !Self.aliasesOfDefault.contains(path) {
      let words = path.split(separator: " ")
      guard words.count > 1, let out = defaultView[path] else { continue }
      let group = words.dropLast().joined(separator: " ")
      if let groupOut = defaultView[group], groupOut == out { silent.append(path) }
    }
    #expect(silent.isEmpty, "silent successes: \(silent)")
    #expect(Self.implemented.count + Self.refused.count == Set(Self.implemented + Self.refused).count)
    print("pcs_command_tree implemented=\(Self.implemented.count) refused=\(Self.refused.count) silent_successes=\(silent.count)")
  }

  /// The operator's commands from the field report: each used to print a status or config and exit 0.
  @Test func unimplementedCommandsWithArgumentsAreRefusedAndWriteNothing() throws {
    let dir = try PCSHarness.scratch()
    let cases: [[String]] = [
      ["stonith", "update", "vmfence", "ip=1.2.3.4"], ["stonith", "enable", "vmfence"], ["stonith", "disable", "vmfence"],
      ["stonith", "level", "add", "1", "node1", "vmfence"], ["stonith", "op", "add", "vmfence", "monitor", "interval=10s"],
      ["stonith", "meta", "vmfence", "priority=1"], ["stonith", "defaults", "update", "a=b"],
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
    for group in ["pcsd", "host", "client"] {
      let (r, _) = try Self.run([group, "status"], in: dir)
      #expect(r.stderr == "Error: 'pcs \(group)' is not implemented in Vigil: Vigil has no pcsd: nodes are reached over ssh" + Self.detail(group) + "\n")
    }
  }

  static func detail(_ group: String) -> String {
    switch group {
    case "client": return ", so there is no pcsd token to authenticate with"
    case "host": return " (set up ssh keys to the nodes instead)"
    default: return ""
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
