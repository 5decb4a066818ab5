import CIB
import Foundation
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
  static let binary: String = {
    let fm = FileManager.default
    var candidates: [String] = []
    if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
      for _ in 0..<4 {
        candidates.append(dir.appendingPathComponent("pcs").path)
        dir = dir.deletingLastPathComponent()
      }
    }
    candidates.append(repoRoot.appendingPathComponent(".build/debug/pcs").path)
    for path in candidates where fm.isExecutableFile(atPath: path) {
      var isDir: ObjCBool = false
      if fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue { return path }
    }
    return repoRoot.appendingPathComponent(".build/debug/pcs").path
  }()

  /// Runs `pcs args...` in `directory` and waits for it.
  static func run(_ args: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> PCSRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = args
    if let directory { process.currentDirectoryURL = directory }
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes before waiting so a large output cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return PCSRun(
      stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
      status: process.terminationStatus)
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
