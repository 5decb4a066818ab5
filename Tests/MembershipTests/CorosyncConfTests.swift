import Files
import Testing

@testable import Membership

#if canImport(Glibc)
  import Glibc
#endif

/// The repository root, found from this file (Tests/MembershipTests/<file>).
func repoRoot(_ file: String = #filePath) -> String {
  var parts = file.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}

/// corosync.conf files captured from a real pcs session, in ../shared beside the checkout (CI has it, a bare clone
/// does not: the tests that read them are enabled only when present).
let referenceConfDirectory = repoRoot() + "/../shared/reference/pcs/session"
let referenceConfPresent = access(referenceConfDirectory, F_OK) == 0
let referenceConfMissing: Comment = "needs the pcs reference session in ../shared/reference/pcs/session"

func referenceConf(_ name: String) throws -> String {
  try FileIO.readText(path: referenceConfDirectory + "/\(name)", bytesMax: 1 << 20)
}

@Test(.enabled(if: referenceConfPresent, referenceConfMissing), arguments: ["corosync.conf", "corosync2.conf"])
func referenceFilesRoundTripByteForByte(name: String) throws {
  let text = try referenceConf(name)
  let tree = try CorosyncConfSyntax.parse(text)
  #expect(CorosyncConfSyntax.render(tree) == text)
  let conf = try CorosyncConfig.decode(tree)
  #expect(conf.render() == text)
  #expect(try CorosyncConfig.parse(conf.render()) == conf)
}

@Test(.enabled(if: referenceConfPresent, referenceConfMissing))
func referenceFileDecodesToTheExpectedValues() throws {
  let conf = try CorosyncConfig.parse(try referenceConf("corosync2.conf"))
  #expect(conf.totem.clusterName == "TestCluster")
  #expect(conf.totem.transport == "knet")
  #expect(conf.totem.cryptoCipher == "aes256")
  #expect(conf.totem.cryptoHash == "sha256")
  #expect(conf.nodes.map(\.nodeID) == [NodeID(1), NodeID(2)])
  #expect(conf.nodes.map(\.displayName) == ["server1", "server4"])
  #expect(conf.nodes[1].ring0Addr == "192.0.2.4")
  #expect(conf.quorum?.twoNode == true)
  #expect(conf.quorum?.provider == "corosync_votequorum")
  #expect(conf.logging?.value("logfile")?.value == "/var/log/corosync/corosync.log")
  let vq = try VotequorumConfig(nodes: conf.nodes, options: conf.quorum!)
  #expect(vq.twoNode && vq.waitForAll)
  #expect(vq.expectedVotes == 2)
}

@Test func perNodePortExtensionAndTimersRoundTrip() throws {
  let conf = CorosyncConfig(
    totem: TotemOptions(clusterName: "loop", tokenMs: 400, port: 5405),
    nodes: [
      NodeEntry(nodeID: NodeID(1), name: "n1", ring0Addr: "127.0.0.1", port: 15401),
      NodeEntry(nodeID: NodeID(2), name: "n2", ring0Addr: "127.0.0.1", port: 15402),
      NodeEntry(nodeID: NodeID(3), name: "n3", ring0Addr: "127.0.0.1"),
    ],
    quorum: QuorumOptions(autoTieBreaker: true, autoTieBreakerNode: .list([NodeID(3), NodeID(1)])))
  let text = conf.render()
  #expect(text.contains("        vigil_port: 15401\n"))
  #expect(text.contains("    auto_tie_breaker_node: 3 1\n"))
  let back = try CorosyncConfig.parse(text)
  #expect(back == conf)
  #expect(back.port(of: back.nodes[0]) == 15401)
  #expect(back.port(of: back.nodes[2]) == 5405)
  #expect(MembershipTiming(totem: back.totem).failTimeout == .milliseconds(400))
}

@Test(.enabled(if: referenceConfPresent, referenceConfMissing))
func writeIsAtomicAndReadable() throws {
  let dir = "/tmp/vigil-membership-conf-\(getpid())"
  mkdir(dir, 0o755)
  defer {
    unlink(dir + "/corosync.conf")
    rmdir(dir)
  }
  let conf = try CorosyncConfig.parse(try referenceConf("corosync.conf"))
  try conf.write(path: dir + "/corosync.conf")
  #expect(try CorosyncConfig.load(path: dir + "/corosync.conf") == conf)
  #expect(access(dir + "/corosync.conf.tmp.\(getpid())", F_OK) != 0)
}

struct BadConf: Sendable, CustomStringConvertible {
  var text: String
  var error: CorosyncConfError
  var description: String { error.description }
}

let badConfs: [BadConf] = [
  BadConf(text: "totem {\n  version: 2\n", error: .unclosedSection(name: "totem", openedAtLine: 1)),
  BadConf(text: "totem {\n}\n}\n", error: .unexpectedClosingBrace(line: 3)),
  BadConf(text: "totem {\n  version 2\n}\n", error: .malformedLine(line: 2, text: "version 2")),
  BadConf(text: "# c\n\ntotem {\n  : x\n}\n", error: .emptyKey(line: 4)),
  BadConf(
    text: "totem {\n  token: soon\n}\n",
    error: .invalidValue(line: 2, key: "token", value: "soon", expected: "an integer in 10...300000")),
  BadConf(
    text: "nodelist {\n  node {\n    ring0_addr: a\n  }\n}\n", error: .missingKey(section: "node", key: "nodeid", line: 2)),
  BadConf(
    text: "nodelist {\n  node {\n    ring0_addr: a\n    nodeid: 1\n  }\n  node {\n    ring0_addr: b\n    nodeid: 1\n  }\n}\n",
    error: .duplicateNodeID(line: 6, nodeID: 1)),
  BadConf(
    text: "quorum {\n  provider: corosync_votequorum\n  two_node: maybe\n}\n",
    error: .invalidValue(line: 3, key: "two_node", value: "maybe", expected: "0 or 1")),
  BadConf(
    text: "totem {\n  crypto_cipher: aes256\n}\n", error: .inconsistent(line: 2, message: "crypto_cipher requires crypto_hash")),
  BadConf(
    text: "nodelist {\n  node {\n    ring0_addr: a\n    nodeid: 1\n    vigil_port: 70000\n  }\n}\n",
    error: .invalidValue(line: 5, key: "vigil_port", value: "70000", expected: "an integer in 1...65535")),
]

@Test(arguments: badConfs)
func badFilesAreRejectedWithTheLine(bad: BadConf) {
  #expect(throws: bad.error) { try CorosyncConfig.parse(bad.text) }
  #expect(bad.error.description.hasPrefix("line "))
}

@Test func missingFileIsAnIOError() {
  #expect(throws: CorosyncConfError.io(path: "/nonexistent/corosync.conf", message: "No such file or directory")) {
    try CorosyncConfig.load(path: "/nonexistent/corosync.conf")
  }
}

/// A temp file left by a dead writer that had our pid must not lend the authkey its mode (0644: readable by all).
@Test func atomicWriteGivesTheFileItsModeDespiteAStaleTempFile() throws {
  var template = Array("/tmp/vigil-fileio-XXXXXX".utf8CString)
  let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
  defer {
    for name in ["authkey", "authkey.tmp.\(getpid())"] { unlink(dir + "/" + name) }
    rmdir(dir)
  }
  let path = dir + "/authkey"
  let stale = open(path + ".tmp.\(getpid())", O_WRONLY | O_CREAT, 0o644)
  #expect(stale >= 0)
  close(stale)
  #expect(chmod(path + ".tmp.\(getpid())", 0o644) == 0)
  try FileIO.writeAtomically(path: path, bytes: [1, 2, 3], mode: 0o400)
  var st = stat()
  #expect(stat(path, &st) == 0)
  #expect(st.st_mode & 0o777 == 0o400)
  #expect(try FileIO.readAll(path: path, bytesMax: 16) == [1, 2, 3])
  #expect(access(path + ".tmp.\(getpid())", F_OK) != 0)
}
