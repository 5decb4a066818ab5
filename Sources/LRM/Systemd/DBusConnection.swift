import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Where systemd's manager is reached.
///
/// `peerToPeer`: systemd's private socket (`/run/systemd/private`, root only): no dbus-daemon, no Hello, and
/// systemd sends its signals to every such connection. Otherwise a message bus (the system bus), where we say
/// Hello and address systemd by its well-known name.
public struct SystemdBusAddress: Sendable, Hashable, CustomStringConvertible {
  public var path: String
  public var peerToPeer: Bool

  public init(path: String, peerToPeer: Bool) {
    self.path = path
    self.peerToPeer = peerToPeer
  }

  public static let privateSocket = SystemdBusAddress(path: "/run/systemd/private", peerToPeer: true)
  public static let systemBus = SystemdBusAddress(path: "/run/dbus/system_bus_socket", peerToPeer: false)

  /// The system bus of the systemd whose host pid is `pid` (for example PID 1 of a private PID + mount
  /// namespace), reached through /proc/PID/root, which resolves in its mount namespace. (Its private socket is
  /// not usable from outside: systemd refuses a peer whose pid is not visible in its PID namespace.)
  public static func systemBus(ofSystemdPID pid: Int32) -> SystemdBusAddress {
    SystemdBusAddress(path: "/proc/\(pid)/root/run/dbus/system_bus_socket", peerToPeer: false)
  }

  public var description: String { "unix:path=\(path)" + (peerToPeer ? " (peer-to-peer)" : "") }
}

/// A blocking D-Bus connection over a unix socket: SASL EXTERNAL authentication, then messages.
///
/// Blocking on purpose: it is used from a dedicated thread (see `SystemdClient`), never from Swift's
/// cooperative pool. Every read waits with poll() against an explicit deadline. Not thread-safe; one owner.
final class DBusConnection {
  let fd: Int32
  let limits: DBusLimits
  let address: SystemdBusAddress
  private var nextSerial: UInt32 = 1
  private var buffer: [UInt8] = []
  /// Signals received while waiting for a reply, kept for `nextSignal` (bounded by `limits`).
  private var pendingSignals: [DBusMessage] = []

  init(address: SystemdBusAddress, deadline: ContinuousClock.Instant, limits: DBusLimits = .default) throws(DBusError) {
    self.address = address
    self.limits = limits
    let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard s >= 0 else { throw .io("socket", errno: errno) }
    fd = s
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(address.path.utf8)
    let capacity = MemoryLayout.size(ofValue: addr.sun_path)
    guard pathBytes.count < capacity else {
      close(s)
      throw .connectFailed(path: address.path, errno: ENAMETOOLONG)
    }
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in
      for (k, b) in pathBytes.enumerated() { raw[k] = b }
      raw[pathBytes.count] = 0
    }
    let rc = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard rc == 0 else {
      let e = errno
      close(s)
      throw .connectFailed(path: address.path, errno: e)
    }
    do {
      try authenticate(deadline: deadline)
      if !address.peerToPeer {
        _ = try call(
          destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
          member: "Hello", deadline: deadline)
      }
    } catch {
      close(s)
      throw error
    }
  }

  deinit { close(fd) }

  /// SASL EXTERNAL with our uid, as every D-Bus client on Linux does; no unix fd passing.
  private func authenticate(deadline: ContinuousClock.Instant) throws(DBusError) {
    let uid = String(getuid())
    let hex = uid.utf8.map { String(format: "%02x", $0) }.joined()
    try writeAll([0] + Array("AUTH EXTERNAL \(hex)\r\n".utf8))
    let line = try readLine(deadline: deadline)
    guard line.hasPrefix("OK ") else { throw .authenticationFailed(line.isEmpty ? "no answer" : line) }
    try writeAll(Array("BEGIN\r\n".utf8))
  }

  private func readLine(deadline: ContinuousClock.Instant) throws(DBusError) -> String {
    while true {
      if let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: buffer[..<nl], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        buffer.removeSubrange(...nl)
        return line
      }
      guard buffer.count < 4096 else { throw .authenticationFailed("answer line longer than 4 KiB") }
      try fill(deadline: deadline, what: "the authentication answer")
    }
  }

  private func writeAll(_ bytes: [UInt8]) throws(DBusError) {
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .io("write", errno: errno)
      }
      sent += n
    }
  }

  /// Reads what is available into the buffer, waiting at most until `deadline`.
  private func fill(deadline: ContinuousClock.Instant, what: String) throws(DBusError) {
    while true {
      let left = deadline - ContinuousClock.now
      guard left > .zero else { throw .timedOut(what) }
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ms = Int32(clamping: max(1, left.wholeMilliseconds))
      let r = poll(&p, 1, ms)
      if r < 0 {
        if errno == EINTR { continue }
        throw .io("poll", errno: errno)
      }
      if r == 0 { continue }
      var chunk = [UInt8](repeating: 0, count: 65_536)
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw .io("read", errno: errno)
      }
      if n == 0 { throw .closed }
      buffer.append(contentsOf: chunk[0..<n])
      return
    }
  }

  /// The next whole message, waiting at most until `deadline`.
  func receive(deadline: ContinuousClock.Instant, what: String) throws(DBusError) -> DBusMessage {
    while buffer.count < 16 { try fill(deadline: deadline, what: what) }
    let total = try DBusMessage.totalLength(prefix: Array(buffer.prefix(16)), max: limits.messageBytesMax)
    while buffer.count < total { try fill(deadline: deadline, what: what) }
    let bytes = Array(buffer[0..<total])
    buffer.removeSubrange(0..<total)
    return try DBusMessage.decode(bytes, max: limits.messageBytesMax)
  }

  /// Sends a method call and waits for its reply; signals that arrive meanwhile are kept for `nextSignal`.
  func call(
    destination: String?, path: String, interface: String, member: String, body: [DBusValue] = [],
    deadline: ContinuousClock.Instant
  ) throws(DBusError) -> [DBusValue] {
    let serial = nextSerial
    nextSerial &+= 1
    try writeAll(
      DBusMessage.methodCall(
        serial: serial, destination: destination, path: path, interface: interface, member: member, body: body
      ).encoded())
    var unrelated = 0
    while true {
      let m = try receive(deadline: deadline, what: "the reply to \(interface).\(member)")
      switch m.kind {
      case .methodReturn where m.replySerial == serial:
        return m.body
      case .error where m.replySerial == serial:
        throw .remote(name: m.errorName ?? "error", message: m.body.first?.stringValue ?? "")
      case .signal where pendingSignals.count < 1024:
        pendingSignals.append(m)
      default:
        unrelated += 1
        guard unrelated < limits.unrelatedMessagesMax else { throw .unexpectedReply("too many unrelated messages") }
      }
    }
  }

  /// The next signal matching `filter` (kept ones first), waiting at most until `deadline`.
  func nextSignal(
    deadline: ContinuousClock.Instant, what: String, where filter: (DBusMessage) -> Bool
  ) throws(DBusError) -> DBusMessage {
    if let k = pendingSignals.firstIndex(where: filter) { return pendingSignals.remove(at: k) }
    pendingSignals.removeAll()
    var unrelated = 0
    while true {
      let m = try receive(deadline: deadline, what: what)
      if m.kind == .signal, filter(m) { return m }
      unrelated += 1
      guard unrelated < limits.unrelatedMessagesMax else { throw .unexpectedReply("too many unrelated messages") }
    }
  }
}
