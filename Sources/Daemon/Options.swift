import CIB
import ControlProtocol
import Files
import Foundation
import Membership

/// How one clusterd is started (the command line of INTERFACES.md, already parsed).
public struct DaemonOptions: Sendable {
  public var corosyncConf: String
  public var authkey: String
  public var stateDir: String
  public var node: String?
  public var socketPath: String
  /// How long the quorate side waits after losing nodes before it starts their resources; the side that lost
  /// quorum stops its resources within this time. nil = `LeaseTiming.forToken(token)` (800 ms for token 400).
  public var leaseMs: Int?
  /// Gives agents this node's own HA_RSCTMP and HA_VARRUN (inside the state dir), so that several nodes on
  /// one machine do not see each other's state files. Off on real clusters (one node per machine).
  public var privateAgentDirs: Bool
  /// Where fence agents are looked up (fence-agents installs them in /usr/sbin).
  public var fenceAgentDir: String
  /// The watchdog device clusterd arms and feeds while it holds its lease (/dev/watchdog, or the test stand-in's
  /// FIFO); nil = none: the lease alone (said loudly at start-up and in `pcs status`).
  public var watchdogDevice: String? = nil
  /// The device's timeout in whole seconds.
  public var watchdogTimeoutS: Int = 1
  /// Where Vigil's attrd_updater, crm_attribute and crm_node live: agents get it first on PATH and as HA_SBIN_DIR,
  /// and VIGIL_SOCKET names this node's socket, so an agent's attribute updates reach this node's clusterd.
  /// nil: agents get the system's PATH only.
  public var toolsDir: String? = nil
  public init(
    corosyncConf: String = "/etc/corosync/corosync.conf", authkey: String = "/etc/corosync/authkey",
    stateDir: String = "/var/lib/vigil", node: String? = nil, socketPath: String = ControlClient.defaultSocketPath,
    leaseMs: Int? = nil, privateAgentDirs: Bool = false, fenceAgentDir: String = "/usr/sbin"
  ) {
    self.fenceAgentDir = fenceAgentDir
    self.corosyncConf = corosyncConf
    self.authkey = authkey
    self.stateDir = stateDir
    self.node = node
    self.socketPath = socketPath
    self.leaseMs = leaseMs
    self.privateAgentDirs = privateAgentDirs
  }
}

extension DaemonOptions {
  /// The folder of the running executable (/proc/self/exe): the tools are built and installed beside clusterd.
  public static func executableDirectory() -> String? {
    guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
    return (exe as NSString).deletingLastPathComponent
  }
}

/// Operating errors of clusterd's start-up, each naming what to fix.
public enum DaemonError: Error, CustomStringConvertible, Sendable {
  case config(String)
  case state(String)
  public var description: String {
    switch self {
    case .config(let m): return m
    case .state(let m): return m
    }
  }
}

/// Which nodelist entry this clusterd is.
public func resolveLocalNode(_ config: CorosyncConfig, name: String?) throws(DaemonError) -> NodeEntry {
  if let name {
    guard let n = config.nodes.first(where: { $0.name == name || $0.ring0Addr == name }) else {
      throw .config("node '\(name)' is not in the nodelist of corosync.conf")
    }
    return n
  }
  let host = ProcessInfo.processInfo.hostName
  let short = host.split(separator: ".").first.map(String.init) ?? host
  if let n = config.nodes.first(where: { $0.name == host || $0.name == short || $0.ring0Addr == host }) { return n }
  throw .config("this host (\(host)) is not in the nodelist of corosync.conf; give --node NAME")
}

/// The private OCF root of a node (see `DaemonOptions.privateAgentDirs`): resource.d is the system's, the
/// shell library is the system's except `ocf-directories`, which first points HA_RSCTMP and HA_VARRUN here.
func preparePrivateOCFRoot(stateDir: String, systemRoot: String = "/usr/lib/ocf") throws(DaemonError) -> String {
  let fm = FileManager.default
  let root = stateDir + "/ocf"
  let lib = root + "/lib/heartbeat"
  do {
    try fm.createDirectory(atPath: lib, withIntermediateDirectories: true)
    try fm.createDirectory(atPath: stateDir + "/agents/run", withIntermediateDirectories: true)
    try fm.createDirectory(atPath: stateDir + "/agents/rsctmp", withIntermediateDirectories: true)
    if (try? fm.destinationOfSymbolicLink(atPath: root + "/resource.d")) == nil {
      try fm.createSymbolicLink(atPath: root + "/resource.d", withDestinationPath: systemRoot + "/resource.d")
    }
    for name in try fm.contentsOfDirectory(atPath: systemRoot + "/lib/heartbeat").sorted() {
      let target = lib + "/" + name
      if name == "ocf-directories" { continue }
      if (try? fm.destinationOfSymbolicLink(atPath: target)) == nil {
        try? fm.removeItem(atPath: target)
        try fm.createSymbolicLink(atPath: target, withDestinationPath: systemRoot + "/lib/heartbeat/" + name)
      }
    }
    let original = try String(contentsOfFile: systemRoot + "/lib/heartbeat/ocf-directories", encoding: .utf8)
    let text = "# clusterd: this node's own agent state (several nodes share this machine)\n"
      + "HA_RSCTMP=\(stateDir)/agents/rsctmp\nHA_VARRUN=\(stateDir)/agents/run/\n" + original
    try FileIO.writeAtomically(path: lib + "/ocf-directories", text: text, mode: 0o644)
  } catch {
    throw .state("cannot prepare the private agent directory \(root): \(error)")
  }
  return root
}
