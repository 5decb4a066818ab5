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
/// The file's permission bits are kept.
public enum CIBFile {
  public static func write(_ root: CIBElement, to path: String) throws(CIBError) {
    var st = stat()
    let mode: mode_t = stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0o644
    try CIBError.file(try FileIO.writeAtomically(path: path, bytes: CIBXML.serializeBytes(root), mode: mode))
    // open(2) applied the umask to the temp file; give the file back its exact permissions.
    _ = chmod(path, mode)
  }
}
