import Foundation
import Testing

/// `pcs quorum device ...` on a corosync.conf file: texts as pcs 0.11.5 writes them (captured from /usr/sbin/pcs
/// 0.11.5 on the same commands and a file from `pcs cluster setup pair node1 addr=10.0.0.1 node2 addr=10.0.0.2`),
/// and accepted by the real `corosync -t` where corosync is installed.
@Suite struct QuorumDeviceCommandTests {
  static let twoNode = """
    totem {
        version: 2
        cluster_name: pair
        transport: knet
    }

    nodelist {
        node {
            ring0_addr: 10.0.0.1
            name: node1
            nodeid: 1
        }

        node {
            ring0_addr: 10.0.0.2
            name: node2
            nodeid: 2
        }
    }

    quorum {
        provider: corosync_votequorum
        two_node: 1
    }

    logging {
        to_syslog: yes
    }

    """

  static let head = twoNode.components(separatedBy: "quorum {")[0]
  static let tail = "\nlogging {\n    to_syslog: yes\n}\n"

  func pcs(_ conf: String, _ args: [String]) throws -> PCSRun { try PCSHarness.run(["--corosync_conf", conf] + args) }

  func scratchConf() throws -> (URL, String) {
    let dir = try PCSHarness.scratch()
    let conf = dir.appendingPathComponent("corosync.conf").path
    try Self.twoNode.write(toFile: conf, atomically: true, encoding: .utf8)
    return (dir, conf)
  }

  @Test func addUpdateRemoveWritePcsLayout() throws {
    let (dir, conf) = try scratchConf()
    defer { try? FileManager.default.removeItem(at: dir) }
    var r = try pcs(conf, ["quorum", "device", "add", "model", "net", "host=arb", "algorithm=ffsplit"])
    #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty, "\(r.stderr)")
    #expect(try String(contentsOfFile: conf, encoding: .utf8) == Self.head + """
      quorum {
          provider: corosync_votequorum

          device {
              model: net
              votes: 1

              net {
                  algorithm: ffsplit
                  host: arb
              }
          }
      }

      """ + Self.tail)
    r = try pcs(conf, ["quorum", "device", "update", "model", "tie_breaker=highest", "algorithm=lms"])
    #expect(r.status == 0)
    r = try pcs(conf, ["quorum", "device", "update", "heuristics", "mode=sync", "exec_ping=/bin/ping -q -c 1 10.0.0.254"])
    #expect(r.status == 0)
    #expect(try String(contentsOfFile: conf, encoding: .utf8) == Self.head + """
      quorum {
          provider: corosync_votequorum

          device {
              model: net

              net {
                  algorithm: lms
                  host: arb
                  tie_breaker: highest
              }

              heuristics {
                  exec_ping: /bin/ping -q -c 1 10.0.0.254
                  mode: sync
              }
          }
      }

      """ + Self.tail)
    r = try pcs(conf, ["quorum", "config"])
    #expect(r.stdout == """
      Options:
      Device:
        Model: net
          algorithm: lms
          host: arb
          tie_breaker: highest
        Heuristics:
          exec_ping: /bin/ping -q -c 1 10.0.0.254
          mode: sync

      """)
    r = try pcs(conf, ["quorum", "device", "remove"])
    #expect(r.status == 0)
    #expect(try String(contentsOfFile: conf, encoding: .utf8) == Self.twoNode, "two_node comes back")
  }

  @Test func badInputGivesPcsErrorsAndWritesNothing() throws {
    let (dir, conf) = try scratchConf()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases: [([String], String)] = [
      (["add", "model", "net", "host=arb"],
       "Error: required quorum device model option 'algorithm' is missing\nError: Errors have occurred, therefore pcs is unable to continue\n"),
      (["add", "model", "foo", "host=a", "algorithm=ffsplit"],
       "Error: 'foo' is not a valid model value, use 'net', use --force to override\nError: Errors have occurred, therefore pcs is unable to continue\n"),
      (["add", "model", "net", "host=arb", "algorithm=coin"],
       "Error: 'coin' is not a valid algorithm value, use 'ffsplit', 'lms', use --force to override\nError: Errors have occurred, therefore pcs is unable to continue\n"),
      (["add", "votes=1", "model", "net", "host=arb", "algorithm=ffsplit"],
       "Error: invalid quorum device option 'votes', allowed options are: 'sync_timeout', 'timeout', use --force to override\nError: Errors have occurred, therefore pcs is unable to continue\n"),
      (["remove"], "Error: no quorum device is defined in this cluster\n"),
    ]
    for (args, expected) in cases {
      let r = try pcs(conf, ["quorum", "device"] + args)
      #expect(r.status == 1 && r.stderr == expected, "\(args): \(r.stderr)")
      #expect(try String(contentsOfFile: conf, encoding: .utf8) == Self.twoNode, "\(args) wrote the file")
    }
    _ = try pcs(conf, ["quorum", "device", "add", "model", "net", "host=arb", "algorithm=ffsplit"])
    let again = try pcs(conf, ["quorum", "device", "add", "model", "net", "host=arb", "algorithm=ffsplit"])
    #expect(again.status == 1 && again.stderr == "Error: quorum device is already defined\n")
  }

  static var corosyncTestable: Bool {
    getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/corosync")
      && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
      && FileManager.default.fileExists(atPath: "/etc/corosync")
  }

  /// `corosync -t` reads /etc/corosync/corosync.conf and the authkey and needs a local address of the nodelist:
  /// run inside private mount and network namespaces, with a tmpfs over /etc/corosync (this machine's is untouched).
  @Test(.enabled(if: corosyncTestable, "needs root, corosync and unshare"))
  func realCorosyncAcceptsTheDeviceSection() throws {
    let (dir, conf) = try scratchConf()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try pcs(conf, [
      "quorum", "device", "add", "timeout=12000", "model", "net", "host=arb", "algorithm=ffsplit", "tie_breaker=lowest",
      "heuristics", "mode=sync", "exec_ping=/bin/ping -c 1 gw",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let key = dir.appendingPathComponent("authkey").path
    FileManager.default.createFile(atPath: key, contents: Data((0..<256).map { UInt8($0) }), attributes: [.posixPermissions: 0o400])
    let script = """
      ip link set lo up && ip addr add 10.0.0.1/24 dev lo && mount -t tmpfs none /etc/corosync && \
      cp '\(key)' /etc/corosync/authkey && cp '\(conf)' /etc/corosync/corosync.conf && corosync -t
      """
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    p.arguments = ["-m", "-n", "--propagation", "private", "/bin/sh", "-c", script]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "corosync -t: \(text)")
  }
}
