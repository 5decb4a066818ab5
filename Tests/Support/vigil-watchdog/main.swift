// vigil-watchdog: a watchdog device stand-in for tests and chaos runs, which does what a reboot does on expiry.
//
//   vigil-watchdog --device PATH --timeout-s N --cgroup DIR [--clear DIR]...
//
// It creates a FIFO at PATH and reads it as a watchdog driver reads its device: the first byte after an open arms
// it, every byte is a keepalive, 'V' as the last byte before a close disarms it (the magic close), and a close
// without 'V' leaves it armed (Linux's nowayout-free behaviour). A new writer may open the FIFO after a close (a
// restarted clusterd). When N whole seconds pass without a keepalive while armed, it SIGKILLs every process in the
// cgroup DIR until the cgroup is empty (daemonized agents stay in their cgroup; clusterd itself may be the frozen
// or dead one, so the stand-in must be a separate process outside DIR), deletes the contents of each --clear DIR
// (the agents' run and state folders: a reboot empties them), prints `watchdog expired: killed N processes` on
// stdout and keeps running, disarmed, until a writer arms it again. SIGTERM/SIGINT remove the FIFO and exit 0.
// Bad arguments: a message on stderr and exit status 2.

#if canImport(Glibc)
  import Glibc
#endif

struct Options {
  var device = ""
  var timeoutS = 0
  var cgroup = ""
  var clear: [String] = []
}

/// Writes a whole line to a file descriptor, unbuffered (stdout may be a file a test reads while this runs).
func writeLine(_ fd: Int32, _ text: String) {
  let bytes = Array((text + "\n").utf8)
  var offset = 0
  while offset < bytes.count {
    let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if n <= 0 { return }
    offset += n
  }
}

func fail(_ message: String) -> Never {
  writeLine(2, "vigil-watchdog: \(message)")
  exit(2)
}

func note(_ message: String) {
  writeLine(2, "vigil-watchdog: \(message)")
}

func parse(_ args: [String]) -> Options {
  var o = Options()
  var i = 0
  func value(_ name: String) -> String {
    i += 1
    guard i < args.count else { fail("\(name) needs a value") }
    return args[i]
  }
  while i < args.count {
    switch args[i] {
    case "--device": o.device = value("--device")
    case "--timeout-s":
      let v = value("--timeout-s")
      guard let n = Int(v), n >= 1, n <= 3600 else { fail("--timeout-s takes whole seconds from 1 to 3600, not '\(v)'") }
      o.timeoutS = n
    case "--cgroup": o.cgroup = value("--cgroup")
    case "--clear": o.clear.append(value("--clear"))
    case "-h", "--help":
      print("usage: vigil-watchdog --device PATH --timeout-s N --cgroup DIR [--clear DIR]...")
      exit(0)
    default: fail("unknown argument '\(args[i])'")
    }
    i += 1
  }
  guard !o.device.isEmpty else { fail("--device PATH is required") }
  guard o.timeoutS > 0 else { fail("--timeout-s N is required") }
  guard !o.cgroup.isEmpty else { fail("--cgroup DIR is required") }
  return o
}

/// Process ids listed in a cgroup's `cgroup.procs` (nil when it cannot be read).
func cgroupProcesses(_ dir: String) -> [pid_t]? {
  guard let f = fopen(dir + "/cgroup.procs", "r") else { return nil }
  defer { fclose(f) }
  var out: [pid_t] = []
  var line = [CChar](repeating: 0, count: 64)
  while fgets(&line, Int32(line.count), f) != nil {
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if let p = pid_t(text.trimmingCharacters()) { out.append(p) }
  }
  return out
}

extension String {
  func trimmingCharacters() -> String {
    var s = Substring(self)
    while let c = s.first, c == " " || c == "\n" || c == "\t" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\n" || c == "\t" { s.removeLast() }
    return String(s)
  }
}

func monotonicMs() -> Int64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// SIGKILLs the cgroup's processes until none is left (at most 5 s); returns how many distinct processes it killed.
func killAll(in dir: String) -> Int {
  var killed = Set<pid_t>()
  let deadline = monotonicMs() + 5000
  while monotonicMs() < deadline {
    guard let pids = cgroupProcesses(dir), !pids.isEmpty else { break }
    for p in pids where p != getpid() {
      if kill(p, SIGKILL) == 0 { killed.insert(p) }
    }
    usleep(1000)
  }
  if let left = cgroupProcesses(dir), !left.isEmpty { note("\(left.count) process(es) still in \(dir) after 5 s") }
  return killed.count
}

/// Deletes everything inside `dir` (not `dir` itself), as a reboot empties a tmpfs.
func clearContents(_ dir: String) {
  guard let d = opendir(dir) else { return }
  var names: [String] = []
  while let e = readdir(d) {
    let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    if name != "." && name != ".." { names.append(name) }
  }
  closedir(d)
  for n in names {
    let path = dir + "/" + n
    var st = stat()
    guard lstat(path, &st) == 0 else { continue }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      clearContents(path)
      rmdir(path)
    } else {
      unlink(path)
    }
  }
}

nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

let options = parse(Array(CommandLine.arguments.dropFirst()))
guard let members = cgroupProcesses(options.cgroup) else { fail("cannot read \(options.cgroup)/cgroup.procs") }
if members.contains(getpid()) { fail("this process is inside \(options.cgroup): it must run outside the cgroup it kills") }
for d in options.clear {
  var st = stat()
  guard stat(d, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { fail("--clear \(d) is not a directory") }
}
var existing = stat()
if lstat(options.device, &existing) == 0 {
  guard (existing.st_mode & S_IFMT) == S_IFIFO else { fail("\(options.device) exists and is not a FIFO") }
  unlink(options.device)
}
guard mkfifo(options.device, 0o600) == 0 else {
  fail("cannot create the FIFO \(options.device): \(String(cString: strerror(errno)))")
}
signal(SIGTERM) { _ in stopRequested = 1 }
signal(SIGINT) { _ in stopRequested = 1 }
// A parent may have blocked signals before spawning us (mask inherited): SIGTERM must reach the handler.
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGTERM)
sigaddset(&stopSignals, SIGINT)
sigprocmask(SIG_UNBLOCK, &stopSignals, nil)

func openReader() -> Int32 {
  let fd = open(options.device, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
  if fd < 0 { fail("cannot open \(options.device): \(String(cString: strerror(errno)))") }
  return fd
}

let timeoutMs = Int64(options.timeoutS) * 1000
var reader = openReader()
var armed = false
var lastKeepaliveMs: Int64 = 0
var expectClose = false
note("listening on \(options.device), timeout \(options.timeoutS) s, cgroup \(options.cgroup)")
var buffer = [UInt8](repeating: 0, count: 4096)
while stopRequested == 0 {
  var pfd = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
  // A reader opened after the last writer left reports nothing until a new writer comes and goes (Linux keeps
  // POLLHUP for readers that saw that writer), so an idle FIFO just times out here.
  let ready = poll(&pfd, 1, 5) > 0 && pfd.revents != 0
  let n = ready ? read(reader, &buffer, buffer.count) : -1
  let now = monotonicMs()
  if n > 0 {
    if !armed { note("armed") }
    armed = true
    lastKeepaliveMs = now
    expectClose = buffer[n - 1] == UInt8(ascii: "V")
  } else if n == 0 {
    // Every writer closed: a magic close disarms, any other close leaves the timer running.
    if armed && expectClose {
      armed = false
      note("disarmed by a magic close")
    } else if armed {
      note("closed without 'V': still armed")
    }
    expectClose = false
    close(reader)
    reader = openReader()
  }
  if armed && now - lastKeepaliveMs >= timeoutMs {
    armed = false
    expectClose = false
    let killed = killAll(in: options.cgroup)
    for d in options.clear { clearContents(d) }
    writeLine(1, "watchdog expired: killed \(killed) processes")
  }
}
close(reader)
unlink(options.device)
note("stopped")
