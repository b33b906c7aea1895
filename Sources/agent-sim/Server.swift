import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The HTTP/1.1 listener.
enum Server {
    /// Binds `host:port` on the worker's event loop (so every connection runs on the loop that
    /// owns the worker's state) and returns the listening channel.
    /// `onListening` runs on the worker's loop as the bind completes, before any connection is
    /// handled: a line it logs comes before the first call's line.
    static func listen(
        host: String, port: Int, worker: Worker, onListening: @escaping @Sendable (any Channel) -> Void
    ) throws -> any Channel {
        try ServerBootstrap(group: worker.loop)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPHandler(worker: worker))
                }
            }
            // tcpOption: IPPROTO_TCP. socketOption(.tcp_nodelay) would be SOL_SOCKET option 1, SO_DEBUG, which needs
            // CAP_NET_ADMIN: refused in a container, and NIO then closes every accepted connection.
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port)
            .map { channel in
                onListening(channel)
                return channel
            }
            .wait()
    }

    /// A one-line reason for a failed bind: `Address already in use`, etc.
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode))
        }
        return String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
