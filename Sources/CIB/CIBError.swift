import Files

/// Operating errors of the CIB module's edges: reading and writing XML, versions, patches and the store.
///
/// Why it exists: callers (cibadmin, pcs, the daemon) must tell a person what to fix, so every case carries
/// the place (line and column, path, element) and the reason. Programmer errors are preconditions instead.
/// The typed model's validation reports its findings separately, as a list of issues.
public enum CIBError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The text is not well-formed XML. `line`/`column` are 1-based, as libxml2 reports them; `message` is libxml2's.
  case malformedXML(line: Int, column: Int, message: String)
  /// A file could not be read or written; `reason` is the operating system's explanation.
  case fileUnreadable(path: String, reason: String)
  case fileUnwritable(path: String, reason: String)
  /// The input exceeds the size limit the caller set.
  case documentTooLarge(bytes: Int, bytesMax: Int)
  /// The document's root element is not the one expected (for example `cib`).
  case unexpectedRoot(expected: String, found: String)
  /// A version attribute (admin_epoch, epoch, num_updates) is not a non-negative integer.
  case invalidVersion(attribute: String, value: String)
  /// A patch does not apply to the document it was given: `path` locates the element, `reason` says why.
  case patchDoesNotApply(path: String, reason: String)
  /// The element an edit targets does not exist (Pacemaker: "No such device or address").
  case notFound(String)
  /// An element with the same tag and id already exists where an edit would create one (Pacemaker: "File exists").
  case alreadyExists(tag: String, id: String, parent: String)
  /// A whole-CIB replacement carries an older version than the current CIB.
  case olderThanCurrent(current: CIBVersion, update: CIBVersion)
  /// The request itself makes no sense (Pacemaker: "Invalid argument"); the text says what to change.
  case invalidRequest(String)
  /// The store holds no version that passes its digest check; `reasons` lists each rejected file and why.
  case noValidVersion(directory: String, reasons: [String])
  /// The document has a DOCTYPE: DTDs and entities are refused unread, so an entity bomb costs nothing.
  case doctypeRefused
  /// An attribute value is longer than the caller's limit.
  case attributeTooLarge(element: String, id: String?, attribute: String, bytes: Int, bytesMax: Int)
  /// `validate-with` names no schema Pacemaker 2.1.5 knows (empty: the attribute is missing).
  case unknownSchema(String)
  /// Following the path's symlinks never reaches a file.
  case symlinkLoop(path: String)
  /// The file read at the start of the run was removed before it was written back.
  case fileVanished(path: String)
  /// The CIB fails validation, so no tool edits it; each reason names the element and the problem.
  case invalidCIB([String])

  public var description: String {
    switch self {
    case .malformedXML(let line, let column, let message):
      "malformed XML at line \(line), column \(column): \(message)"
    case .fileUnreadable(let path, let reason): "cannot read \(path): \(reason)"
    case .fileUnwritable(let path, let reason): "cannot write \(path): \(reason)"
    case .documentTooLarge(let bytes, let bytesMax):
      "document is \(bytes) bytes, more than the limit of \(bytesMax) bytes"
    case .unexpectedRoot(let expected, let found):
      "expected a <\(expected)> root element, found <\(found)>"
    case .invalidVersion(let attribute, let value):
      "\(attribute)=\"\(value)\" is not a non-negative integer; set it to a number such as 0"
    case .patchDoesNotApply(let path, let reason): "patch does not apply at \(path): \(reason)"
    case .notFound(let what): "\(what) does not exist"
    case .alreadyExists(let tag, let id, let parent):
      "<\(tag) id=\"\(id)\"> already exists in <\(parent)>; use --modify or --replace to change it"
    case .olderThanCurrent(let current, let update):
      "the update's version \(update) is older than the current CIB's \(current); raise its epoch or admin_epoch"
    case .invalidRequest(let reason): reason
    case .noValidVersion(let directory, let reasons):
      "no valid CIB version in \(directory): " + reasons.joined(separator: "; ")
    case .doctypeRefused: "the document has a DOCTYPE; DTDs and entities are refused, never expanded"
    case .attributeTooLarge(let element, let id, let attribute, let bytes, let bytesMax):
      "attribute \(attribute) of <\(element)\(id.map { " id=\"\($0)\"" } ?? "")> is \(bytes) bytes, more than the limit of "
        + "\(bytesMax) bytes"
    case .unknownSchema(let name):
      name.isEmpty
        ? "the <cib> element has no validate-with attribute"
        : "validate-with=\"\(name)\" is not a known schema (pacemaker-1.0 to pacemaker-3.9, pacemaker-next or none)"
    case .symlinkLoop(let path): "\(path): too many levels of symbolic links"
    case .fileVanished(let path): "\(path) was removed while this command ran; nothing was written"
    case .invalidCIB(let reasons): reasons.joined(separator: "; ")
    }
  }
}

extension CIBError {
  /// The CIB's reading of a file failure (its callers switch over CIBError only).
  init(_ failure: FileIOError) {
    switch failure {
    case .unreadable(let path, let reason): self = .fileUnreadable(path: path, reason: reason)
    case .unwritable(let path, let reason): self = .fileUnwritable(path: path, reason: reason)
    case .tooLarge(_, let bytes, let bytesMax): self = .documentTooLarge(bytes: bytes, bytesMax: bytesMax)
    }
  }

  /// Runs one file operation, reporting its failure as a CIBError.
  static func file<T>(_ operation: @autoclosure () throws(FileIOError) -> T) throws(CIBError) -> T {
    do { return try operation() } catch { throw CIBError(error) }
  }
}
