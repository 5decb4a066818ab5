import Foundation
import Testing

// `pcs quorum ...` and `pcs status corosync` (Membership's commands), compared with pcs 0.11.5's output.

@Test(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing))
func quorumConfigOfTheReferenceFileListsNoOptions() throws {
  let conf = PCSHarness.referenceFile("session/corosync.conf").path
  let r = try PCSHarness.run(["quorum", "config", "--corosync_conf", conf])
  #expect(r.status == 0)
  #expect(r.stdout == "Options:\n", "pcs does not list two_node")
  let bare = try PCSHarness.run(["quorum", "--corosync_conf", conf])
  #expect(bare.stdout == "Options:\n" && bare.status == 0, "config is the default subcommand")
}

@Test func quorumConfigListsVotequorumOptionsSorted() throws {
  let dir = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: dir) }
  let path = dir.appendingPathComponent("corosync.conf")
  try """
    totem {
        version: 2
        cluster_name: t
    }

    nodelist {
        node {
            ring0_addr: 127.0.0.1
            name: a
            nodeid: 1
        }
    }

    quorum {
        provider: corosync_votequorum
        wait_for_all: 1
        last_man_standing: 1
        last_man_standing_window: 5000
        auto_tie_breaker: 1
        auto_tie_breaker_node: 1 3
    }

    """.write(to: path, atomically: true, encoding: .utf8)
  let r = try PCSHarness.run(["quorum", "config", "--corosync_conf", path.path])
  #expect(r.status == 0)
  #expect(
    r.stdout == """
      Options:
        auto_tie_breaker: 1
        last_man_standing: 1
        last_man_standing_window: 5000
        wait_for_all: 1

      """)
}

@Test func quorumConfigNamesTheBadLine() throws {
  let dir = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: dir) }
  let path = dir.appendingPathComponent("corosync.conf")
  try "quorum {\n    two_node: maybe\n}\n".write(to: path, atomically: true, encoding: .utf8)
  let r = try PCSHarness.run(["quorum", "config", "--corosync_conf", path.path])
  #expect(r.status == 1)
  #expect(r.stderr.contains("line 2: invalid value 'maybe' for 'two_node'"))
}

@Test func liveQuorumCommandsSayTheClusterIsNotRunning() throws {
  let status = try PCSHarness.run(["quorum", "status"])
  #expect(status.status == 1)
  #expect(status.stderr == "Error: Unable to get quorum status: Cannot initialize CMAP service\n")
  let corosync = try PCSHarness.run(["status", "corosync"])
  #expect(corosync.status == 1)
  #expect(corosync.stderr == "Error: corosync not running\n")
  let refused = try PCSHarness.run(["status", "corosync", "--corosync_conf", "x"])
  #expect(refused.stderr == "Error: Specified option '--corosync_conf' is not supported in this command\n")
}
