import Arbiter
import Foundation
import NIOCore
import NIOPosix

/// The arbiter's I/O shell: a TCP listener on one event loop; every connection's frames are verified with their
/// cluster's key and handed to `ArbiterCore`, whose replies go back on the connection they came from. All state
/// lives on the loop, so the core sees one input at a time. Decides nothing itself.
final class ArbiterServer: @unchecked Sendable {
  let loop: EventLoop
  private var core: ArbiterCore
  private let keyDir: String
  private var keys: [String: ArbiterKey] = [:]
  private var connections: [UInt64: Channel] = [:]
  private var nextConnection: UInt64 = 1
  private let started = NIODeadline.now()
  static let connectionsMax = 4096
  static let keysMax = 1024
  static let authkeyBytesMax = 4096

  init(loop: EventLoop, config: ArbiterConfig, keyDir: String) {
    self.loop = loop
    self.core = ArbiterCore(config: config)
    self.keyDir = keyDir
  }

  private func nowMs() -> Int64 { Int64((NIODeadline.now() - started).nanoseconds / 1_000_000) }

  func bind(host: String, port: Int) async throws -> Channel {
    let server = self
    let channel = try await ServerBootstrap(group: loop)
      .serverChannelOption(.backlog, value: 256)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { child in
        child.eventLoop.makeCompletedFuture {
          try child.pipeline.syncOperations.addHandler(Connection(server: server))
        }
      }
      .bind(host: host, port: port).get()
    loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
      _ = server.core.handle(.tick(nowMs: server.nowMs()))
    }
    return channel
  }

  /// A cluster's key: `KEYDIR/CLUSTER.authkey`, a copy of that cluster's corosync authkey (128-4096 bytes).
  private func key(for cluster: String) -> ArbiterKey? {
    if let k = keys[cluster] { return k }
    guard !cluster.isEmpty, !cluster.contains("/"), !cluster.hasPrefix("."),
      let data = FileManager.default.contents(atPath: keyDir + "/" + cluster + ".authkey"),
      (128...Self.authkeyBytesMax).contains(data.count)
    else { return nil }
    if keys.count >= Self.keysMax { keys.removeAll() }
    let k = ArbiterKey(authkey: Array(data), cluster: cluster)
    keys[cluster] = k
    return k
  }

  fileprivate func opened(_ channel: Channel) -> UInt64? {
    guard connections.count < Self.connectionsMax else { return nil }
    let id = nextConnection
    nextConnection += 1
    connections[id] = channel
    return id
  }

  fileprivate func closed(_ id: UInt64) { connections[id] = nil }

  fileprivate func received(_ payload: [UInt8], on id: UInt64) throws(ArbiterWireError) {
    let cluster = try ArbiterWire.requestCluster(payload)
    guard let key = key(for: cluster) else { throw .unknownCluster(cluster) }
    let request = try ArbiterWire.decodeRequest(payload, key: key)
    for effect in core.handle(.voteRequested(request, connection: id, nowMs: nowMs())) {
      switch effect {
      case .reply(let reply, let connection):
        guard let channel = connections[connection] else { continue }
        channel.writeAndFlush(channel.allocator.buffer(bytes: ArbiterWire.encode(reply, key: key)), promise: nil)
      case .log(let line):
        log(line)
      }
    }
  }

  func log(_ line: String) { FileHandle.standardError.write(Data("vigil-arbiter: \(line)\n".utf8)) }

  private final class Connection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let server: ArbiterServer
    var id: UInt64?
    var buffer: [UInt8] = []
    init(server: ArbiterServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
      id = server.opened(context.channel)
      if id == nil { context.close(promise: nil) }
    }
    func channelInactive(context: ChannelHandlerContext) { if let id { server.closed(id) } }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var bytes = unwrapInboundIn(data)
      buffer += bytes.readBytes(length: bytes.readableBytes) ?? []
      guard let id else { return }
      do {
        for frame in try ArbiterWire.takeFrames(&buffer) { try server.received(frame, on: id) }
      } catch {
        server.log("closing connection \(id): \(error)")
        context.close(promise: nil)
      }
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
  }
}
