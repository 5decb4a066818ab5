import Foundation
import Testing
@testable import LRM

/// systemd: a real systemd, PID 1 of a private PID + mount namespace over a debootstrap'd root cached in
/// /var/cache/vigil-lrm/systemd-root (`make lrm-systemd-root`), never over the host's root. The LRM reaches it
/// over D-Bus through that namespace's system bus (/proc/PID/root/run/dbus/system_bus_socket). Its private
/// socket (peer-to-peer, what the daemon uses on a host) refuses us here: systemd requires a peer whose pid it can
/// see, and the test process is outside the namespace's PID namespace. Without root or the cached root the test is skipped, with that reason.
@Suite(.serialized) struct SystemdTests {
  static let cachedRoot = "/var/cache/vigil-lrm/systemd-root"

  static let units: [(name: String, text: String)] = [
    (
      "vigil-lrm-test.service",
      "[Unit]\nDescription=Vigil LRM test service\n[Service]\nExecStart=/bin/sleep 300\n"
    ),
    (
      "vigil-lrm-fail.service",
      "[Unit]\nDescription=Vigil LRM failing unit\n[Service]\nType=oneshot\nExecStart=/bin/false\n"
    ),
    (
      "vigil-lrm-slow.service",
      "[Unit]\nDescription=Vigil LRM slow unit\n[Service]\nType=oneshot\nExecStart=/bin/sleep 120\nTimeoutStartSec=300\n"
    ),
  ]

  @Test(
    .enabled(if: isRoot(), "needs root: boots systemd in a private PID + mount namespace"),
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: "\(Self.cachedRoot)/lib/systemd/systemd"),
      "needs the cached systemd root in /var/cache/vigil-lrm (make lrm-systemd-root builds it)"))
  func unitsThroughSystemdDBus() async throws {
    for unit in Self.units {
      try unit.text.write(toFile: "\(Self.cachedRoot)/etc/systemd/system/\(unit.name)", atomically: true, encoding: .utf8)
    }
    let boot = await shOutput("\(Repo.agents)/systemd/systemd-ns boot \(Self.cachedRoot) 2>/dev/null")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let pid = try #require(Int32(boot), "systemd did not boot in a namespace (see /tmp/vigil-systemd-ns.log)")
    let outcome = await Result { () async throws in try await exercise(systemdPID: pid) }
    await sh("\(Repo.agents)/systemd/systemd-ns stop \(pid)")
    try outcome.get()
  }

  func exercise(systemdPID pid: Int32) async throws {
    let manager = SystemdManager(
      address: .systemBus(ofSystemdPID: pid),
      overrideDirectory: "/proc/\(pid)/root/run/systemd/system")
    let runner = AgentRunner(roots: AgentRoots(systemd: manager), logger: testLogger)
    try await lifecycle(runner, pid: pid)
    try await failingUnit(runner)
    try await pendingAndCanceled(runner)
    try await missingUnit(runner)
    try await discovery(runner)
  }

  func call(_ unit: String, _ action: AgentAction, timeout: Duration = .seconds(30)) throws -> AgentCall {
    AgentCall(resource: "svc", agent: try .parse("systemd:\(unit)"), action: action, timeout: timeout)
  }

  func lifecycle(_ runner: AgentRunner, pid: Int32) async throws {
    let probe = await runner.run(try call("vigil-lrm-test", .monitor))
    #expect(probe.code == .systemd(.inactive) && probe.ocf == .notRunning, "\(probe.summary)")
    let start = await runner.run(try call("vigil-lrm-test", .start))
    #expect(start.code == .systemd(.job(.done)) && start.ocf == .success, "\(start.summary)")
    // The cluster's override is in place while the cluster runs the unit.
    let dropIn = systemdOverridePath(unit: "vigil-lrm-test.service", runtimeDirectory: "/proc/\(pid)/root/run/systemd/system")
    #expect((try? String(contentsOfFile: dropIn, encoding: .utf8))?.contains("Restart=no") == true)
    let active = await runner.run(try call("vigil-lrm-test", .monitor))
    #expect(active.code == .systemd(.active) && active.ocf == .success, "\(active.summary)")
    // The unit's process really runs inside the namespace's systemd (checked independently of our client).
    #expect(
      await shOutput("nsenter -t \(pid) -m -p -r -w /bin/systemctl show -p MainPID --value vigil-lrm-test.service")
        .trimmingCharacters(in: .whitespacesAndNewlines) != "0")
    let stop = await runner.run(try call("vigil-lrm-test", .stop))
    #expect(stop.code == .systemd(.job(.done)) && stop.ocf == .success, "\(stop.summary)")
    #expect(!FileManager.default.fileExists(atPath: dropIn))
    let stopped = await runner.run(try call("vigil-lrm-test", .monitor))
    #expect(stopped.code == .systemd(.inactive) && stopped.ocf == .notRunning)
  }

  func failingUnit(_ runner: AgentRunner) async throws {
    let start = await runner.run(try call("vigil-lrm-fail", .start))
    #expect(start.code == .systemd(.job(.failed)) && start.ocf == .genericError, "\(start.summary)")
    #expect(start.exitReason?.contains("failed") == true)
    let monitor = await runner.run(try call("vigil-lrm-fail", .monitor))
    #expect(monitor.code == .systemd(.failed) && monitor.ocf == .notRunning, "\(monitor.summary)")
    _ = await runner.run(try call("vigil-lrm-fail", .stop))
  }

  /// A oneshot unit that stays "activating": monitor is pending; a stop replaces the start job, which ends
  /// "canceled"; a start whose deadline passes is cancelled and reported as timed out.
  func pendingAndCanceled(_ runner: AgentRunner) async throws {
    let startCall = try call("vigil-lrm-slow", .start, timeout: .seconds(60))
    let starting = Task { await runner.run(startCall) }
    var monitor = await runner.run(try call("vigil-lrm-slow", .monitor))
    for _ in 0..<100 where monitor.status != .pending {
      try await Task.sleep(for: .milliseconds(100))
      monitor = await runner.run(try call("vigil-lrm-slow", .monitor))
    }
    #expect(monitor.status == .pending && monitor.code == .systemd(.activating), "\(monitor.summary)")
    let stop = await runner.run(try call("vigil-lrm-slow", .stop))
    #expect(stop.code == .systemd(.job(.done)), "\(stop.summary)")
    let start = await starting.value
    #expect(start.code == .systemd(.job(.canceled)) && start.ocf == .genericError, "\(start.summary)")

    let late = await runner.run(try call("vigil-lrm-slow", .start, timeout: .seconds(1)))
    #expect(late.status == .timedOut && late.forensics != nil, "\(late.summary)")
    _ = await runner.run(try call("vigil-lrm-slow", .stop))
  }

  func missingUnit(_ runner: AgentRunner) async throws {
    let start = await runner.run(try call("vigil-no-such-unit", .start))
    #expect(start.code == .systemd(.unknownUnit) && start.ocf == .notInstalled && start.status == .notInstalled)
    let stop = await runner.run(try call("vigil-no-such-unit", .stop))
    #expect(stop.ocf == .success)
  }

  func discovery(_ runner: AgentRunner) async throws {
    let names = try await runner.roots.systemd.agentNames()
    #expect(names.contains("vigil-lrm-test") && names.contains("vigil-lrm-fail"))
    #expect(names == names.sorted())
    let agents = AgentDiscovery(roots: runner.roots).agents(standard: .systemd)
    #expect(agents.contains(try .parse("systemd:vigil-lrm-test")))
    #expect(AgentDiscovery(roots: runner.roots).standards().contains(.systemd))
    let md = try await MetadataCatalog(runner: runner).metadata(for: try .parse("systemd:vigil-lrm-test"))
    #expect(md.longdesc == "Vigil LRM test service" && md.shortdesc == "systemd unit file for vigil-lrm-test")
    await #expect(throws: LRMError.self) {
      try await MetadataCatalog(runner: runner).metadata(for: try .parse("systemd:vigil-no-such-unit"))
    }
  }
}

/// The wire format and the pure systemd mappings, without a bus.
struct DBusWireTests {
  @Test func bodyLayoutFollowsTheSpecification() {
    let m = DBusMessage.methodCall(
      serial: 7, destination: "org.freedesktop.systemd1", path: "/org/freedesktop/systemd1",
      interface: "org.freedesktop.systemd1.Manager", member: "StartUnit", body: [.string("ab"), .uint32(7)])
    let bytes = m.encoded()
    #expect(Array(bytes.prefix(4)) == [UInt8(ascii: "l"), 1, 0, 1])
    // Body: u32 length 2, "ab", NUL, one pad byte, then u32 7 (aligned to 4): 12 bytes, at an 8-aligned offset.
    #expect(Array(bytes.suffix(12)) == [2, 0, 0, 0, 97, 98, 0, 0, 7, 0, 0, 0])
    #expect((bytes.count - 12) % 8 == 0)
    #expect(bytes[4] == 12 && bytes[8] == 7)
  }

  @Test func everyTypeRoundTrips() throws {
    let body: [DBusValue] = [
      .byte(255), .boolean(true), .int16(-2), .uint16(65_000), .int32(-70_000), .uint32(4_000_000_000),
      .int64(-1 << 40), .uint64(1 << 63), .double(2.5), .string("ünïcode"), .objectPath("/org/x/job/42"),
      .signature("a(ss)"), .variant(.array(.string, [.string("a"), .string("b")])),
      .array(.structure([.string, .string]), []),
      .array(.structure([.string, .string]), [.structure([.string("/lib/systemd/system/a.service"), .string("enabled")])]),
      .array(.dictEntry(.string, .variant), [.dictEntry(.string("k"), .variant(.uint64(9)))]),
    ]
    let m = DBusMessage(kind: .signal, serial: 99, path: "/p", interface: "i.f", member: "M", sender: ":1.2", body: body)
    let decoded = try DBusMessage.decode(m.encoded())
    #expect(decoded == m)
    #expect(decoded.signature == "ybnqiuxtdsogva(ss)a(ss)a{sv}")
  }

  @Test func malformedInputIsRejected() throws {
    let bytes = DBusMessage.methodCall(serial: 1, destination: nil, path: "/", interface: "a.b", member: "C", body: [.string("x")]).encoded()
    #expect(throws: DBusError.self) { try DBusMessage.decode(Array(bytes.dropLast(3))) }
    var bad = bytes
    bad[0] = UInt8(ascii: "x")
    #expect(throws: DBusError.self) { try DBusMessage.decode(bad) }
    #expect(throws: DBusError.self) { try DBusMessage.decode(bytes, max: 32) }
    #expect(throws: DBusError.self) { try DBusType.parse("a{vs}") }
    #expect(throws: DBusError.self) { try DBusType.parse("(s") }
    #expect(throws: DBusError.self) { try DBusType.parse("z") }
    #expect(try DBusType.parse("a(ssssssouso)").first?.signature == "a(ssssssouso)")
  }

  @Test func systemdMappings() {
    #expect(systemdUnitName(forAgentType: "sshd") == "sshd.service")
    #expect(systemdUnitName(forAgentType: "data.mount") == "data.mount")
    #expect(SystemdResult(activeState: "reloading") == .active)
    #expect(SystemdResult(activeState: "failed").ocf == .notRunning)
    #expect(SystemdResult(activeState: "activating") == .activating)
    #expect(SystemdResult.job(.done).ocf == .success)
    for r in ["canceled", "timeout", "failed", "dependency", "skipped", "assert"] {
      #expect(SystemdResult.job(SystemdJobResult(r)).ocf == .genericError, "\(r)")
    }
    #expect(SystemdJobResult("assert") == .other("assert"))
    let names = systemdAgentNames(
      unitFilePaths: ["/lib/systemd/system/ssh.service", "/lib/systemd/system/getty@.service", "/lib/systemd/system/x.socket"],
      loadedUnits: ["ssh.service", "getty@tty1.service", "-.mount"], entriesMax: 100)
    #expect(names == ["getty@", "getty@tty1", "ssh"])
    #expect(systemdAgentNames(unitFilePaths: [], loadedUnits: ["b.service", "a.service"], entriesMax: 1) == ["a"])
  }
}
