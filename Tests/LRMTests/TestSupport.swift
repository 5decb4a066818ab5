import Foundation
import Logging
@testable import LRM

/// Paths of the repository, found from this file so tests work from any working directory (and in CI's clone).
enum Repo {
  static let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()
  static let agents = "\(root)/Tests/LRMTests/Agents"
  static let samples = "\(root)/../shared/reference/pcs/samples"
}

/// A fresh directory under /tmp, removed by `remove()`.
struct TempDir {
  let path: String
  init(_ label: String) {
    path = NSTemporaryDirectory() + "vigil-lrm-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  func remove() { try? FileManager.default.removeItem(atPath: path) }
}

let testLogger = Logger(label: "lrm-tests")

/// Agent roots: the system's agents plus the project's test agents (their own OCF root and init dir).
let systemRoots = AgentRoots.system
let testRoots = AgentRoots(ocfRoot: "\(Repo.agents)/ocf", initDirectory: "\(Repo.agents)/init.d")

func isRoot() -> Bool { getuid() == 0 }

/// Runs a command for test setup (ip netns…), returning its exit status.
@discardableResult
func sh(_ command: String) -> Int32 {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/bin/sh")
  p.arguments = ["-c", command]
  p.standardOutput = FileHandle.nullDevice
  p.standardError = FileHandle.nullDevice
  try? p.run()
  p.waitUntilExit()
  return p.terminationStatus
}

func shOutput(_ command: String) -> String {
  let p = Process()
  let pipe = Pipe()
  p.executableURL = URL(fileURLWithPath: "/bin/sh")
  p.arguments = ["-c", command]
  p.standardOutput = pipe
  p.standardError = FileHandle.nullDevice
  try? p.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return String(decoding: data, as: UTF8.self)
}
