import Foundation
import TestKit
import Testing

@testable import CIB

@Suite struct CoreStoreTests {
  func doc(_ n: Int) -> CIBElement {
    var root = CIBEdit.emptyCIB()
    root[attribute: "epoch"] = String(n)
    return root
  }

  @Test func emptyStoreLoadsNothing() throws {
    let dir = try CoreTestPaths.temporaryFolder("store-empty")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    #expect(try CIBStore(directory: dir).load() == nil)
    #expect(try CIBStore(directory: dir + "/missing").load() == nil)
  }

  @Test func saveThenLoadReturnsTheNewestAndKeepsTheLastN() throws {
    let dir = try CoreTestPaths.temporaryFolder("store-keep")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CIBStore(directory: dir, versionsKept: 3)
    for n in 1...5 { #expect(try store.save(doc(n)) == n) }
    let loaded = try #require(try store.load())
    #expect(loaded.root == doc(5))
    #expect(loaded.sequence == 5)
    #expect(loaded.warnings.isEmpty)
    #expect(try store.sequences() == [5, 4, 3])
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    #expect(
      files == [
        "cib-00000003.xml", "cib-00000003.xml.sha256", "cib-00000004.xml", "cib-00000004.xml.sha256",
        "cib-00000005.xml", "cib-00000005.xml.sha256",
      ])
  }

  @Test func corruptNewestFallsBackWithAWarning() throws {
    let dir = try CoreTestPaths.temporaryFolder("store-corrupt")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CIBStore(directory: dir)
    try store.save(doc(1))
    try store.save(doc(2))
    // Flip one byte of the newest version: same length, wrong digest.
    let path = dir + "/cib-00000002.xml"
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    bytes[10] ^= 0x01
    try bytes.write(to: URL(fileURLWithPath: path))
    let loaded = try #require(try store.load())
    #expect(loaded.root == doc(1))
    #expect(loaded.sequence == 1)
    #expect(loaded.warnings.count == 1)
    #expect(loaded.warnings.first?.contains("digest mismatch") == true)
  }

  @Test func tornNewestWithoutDigestFallsBack() throws {
    let dir = try CoreTestPaths.temporaryFolder("store-torn")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CIBStore(directory: dir)
    try store.save(doc(1))
    // A writer that died after renaming the XML but before writing its digest; and one that wrote half.
    try Data("<cib epoch=\"2\"><configuration>".utf8).write(to: URL(fileURLWithPath: dir + "/cib-00000002.xml"))
    try Data("<cib epoch=\"3\"/>".utf8).write(to: URL(fileURLWithPath: dir + "/cib-00000003.xml.tmp.999"))
    let loaded = try #require(try store.load())
    #expect(loaded.root == doc(1))
    #expect(loaded.warnings.count == 1)
    #expect(loaded.warnings.first?.contains("digest file is missing") == true)
    // The next save goes past the torn version and cleans the stale temp file.
    #expect(try store.save(doc(4)) == 3)
    #expect(!FileManager.default.fileExists(atPath: dir + "/cib-00000003.xml.tmp.999"))
    #expect(try store.load()?.root == doc(4))
  }

  @Test func digestMatchingButUnparsableIsSkipped() throws {
    let dir = try CoreTestPaths.temporaryFolder("store-unparsable")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CIBStore(directory: dir)
    try store.save(doc(1))
    let bytes = Array("<cib><oops></cib>".utf8)
    try Data(bytes).write(to: URL(fileURLWithPath: dir + "/cib-00000002.xml"))
    try Data((CIBStore.digestHex(of: bytes) + "\n").utf8)
      .write(to: URL(fileURLWithPath: dir + "/cib-00000002.xml.sha256"))
    let loaded = try #require(try store.load())
    #expect(loaded.sequence == 1)
    #expect(loaded.warnings.first?.contains("malformed XML") == true)
  }

  @Test func noValidVersionIsAnError() throws {
    let dir = try CoreTestPaths.temporaryFolder("store-none")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir + "/cib-00000001.xml"))
    #expect(throws: CIBError.self) { try CIBStore(directory: dir).load() }
    do {
      _ = try CIBStore(directory: dir).load()
    } catch {
      guard case .noValidVersion(let d, let reasons) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(d == dir)
      #expect(reasons.count == 1)
    }
  }

  @Test func cibFileWriteIsAtomicAndKeepsPermissions() throws {
    let dir = try CoreTestPaths.temporaryFolder("cibfile")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/cib.xml"
    try CIBFile.write(doc(1), to: path)
    chmod(path, 0o640)
    try CIBFile.write(doc(2), to: path)
    var st = stat()
    #expect(stat(path, &st) == 0)
    #expect(st.st_mode & 0o777 == 0o640)
    #expect(try CIBXML.parse(fileAt: path) == doc(2))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["cib.xml"])
  }

  /// A temp file left by a dead writer that had our pid must not lend the new version its mode (0644 would make
  /// the stored CIB, fence passwords included, readable by everyone).
  @Test func staleTempFileDoesNotLeakItsModeIntoTheStore() throws {
    let dir = try CoreTestPaths.temporaryFolder("store-stale-temp")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CIBStore(directory: dir)
    let stale = store.xmlPath(1) + ".tmp.\(getpid())"
    #expect(mkdir(dir, 0o750) == 0 || errno == EEXIST)
    #expect(FileManager.default.createFile(atPath: stale, contents: Array("junk".utf8).withUnsafeBytes { Data($0) }))
    #expect(chmod(stale, 0o644) == 0)
    #expect(try store.save(doc(1)) == 1)
    var st = stat()
    #expect(stat(store.xmlPath(1), &st) == 0)
    #expect(st.st_mode & 0o777 == 0o600)
    #expect(try store.load()?.root == doc(1))
  }
}

/// SIGKILL a real writer (our cibadmin on a durable store) at random points of its run, 100 times; the store
/// must always open, and open exactly the version before or after the killed write. Half the kills are aimed at
/// the write itself (after the writer's temp file appears); the test prints how many left a torn state behind.
@Suite struct CoreStoreKillTests {
  @Test(.enabled(if: CoreTestPaths.corpusPresent, CoreTestPaths.corpusMissing))
  func killedWriterNeverLeavesTheStoreUnreadable() throws {
    let seed = UInt64(ProcessInfo.processInfo.environment["VIGIL_KILL_SEED"] ?? "") ?? 20_261_121
    var rng = SplitMix64(seed: seed)
    let dir = try CoreTestPaths.temporaryFolder("store-kill")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CIBStore(directory: dir, versionsKept: 5)
    // A mid-sized CIB (250 KB): big enough that a write spans a few ms, small enough that 100 debug-build
    // writers do not load the machine for the tests that run beside this one.
    let initial = try CIBXML.parse(fileAt: CoreTestPaths.corpus + "/coloc-clone-stays-active.xml")
    try store.save(initial)
    let env = ["VIGIL_CIB_STORE": dir]

    func trialValue(_ root: CIBElement) -> Int {
      let set = root.element(of: .crmConfig)?.elements.first { $0.id == "cib-bootstrap-options" }
      return Int(set?.elements.first { $0.id == "vigil-trial" }?[attribute: "value"] ?? "0") ?? 0
    }
    func modify(_ n: Int) -> [String] {
      [
        "-M", "-o", "crm_config", "-X",
        "<cluster_property_set id=\"cib-bootstrap-options\"><nvpair id=\"vigil-trial\" name=\"vigil-trial\" "
          + "value=\"\(n)\"/></cluster_property_set>",
      ]
    }

    // One unkilled run tells how long a write takes here; kills are spread over 0...1.5x that.
    let start = ContinuousClock.now
    let first = try CoreCibadmin.run(modify(1), environment: env)
    #expect(first.status == 0, "\(first.stderr)")
    let elapsed = ContinuousClock.now - start
    let windowMicros = max(1_000, Int(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000) * 3 / 2)

    var expected = 1
    var killedBeforeCommit = 0
    var completed = 0
    var tornStatesSeen = 0
    for trial in 2...101 {
      let delay = UInt32(rng.next() % UInt64(windowMicros))
      let namesBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
      let process = Process()
      process.executableURL = URL(fileURLWithPath: CoreCibadmin.binary)
      process.arguments = modify(trial)
      var environment = ProcessInfo.processInfo.environment
      environment["VIGIL_CIB_STORE"] = dir
      environment["CIB_file"] = nil
      process.environment = environment
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      if trial % 2 == 0 {
        // Anywhere in the run: startup, parse, edit, write.
        usleep(delay)
      } else {
        // Aimed at the write: wait until the writer's temp file appears, then up to 10 ms more
        // (the XML, its fsync, the rename, the digest and the folder fsync happen in that span).
        let deadline = ContinuousClock.now + .microseconds(Int64(windowMicros) * 2)
        while ContinuousClock.now < deadline {
          let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
          if names.contains(where: { $0.contains(".tmp.") && !namesBefore.contains($0) }) { break }
          usleep(50)
        }
        usleep(UInt32(rng.next() % 10_000))
      }
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      // Evidence that kills land mid-write: a temp file, or a version without its digest, left behind.
      let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
      let fresh = names.filter { !namesBefore.contains($0) }
      if fresh.contains(where: { $0.contains(".tmp.") })
        || fresh.contains(where: { $0.hasSuffix(".xml") && !names.contains($0 + ".sha256") })
      {
        tornStatesSeen += 1
      }

      let loaded: CIBStore.Loaded?
      do {
        loaded = try store.load()
      } catch {
        Issue.record("seed \(seed) trial \(trial) delay \(delay)us: store does not open: \(error)")
        return
      }
      guard let loaded else {
        Issue.record("seed \(seed) trial \(trial): store is empty")
        return
      }
      let value = trialValue(loaded.root)
      #expect(
        value == expected || value == trial,
        "seed \(seed) trial \(trial) delay \(delay)us: opened value \(value), expected \(expected) or \(trial)")
      if value == trial { completed += 1 } else { killedBeforeCommit += 1 }
      expected = value
      // The version opened is a complete, well-formed CIB.
      #expect(loaded.root.name == "cib")
      #expect(loaded.root.element(of: .status) != nil)
    }
    print("kill-test seed=\(seed) window_us=\(windowMicros) completed=\(completed) killed_before_commit=\(killedBeforeCommit) torn_states_seen=\(tornStatesSeen)")
    #expect(completed + killedBeforeCommit == 100)
  }
}
