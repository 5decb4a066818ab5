import Controller
import Files
import Foundation

/// This boot's record of what may run on this node (`StartUpCleanup`): one resource id per line, in a folder a
/// reboot empties (/run/vigil; with private agent dirs the node's HA_VARRUN, which the watchdog stand-in empties
/// as a reset would). Written by the daemon loop only, in the order of the core's effects.
struct MayRunRecord {
  let path: String
  static let bytesMax = 4 * 1024 * 1024

  init(options: DaemonOptions) {
    let folder = options.privateAgentDirs ? options.stateDir + "/agents/run" : "/run/vigil"
    path = folder + "/may-run"
  }

  /// What the record lists: [] when there is none (the machine booted since), nil when it cannot be read (the
  /// core then stops every configured primitive).
  func load() -> Result<[String], FileIOError> {
    guard FileIO.exists(path) else { return .success([]) }
    do {
      let text = try FileIO.readText(path: path, bytesMax: Self.bytesMax)
      return .success(text.split(separator: "\n").map(String.init).filter { !$0.isEmpty })
    } catch {
      return .failure(error)
    }
  }

  func append(_ resource: String) throws(FileIOError) {
    try makeFolder()
    try FileIO.append(path: path, text: resource + "\n")
  }

  func rewrite(_ resources: [String]) throws(FileIOError) {
    try makeFolder()
    try FileIO.writeAtomically(path: path, text: resources.map { $0 + "\n" }.joined())
  }

  private func makeFolder() throws(FileIOError) {
    let folder = FileIO.directoryName(of: path)
    guard !FileIO.exists(folder) else { return }
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                              attributes: [.posixPermissions: 0o755])
    } catch {
      throw .unwritable(path: folder, reason: "\(error)")
    }
  }
}

extension NodeRuntime {
  /// The core's start-up input, with this boot's record.
  func started() {
    let record = MayRunRecord(options: options)
    switch record.load() {
    case .success(let ids): feed(.started(at: now(), mayRunHere: ids))
    case .failure(let error):
      logger.error("\(error): stopping every configured resource at start-up")
      feed(.started(at: now(), mayRunHere: nil))
    }
  }

  func recordMayRun(_ resource: String) {
    do { try MayRunRecord(options: options).append(resource) } catch {
      logger.critical("\(error): if clusterd restarts without a reboot, it may not stop \(resource) first")
    }
  }

  func rewriteMayRun(_ resources: [String]) {
    do { try MayRunRecord(options: options).rewrite(resources) } catch {
      logger.error("\(error): the next start of clusterd stops what the old record lists again")
    }
  }
}
