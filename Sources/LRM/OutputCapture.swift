import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The last `limit` bytes of a stream, and how many earlier bytes were dropped.
///
/// Why the tail: when an agent misbehaves, its last lines say what it was doing; the first ones are banners.
struct TailBuffer: Sendable {
  let limit: Int
  private(set) var bytes: [UInt8] = []
  private(set) var droppedBytes = 0

  init(limit: Int) {
    precondition(limit > 0, "output bound must be positive")
    self.limit = limit
  }

  mutating func append(_ chunk: UnsafeRawBufferPointer) {
    bytes.append(contentsOf: chunk)
    // Trim only once the buffer is twice the bound, so appending stays amortised O(1).
    if bytes.count > 2 * limit { trim() }
  }

  mutating func trim() {
    if bytes.count > limit {
      droppedBytes += bytes.count - limit
      bytes.removeFirst(bytes.count - limit)
    }
  }

  var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Captured stdout and stderr of one operation.
struct CapturedOutput: Sendable {
  var standardOutput: TailBuffer
  var standardError: TailBuffer
}

/// Reads an agent's stdout and stderr pipes on a dedicated thread, keeping a bounded tail of each.
///
/// Why a thread and not the async pool: blocking reads would starve Swift's cooperative pool (2 threads on this
/// machine class). Why `finish()`: an agent that daemonizes leaves a grandchild holding the pipes open, so
/// end-of-file may never come. Once the agent itself has exited, everything it wrote is already in the pipe;
/// `finish()` drains that without waiting and stops, so completion never waits for a daemon.
final class OutputCapture: Sendable {
  private struct State: Sendable {
    var result: CapturedOutput?
    var waiter: CheckedContinuation<CapturedOutput, Never>?
  }
  private let state = Mutex(State())
  private let wakeWrite: Int32
  private let wakeRead: Int32

  /// Takes ownership of the read ends `stdoutFD` and `stderrFD`.
  init(stdoutFD: Int32, stderrFD: Int32, bytesMax: Int) {
    var wake: [Int32] = [-1, -1]
    let ok = makeCloseOnExecPipe(&wake)
    precondition(ok, "pipe2 failed: errno \(errno)")
    wakeWrite = wake[1]
    wakeRead = wake[0]
    let thread = Thread { [self] in
      let captured = Self.readLoop(stdoutFD: stdoutFD, stderrFD: stderrFD, wakeFD: wakeRead, bytesMax: bytesMax)
      close(stdoutFD)
      close(stderrFD)
      let waiter = state.withLock { s -> CheckedContinuation<CapturedOutput, Never>? in
        if let w = s.waiter { s.waiter = nil; return w }
        s.result = captured
        return nil
      }
      waiter?.resume(returning: captured)
    }
    thread.name = "lrm-output"
    thread.start()
  }

  /// The agent has exited: read what is buffered in the pipes, then stop (without waiting for EOF).
  func finish() {
    var one: UInt8 = 1
    _ = write(wakeWrite, &one, 1)
  }

  /// Waits for the reader to stop and returns what it kept. Call `finish()` first.
  func result() async -> CapturedOutput {
    let captured = await withCheckedContinuation { (c: CheckedContinuation<CapturedOutput, Never>) in
      let ready = state.withLock { s -> CapturedOutput? in
        if let r = s.result { return r }
        s.waiter = c
        return nil
      }
      if let ready { c.resume(returning: ready) }
    }
    // Both ends are closed only now, after the reader stopped: finish() never writes into a closed pipe.
    close(wakeWrite)
    close(wakeRead)
    return captured
  }

  private static func readLoop(stdoutFD: Int32, stderrFD: Int32, wakeFD: Int32, bytesMax: Int) -> CapturedOutput {
    var out = TailBuffer(limit: bytesMax)
    var err = TailBuffer(limit: bytesMax)
    var open = [true, true]
    let fds = [stdoutFD, stderrFD]
    var chunk = [UInt8](repeating: 0, count: 16 * 1024)

    /// Reads once from fds[i]; returns false at EOF or on error.
    func readOnce(_ i: Int) -> Bool {
      let n = chunk.withUnsafeMutableBytes { read(fds[i], $0.baseAddress, $0.count) }
      if n > 0 {
        chunk.withUnsafeBytes { buf in
          let slice = UnsafeRawBufferPointer(rebasing: buf[0..<n])
          if i == 0 { out.append(slice) } else { err.append(slice) }
        }
        return true
      }
      if n < 0 && (errno == EINTR || errno == EAGAIN) { return true }
      return false
    }

    var draining = false
    while open[0] || open[1] {
      if draining {
        // Non-blocking: take what is already in the pipe; stop at EAGAIN (only a daemon could write more).
        for i in 0..<2 where open[i] {
          var moreToRead = true
          while moreToRead {
            let n = chunk.withUnsafeMutableBytes { read(fds[i], $0.baseAddress, $0.count) }
            if n > 0 {
              chunk.withUnsafeBytes { buf in
                let slice = UnsafeRawBufferPointer(rebasing: buf[0..<n])
                if i == 0 { out.append(slice) } else { err.append(slice) }
              }
            } else if n < 0 && errno == EINTR {
              continue
            } else {
              moreToRead = false
            }
          }
          open[i] = false
        }
        break
      }
      var pfds = [
        pollfd(fd: open[0] ? stdoutFD : -1, events: Int16(POLLIN), revents: 0),
        pollfd(fd: open[1] ? stderrFD : -1, events: Int16(POLLIN), revents: 0),
        pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
      ]
      let rc = poll(&pfds, 3, -1)
      if rc < 0 {
        if errno == EINTR { continue }
        break
      }
      for i in 0..<2 where open[i] && pfds[i].revents != 0 {
        if !readOnce(i) { open[i] = false }
      }
      if pfds[2].revents != 0 {
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        draining = true
      }
    }
    out.trim()
    err.trim()
    return CapturedOutput(standardOutput: out, standardError: err)
  }
}
