import Files
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A single CIB file (what `CIB_file=FILE` names), written so a crash never leaves it half-written.
///
/// Why it exists: Pacemaker rewrites `CIB_file` in place; Vigil writes a temp file beside it, fsyncs, renames it
/// over the original and fsyncs the folder, so readers see the old or the new document, never a mix.
/// The file's permission bits are kept. A symlink is written through: the file it names is replaced, the link
/// stays (see `resolve`).
public enum CIBFile {
  /// Replaces the file `path` names with `root`, atomically. `mustExist`: the file was read at the start of this
  /// run, so its disappearance since is an error, not a reason to create a file holding only this run's edit.
  public static func write(_ root: CIBElement, to path: String, mustExist: Bool = false) throws(CIBError) {
    let target = try resolve(path)
    var st = stat()
    let exists = stat(target, &st) == 0
    if mustExist && !exists { throw .fileVanished(path: path) }
    let mode: mode_t = exists ? st.st_mode & 0o7777 : 0o644
    try CIBError.file(try FileIO.writeAtomically(path: target, bytes: CIBXML.serializeBytes(root), mode: mode))
    // open(2) applied the umask to the temp file; give the file back its exact permissions.
    _ = chmod(target, mode)
  }
}
