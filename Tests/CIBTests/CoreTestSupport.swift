import Foundation
import TestKit
import Testing

/// Locations shared by the Core* tests: the repository root (from this file's path) and the shared corpus.
enum CoreTestPaths {
  static let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    // Tests/CIBTests/CoreTestSupport.swift -> repo root
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// Pacemaker's scheduler corpus in ../shared beside the checkout: CI has it, a bare clone does not, so the tests
  /// that read it are `.enabled(if: corpusPresent, corpusMissing)`.
  static let corpus = URL(fileURLWithPath: repoRoot + "/../shared/conformance/xml").standardized.path
  static let corpusPresent = FileManager.default.fileExists(atPath: corpus)
  static let corpusMissing: Comment = "needs Pacemaker's scheduler corpus in ../shared/conformance/xml"

  /// Every corpus input, sorted by name so failures always appear in the same order.
  static func corpusFiles() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: corpus)
      .filter { $0.hasSuffix(".xml") }
      .sorted()
      .map { corpus + "/" + $0 }
  }

  /// A fresh empty folder under the system temp folder.
  static func temporaryFolder(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "vigil-\(label)-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

/// Runs our own `cibadmin` (built next to the test bundle by `swift build --build-tests`).
enum CoreCibadmin {
  static let binary = TestProcess.builtProduct("cibadmin")

  /// Runs cibadmin with this process's environment minus the CIB location variables, plus `environment`.
  static func run(_ arguments: [String], environment: [String: String], stdin: String? = nil) throws -> TestProcess.Result {
    var env = ProcessInfo.processInfo.environment
    env["CIB_file"] = nil
    env["VIGIL_CIB_STORE"] = nil
    for (k, v) in environment { env[k] = v }
    return try TestProcess.run(binary, arguments, environment: env, stdin: stdin)
  }
}
