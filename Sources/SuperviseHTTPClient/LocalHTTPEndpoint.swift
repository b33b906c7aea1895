import CSuperviseSys
#if canImport(Glibc)
import Glibc
#endif

/// Where a ``LocalHTTPClient`` connects: a unix socket, or a TCP port on 127.0.0.1, on this host's loopback or on
/// the loopback of another process's network namespace (a container's with `network_mode: none`). Nothing else:
/// the client is for the control socket, agent-sim workers and test fixtures, never for another host.
public struct LocalHTTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case unixSocket(path: String)
        case loopback(port: Int, namespaceOf: Int32?)
    }

    let kind: Kind

    /// The unix socket at `path` (at most 107 bytes, the size of `sun_path`).
    public static func unixSocket(_ path: String) -> LocalHTTPEndpoint { LocalHTTPEndpoint(kind: .unixSocket(path: path)) }

    /// TCP to 127.0.0.1:`port`.
    public static func loopback(port: Int) -> LocalHTTPEndpoint { LocalHTTPEndpoint(kind: .loopback(port: port, namespaceOf: nil)) }

    /// TCP to 127.0.0.1:`port` in the network namespace of process `pid`: the socket is made there
    /// (`csupervise_socket_in_netns`), so 127.0.0.1 is that process's loopback.
    public static func loopback(port: Int, inNetworkNamespaceOf pid: Int32) -> LocalHTTPEndpoint {
        LocalHTTPEndpoint(kind: .loopback(port: port, namespaceOf: pid))
    }

    /// `/run/supervise/control.sock`, `127.0.0.1:8081` or `127.0.0.1:8081 in the network namespace of pid 42`.
    public var description: String {
        switch kind {
        case .unixSocket(let path): path
        case .loopback(let port, nil): "127.0.0.1:\(port)"
        case .loopback(let port, let pid?): "127.0.0.1:\(port) in the network namespace of pid \(pid)"
        }
    }

    /// The request's `Host` header.
    var hostHeader: String {
        switch kind {
        case .unixSocket: "localhost"
        case .loopback(let port, _): "127.0.0.1:\(port)"
        }
    }

    /// A new stream socket for this endpoint, with `FD_CLOEXEC`; -1 with `errno` set when it cannot be made.
    func makeSocket() -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        switch kind {
        case .unixSocket: return socket(AF_UNIX, type, 0)
        case .loopback(_, nil): return socket(AF_INET, type, 0)
        case .loopback(_, let pid?): return csupervise_socket_in_netns(pid, AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        }
    }

    /// Calls `body` with this endpoint's socket address; nil when there is none (a unix path too long, a port out of
    /// range).
    func withAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T? {
        switch kind {
        case .unixSocket(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path), !bytes.contains(0) else { return nil }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        case .loopback(let port, _):
            guard (1...65535).contains(port) else { return nil }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port)).bigEndian
            address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }
}
