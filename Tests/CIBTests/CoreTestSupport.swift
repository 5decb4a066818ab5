import Foundation

/// Locations shared by the Core* tests: the repository root (from this file's path) and the shared corpus.
enum CoreTestPaths {
  static let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    // Tests/CIBTests/CoreTestSupport.swift -> repo root
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  static let corpus = repoRoot + "/../shared/conformance/xml"

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
  static let binary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // On Linux the tests run from <build>/debug/VigilPackageTests.xctest; on macOS from inside a bundle.
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("cibadmin").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      dir.deleteLastPathComponent()
    }
    return CoreTestPaths.repoRoot + "/.build/debug/cibadmin"
  }()

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ arguments: [String], environment: [String: String], stdin: String? = nil) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["CIB_file"] = nil
    env["VIGIL_CIB_STORE"] = nil
    for (k, v) in environment { env[k] = v }
    process.environment = env
    // Output goes to temp files (not pipes), so a large output can never block the child.
    let base = NSTemporaryDirectory() + "vigil-cibadmin-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
    _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".in", contents: Data((stdin ?? "").utf8))
    defer { for s in [".out", ".err", ".in"] { try? FileManager.default.removeItem(atPath: base + s) } }
    let out = FileHandle(forWritingAtPath: base + ".out")!
    let err = FileHandle(forWritingAtPath: base + ".err")!
    let input = FileHandle(forReadingAtPath: base + ".in")!
    defer { try? out.close(); try? err.close(); try? input.close() }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    process.waitUntilExit()
    let stdoutData = FileManager.default.contents(atPath: base + ".out") ?? Data()
    let stderrData = FileManager.default.contents(atPath: base + ".err") ?? Data()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
      stderr: String(decoding: stderrData, as: UTF8.self))
  }
}
