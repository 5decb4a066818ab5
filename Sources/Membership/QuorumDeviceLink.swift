import Arbiter
import NIOCore
import NIOPosix

/// The TCP connection from a node to its arbiter, on the membership shell's event loop: connects (and reconnects
/// after a loss, at most one attempt in flight, each bounded by `connectTimeout`), writes framed requests, and hands
/// every verified reply to `onReply`. While it has no connection, sends are dropped: the client polls again.
final class QuorumDeviceLink: @unchecked Sendable {
  private let loop: EventLoop
  private let host: String
  private let port: Int
  private let key: ArbiterKey
  private let connectTimeout: Duration
  private let onReply: (VoteReply) -> Void
  private var channel: Channel?
  private var connecting = false
  private var closed = false
  /// Bytes received and not yet a whole frame (ArbiterWire bounds a frame).
  private var buffer: [UInt8] = []
  private(set) var connectFailures = 0

  init(
    loop: EventLoop, host: String, port: Int, key: ArbiterKey, connectTimeout: Duration,
    onReply: @escaping (VoteReply) -> Void
  ) {
    self.loop = loop
    self.host = host
    self.port = port
    self.key = key
    self.connectTimeout = connectTimeout
    self.onReply = onReply
  }

  var isConnected: Bool { channel != nil }
  /// corosync-qdevice-tool's words for the connection: Connected, Connecting, or Connect failed.
  var stateText: String { channel != nil ? "Connected" : connecting || connectFailures == 0 ? "Connecting" : "Connect failed" }

  func send(_ request: VoteRequest) {
    loop.preconditionInEventLoop()
    guard let channel else {
      connect()
      return
    }
    channel.writeAndFlush(channel.allocator.buffer(bytes: ArbiterWire.encode(request, key: key)), promise: nil)
  }

  func close() {
    closed = true
    channel?.close(promise: nil)
    channel = nil
  }

  private func connect() {
    guard !connecting, !closed else { return }
    connecting = true
    let link = self
    ClientBootstrap(group: loop)
      .connectTimeout(.nanoseconds(connectTimeout.nanosecondsClamped))
      .channelOption(.socketOption(.tcp_nodelay), value: 1)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Inbound(link: link)) }
      }
      .connect(host: host, port: port)
      .whenComplete { result in
        link.connecting = false
        switch result {
        case .success(let channel):
          if link.closed {
            channel.close(promise: nil)
          } else {
            link.channel = channel
            link.buffer = []
          }
        case .failure:
          link.connectFailures += 1
        }
      }
  }

  fileprivate func received(_ bytes: [UInt8], context: ChannelHandlerContext) {
    buffer += bytes
    do {
      for frame in try ArbiterWire.takeFrames(&buffer) { onReply(try ArbiterWire.decodeReply(frame, key: key)) }
    } catch {
      // A reply we cannot verify: drop the connection (the next poll reconnects).
      buffer = []
      context.close(promise: nil)
    }
  }

  fileprivate func inactive(_ channel: Channel) {
    if self.channel === channel { self.channel = nil }
  }

  private final class Inbound: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let link: QuorumDeviceLink
    init(link: QuorumDeviceLink) { self.link = link }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var b = unwrapInboundIn(data)
      link.received(b.readBytes(length: b.readableBytes) ?? [], context: context)
    }
    func channelInactive(context: ChannelHandlerContext) { link.inactive(context.channel) }
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
  }
}
