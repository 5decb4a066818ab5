import Foundation
import Testing

/// pcs keeps agents' meta-data on disk between runs (`MetadataDiskCache`, directory from
/// `VIGIL_METADATA_CACHE`): a fresh entry is used instead of running the agent; a stale (agent changed) or
/// corrupt entry is ignored and rewritten. A poisoned entry (same identity, different actions) shows which
/// source pcs used: its monitor interval lands in the CIB.
@Suite struct MetadataCacheTests {
  static let agent = "/usr/lib/ocf/resource.d/pacemaker/Dummy"
  static var agentInstalled: Bool { FileManager.default.isExecutableFile(atPath: agent) }

  /// `path mtime-ns size`, as the cache names an executable.
  static func identity() throws -> String {
    var st = stat()
    guard stat(agent, &st) == 0 else { throw CocoaError(.fileNoSuchFile) }
    let ns = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    return "\(agent) \(ns) \(st.st_size)"
  }

  static let poisoned = """
    <?xml version="1.0"?>
    <resource-agent name="Dummy"><version>1.1</version><parameters/>
    <actions><action name="start" timeout="21s"/><action name="monitor" timeout="22s" interval="77s"/></actions>
    </resource-agent>
    """

  func create(_ id: String, in dir: URL) throws -> (PCSRun, String) {
    var env = ProcessInfo.processInfo.environment
    env["VIGIL_METADATA_CACHE"] = dir.appendingPathComponent("cache").path
    let cib = dir.appendingPathComponent("cib.xml")
    let r = try PCSHarness.run(["-f", cib.path, "resource", "create", id, "ocf:pacemaker:Dummy"], environment: env)
    return (r, (try? PCSHarness.read(cib)) ?? "")
  }

  func entry(_ dir: URL) -> URL { dir.appendingPathComponent("cache/ocf:pacemaker:Dummy.xml") }

  @Test(.enabled(if: agentInstalled)) func firstRunWritesAnEntryThatLaterRunsUse() throws {
    let dir = try PCSHarness.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (first, cib1) = try create("d1", in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(cib1.contains("id=\"d1-monitor-interval-10s\""))
    let written = try PCSHarness.read(entry(dir))
    #expect(written.hasPrefix("vigil-agent-metadata 1 \(try Self.identity())\n"))
    #expect(written.contains("<resource-agent"))

    // Same identity, other content: pcs must take it from the cache, not from the agent.
    try "vigil-agent-metadata 1 \(try Self.identity())\n\(Self.poisoned)".write(
      to: entry(dir), atomically: true, encoding: .utf8)
    let (second, cib2) = try create("d2", in: dir)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(cib2.contains("id=\"d2-monitor-interval-77s\""))
    #expect(!cib2.contains("d2-stop-interval"))
  }

  @Test(.enabled(if: agentInstalled)) func staleEntryIsIgnoredAndRewritten() throws {
    let dir = try PCSHarness.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("cache"), withIntermediateDirectories: true)
    // An entry written for an older version of the agent (other mtime and size).
    try "vigil-agent-metadata 1 \(Self.agent) 12345 678\n\(Self.poisoned)".write(
      to: entry(dir), atomically: true, encoding: .utf8)
    let (r, cib) = try create("d1", in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(cib.contains("id=\"d1-monitor-interval-10s\""))
    #expect(!cib.contains("77s"))
    #expect(try PCSHarness.read(entry(dir)).hasPrefix("vigil-agent-metadata 1 \(try Self.identity())\n"))
  }

  @Test(.enabled(if: agentInstalled)) func corruptEntryIsIgnoredAndRewritten() throws {
    let dir = try PCSHarness.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("cache"), withIntermediateDirectories: true)
    try "vigil-agent-metadata 1 \(try Self.identity())\n<resource-agent name=\"Dummy\"><actions><action na".write(
      to: entry(dir), atomically: true, encoding: .utf8)
    let (r, cib) = try create("d1", in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(cib.contains("id=\"d1-monitor-interval-10s\""))
    let rewritten = try PCSHarness.read(entry(dir))
    #expect(rewritten.contains("</resource-agent>"))
    // No temporary file is left next to the entry.
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("cache").path)
    #expect(names == ["ocf:pacemaker:Dummy.xml"])
  }

  @Test func cacheCanBeTurnedOff() throws {
    let dir = try PCSHarness.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    var env = ProcessInfo.processInfo.environment
    env["VIGIL_METADATA_CACHE"] = "off"
    env["HOME"] = dir.path
    env["XDG_CACHE_HOME"] = dir.appendingPathComponent("xdg").path
    let cib = dir.appendingPathComponent("cib.xml")
    let r = try PCSHarness.run(
      ["-f", cib.path, "resource", "create", "d1", "ocf:pacemaker:Dummy"], environment: env)
    if Self.agentInstalled { #expect(r.status == 0, "\(r.stderr)") }
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("xdg").path))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".cache").path))
  }
}
