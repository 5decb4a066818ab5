import ControlProtocol
import NIOCore
import NIOPosix

#if canImport(Glibc)
  import Glibc
#endif

/// clusterd's local control socket: a unix stream socket (mode 0600, so only root talks to it), one
/// length-prefixed JSON request per connection, answered by `handle`.
public enum ControlServer {
  /// How long a connection may stay open (a CIB replace waits for the DC, bounded by the daemon's own timeout).
  static let connectionTimeout = TimeAmount.seconds(120)

  public static func start(
    path: String, group: EventLoopGroup,
    handle: @escaping @Sendable (ControlRequest, @escaping @Sendable (ControlResponse) -> Void) -> Void
  ) async throws -> Channel {
    // A socket file left by a daemon that died is stale: nobody can listen on it any more.
    unlink(path)
    let channel = try await ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 64)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Connection(handle: handle))
        }
      }
      .bind(unixDomainSocketPath: path).get()
    chmod(path, 0o600)
    return channel
  }

  final class Connection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let handle: @Sendable (ControlRequest, @escaping @Sendable (ControlResponse) -> Void) -> Void
    var buffer: [UInt8] = []
    var answered = false
    init(handle: @escaping @Sendable (ControlRequest, @escaping @Sendable (ControlResponse) -> Void) -> Void) {
      self.handle = handle
    }

    func channelActive(context: ChannelHandlerContext) {
      let channel = context.channel
      context.eventLoop.scheduleTask(in: ControlServer.connectionTimeout) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var bytes = unwrapInboundIn(data)
      buffer += bytes.readBytes(length: bytes.readableBytes) ?? []
      guard !answered, buffer.count >= 4 else { return }
      let length = ControlFrame.length(of: Array(buffer[0..<4]))
      let channel = context.channel
      func reply(_ response: ControlResponse) { Connection.send(response, on: channel) }
      if length > ControlFrame.bytesMax {
        answered = true
        reply(.failure("request of \(length) bytes exceeds \(ControlFrame.bytesMax)"))
        return
      }
      guard buffer.count >= 4 + length else { return }
      answered = true
      let body = Array(buffer[4..<(4 + length)])
      buffer = []
      let request: ControlRequest
      do {
        request = try ControlFrame.decode(ControlRequest.self, body)
      } catch {
        reply(.failure("malformed request: \(error)"))
        return
      }
      handle(request) { response in
        channel.eventLoop.execute { Connection.send(response, on: channel) }
      }
    }

    static func send(_ response: ControlResponse, on channel: Channel) {
      guard let frame = try? ControlFrame.encode(response) else {
        channel.close(promise: nil)
        return
      }
      let out = channel.allocator.buffer(bytes: frame)
      channel.writeAndFlush(out).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
  }
}
