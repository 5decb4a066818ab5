import Foundation

/// Runs a program to completion for a test (our own tools, Pacemaker's for cross-checks) and captures what it prints.
///
/// Output goes to temporary files, not pipes, so a large output can never block the child; every run has a deadline
/// after which the child is killed, so a hung tool fails its test instead of hanging the suite.
public enum TestProcess {
  public struct Result: Sendable, Equatable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public init(status: Int32, stdout: String, stderr: String) {
      self.status = status
      self.stdout = stdout
      self.stderr = stderr
    }
  }

  public struct Timeout: Error, CustomStringConvertible {
    public var command: String
    public var timeoutMs: Int
    public var description: String { "\(command) did not exit within \(timeoutMs) ms (killed)" }
  }

  /// Runs `path arguments...`; `environment` nil inherits this process's, `stdin` nil reads /dev/null.
  public static func run(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
    directory: URL? = nil, timeoutMs: Int = 120_000
  ) throws -> Result {
    precondition(timeoutMs > 0)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = directory }
    let base = NSTemporaryDirectory() + "vigil-test-process-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
    _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".in", contents: Data((stdin ?? "").utf8))
    defer { for suffix in [".out", ".err", ".in"] { try? FileManager.default.removeItem(atPath: base + suffix) } }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
    let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: base + ".in"))
    defer { try? out.close(); try? err.close(); try? input.close() }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
    while process.isRunning && ContinuousClock.now < deadline { usleep(2_000) }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      throw Timeout(command: ([path] + arguments).joined(separator: " "), timeoutMs: timeoutMs)
    }
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: FileManager.default.contents(atPath: base + ".out") ?? Data(), as: UTF8.self),
      stderr: String(decoding: FileManager.default.contents(atPath: base + ".err") ?? Data(), as: UTF8.self))
  }

  /// A product of this package (pcs, cibadmin, crm_simulate...): next to the running test bundle when `swift test`
  /// runs, else in `.build/debug` of the checkout.
  public static func builtProduct(_ name: String) -> String {
    let fm = FileManager.default
    if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
      for _ in 0..<4 {
        let candidate = dir.appendingPathComponent(name).path
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
          fm.isExecutableFile(atPath: candidate)
        {
          return candidate
        }
        dir = dir.deletingLastPathComponent()
      }
    }
    return repositoryRoot + "/.build/debug/" + name
  }

  /// The checkout this test kit was built from (Tests/Support/TestKit is three levels below it).
  public static let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}
