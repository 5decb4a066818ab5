import CIB
import Foundation
import TestKit
import Testing

/// Runs the real `pcs` binary built next to the test bundle and captures what it prints.
struct PCSRun: Sendable {
  var stdout: String
  var stderr: String
  var status: Int32
}

enum PCSHarness {
  /// Repository root, from this file's path (Tests/PCSTests/PCSHarness.swift).
  static let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// `../shared/reference/pcs`: what the real pcs 0.11.5 printed and wrote. CI has it beside the checkout, a bare
  /// clone does not, so the tests that read it are `.enabled(if: referencePresent, referenceMissing)`.
  static let reference: URL = repoRoot.appendingPathComponent("../shared/reference/pcs").standardized
  static let referencePresent = FileManager.default.fileExists(atPath: reference.path)
  static let referenceMissing: Comment = "needs the pcs reference captures in ../shared/reference/pcs"

  /// The `pcs` executable: next to the test bundle when `swift test` runs, else `.build/debug/pcs`.
  static let binary = TestProcess.builtProduct("pcs")

  /// Runs `pcs args...` in `directory` and waits for it.
  static func run(_ args: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> PCSRun {
    let r = try TestProcess.run(binary, args, environment: environment, directory: directory)
    return PCSRun(stdout: r.stdout, stderr: r.stderr, status: r.status)
  }

  /// A fresh scratch directory for one test.
  static func scratch(_ name: String = #function) throws -> URL {
    let clean = name.filter { $0.isLetter || $0.isNumber }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vigil-pcs-\(clean)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  static func referenceFile(_ relative: String) -> URL { reference.appendingPathComponent(relative) }

  static func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }
}
