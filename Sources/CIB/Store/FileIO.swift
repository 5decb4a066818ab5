#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Small POSIX file helpers with CIBError reporting: whole-file reads with a size limit, and durable writes
/// (temp file, fsync, rename, fsync of the folder) so a crash leaves either the old or the new file.
enum FileIO {
  static func errnoText() -> String { String(cString: strerror(errno)) }

  /// Reads the whole file, refusing files larger than `bytesMax`.
  static func readAll(path: String, bytesMax: Int) throws(CIBError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .fileUnreadable(path: path, reason: errnoText()) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw .fileUnreadable(path: path, reason: errnoText()) }
    let size = Int(st.st_size)
    guard size <= bytesMax else { throw .documentTooLarge(bytes: size, bytesMax: bytesMax) }
    // Uninitialized: no memset of a buffer that read(2) fills anyway (measurable at 10 MB).
    var failure: CIBError?
    let result = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      var filled = 0
      while filled < size {
        let n = read(fd, buffer.baseAddress! + filled, size - filled)
        if n < 0 {
          if errno == EINTR { continue }
          failure = .fileUnreadable(path: path, reason: errnoText())
          break
        }
        if n == 0 { break }  // the file shrank while we read it
        filled += n
      }
      initialized = filled
    }
    if let failure { throw failure }
    return result
  }

  /// Writes `bytes` to `path` atomically and durably: a temp file in the same folder, fsync, rename over
  /// `path`, then fsync of the folder so the rename itself survives a power cut.
  static func writeAtomically(path: String, bytes: [UInt8], mode: mode_t = 0o600) throws(CIBError) {
    let folder = directoryName(of: path)
    let temp = "\(path).tmp.\(getpid())"
    // A fresh temp file (O_EXCL): one left by a dead writer with the same pid would keep its old mode, and the
    // CIB (fence device passwords included) would end up with it instead of `mode`.
    unlink(temp)
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { throw .fileUnwritable(path: temp, reason: errnoText()) }
    var ok = false
    defer { if !ok { unlink(temp) } }
    do {
      defer { close(fd) }
      try writeAll(fd: fd, bytes: bytes, path: temp)
      guard fsync(fd) == 0 else { throw .fileUnwritable(path: temp, reason: errnoText()) }
    }
    guard rename(temp, path) == 0 else { throw .fileUnwritable(path: path, reason: errnoText()) }
    ok = true
    try fsyncDirectory(folder)
  }

  static func writeAll(fd: Int32, bytes: [UInt8], path: String) throws(CIBError) {
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .fileUnwritable(path: path, reason: errnoText())
      }
      written += n
    }
  }

  static func fsyncDirectory(_ folder: String) throws(CIBError) {
    let dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dfd >= 0 else { throw .fileUnwritable(path: folder, reason: errnoText()) }
    defer { close(dfd) }
    guard fsync(dfd) == 0 else { throw .fileUnwritable(path: folder, reason: errnoText()) }
  }

  static func directoryName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let d = String(path[..<slash])
    return d.isEmpty ? "/" : d
  }

  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
