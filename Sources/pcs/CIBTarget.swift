import CIB

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a command reads and writes the CIB: the file given with `-f` (offline), or the live cluster.
///
/// Invariants kept here, for every writing command: the file is read once, edited in memory, written back
/// atomically (temporary file in the same directory, fsync, rename) with `epoch` bumped by exactly one;
/// a command that fails leaves the file untouched.
enum CIBTarget {
  /// The CIB pcs creates when `-f` names a file that does not exist (pcs's `cluster cib`-style file).
  static func emptyPcsCIB() -> CIBElement {
    CIBEdit.emptyCIB(["admin_epoch": "0", "epoch": "1", "num_updates": "0", "validate-with": "pacemaker-3.1"])
  }

  /// Reads the CIB the command works on: the file given with `-f`, else the live CIB from clusterd.
  static func load(_ global: GlobalOptions) throws(PcsFailure) -> CIBElement {
    try loadNoting(global).cib
  }

  /// The CIB, and whether it came from an existing file (so writing it back must find that file still there).
  /// A file the shared loader refuses (symlink loop, DOCTYPE, limits, unknown schema, failed validation) is
  /// pcs's "unable to get cib" plus the reason; an empty file is pcs's bare "unable to get cib".
  private static func loadNoting(_ global: GlobalOptions) throws(PcsFailure) -> (cib: CIBElement, fromFile: Bool) {
    guard let path = global.file else { return (try LiveCIB.load(), false) }
    do {
      guard let root = try CIBFile.load(path, check: .editable) else { return (emptyPcsCIB(), false) }
      return (root, true)
    } catch {
      if case .malformedXML(_, _, CIBFile.emptyFileMessage) = error { throw .legacy("unable to get cib") }
      throw .legacy("unable to get cib, \(error)")
    }
  }

  /// Loads, applies `edit`, and writes the result back with epoch + 1. Nothing is written if `edit` throws.
  /// `writeUnchanged: false`: an edit that changes nothing writes nothing (pcs's newer commands push only a diff).
  static func edit<Result>(
    _ global: GlobalOptions, writeUnchanged: Bool = true, _ edit: (inout CIBElement) throws(PcsFailure) -> Result
  ) throws(PcsFailure) -> Result {
    // Live: the DC refuses a write based on an older configuration (optimistic concurrency); the edit is then
    // re-applied to the newer CIB, a bounded number of times.
    var attempt = 0
    while true {
      var (cib, fromFile) = try loadNoting(global)
      let base = cib
      let result = try edit(&cib)
      if !writeUnchanged && cib == base { return result }
      do {
        try store(cib, base: base, global: global, fileMustExist: fromFile)
        return result
      } catch {
        attempt += 1
        guard global.file == nil, attempt < 5, error.lines.contains(where: { $0.contains(LiveCIB.conflictMarker) }) else {
          throw error
        }
      }
    }
  }

  /// Writes `cib` with its epoch bumped by one (live: the DC writes it, refusing it if the CIB changed since
  /// it was read, so a concurrent edit is never lost).
  static func store(
    _ cib: CIBElement, base: CIBElement, global: GlobalOptions, fileMustExist: Bool = false
  ) throws(PcsFailure) {
    guard let path = global.file else { return try LiveCIB.replace(cib, base: base) }
    var cib = cib
    let epoch = Int(cib[attribute: "epoch"] ?? "0") ?? 0
    cib[attribute: "epoch"] = String(epoch + 1)
    do {
      try CIBFile.write(cib, to: path, mustExist: fileMustExist)
    } catch {
      throw .legacy("Unable to write to file '\(path)': \(error)")
    }
  }
}

/// Small POSIX file helpers: whole-file reads and atomic replacement (write, fsync, rename, fsync dir).
enum FileBytes {
  struct IOError: Error { let message: String }

  /// The file's bytes, or nil if it cannot be opened. Files above `bytesMax` are refused (nil).
  static func read(_ path: String, bytesMax: Int = 512 << 20) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 { if errno == EINTR { continue } else { return nil } }
      if n == 0 { break }
      result.append(contentsOf: chunk[0..<n])
      if result.count > bytesMax { return nil }
    }
    return result
  }

  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}

/// The XML edge: CIB text <-> lossless tree, through the CIB module (libxml2 stays there).
enum CIBCodec {
  static func parse(_ bytes: [UInt8]) throws(PcsFailure) -> CIBElement {
    do {
      return try parseXML(bytes)
    } catch {
      throw .legacy("unable to get cib")
    }
  }

  /// Any XML document (agent metadata), as a tree.
  static func parseXML(_ bytes: [UInt8]) throws(CIBError) -> CIBElement {
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(CIBError) in try CIBXML.parse(utf8: buffer) }
    }
    return try result.get()
  }
}
