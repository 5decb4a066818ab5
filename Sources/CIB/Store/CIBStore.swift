import Crypto
import Files

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The durable, on-disk CIB of one node: numbered versions in one folder, each with a SHA-256 digest beside it.
///
/// Why it exists: a node must restart from the newest CIB it had accepted even if it crashed (or lost power)
/// in the middle of writing. Each version is written atomically (temp file, fsync, rename, fsync of the folder)
/// and its digest is written after it, so a version whose digest is missing or wrong was torn and is skipped.
/// Layout: `cib-<sequence>.xml` and `cib-<sequence>.xml.sha256` (hex digest and a newline). The last
/// `versionsKept` versions are kept, older ones deleted after each successful save.
/// Invariant: `load()` returns only versions whose bytes match their digest and parse as XML.
public struct CIBStore: Sendable {
  public let directory: String
  /// How many versions stay on disk (at least 1, at most 1,000).
  public let versionsKept: Int
  /// Largest CIB file read back.
  public let fileBytesMax: Int

  public init(directory: String, versionsKept: Int = 10, fileBytesMax: Int = CIBXML.defaultInputBytesMax) {
    precondition((1...1000).contains(versionsKept), "versionsKept must be 1...1000, got \(versionsKept)")
    precondition(fileBytesMax > 0)
    self.directory = directory
    self.versionsKept = versionsKept
    self.fileBytesMax = fileBytesMax
  }

  /// What `load()` found: the newest valid version and a warning for each newer version it had to skip.
  public struct Loaded: Equatable, Sendable {
    public var root: CIBElement
    public var sequence: Int
    public var warnings: [String]
  }

  static let prefix = "cib-"
  static let suffix = ".xml"
  static let digestSuffix = ".sha256"

  func xmlPath(_ sequence: Int) -> String { directory + "/" + Self.fileName(sequence) }

  static func fileName(_ sequence: Int) -> String {
    let digits = String(sequence)
    return prefix + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + suffix
  }

  /// SHA-256 of `bytes` as 64 lowercase hex digits, the content of a `.sha256` file (without newline).
  public static func digestHex(of bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

  static func hex(_ digest: SHA256.Digest) -> String {
    let table = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in digest {
      out.append(table[Int(byte >> 4)])
      out.append(table[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Sequence numbers of the versions present (digest or not), newest first.
  public func sequences() throws(CIBError) -> [Int] {
    guard let dir = opendir(directory) else {
      if errno == ENOENT { return [] }
      throw .fileUnreadable(path: directory, reason: FileIO.errnoText())
    }
    defer { closedir(dir) }
    var found: [Int] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      guard name.hasPrefix(Self.prefix), name.hasSuffix(Self.suffix) else { continue }
      let middle = name.dropFirst(Self.prefix.count).dropLast(Self.suffix.count)
      if let n = Int(middle), n >= 0 { found.append(n) }
    }
    return found.sorted(by: >)
  }

  /// Loads the newest version whose digest matches and whose XML parses; nil when the store holds no version.
  /// Throws `.noValidVersion` when versions exist but none is intact.
  public func load() throws(CIBError) -> Loaded? {
    let all = try sequences()
    if all.isEmpty { return nil }
    var warnings: [String] = []
    for sequence in all {
      let path = xmlPath(sequence)
      do {
        let root = try readVerified(path)
        return Loaded(root: root, sequence: sequence, warnings: warnings)
      } catch {
        warnings.append("skipped \(path): \(error)")
      }
    }
    throw .noValidVersion(directory: directory, reasons: warnings)
  }

  private func readVerified(_ path: String) throws(CIBError) -> CIBElement {
    let bytes = try CIBError.file(try FileIO.readAll(path: path, bytesMax: fileBytesMax))
    let digestBytes: [UInt8]
    do {
      digestBytes = try CIBError.file(try FileIO.readAll(path: path + Self.digestSuffix, bytesMax: 1024))
    } catch {
      throw .fileUnreadable(path: path, reason: "its digest file is missing or unreadable (torn write?)")
    }
    let recorded = String(decoding: digestBytes, as: UTF8.self).trimmingWhitespace()
    let actual = Self.digestHex(of: bytes)
    guard recorded == actual else {
      throw .fileUnreadable(path: path, reason: "SHA-256 digest mismatch (file is torn or corrupt)")
    }
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(CIBError) in try CIBXML.parse(utf8: buffer, inputBytesMax: fileBytesMax, sourceName: path) }
    }
    return try result.get()
  }

  /// Writes `root` as a new version durably and returns its sequence number; then deletes versions beyond
  /// `versionsKept` and temp files left by writers that died. On error nothing older is touched.
  @discardableResult
  public func save(_ root: CIBElement) throws(CIBError) -> Int {
    try makeDirectory()
    let sequence = (try sequences().first ?? 0) + 1
    let bytes = CIBXML.serializeBytes(root)
    let path = xmlPath(sequence)
    // The XML first, then its digest: a crash in between leaves a version without digest, which load skips.
    try CIBError.file(try FileIO.writeAtomically(path: path, bytes: bytes))
    let digest = Array((Self.digestHex(of: bytes) + "\n").utf8)
    try CIBError.file(try FileIO.writeAtomically(path: path + Self.digestSuffix, bytes: digest))
    try prune()
    return sequence
  }

  private func makeDirectory() throws(CIBError) {
    if mkdir(directory, 0o750) != 0 && errno != EEXIST {
      throw .fileUnwritable(path: directory, reason: FileIO.errnoText())
    }
  }

  private func prune() throws(CIBError) {
    let all = try sequences()
    for sequence in all.dropFirst(versionsKept) {
      let path = xmlPath(sequence)
      unlink(path + Self.digestSuffix)
      unlink(path)
    }
    // Temp files of writers that were killed mid-write ("cib-N.xml.tmp.PID", "...sha256.tmp.PID").
    guard let dir = opendir(directory) else { return }
    defer { closedir(dir) }
    var stale: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      if name.hasPrefix(Self.prefix), name.contains(".tmp.") { stale.append(name) }
    }
    for name in stale.sorted() where !name.hasSuffix(".tmp.\(getpid())") { unlink(directory + "/" + name) }
  }
}

extension String {
  func trimmingWhitespace() -> String {
    var s = Substring(self)
    while let c = s.first, c.isWhitespace { s.removeFirst() }
    while let c = s.last, c.isWhitespace { s.removeLast() }
    return String(s)
  }
}
