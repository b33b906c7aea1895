/// Reads an HTTP/1.1 chunked body as it arrives (`Transfer-Encoding: chunked`): each call takes
/// what it can from the front of the buffer and returns the body bytes it held.
public struct ChunkedDecoder: Sendable {
    /// A chunk size line that is not a hexadecimal size (RFC 9112 §7.1), or one too large to be real; chunk data
    /// that its line break does not follow.
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        /// What was wrong, such as `malformed chunk size: -5`.
        public var description: String
    }

    private enum Phase { case size, data(remaining: Int), dataEnd, trailer, done }
    private var phase = Phase.size

    public init() {}
    /// The last chunk (size 0) and its trailer have been read.
    public var finished: Bool { if case .done = phase { return true } else { return false } }

    public mutating func decode(_ buffer: inout [UInt8]) throws(Malformed) -> [UInt8] {
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
                    let sizeText = line.prefix { $0 != UInt8(ascii: ";") }
                    guard let size = Self.size(sizeText) else {
                        throw Malformed(description: "malformed chunk size: \(String(decoding: sizeText, as: UTF8.self))")
                    }
                    phase = size == 0 ? .trailer : .data(remaining: size)
                case .dataEnd:
                    guard line.isEmpty else { throw Malformed(description: "chunk data longer than its size") }
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

    /// The size of a chunk size line (blanks around it allowed): 1 to 15 hexadecimal digits, nothing else.
    private static func size(_ text: some Collection<UInt8>) -> Int? {
        let digits = text.drop { $0 == 32 || $0 == 9 }.reversed().drop { $0 == 32 || $0 == 9 }.reversed()
        guard (1...15).contains(digits.count) else { return nil }
        var size = 0
        for digit in digits {
            guard let value = hexValue(digit) else { return nil }
            size = size << 4 | value
        }
        return size
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
