import Foundation
import Testing

@testable import CIB

/// Runs the real `cibadmin` executable of this build on copies of files.
@Suite struct CoreCibadminTests {
  func copy(_ name: String, into dir: String) throws -> String {
    let path = dir + "/cib.xml"
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.copyItem(atPath: CoreTestPaths.corpus + "/" + name, toPath: path)
    return path
  }

  func bytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

  /// `CIB_file=X cibadmin --query` reproduces every corpus input (same tree after parsing).
  @Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
  func queryReproducesEveryCorpusInput() throws {
    var failures: [String] = []
    let files = try CoreTestPaths.corpusFiles()
    #expect(files.count >= 666)
    for file in files {
      let result = try CoreCibadmin.run(["--query"], environment: ["CIB_file": file])
      guard result.status == 0 else {
        failures.append("\(file): exit \(result.status): \(result.stderr)")
        continue
      }
      do {
        if try CIBXML.parse(result.stdout) != CIBXML.parse(fileAt: file) { failures.append("\(file): differs") }
      } catch {
        failures.append("\(file): \(error)")
      }
    }
    #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(10).joined(separator: "\n"))")
  }

  @Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
  func querySectionWithCombinedAndLongFlags() throws {
    let file = CoreTestPaths.corpus + "/group3.xml"
    let expected = """
      <nodes>
        <node id="uuid1" uname="node1" type="member"/>
        <node id="uuid2" uname="node2" type="member"/>
      </nodes>

      """
    for args in [["-Q", "-o", "nodes"], ["-Qo", "nodes"], ["-Qonodes"], ["--query", "--scope=nodes"], ["-Ql", "--scope", "nodes"]] {
      let r = try CoreCibadmin.run(args, environment: ["CIB_file": file])
      #expect(r.status == 0, "\(args): \(r.stderr)")
      #expect(r.stdout == expected, "\(args)")
    }
    let missing = try CoreCibadmin.run(["-Q", "-o", "rsc_defaults"], environment: ["CIB_file": file])
    #expect(missing.status == 105)
    #expect(missing.stderr.contains("No such device or address"))
  }

  @Test func emptyPrintsPacemakersEmptyCIB() throws {
    let r = try CoreCibadmin.run(["--empty"], environment: [:])
    #expect(r.status == 0)
    #expect(
      r.stdout == """
        <cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
          <configuration>
            <crm_config/>
            <nodes/>
            <resources/>
            <constraints/>
          </configuration>
          <status/>
        </cib>

        """)
  }

  @Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
  func writesBumpTheVersionLikePacemaker() throws {
    let dir = try CoreTestPaths.temporaryFolder("cibadmin-writes")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try copy("group3.xml", into: dir)
    let env = ["CIB_file": path]
    func version() throws -> CIBVersion { try CIBVersion(of: CIBXML.parse(fileAt: path)) }
    #expect(try version() == CIBVersion(adminEpoch: 0, epoch: 1, numUpdates: 1))

    var r = try CoreCibadmin.run(
      ["-C", "-o", "resources", "-X", "<primitive id=\"new\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>"],
      environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try version() == CIBVersion(adminEpoch: 0, epoch: 2, numUpdates: 0))

    r = try CoreCibadmin.run(["-M", "-X", "<primitive id=\"new\" description=\"x\"/>"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try version() == CIBVersion(adminEpoch: 0, epoch: 3, numUpdates: 0))
    let modified = try CIBXML.parse(fileAt: path).element(of: .resources)!.elements.first { $0.id == "new" }
    #expect(modified?[attribute: "description"] == "x")
    #expect(modified?[attribute: "type"] == "Dummy")

    r = try CoreCibadmin.run(
      ["-M", "-o", "status", "-X", "<node_state id=\"uuid1\" in_ccm=\"false\"/>"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try version() == CIBVersion(adminEpoch: 0, epoch: 3, numUpdates: 1))

    r = try CoreCibadmin.run(["-M", "-X", "<cib admin_epoch=\"admin_epoch++\"/>"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try version() == CIBVersion(adminEpoch: 1, epoch: 3, numUpdates: 2))

    r = try CoreCibadmin.run(["-D", "-X", "<primitive id=\"new\"/>"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try version() == CIBVersion(adminEpoch: 1, epoch: 4, numUpdates: 0))
    #expect(try CIBXML.parse(fileAt: path).element(of: .resources)!.elements.allSatisfy { $0.id != "new" })

    // Deleting what does not exist succeeds and changes nothing (Pacemaker does the same).
    let before = bytes(path)
    r = try CoreCibadmin.run(["-D", "-X", "<primitive id=\"zzz\"/>"], environment: env)
    #expect(r.status == 0)
    #expect(bytes(path) == before)

    r = try CoreCibadmin.run(
      ["-R", "-o", "constraints", "--xml-text", "<constraints><rsc_location id=\"l\" rsc=\"rsc1\" node=\"node1\" score=\"5\"/></constraints>"],
      environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try CIBXML.parse(fileAt: path).element(of: .constraints)!.elements.map(\.id) == ["l"])
    #expect(try version() == CIBVersion(adminEpoch: 1, epoch: 5, numUpdates: 0))

    r = try CoreCibadmin.run(["-B"], environment: env)
    #expect(r.status == 0)
    #expect(try version() == CIBVersion(adminEpoch: 1, epoch: 6, numUpdates: 1))
  }

  @Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
  func xmlFileAndPipeInputs() throws {
    let dir = try CoreTestPaths.temporaryFolder("cibadmin-inputs")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try copy("group3.xml", into: dir)
    try Data("<primitive id=\"f\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>".utf8)
      .write(to: URL(fileURLWithPath: dir + "/obj.xml"))
    var r = try CoreCibadmin.run(["-C", "-o", "resources", "--xml-file", dir + "/obj.xml"], environment: ["CIB_file": path])
    #expect(r.status == 0, "\(r.stderr)")
    r = try CoreCibadmin.run(
      ["-C", "-o", "resources", "-p"], environment: ["CIB_file": path],
      stdin: "<primitive id=\"g\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>")
    #expect(r.status == 0, "\(r.stderr)")
    let ids = try CIBXML.parse(fileAt: path).element(of: .resources)!.elements.compactMap(\.id)
    #expect(ids == ["rsc1", "rsc2", "f", "g"])
  }

  /// Every bad request: clear message, Pacemaker's exit code, and the file left byte for byte unchanged.
  @Test(
    .enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing),
    arguments: [
    (["-C", "-o", "resources", "-X", "<primitive id=\"bad\""], Int32(78), "Couldn't parse input"),
    (["-C", "-o", "resources", "-X", "<a></b>"], 78, "line 1"),
    (["-C", "-o", "resources", "-X", "<a v=\"&nope;\"/>"], 78, "nope"),
    (["-C", "-o", "resources", "-X", "<group id=\"rsc1\"/>"], 108, "File exists"),
    (["-M", "-o", "resources", "-X", "<primitive id=\"nonexist\"/>"], 105, "No such device or address"),
    (["-R", "-o", "resources", "-X", "<primitive id=\"nonexist\"/>"], 105, "No such device or address"),
    (["-R", "-X", "<cib epoch=\"0\" num_updates=\"0\" admin_epoch=\"0\"/>"], 103, "older"),
    (["-C", "-o", "rsc_defaults", "-X", "<meta_attributes id=\"m\"/>"], 70, "does not exist"),
    (["-C", "-o", "bogus", "-X", "<primitive id=\"p\"/>"], 64, "unknown section 'bogus'"),
    (["-C", "-o", "resources"], 70, "needs an object"),
    (["-C", "-o", "resources", "-x", "/nonexistent/obj.xml"], 78, "/nonexistent/obj.xml"),
    (["--bogus"], 64, "unrecognized option '--bogus'"),
    (["-k"], 64, "invalid option -- 'k'"),
    (["-Q", "-o"], 64, "requires an argument"),
    (["-Q", "extra"], 64, "unexpected argument 'extra'"),
    ([], 64, "no command"),
    // Writes whose result fails validateCIB are refused like Pacemaker's schema failures.
    (["-C", "-o", "resources", "-X", "<primitive id=\"child_rsc1\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>"], 78, "child_rsc1"),
    (["-C", "-o", "constraints", "-X", "<rsc_location id=\"l2\" rsc=\"nonexistent\" node=\"node1\" score=\"5\"/>"], 78, "nonexistent"),
    (["-C", "-o", "resources", "-X", "<primitive id=\"x\" class=\"bogus\" type=\"y\"/>"], 78, "bogus"),
    (["-C", "-o", "constraints", "-X", "<rsc_location id=\"l3\" rsc=\"rsc1\" node=\"node1\" score=\"lots\"/>"], 78, "lots"),
  ] as [([String], Int32, String)])
  func badRequestsLeaveTheFileUnchanged(arguments: [String], status: Int32, message: String) throws {
    let dir = try CoreTestPaths.temporaryFolder("cibadmin-bad")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try copy("group3.xml", into: dir)
    let before = bytes(path)
    let r = try CoreCibadmin.run(arguments, environment: ["CIB_file": path])
    #expect(r.status == status, "\(arguments): \(r.stderr)")
    #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
    #expect(bytes(path) == before, "\(arguments) changed the file")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["cib.xml"])
  }

  @Test func missingOrMalformedCIBFile() throws {
    let dir = try CoreTestPaths.temporaryFolder("cibadmin-missing")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var r = try CoreCibadmin.run(["-Q"], environment: ["CIB_file": dir + "/none.xml"])
    #expect(r.status == 105)
    #expect(r.stderr.contains("Could not connect to the CIB"))
    try Data("<cib epoch=\"1\"><configuration>".utf8).write(to: URL(fileURLWithPath: dir + "/torn.xml"))
    r = try CoreCibadmin.run(["-Q"], environment: ["CIB_file": dir + "/torn.xml"])
    #expect(r.status == 78)
    #expect(r.stderr.contains("line 1"))
    r = try CoreCibadmin.run(["-Q"], environment: [:])
    #expect(r.status == 102)
  }

  @Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
  func storeBackend() throws {
    let dir = try CoreTestPaths.temporaryFolder("cibadmin-store")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let env = ["VIGIL_CIB_STORE": dir + "/store"]
    var r = try CoreCibadmin.run(["-R", "-x", CoreTestPaths.corpus + "/group3.xml"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    r = try CoreCibadmin.run(["-Q"], environment: env)
    #expect(r.status == 0)
    let stored = try CIBXML.parse(r.stdout)
    let original = try CIBXML.parse(fileAt: CoreTestPaths.corpus + "/group3.xml")
    // Replacing the empty store with a newer CIB is a configuration change: epoch 1 -> 2.
    #expect(try CIBVersion(of: stored) == CIBVersion(adminEpoch: 0, epoch: 2, numUpdates: 0))
    #expect(stored.element(of: .resources) == original.element(of: .resources))
    #expect(try CIBStore(directory: dir + "/store").sequences() == [1])
  }
}
