import NIOCore
import NIOHTTP1

/// Answers HTTP/1.1 requests on one connection with `Router`'s responses.
///
/// Every response carries `Content-Length` (never chunked). The connection is kept alive unless
/// the client asked to close it (`Connection: close`, or HTTP/1.0 without keep-alive) or the
/// response must be the last one (crash, exit). While the worker is hanging, requests are read
/// but never answered and the connection is left open. Request bodies are read and ignored.
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let worker: Worker
    private var head: HTTPRequestHead?

    init(worker: Worker) {
        self.worker = worker
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
        case .body:
            break
        case .end:
            guard let requestHead = head else { return }
            head = nil
            if worker.isHanging { return }  // read it, never answer it
            send(Router.respond(to: requestHead, worker: worker), for: requestHead, context: context)
        }
    }

    private func send(_ response: Response, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = request.isKeepAlive && !response.closeConnection
        let body = context.channel.allocator.buffer(string: response.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        for (name, value) in response.extraHeaders { headers.add(name: name, value: value) }
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if request.version.major == 1 && request.version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        let responseHead = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(Self.wrapOutboundOut(.head(responseHead)), promise: nil)
        if request.method != .HEAD {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let worker = self.worker
        let afterwards = response.afterwards
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
            switch afterwards {
            case .nothing:
                break
            case .finishDrain:
                worker.finishDrain()
            case .crash:
                worker.crash(after: Router.actionDelay, reason: "POST /control/crash")
            case .exit(let code):
                worker.exit(code: code, after: Router.actionDelay, reason: "POST /control/exit")
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
