import Arbiter
import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `vigil-arbiter`: the quorum arbiter (corosync-qnetd's role) on a machine outside the clusters it serves. One
/// process serves many clusters, each by its name and its authkey (`KEYDIR/CLUSTER.authkey`).
@main
struct VigilArbiter: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vigil-arbiter", abstract: "Vigil's quorum arbiter: gives the quorum device vote to one partition per cluster.")

  @Option(name: .customLong("listen"), help: "Address to listen on.")
  var listen = "0.0.0.0"
  @Option(name: .customLong("port"), help: "TCP port (corosync-qnetd's default is 5403).")
  var port = 5403
  @Option(name: .customLong("key-dir"), help: "Directory holding CLUSTER.authkey, a copy of each served cluster's authkey.")
  var keyDir = "/etc/vigil-arbiter"
  @Option(name: .customLong("vote-lease-ms"), help: "How long a granted vote lasts without renewal.")
  var voteLeaseMs = 400
  @Option(name: .customLong("node-silence-ms"), help: "A node not heard for this long no longer holds up a decision.")
  var nodeSilenceMs = 400
  @Option(name: .customLong("pid-file"), help: "Write this process's pid here once listening.")
  var pidFile: String?

  func validate() throws {
    guard (1...65535).contains(port) else { throw ValidationError("--port must be 1-65535") }
    guard (50...60_000).contains(voteLeaseMs) else { throw ValidationError("--vote-lease-ms must be 50-60000") }
    guard (50...60_000).contains(nodeSilenceMs) else { throw ValidationError("--node-silence-ms must be 50-60000") }
  }

  func run() async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let server = ArbiterServer(
      loop: group.next(),
      config: ArbiterConfig(voteLeaseMs: Int64(voteLeaseMs), nodeSilenceMs: Int64(nodeSilenceMs)), keyDir: keyDir)
    let channel: Channel
    do {
      channel = try await server.bind(host: listen, port: port)
    } catch {
      FileHandle.standardError.write(Data("vigil-arbiter: cannot listen on \(listen):\(port): \(error)\n".utf8))
      throw ExitCode(1)
    }
    if let pidFile {
      try "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
    }
    server.log("listening on \(listen):\(port), keys in \(keyDir), vote lease \(voteLeaseMs) ms")
    try await channel.closeFuture.get()
  }
}
