#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a file could not be read or written: the path and the system's reason.
public enum FileIOError: Error, Equatable, Sendable, CustomStringConvertible {
  case unreadable(path: String, reason: String)
  case unwritable(path: String, reason: String)
  case tooLarge(path: String, bytes: Int, bytesMax: Int)

  public var description: String {
    switch self {
    case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
    case .unwritable(let path, let reason): "cannot write \(path): \(reason)"
    case .tooLarge(let path, let bytes, let bytesMax): "\(path) is \(bytes) bytes, more than the \(bytesMax) allowed"
    }
  }
}

/// The one reader and the one atomic writer of every module: whole-file reads with a size limit, and durable writes
/// (fresh temp file, fsync, rename, fsync of the folder) so a crash leaves either the old or the new file, never a
/// mix, and a stale temp file never lends its mode to the new one.
public enum FileIO {
  public static func errnoText() -> String { String(cString: strerror(errno)) }

  /// Reads the whole file, refusing files larger than `bytesMax`.
  public static func readAll(path: String, bytesMax: Int) throws(FileIOError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .unreadable(path: path, reason: errnoText()) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw .unreadable(path: path, reason: errnoText()) }
    let size = Int(st.st_size)
    guard size <= bytesMax else { throw .tooLarge(path: path, bytes: size, bytesMax: bytesMax) }
    // Uninitialized: no memset of a buffer that read(2) fills anyway (measurable at 10 MB).
    var failure: FileIOError?
    let result = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      var filled = 0
      while filled < size {
        let n = read(fd, buffer.baseAddress! + filled, size - filled)
        if n < 0 {
          if errno == EINTR { continue }
          failure = .unreadable(path: path, reason: errnoText())
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

  /// Reads the whole file as UTF-8 text, refusing files larger than `bytesMax`.
  public static func readText(path: String, bytesMax: Int) throws(FileIOError) -> String {
    String(decoding: try readAll(path: path, bytesMax: bytesMax), as: UTF8.self)
  }

  /// Writes `bytes` to `path` atomically and durably: a temp file in the same folder, fsync, rename over
  /// `path`, then fsync of the folder so the rename itself survives a power cut.
  public static func writeAtomically(path: String, bytes: [UInt8], mode: mode_t = 0o600) throws(FileIOError) {
    let folder = directoryName(of: path)
    let temp = "\(path).tmp.\(getpid())"
    // A fresh temp file (O_EXCL): one left by a dead writer with the same pid would keep its old mode, and the
    // file (a CIB with fence device passwords, an authkey) would end up with it instead of `mode`.
    unlink(temp)
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { throw .unwritable(path: temp, reason: errnoText()) }
    var renamed = false
    defer { if !renamed { unlink(temp) } }
    do {
      defer { close(fd) }
      try writeAll(fd: fd, bytes: bytes, path: temp)
      guard fsync(fd) == 0 else { throw .unwritable(path: temp, reason: errnoText()) }
    }
    guard rename(temp, path) == 0 else { throw .unwritable(path: path, reason: errnoText()) }
    renamed = true
    try fsyncDirectory(folder)
  }

  public static func writeAtomically(path: String, text: String, mode: mode_t = 0o600) throws(FileIOError) {
    try writeAtomically(path: path, bytes: Array(text.utf8), mode: mode)
  }

  static func writeAll(fd: Int32, bytes: [UInt8], path: String) throws(FileIOError) {
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .unwritable(path: path, reason: errnoText())
      }
      written += n
    }
  }

  static func fsyncDirectory(_ folder: String) throws(FileIOError) {
    let dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dfd >= 0 else { throw .unwritable(path: folder, reason: errnoText()) }
    defer { close(dfd) }
    guard fsync(dfd) == 0 else { throw .unwritable(path: folder, reason: errnoText()) }
  }

  public static func directoryName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let d = String(path[..<slash])
    return d.isEmpty ? "/" : d
  }

  public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// Appends `text` to `path` (created with `mode` if missing) with one write(2), without fsync: once this returns
  /// the text survives the writer's death (the kernel has it), not a power cut. For records kept under /run,
  /// which a reboot empties anyway.
  public static func append(path: String, text: String, mode: mode_t = 0o600) throws(FileIOError) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode)
    guard fd >= 0 else { throw .unwritable(path: path, reason: errnoText()) }
    defer { close(fd) }
    try writeAll(fd: fd, bytes: Array(text.utf8), path: path)
  }
}
