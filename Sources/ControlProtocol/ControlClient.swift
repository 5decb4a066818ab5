#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a control request failed before clusterd could answer it.
public enum ControlClientError: Error, Equatable, Sendable, CustomStringConvertible {
  /// No clusterd listens on the socket (not running, or the path is wrong).
  case notRunning(path: String, reason: String)
  /// The connection broke or timed out, or the answer was not a valid frame.
  case protocolError(String)
  public var description: String {
    switch self {
    case .notRunning(let path, let reason): return "cannot connect to clusterd at \(path): \(reason)"
    case .protocolError(let m): return m
    }
  }
}

/// A blocking client of clusterd's unix socket, for the command-line tools (one request per connection).
public struct ControlClient: Sendable {
  /// The socket used when neither a path nor `VIGIL_SOCKET` is given.
  public static let defaultSocketPath = "/run/vigil/clusterd.sock"
  public let path: String
  /// How long one request may take (a CIB replace waits until the DC has written it).
  public let timeoutMs: Int

  public init(path: String? = nil, timeoutMs: Int = 60_000) {
    precondition(timeoutMs > 0)
    if let path {
      self.path = path
    } else if let env = getenv("VIGIL_SOCKET"), let s = String(validatingCString: env), !s.isEmpty {
      self.path = s
    } else {
      self.path = Self.defaultSocketPath
    }
    self.timeoutMs = timeoutMs
  }

  /// Sends one request and waits for its response.
  public func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw .notRunning(path: path, reason: errnoText()) }
    defer { close(fd) }
    var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard bytes.count < capacity else { throw .notRunning(path: path, reason: "socket path too long") }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (i, b) in bytes.enumerated() { raw[i] = b }
      raw[bytes.count] = 0
    }
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard rc == 0 else { throw .notRunning(path: path, reason: errnoText()) }
    let frame: [UInt8]
    do { frame = try ControlFrame.encode(request) } catch { throw .protocolError("cannot encode request: \(error)") }
    try writeAll(fd, frame)
    let header = try readExactly(fd, 4)
    let length = ControlFrame.length(of: header)
    guard length <= ControlFrame.bytesMax else { throw .protocolError("response of \(length) bytes is too large") }
    let body = try readExactly(fd, length)
    do {
      return try ControlFrame.decode(ControlResponse.self, body)
    } catch {
      throw .protocolError("malformed response from clusterd: \(error)")
    }
  }

  private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(ControlClientError) {
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .protocolError("write to clusterd failed: \(errnoText())")
      }
      offset += n
    }
  }

  private func readExactly(_ fd: Int32, _ count: Int) throws(ControlClientError) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
      let n = out[offset...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw .protocolError("clusterd did not answer within \(timeoutMs) ms") }
        throw .protocolError("read from clusterd failed: \(errnoText())")
      }
      if n == 0 { throw .protocolError("clusterd closed the connection") }
      offset += n
    }
    return out
  }

  private func errnoText() -> String { String(cString: strerror(errno)) }
}
