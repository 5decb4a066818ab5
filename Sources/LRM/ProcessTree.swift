import Foundation

/// One process as seen in /proc at one instant.
public struct AgentProcess: Sendable, Hashable {
  public var pid: Int32
  public var parentPID: Int32
  public var processGroup: Int32
  public var session: Int32
  /// The one-letter state of /proc/PID/stat (R running, S sleeping, D uninterruptible, Z zombie, T stopped).
  public var state: Character
  public var command: String
  /// The kernel function the process sleeps in (/proc/PID/wchan), if known: what it is stuck on.
  public var waitChannel: String?

  public init(
    pid: Int32, parentPID: Int32, processGroup: Int32, session: Int32, state: Character, command: String,
    waitChannel: String? = nil
  ) {
    self.pid = pid
    self.parentPID = parentPID
    self.processGroup = processGroup
    self.session = session
    self.state = state
    self.command = command
    self.waitChannel = waitChannel
  }
}

/// What a timed-out operation leaves for the person reading the failure: the agent's processes (as a tree,
/// with what each one waits on) and the last lines it printed. Pacemaker only says "Timed Out".
public struct TimeoutForensics: Sendable, Hashable {
  public var processes: [AgentProcess]
  public var lastOutputLines: [String]

  public init(processes: [AgentProcess], lastOutputLines: [String]) {
    self.processes = processes
    self.lastOutputLines = lastOutputLines
  }

  /// The tree, children indented under their parent, siblings by pid:
  /// ```
  /// 4242 S bash /usr/lib/ocf/resource.d/heartbeat/Dummy start [do_wait]
  ///   4250 S sleep 600 [hrtimer_nanosleep]
  /// ```
  public var renderedTree: String {
    renderProcessTree(processes)
  }
}

/// Renders processes as an indented tree. Roots are processes whose parent is not in the list.
public func renderProcessTree(_ processes: [AgentProcess]) -> String {
  let pids = Set(processes.map(\.pid))
  var children: [Int32: [AgentProcess]] = [:]
  for p in processes { children[p.parentPID, default: []].append(p) }
  var lines: [String] = []
  func walk(_ p: AgentProcess, depth: Int, budget: inout Int) {
    guard budget > 0 else { return }
    budget -= 1
    var line = String(repeating: "  ", count: depth) + "\(p.pid) \(p.state) \(p.command)"
    if let w = p.waitChannel, !w.isEmpty, w != "0" { line += " [\(w)]" }
    lines.append(line)
    for c in (children[p.pid] ?? []).sorted(by: { $0.pid < $1.pid }) { walk(c, depth: depth + 1, budget: &budget) }
  }
  var budget = 256  // a fork bomb must not turn a failure message into megabytes
  for root in processes.filter({ !pids.contains($0.parentPID) }).sorted(by: { $0.pid < $1.pid }) {
    walk(root, depth: 0, budget: &budget)
  }
  return lines.joined(separator: "\n")
}

/// Parses the content of /proc/PID/stat. The command sits in parentheses and may itself contain spaces or
/// parentheses, so the fields after it are found from the last ')'.
func parseProcStat(_ text: String) -> (pid: Int32, comm: String, state: Character, ppid: Int32, pgrp: Int32, session: Int32)? {
  guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
  guard let pid = Int32(text[..<open].trimmingCharacters(in: .whitespaces)) else { return nil }
  let comm = String(text[text.index(after: open)..<close])
  let rest = text[text.index(after: close)...].split(separator: " ")
  guard rest.count >= 4, let state = rest[0].first, let ppid = Int32(rest[1]), let pgrp = Int32(rest[2]),
    let session = Int32(rest[3])
  else { return nil }
  return (pid, comm, state, ppid, pgrp, session)
}

/// Reads /proc: every process in the given session (an operation's agent runs as a session leader, so
/// its session is its pid). The shell side of forensics.
public func processesInSession(_ session: Int32, procRoot: String = "/proc") -> [AgentProcess] {
  guard let entries = try? FileManager.default.contentsOfDirectory(atPath: procRoot) else { return [] }
  var result: [AgentProcess] = []
  for entry in entries {
    guard Int32(entry) != nil,
      let stat = try? String(contentsOfFile: "\(procRoot)/\(entry)/stat", encoding: .utf8),
      let s = parseProcStat(stat), s.session == session || s.pgrp == session
    else { continue }
    var command = s.comm
    if let raw = FileManager.default.contents(atPath: "\(procRoot)/\(entry)/cmdline"), !raw.isEmpty {
      let args = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      command = args.joined(separator: " ")
      if command.utf8.count > 512 { command = String(command.prefix(512)) + "…" }
    }
    let wchan = (try? String(contentsOfFile: "\(procRoot)/\(entry)/wchan", encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
    result.append(
      AgentProcess(
        pid: s.pid, parentPID: s.ppid, processGroup: s.pgrp, session: s.session, state: s.state,
        command: command, waitChannel: wchan))
  }
  return result.sorted { $0.pid < $1.pid }
}
