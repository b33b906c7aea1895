import Foundation

/// Reads an HTTP/1.1 chunked body as it arrives (`Transfer-Encoding: chunked`): each call takes
/// what it can from the front of the buffer and returns the body bytes it held.
public struct ChunkedDecoder: Sendable {
    private enum Phase { case size, data(remaining: Int), dataEnd, trailer, done }
    private var phase = Phase.size

    public init() {}
    /// The last chunk (size 0) and its trailer have been read.
    public var finished: Bool { if case .done = phase { return true } else { return false } }

    public mutating func decode(_ buffer: inout [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = buffer.startIndex
        loop: while index < buffer.endIndex {
            switch phase {
            case .size, .trailer, .dataEnd:
                guard let lf = buffer[index...].firstIndex(of: 10) else { break loop }
                let line = buffer[index..<lf].filter { $0 != 13 }
                index = lf + 1
                switch phase {
                case .size:
                    let hex = String(decoding: line.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self)
                    guard let size = Int(hex.trimmingCharacters(in: .whitespaces), radix: 16) else {
                        throw ControlClientError("malformed chunk size from the daemon: \(hex)")
                    }
                    phase = size == 0 ? .trailer : .data(remaining: size)
                case .dataEnd:
                    phase = .size
                default:
                    if line.isEmpty { phase = .done; break loop }
                }
            case .data(let remaining):
                let take = min(remaining, buffer.endIndex - index)
                out.append(contentsOf: buffer[index..<index + take])
                index += take
                phase = remaining == take ? .dataEnd : .data(remaining: remaining - take)
            case .done:
                break loop
            }
        }
        buffer.removeSubrange(buffer.startIndex..<index)
        return out
    }
}
