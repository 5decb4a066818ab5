import Foundation
import Testing

// `pcs cluster setup` (engineer "membership"): pcs 0.11.5's corosync.conf layout and messages, the authkey, Vigil's
// vigil_port / --membership extensions, and the many-machine mode through ssh (a fake ssh that runs the command in
// a folder per host: real child processes, real files).

private func setup(_ args: [String], in dir: URL, env: [String: String]? = nil) throws -> PCSRun {
  try PCSHarness.run(["cluster", "setup"] + args, in: dir, environment: env)
}

private func mode(_ path: String) throws -> Int {
  let attrs = try FileManager.default.attributesOfItem(atPath: path)
  return (attrs[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// The reference file without its random cluster_uuid line.
private func withoutUUID(_ text: String) -> String {
  text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("cluster_uuid:") }
    .joined(separator: "\n")
}

@Test(.enabled(if: PCSHarness.referencePresent, PCSHarness.referenceMissing))
func localSetupWritesPcsLayoutAndAnAuthkey() throws {
  let dir = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: dir) }
  let conf = dir.appendingPathComponent("corosync.conf").path
  let r = try setup(
    ["TestCluster", "server1", "addr=192.0.2.1", "server4", "addr=192.0.2.4", "--corosync_conf", conf], in: dir)
  #expect(r.status == 0, "\(r.stderr)")
  #expect(r.stdout == "")
  let ours = try String(contentsOfFile: conf, encoding: .utf8)
  let reference = try PCSHarness.read(PCSHarness.referenceFile("session/corosync2.conf"))
  #expect(withoutUUID(ours) == withoutUUID(reference), "pcs 0.11.5's layout, key order and blank lines")
  let uuid = ours.split(separator: "\n").first { $0.contains("cluster_uuid:") }.map { String($0.split(separator: " ").last!) }
  #expect(uuid?.count == 32 && uuid?.allSatisfy(\.isHexDigit) == true, "a random 32-hex cluster_uuid")
  let key = dir.appendingPathComponent("authkey").path
  let bytes = try Data(contentsOf: URL(fileURLWithPath: key))
  #expect(bytes.count == 256, "corosync-keygen's size")
  #expect(Set(bytes).count > 100, "random bytes")
  #expect(try mode(key) == 0o400)
  // Vigil's own reader accepts it (pcs quorum config parses the file).
  let q = try PCSHarness.run(["quorum", "config", "--corosync_conf", conf])
  #expect(q.status == 0 && q.stdout == "Options:\n", "\(q.stderr)")
}

@Test func setupRefusesToOverwriteAndBadInputWritesNothing() throws {
  let dir = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: dir) }
  let conf = dir.appendingPathComponent("corosync.conf").path
  try "keep\n".write(toFile: conf, atomically: true, encoding: .utf8)
  let again = try setup(["TC", "n1", "addr=127.0.0.1", "--corosync_conf", conf], in: dir)
  #expect(again.status == 1)
  #expect(
    again.stderr
      == "Error: Corosync configuration file '\(conf)' already exists, use --overwrite to overwrite existing file(s)\n")
  #expect(try String(contentsOfFile: conf, encoding: .utf8) == "keep\n")
  #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("authkey").path))

  let fresh = dir.appendingPathComponent("new.conf").path
  let cases: [([String], String)] = [
    (["TC", "n1", "addr=127.0.0.1", "transport", "foo"],
     "Error: 'foo' is not a valid transport value, use 'knet', 'udp', 'udpu'\n" + PcsFailureText.continueLine),
    (["TC", "n1", "addr=127.0.0.1", "totem", "token=abc"],
     "Error: 'abc' is not a valid token value, use a non-negative integer\n" + PcsFailureText.continueLine),
    (["TC", "n1", "addr=127.0.0.1", "quorum", "wait_for_all=2"],
     "Error: '2' is not a valid wait_for_all value, use '0', '1'\n" + PcsFailureText.continueLine),
    (["TC", "n1", "addr=127.0.0.1", "n2", "addr=127.0.0.1"],
     "Error: Node addresses must be unique, duplicate addresses: '127.0.0.1'\n" + PcsFailureText.continueLine),
    (["TC", "n1", "addr=127.0.0.1", "n1", "addr=127.0.0.2"], "Error: Node name 'n1' defined multiple times\n"),
    (["TC", "n1", "addr=127.0.0.1", "foo=bar"], "Error: Unknown options 'foo' for node 'n1'\n"),
  ]
  for (args, expected) in cases {
    let r = try setup(args + ["--corosync_conf", fresh], in: dir)
    #expect(r.status == 1, "\(args)")
    #expect(r.stderr == expected, "\(args)")
    #expect(!FileManager.default.fileExists(atPath: fresh), "nothing written for \(args)")
  }
  #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("authkey").path))
}

private enum PcsFailureText {
  static let continueLine = "Error: Errors have occurred, therefore pcs is unable to continue\n"
}

@Test func transportTotemAndQuorumOptionsInPcsOrder() throws {
  let dir = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: dir) }
  let conf = dir.appendingPathComponent("corosync.conf").path
  let r = try setup(
    [
      "TC", "n1", "addr=127.0.0.1", "n2", "addr=127.0.0.2", "transport", "udpu", "totem", "token=1000", "join=60",
      "consensus=1200", "quorum", "wait_for_all=1", "last_man_standing=1", "last_man_standing_window=5000",
      "auto_tie_breaker=1", "--corosync_conf", conf, "--no-cluster-uuid",
    ], in: dir)
  #expect(r.status == 0, "\(r.stderr)")
  // As /usr/sbin/pcs 0.11.5 wrote it for the same command (no crypto for udpu, two_node dropped for ATB).
  #expect(
    try String(contentsOfFile: conf, encoding: .utf8) == """
      totem {
          version: 2
          cluster_name: TC
          transport: udpu
          consensus: 1200
          join: 60
          token: 1000
      }

      nodelist {
          node {
              ring0_addr: 127.0.0.1
              name: n1
              nodeid: 1
          }

          node {
              ring0_addr: 127.0.0.2
              name: n2
              nodeid: 2
          }
      }

      quorum {
          provider: corosync_votequorum
          auto_tie_breaker: 1
          last_man_standing: 1
          last_man_standing_window: 5000
          wait_for_all: 1
      }

      logging {
          to_logfile: yes
          logfile: /var/log/corosync/corosync.log
          to_syslog: yes
          timestamp: on
      }

      """)
}

@Test func vigilPortsAndMembershipBackendExtensions() throws {
  let dir = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: dir) }
  let conf = dir.appendingPathComponent("corosync.conf").path
  let r = try setup(
    [
      "demo", "node1", "addr=127.0.0.1", "node2", "addr=127.0.0.1", "node3", "addr=127.0.0.1", "vigil_port=6000",
      "--vigil-port-base", "5500", "--membership", "corosync", "--corosync_conf", conf,
    ], in: dir)
  #expect(r.status == 0, "\(r.stderr)")
  let text = try String(contentsOfFile: conf, encoding: .utf8)
  let ports = text.split(separator: "\n").filter { $0.contains("vigil_port:") }.map { $0.trimmingCharacters(in: .whitespaces) }
  #expect(ports == ["vigil_port: 5500", "vigil_port: 5501", "vigil_port: 6000"], "--vigil-port-base numbers the nodes, vigil_port= wins")
  let q = try PCSHarness.run(["quorum", "config", "--corosync_conf", conf])
  #expect(q.status == 0, "Vigil's reader accepts the extensions: \(q.stderr)")
  #expect(text.hasSuffix("}\n\nvigil {\n    membership: corosync\n}\n"))
  // Same address and port twice is refused; same address without ports too (pcs's rule).
  let clash = try setup(
    ["demo", "a", "addr=127.0.0.1", "vigil_port=5500", "b", "addr=127.0.0.1", "vigil_port=5500", "--corosync_conf",
     dir.appendingPathComponent("x.conf").path], in: dir)
  #expect(clash.status == 1)
  #expect(clash.stderr.contains("duplicate addresses: '127.0.0.1 vigil_port 5500'"))
  let badBackend = try setup(
    ["demo", "a", "addr=127.0.0.1", "--membership", "raft", "--corosync_conf", dir.appendingPathComponent("y.conf").path],
    in: dir)
  #expect(badBackend.status == 1)
  #expect(badBackend.stderr.contains("'raft' is not a valid --membership value, use 'corosync', 'native'"))
}

/// The real corosync 3.1.7 accepts what setup writes, Vigil's extensions included (skipped without corosync).
@Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/corosync")))
func realCorosyncAcceptsTheVigilExtensions() throws {
  let dir = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: dir) }
  let conf = dir.appendingPathComponent("corosync.conf").path
  let r = try setup(
    ["demo", "node1", "addr=127.0.0.1", "--vigil-port-base", "5500", "--membership", "corosync", "--corosync_conf", conf],
    in: dir)
  #expect(r.status == 0, "\(r.stderr)")
  // corosync -t looks for the key in /etc/corosync unless totem names it.
  var text = try String(contentsOfFile: conf, encoding: .utf8)
  text = text.replacingOccurrences(
    of: "    crypto_hash: sha256\n", with: "    crypto_hash: sha256\n    keyfile: \(dir.path)/authkey\n")
  try text.write(toFile: conf, atomically: true, encoding: .utf8)
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/sbin/corosync")
  p.arguments = ["-c", conf, "-t"]
  p.standardOutput = FileHandle.nullDevice
  p.standardError = FileHandle.nullDevice
  try p.run()
  p.waitUntilExit()
  #expect(p.terminationStatus == 0, "corosync -t accepts vigil_port and the vigil section")
}

// MARK: many machines (ssh)

/// A fake ssh: `fake-ssh [-o X]... [--] HOST COMMAND` runs COMMAND with sh in ROOT/HOST; host "down" is
/// unreachable (exit 255, as ssh). It logs every call to ROOT/calls.
private func fakeSSH(_ root: URL) throws -> String {
  let path = root.appendingPathComponent("fake-ssh").path
  try """
    #!/bin/sh
    while [ "$1" = "-o" ]; do shift 2; done
    [ "$1" = "--" ] && shift
    host="$1"; shift
    echo "$host $*" >> "\(root.path)/calls"
    if [ "$host" = "down" ]; then echo "ssh: connect to host down port 22: No route to host" >&2; exit 255; fi
    mkdir -p "\(root.path)/$host" && cd "\(root.path)/$host" && exec sh -c "$*"

    """.write(toFile: path, atomically: true, encoding: .utf8)
  chmod(path, 0o755)
  // The other nodes' pcs: records the action it was asked for.
  let pcs = root.appendingPathComponent("remote-pcs").path
  try "#!/bin/sh\necho \"$*\" >> actions\n".write(toFile: pcs, atomically: true, encoding: .utf8)
  chmod(pcs, 0o755)
  return path
}

@Test func manyMachinesGetTheSameConfigAndKeyThroughSSH() throws {
  let root = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: root) }
  let env = [
    "VIGIL_SSH": try fakeSSH(root), "VIGIL_COROSYNC_DIR": "etc/corosync",
    "VIGIL_REMOTE_PCS": root.appendingPathComponent("remote-pcs").path, "PATH": "/usr/bin:/bin",
  ]
  let r = try setup(
    ["prod", "alpha", "addr=192.0.2.11", "beta", "addr=192.0.2.12", "gamma", "addr=192.0.2.13", "--start"], in: root,
    env: env)
  #expect(r.status == 0, "\(r.stderr)")
  #expect(
    r.stderr == """
      Sending 'corosync authkey' to 'alpha', 'beta', 'gamma'
      alpha: successful distribution of the file 'corosync authkey'
      beta: successful distribution of the file 'corosync authkey'
      gamma: successful distribution of the file 'corosync authkey'
      Sending 'corosync.conf' to 'alpha', 'beta', 'gamma'
      alpha: successful distribution of the file 'corosync.conf'
      beta: successful distribution of the file 'corosync.conf'
      gamma: successful distribution of the file 'corosync.conf'
      Cluster has been successfully set up.
      alpha: Starting Cluster...
      beta: Starting Cluster...
      gamma: Starting Cluster...

      """)
  var keys: Set<Data> = []
  var confs: Set<String> = []
  for host in ["alpha", "beta", "gamma"] {
    let dir = root.appendingPathComponent("\(host)/etc/corosync")
    keys.insert(try Data(contentsOf: dir.appendingPathComponent("authkey")))
    confs.insert(try String(contentsOf: dir.appendingPathComponent("corosync.conf"), encoding: .utf8))
    #expect(try mode(dir.appendingPathComponent("authkey").path) == 0o400)
    #expect(try PCSHarness.read(root.appendingPathComponent("\(host)/actions")) == "cluster start\n")
  }
  #expect(keys.count == 1 && keys.first?.count == 256, "one shared 256-byte key")
  #expect(confs.count == 1)
  let names = confs.first!.split(separator: "\n").filter { $0.contains(" name: ") }.map { $0.trimmingCharacters(in: .whitespaces) }
  #expect(names == ["name: alpha", "name: beta", "name: gamma"])

  // Again without --overwrite: every host already has a corosync.conf, nothing is sent.
  let again = try setup(["prod", "alpha", "addr=192.0.2.11", "beta", "addr=192.0.2.12"], in: root, env: env)
  #expect(again.status == 1)
  #expect(again.stderr.contains("Error: Host 'alpha' seems to be in a cluster already"))
  #expect(!again.stderr.contains("Sending"))
}

@Test func anUnreachableNodeStopsSetupBeforeAnythingIsSent() throws {
  let root = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: root) }
  let env = [
    "VIGIL_SSH": try fakeSSH(root), "VIGIL_COROSYNC_DIR": "etc/corosync", "PATH": "/usr/bin:/bin",
  ]
  let r = try setup(["prod", "alpha", "addr=192.0.2.11", "down", "addr=192.0.2.12"], in: root, env: env)
  #expect(r.status == 1)
  #expect(r.stderr.contains("down: Unable to connect to down (ssh: connect to host down port 22: No route to host)"))
  #expect(r.stderr.hasSuffix("Error: Errors have occurred, therefore pcs is unable to continue\n"))
  #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("alpha/etc/corosync/corosync.conf").path))
  #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("alpha/etc/corosync/authkey").path))
}

/// Rule 6 (a limit on everything): a node whose ssh closes its outputs but never exits must not hang pcs;
/// the wait for its exit is bounded by --request-timeout like the reads are.
@Test func aNodeThatClosesItsOutputsAndHangsTimesOut() throws {
  let root = try PCSHarness.scratch()
  defer { try? FileManager.default.removeItem(at: root) }
  let ssh = root.appendingPathComponent("hanging-ssh").path
  try """
    #!/bin/sh
    while [ "$1" = "-o" ]; do shift 2; done
    [ "$1" = "--" ] && shift
    if [ "$1" = "hung" ]; then exec sleep 8 >/dev/null 2>&1 </dev/null; fi
    exit 0

    """.write(toFile: ssh, atomically: true, encoding: .utf8)
  chmod(ssh, 0o755)
  let env = ["VIGIL_SSH": ssh, "VIGIL_COROSYNC_DIR": "etc/corosync", "PATH": "/usr/bin:/bin"]
  let r = try setup(
    ["prod", "alpha", "addr=192.0.2.11", "hung", "addr=192.0.2.12", "--request-timeout", "1"], in: root, env: env)
  #expect(r.status == 1)
  #expect(r.stderr.contains("hung: Unable to connect to hung (timed out)"), "\(r.stderr)")
  #expect(!r.stderr.contains("Sending"))
}
