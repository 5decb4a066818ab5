import ArgumentParser
import ControlProtocol
import Daemon
import Foundation
import Logging
import ServiceLifecycle

/// `clusterd`: one per node. Parses the command line, bootstraps logging, and runs the node's services until
/// SIGTERM/SIGINT (or `pcs cluster stop`), which first moves this node's resources away.
@main
struct Clusterd: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clusterd", abstract: "Vigil's cluster daemon: membership, CIB, controller and LRM of one node.")

  @Option(name: .customLong("corosync-conf"), help: "corosync.conf to read.")
  var corosyncConf = "/etc/corosync/corosync.conf"
  @Option(name: .customLong("authkey"), help: "The cluster's shared key.")
  var authkey = "/etc/corosync/authkey"
  @Option(name: .customLong("state-dir"), help: "Where the CIB, logs and LRM state live.")
  var stateDir = "/var/lib/vigil"
  @Option(name: .customLong("node"), help: "This node's name (default: the nodelist entry matching this host).")
  var node: String?
  @Option(name: .customLong("socket"), help: "The local control socket (mode 0600).")
  var socket = ControlClient.defaultSocketPath
  @Option(name: .customLong("lease-ms"), help: "Split-brain lease in milliseconds (default: 1.5 x token + 200).")
  var leaseMs: Int?
  @Flag(name: .customLong("private-agent-dirs"), help: "Give agents this node's own HA_RSCTMP/HA_VARRUN (several nodes on one machine).")
  var privateAgentDirs = false
  @Option(name: .customLong("fence-agent-dir"), help: "Where fence agents live.")
  var fenceAgentDir = "/usr/sbin"
  @Option(name: .customLong("watchdog-device"), help: "Watchdog device to arm and feed while this node holds its lease (/dev/watchdog, or vigil-watchdog's FIFO). Without one, the lease alone protects against split brain.")
  var watchdogDevice: String?
  @Option(name: .customLong("watchdog-timeout-s"), help: "The watchdog's timeout in whole seconds.")
  var watchdogTimeoutS = 1
  @Option(name: .customLong("tools-dir"), help: "Where Vigil's attrd_updater, crm_attribute and crm_node are: agents find them first on PATH and as HA_SBIN_DIR (default: clusterd's own folder).")
  var toolsDir: String?
  @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
  var logLevel = "info"

  func run() async throws {
    let level = Logger.Level(rawValue: logLevel) ?? .info
    LoggingSystem.bootstrap { label in
      var h = StreamLogHandler.standardError(label: label)
      h.logLevel = level
      return h
    }
    let logger = Logger(label: "clusterd")
    let options = DaemonOptions(
      corosyncConf: corosyncConf, authkey: authkey, stateDir: stateDir, node: node, socketPath: socket,
      leaseMs: leaseMs, privateAgentDirs: privateAgentDirs, fenceAgentDir: fenceAgentDir)
    var withWatchdog = options
    withWatchdog.watchdogDevice = watchdogDevice
    withWatchdog.watchdogTimeoutS = watchdogTimeoutS
    withWatchdog.toolsDir = toolsDir ?? DaemonOptions.executableDirectory()
    let service = ClusterdService(options: withWatchdog, logger: logger)
    let group = ServiceGroup(
      configuration: .init(
        services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    do {
      try await group.run()
    } catch let error as DaemonError {
      FileHandle.standardError.write(Data("clusterd: \(error.description)\n".utf8))
      throw ExitCode(1)
    }
  }
}
