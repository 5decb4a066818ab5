#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// pcs's two streams. Warnings go to stderr as they happen, as pcs prints them; results go to stdout.
enum Console {
  static func out(_ line: String) { write(1, line + "\n") }
  static func outRaw(_ text: String) { write(1, text) }
  static func err(_ line: String) { write(2, line + "\n") }
  static func errRaw(_ text: String) { write(2, text) }
  static func warn(_ text: String) { err("Warning: " + text) }
  static func deprecation(_ text: String) { err("Deprecation Warning: " + text) }

  static func report(_ failure: PcsFailure) {
    for line in failure.lines { err(line) }
  }

  private static func write(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let n = bytes.withUnsafeMutableBytes { buf in
        #if canImport(Glibc)
          Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
        #else
          Darwin.write(fd, buf.baseAddress! + offset, buf.count - offset)
        #endif
      }
      if n <= 0 { return }
      offset += n
    }
  }
}

/// A command that failed: the exact stderr lines pcs prints, and its exit code (always 1 in pcs 0.11.5).
///
/// Library-style errors (pcs/lib) end with the "continue" line; legacy CLI errors are a single `Error:`
/// line, sometimes followed by raw detail lines. The constructors keep those shapes in one place.
struct PcsFailure: Error, Sendable, Equatable {
  var lines: [String]
  var exitCode: Int32 = 1

  static let continueLine = "Error: Errors have occurred, therefore pcs is unable to continue"

  /// A legacy CLI error: `Error: <message>` and optional raw detail lines.
  static func legacy(_ message: String, details: [String] = []) -> PcsFailure {
    PcsFailure(lines: ["Error: " + message] + details)
  }

  /// Library errors: one `Error:` line each (detail lines allowed), then the continue line.
  static func library(_ messages: [String]) -> PcsFailure {
    PcsFailure(lines: messages.map { "Error: " + $0 } + [continueLine])
  }

  static func library(_ message: String) -> PcsFailure { library([message]) }
}

/// Errors and warnings reported while validating, the way pcs's library reports them: each item is printed
/// as soon as it is found (so errors and warnings interleave exactly as pcs prints them); forceable errors
/// become warnings under `--force`; if any error was reported the command fails with the continue line.
struct Report {
  let force: Bool
  private(set) var errorCount = 0

  init(force: Bool) { self.force = force }

  /// An error that `--force` turns into a warning.
  mutating func forceable(_ message: String) {
    if force {
      Console.warn(message)
    } else {
      error(message + ", use --force to override")
    }
  }

  /// An error that `--force` does not change.
  mutating func error(_ message: String) {
    Console.err("Error: " + message)
    errorCount += 1
  }

  func warn(_ message: String) { Console.warn(message) }

  var hasErrors: Bool { errorCount > 0 }

  /// Fails the command if any error was reported (they are already printed).
  func check() throws(PcsFailure) {
    if errorCount > 0 { throw PcsFailure(lines: [PcsFailure.continueLine]) }
  }
}
