import Foundation
import Testing
@testable import LRM

/// systemd: a real systemd, PID 1 of a private PID + mount namespace over a debootstrap'd root cached in
/// /var/cache/vigil-lrm/systemd-root (`make lrm-systemd-root`). Never over the host's root. Without root, the
/// cached root or a booting systemd, the test says why and is skipped.
@Suite(.serialized) struct SystemdTests {
  static let cachedRoot = "/var/cache/vigil-lrm/systemd-root"

  @Test func unitStartMonitorStopThroughSystemctl() async throws {
    guard isRoot() else {
      print("SystemdTests: skipped: booting systemd in a namespace needs root (uid \(getuid()))")
      return
    }
    guard FileManager.default.isExecutableFile(atPath: "\(Self.cachedRoot)/lib/systemd/systemd") else {
      print("SystemdTests: skipped: no cached systemd root at \(Self.cachedRoot) (make lrm-systemd-root builds it)")
      return
    }
    try """
      [Unit]
      Description=Vigil LRM test service
      [Service]
      ExecStart=/bin/sleep 300

      """.write(toFile: "\(Self.cachedRoot)/etc/systemd/system/vigil-lrm-test.service", atomically: true, encoding: .utf8)
    let boot = await shOutput("\(Repo.agents)/systemd/systemd-ns boot \(Self.cachedRoot) 2>/dev/null")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    guard let pid = Int32(boot) else {
      print("SystemdTests: skipped: systemd did not boot in a namespace here (see /tmp/vigil-systemd-ns.log)")
      return
    }
    let outcome = await Result { () async throws in try await unitLifecycle(systemdPID: pid) }
    await sh("\(Repo.agents)/systemd/systemd-ns stop \(pid)")
    try outcome.get()
  }

  func unitLifecycle(systemdPID pid: Int32) async throws {
    // systemctl of the namespace: the same calling convention, entered into that systemd's namespaces.
    let dir = TempDir("systemd")
    defer { dir.remove() }
    let systemctl = "\(dir.path)/systemctl"
    try "#!/bin/sh\nexec nsenter -t \(pid) -m -p -r -w /bin/systemctl \"$@\"\n"
      .write(toFile: systemctl, atomically: true, encoding: .utf8)
    #expect(chmod(systemctl, 0o755) == 0)
    let runner = AgentRunner(roots: AgentRoots(systemctl: systemctl), logger: testLogger)
    let unit = try ResourceAgentName.parse("systemd:vigil-lrm-test")
    func call(_ a: AgentAction) -> AgentCall { AgentCall(resource: "svc", agent: unit, action: a) }

    let probe = await runner.run(call(.monitor))
    #expect(probe.code == .systemd(.inactive) && probe.ocf == .notRunning, "\(probe.summary)")
    let start = await runner.run(call(.start))
    #expect(start.code == .systemd(.jobDone) && start.ocf == .success, "\(start.summary) \(start.standardError)")
    let active = await runner.run(call(.monitor))
    #expect(active.code == .systemd(.active) && active.ocf == .success)
    // The unit's process really runs inside the namespace's systemd.
    #expect(await shOutput("nsenter -t \(pid) -m -p -r -w /bin/systemctl show -p MainPID --value vigil-lrm-test.service")
      .trimmingCharacters(in: .whitespacesAndNewlines) != "0")
    let stop = await runner.run(call(.stop))
    #expect(stop.code == .systemd(.jobDone))
    #expect(await runner.run(call(.monitor)).ocf == .notRunning)
    let missing = await runner.run(AgentCall(resource: "x", agent: try .parse("systemd:vigil-no-such-unit"), action: .start))
    #expect(missing.code == .systemd(.unknownUnit) && missing.ocf == .notInstalled)
  }
}
