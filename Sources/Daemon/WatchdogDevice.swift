import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// A watchdog device opened by clusterd: Linux's /dev/watchdog (or softdog), or the test stand-in's FIFO
/// (Tests/Support/vigil-watchdog). Opening arms it; every keepalive restarts its timer; a magic close ('V', then
/// close) disarms it; a close without 'V' (clusterd killed) leaves it armed, so the node is reset unless a new
/// clusterd reopens it and feeds in time. Only the daemon loop writes to it (`WatchdogCore` decides when).
final class WatchdogDevice {
  let path: String
  /// The timeout the device runs with (a real driver may round the asked one).
  let timeoutS: Int
  private var fd: Int32
  private let isFIFO: Bool

  // linux/watchdog.h: _IOWR('W', 6, int) and _IOR('W', 7, int).
  static let setTimeoutRequest: UInt = 0xC004_5706
  static let getTimeoutRequest: UInt = 0x8004_5707

  /// Opens and arms `path` with `timeoutS`; the first keepalive is written at once. Non-blocking, so a stand-in
  /// that is not listening (no reader on the FIFO) is an error here rather than a hang.
  init(path: String, timeoutS: Int) throws(DaemonError) {
    guard timeoutS >= 1 else { throw .config("--watchdog-timeout-s must be a whole number of seconds >= 1") }
    let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      let reason = errno == ENXIO ? "no watchdog is listening on this FIFO" : String(cString: strerror(errno))
      throw .config("cannot open the watchdog device \(path): \(reason)")
    }
    var st = stat()
    fstat(fd, &st)
    let kind = st.st_mode & S_IFMT
    self.path = path
    self.fd = fd
    self.isFIFO = kind == S_IFIFO
    if kind == S_IFCHR {
      var asked = Int32(timeoutS)
      if ioctl(fd, Self.setTimeoutRequest, &asked) != 0 {
        let reason = String(cString: strerror(errno))
        Self.magicClose(fd)
        throw .config("the watchdog device \(path) refused a \(timeoutS) s timeout (WDIOC_SETTIMEOUT: \(reason))")
      }
      var actual = Int32(0)
      self.timeoutS = ioctl(fd, Self.getTimeoutRequest, &actual) == 0 && actual > 0 ? Int(actual) : Int(asked)
    } else if kind == S_IFIFO {
      self.timeoutS = timeoutS
    } else {
      close(fd)
      throw .config("the watchdog device \(path) is neither a character device nor a FIFO")
    }
    guard keepalive() else {
      Self.magicClose(fd)
      throw .config("cannot write a keepalive to the watchdog device \(path): \(String(cString: strerror(errno)))")
    }
  }

  /// Restarts the device's timer; false when the write failed (the device then resets the node on its own).
  @discardableResult
  func keepalive() -> Bool {
    guard fd >= 0 else { return false }
    if isFIFO {
      // A stand-in that went away would raise SIGPIPE on write: look before writing.
      var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
      if poll(&p, 1, 0) < 0 || p.revents & Int16(POLLERR | POLLHUP) != 0 { return false }
    }
    var byte = UInt8(ascii: "k")
    return write(fd, &byte, 1) == 1
  }

  /// The magic close: the device stops counting (a graceful stop, everything here was stopped first).
  func disarm() {
    guard fd >= 0 else { return }
    Self.magicClose(fd)
    fd = -1
  }

  private static func magicClose(_ fd: Int32) {
    var v = UInt8(ascii: "V")
    _ = write(fd, &v, 1)
    close(fd)
  }
}
