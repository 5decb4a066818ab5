import Files
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Bounds on a CIB document read from a file, so a hostile or broken file costs bounded memory and time.
public struct CIBFileLimits: Sendable {
  /// Largest file accepted. Real CIBs stay far below it (a 5,000-resource, 32-node CIB with status is ~40 MB).
  public var documentBytesMax: Int
  /// Longest attribute value accepted (nvpair values, descriptions, rule text are a few KB at most).
  public var attributeBytesMax: Int

  public init(documentBytesMax: Int = 128 << 20, attributeBytesMax: Int = 1 << 20) {
    precondition(documentBytesMax > 0 && attributeBytesMax > 0)
    self.documentBytesMax = documentBytesMax
    self.attributeBytesMax = attributeBytesMax
  }
}

/// How much of a CIB a tool needs before it works on it.
public enum CIBFileCheck: Sendable {
  /// Well-formed, a `<cib>` root, a known `validate-with`, within the limits: what crm_verify needs, since
  /// reporting everything else is its job.
  case readable
  /// Also passes the schema-level checks (ids, references, scores, sections): a CIB a tool edits and writes back.
  case editable
}

/// The one loader for CIB files (`pcs -f`, `CIB_file=`, `crm_verify -x`, `crm_simulate -x`), so every tool refuses
/// the same bad files with the same reasons.
///
/// Invariants: a symlink is followed to the file it names (at most `symlinkHopsMax` hops, a loop is an error) and
/// that file is what is read and later replaced; a DOCTYPE is refused before any entity is declared or expanded;
/// nothing larger than the limits is held in memory for long; a refused file is never written.
extension CIBFile {
  /// The reason given for a file holding nothing but whitespace (pcs reports such a file without a reason).
  public static let emptyFileMessage = "the file is empty"

  /// Symlink hops followed before giving up (Linux's own limit is 40).
  public static let symlinkHopsMax = 40

  /// Schema names Pacemaker 2.1.5 knows (`validate-with`); anything else is refused rather than guessed at.
  public static let knownSchemas: Set<String> = {
    // "none": validation switched off, still accepted by Pacemaker 2.1.5 (deprecated).
    var names: Set<String> = ["pacemaker-1.0", "pacemaker-1.2", "pacemaker-1.3", "pacemaker-next", "none"]
    for minor in 0...10 { names.insert("pacemaker-2.\(minor)") }
    for minor in 0...9 { names.insert("pacemaker-3.\(minor)") }
    return names
  }()

  /// The file `path` names once symlinks are followed; the path itself when it is no symlink (or does not exist).
  public static func resolve(_ path: String) throws(CIBError) -> String {
    var current = path
    for _ in 0...symlinkHopsMax {
      var st = stat()
      guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = readlink(current, &buffer, buffer.count - 1)
      guard n > 0 else { throw .fileUnreadable(path: current, reason: String(cString: strerror(errno))) }
      let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if target.hasPrefix("/") {
        current = target
      } else if let slash = current.lastIndex(of: "/") {
        current = String(current[...slash]) + target
      } else {
        current = target
      }
    }
    throw .symlinkLoop(path: path)
  }

  /// Reads the CIB in the file `path` names (through symlinks), or nil when nothing exists there.
  public static func load(
    _ path: String, check: CIBFileCheck, limits: CIBFileLimits = CIBFileLimits()
  ) throws(CIBError) -> CIBElement? {
    let target = try resolve(path)
    var st = stat()
    guard stat(target, &st) == 0 else {
      if errno == ENOENT { return nil }
      throw .fileUnreadable(path: path, reason: String(cString: strerror(errno)))
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw .fileUnreadable(path: path, reason: "not a regular file") }
    if Int(st.st_size) > limits.documentBytesMax {
      throw .documentTooLarge(bytes: Int(st.st_size), bytesMax: limits.documentBytesMax)
    }
    let bytes = try CIBError.file(try FileIO.readAll(path: target, bytesMax: limits.documentBytesMax))
    return try parseDocument(bytes, sourceName: path, check: check, limits: limits)
  }

  /// Parses CIB text from any source (a file's bytes, stdin) with the same refusals as `load`.
  public static func parseDocument(
    _ bytes: [UInt8], sourceName: String, check: CIBFileCheck, limits: CIBFileLimits = CIBFileLimits()
  ) throws(CIBError) -> CIBElement {
    guard bytes.count <= limits.documentBytesMax else {
      throw .documentTooLarge(bytes: bytes.count, bytesMax: limits.documentBytesMax)
    }
    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) {
      throw .malformedXML(line: 1, column: 1, message: emptyFileMessage)
    }
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(CIBError) in
        try CIBXML.parse(utf8: buffer, inputBytesMax: limits.documentBytesMax, sourceName: sourceName, doctype: .refuse)
      }
    }
    let root = try result.get()
    guard root.name == "cib" else { throw .unexpectedRoot(expected: "cib", found: root.name) }
    try checkAttributes(root, bytesMax: limits.attributeBytesMax)
    let schema = root[attribute: "validate-with"] ?? ""
    guard knownSchemas.contains(schema) else { throw .unknownSchema(schema) }
    _ = try CIBVersion(of: root)
    var badIds: [String] = []
    collectBadIds(root, into: &badIds)
    if !badIds.isEmpty { throw .invalidCIB(badIds) }
    guard check == .editable else { return root }
    guard root.firstElement(named: "configuration") != nil else {
      throw .invalidCIB(["the <cib> element has no <configuration> section"])
    }
    let reasons = validateCIB(root).filter { $0.severity == .error && schemaLevelKinds.contains($0.kind) }
      .map(\.description)
    if !reasons.isEmpty { throw .invalidCIB(reasons) }
    return root
  }

  /// Findings Pacemaker's own schema rejects (ids, references, scores, sections), so Pacemaker's tools refuse the
  /// file too. Vigil's other findings are ones Pacemaker accepts and then ignores or resets (on-fail=stop on a
  /// stop, a duplicate monitor): such a CIB still loads for editing, as it does with Pacemaker, and crm_verify
  /// reports them.
  public static let schemaLevelKinds: Set<CIBValidationIssue.Kind> = [
    .notACIB, .missingID, .duplicateID, .unknownReference, .danglingIDRef, .invalidScore,
  ]

  /// Pacemaker's schema types ids as XML names: never empty, never with whitespace (pcs refuses such a CIB).
  private static func collectBadIds(_ element: CIBElement, into reasons: inout [String]) {
    if let id = element.id, id.isEmpty || id.contains(where: \.isWhitespace) {
      reasons.append("error: \(element.name) id=\"\(id)\": an id is an XML name, never empty and without whitespace")
    }
    for child in element.elements { collectBadIds(child, into: &reasons) }
  }

  private static func checkAttributes(_ element: CIBElement, bytesMax: Int) throws(CIBError) {
    for attribute in element.attributes where attribute.value.utf8.count > bytesMax {
      throw .attributeTooLarge(
        element: element.name, id: element.id, attribute: attribute.name, bytes: attribute.value.utf8.count,
        bytesMax: bytesMax)
    }
    for child in element.elements { try checkAttributes(child, bytesMax: bytesMax) }
  }
}
