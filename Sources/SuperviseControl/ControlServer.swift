import CSuperviseSys
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The control API: HTTP/1.1 + JSON on a unix socket, so `curl --unix-socket` works as well as the CLI.
///
/// Requests larger than ``maxBodyBytes`` get 413, malformed ones 400 (NIO's protocol error
/// handler), idle connections are closed after ``idleTimeout``; none of it reaches the daemon.
public final class ControlServer: Sendable {
    public typealias Handler = @Sendable (ControlRequest) async -> ControlResponse

    public static let maxBodyBytes = 64 * 1024
    public static let idleTimeout = TimeAmount.seconds(10)
    /// Bytes of a streamed answer (`GET /v1/events`) handed to the connection before the next
    /// piece waits for them to be written.
    static let streamWindow = 64 * 1024

    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    /// The socket path, or `HOST:PORT` for a TCP listener.
    public let socketPath: String
    private let removesSocketFile: Bool

    /// Binds `socketPath` (replacing a stale socket file), sets its mode and group, and serves `handler`.
    public init(socketPath: String, mode: UInt32, groupName: String?, handler: @escaping Handler) throws {
        self.socketPath = socketPath
        let directory = (socketPath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let authorizer = PeerAuthorizer(groupName: groupName)
        if let groupName, authorizer.groupID == nil {
            throw ControlServerError("control group \"\(groupName)\" does not exist")
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = Self.bootstrap(group: group, handler: handler) { channel in
            Self.peerCredentials(of: channel).map { peer in
                let allowed = peer.map(authorizer.mayChangeState) ?? false
                let refusal = allowed ? nil : (peer.map(authorizer.refusal) ?? "permission denied: peer credentials unavailable")
                return (peer, refusal)
            }
        }
        do {
            channel = try bootstrap.bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw ControlServerError("cannot listen on \(socketPath): \(error)")
        }
        chmod(socketPath, mode_t(mode))
        if let gid = authorizer.groupID { chown(socketPath, getuid(), gid) }
        removesSocketFile = true
    }

    /// Listens on TCP `host`:`port` for readers only: every request comes with a refusal to change
    /// state (`refusal`), whoever sends it. For the Prometheus listener (`metrics.listen`).
    public init(host: String, port: Int, refusal: String, handler: @escaping Handler) throws {
        socketPath = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = Self.bootstrap(group: group, handler: handler) { channel in
            channel.eventLoop.makeSucceededFuture((nil, refusal))
        }
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw ControlServerError("cannot listen on \(socketPath): \(error)")
        }
        removesSocketFile = false
    }

    private static func bootstrap(
        group: MultiThreadedEventLoopGroup, handler: @escaping Handler,
        identify: @escaping @Sendable (any Channel) -> EventLoopFuture<(PeerCredentials?, String?)>
    ) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // A client may send its request and shut its side down (`nc -N`, `shutdown(SHUT_WR)`):
            // keep the connection to answer it, then close.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                identify(channel).flatMap { peer, refusal in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.configureHTTPServerPipeline(withErrorHandling: true)
                        try sync.addHandler(IdleStateHandler(readTimeout: Self.idleTimeout))
                        try sync.addHandler(ControlHTTPHandler(peer: peer, refusal: refusal, handler: handler))
                    }
                }
            }
    }

    /// Stops listening and removes the socket file.
    public func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
        if removesSocketFile { unlink(socketPath) }
    }

    private static func peerCredentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials?> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let future: EventLoopFuture<csupervise_ucred> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        return future.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }.recover { _ in nil }
    }
}

/// Why the control server could not start.
public struct ControlServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// One connection: collects a request, asks the daemon's handler, writes the answer.
final class ControlHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let peer: PeerCredentials?
    private let refusal: String?
    private let handler: ControlServer.Handler
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    /// A request was handed to the daemon and its answer is not written yet.
    private var answering = false
    /// The client shut its sending side: close once the answer (if any) is written.
    private var inputClosed = false
    /// The answer is a stream: the client has nothing more to send, so silence is not idleness.
    private var streaming = false

    init(peer: PeerCredentials?, refusal: String?, handler: @escaping ControlServer.Handler) {
        self.peer = peer
        self.refusal = refusal
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll()
            tooLarge = false
        case .body(var buffer):
            if body.count + buffer.readableBytes > ControlServer.maxBodyBytes {
                tooLarge = true
            } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body.append(contentsOf: bytes)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            if tooLarge {
                respond(context: context, ControlResponse(status: 413, body: Array(#"{"error":"request body larger than 65536 bytes"}"#.utf8)), keepAlive: false)
                return
            }
            let (path, query) = Self.split(head.uri)
            let request = ControlRequest(method: head.method.rawValue, path: path, query: query, body: body,
                                         peer: peer, refusal: refusal)
            let handler = self.handler
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            answering = true
            context.eventLoop.makeFutureWithTask { await handler(request) }.whenComplete { result in
                let (me, ctx) = bound.value
                me.answering = false
                switch result {
                case .success(let response): me.respond(context: ctx, response, keepAlive: keepAlive && !me.inputClosed)
                case .failure: me.respond(context: ctx, ControlResponse(status: 500, body: Array(#"{"error":"internal error"}"#.utf8)), keepAlive: false)
                }
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is IdleStateHandler.IdleStateEvent:
            if !streaming { context.close(promise: nil) }
        case let e as ChannelEvent where e == .inputClosed:
            // Half-closed by the client: nothing more will come. Answer what is under way, then close.
            inputClosed = true
            if !answering { context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(context: ChannelHandlerContext, _ response: ControlResponse, keepAlive: Bool) {
        guard context.channel.isActive else { return }
        if let stream = response.stream { return respond(context: context, response, streaming: stream) }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }

    /// Writes the head and `body`, then each piece of `stream` once the one before is written, as
    /// chunks; closes the connection at the end. The stream ends when the client goes away.
    private func respond(context: ChannelHandlerContext, _ response: ControlResponse, streaming stream: AsyncStream<[UInt8]>) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-cache")
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        context.flush()
        answering = true
        streaming = true
        let channel = context.channel
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let writer = Task {
            // Pieces are handed to the event loop as they come, without waiting for each to be
            // written: a round trip per piece held a reader to fewer events a second than a
            // crash-looping host makes, so even one reading as fast as it could fell behind and
            // was dropped. Backpressure still holds: once `streamWindow` bytes are handed over,
            // the next piece waits until they are in the socket (writes complete in order).
            var handedOver = 0
            for await piece in stream {
                let written = loop.flatSubmit { () -> EventLoopFuture<Void> in
                    let (me, ctx) = bound.value
                    guard ctx.channel.isActive else { return loop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
                    return ctx.writeAndFlush(me.wrapOutboundOut(.body(.byteBuffer(ctx.channel.allocator.buffer(bytes: piece)))))
                }
                handedOver += piece.count
                guard handedOver >= ControlServer.streamWindow else { continue }
                handedOver = 0
                guard (try? await written.get()) != nil else { break }
            }
            loop.execute {
                let (me, ctx) = bound.value
                guard ctx.channel.isActive else { return }
                ctx.writeAndFlush(me.wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.1.close(promise: nil) }
            }
        }
        // The client left (or the daemon closed it): end the stream's reader so its producer forgets it.
        channel.closeFuture.whenComplete { _ in writer.cancel() }
    }

    static func split(_ uri: String) -> (String, [String: String]) {
        guard let q = uri.firstIndex(of: "?") else { return (uri, [:]) }
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let key = String(kv[0]).removingPercentEncoding ?? String(kv[0])
            let value = kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? String(kv[1])) : ""
            query[key] = value
        }
        return (String(uri[..<q]), query)
    }
}
