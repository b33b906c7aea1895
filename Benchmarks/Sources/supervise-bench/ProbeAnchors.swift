import CProbeFloor
import Foundation

/// What the probe benchmark's load costs without supervise, measured in the same run against the
/// same servers: a bare libcurl multi loop driven as the probe engine drives it, and bare
/// keep-alive sockets with no HTTP library (the kernel's share of any client).
struct ProbeAnchors {
    struct Figure {
        var name: String
        var userPercent: Double
        var systemPercent: Double
        var perSecond: Double
        var failed: Int
        var total: Double { userPercent + systemPercent }
    }

    var curl: Figure
    var sockets: Figure

    /// Runs both loops one after the other on this thread, `seconds` each (plus 2 s warm-up).
    static func measure(ports: [Int], rate: Int, slotMs: Int, seconds: Int) throws -> ProbeAnchors {
        func run(_ name: String,
                 _ loop: (UnsafePointer<Int32>, Int32, Int32, Int32, Int32, UnsafeMutablePointer<csupervise_floor_result>) -> Int32) throws -> Figure {
            var result = csupervise_floor_result()
            let ports32 = ports.map(Int32.init)
            let status = ports32.withUnsafeBufferPointer {
                loop($0.baseAddress!, Int32($0.count), Int32(rate), Int32(slotMs), Int32(seconds), &result)
            }
            guard status == 0 else { throw BenchError("\(name) anchor failed (libcurl missing or a server closed its connection)") }
            let elapsed = result.elapsed_seconds
            return Figure(name: name, userPercent: result.user_seconds / elapsed * 100,
                          systemPercent: result.system_seconds / elapsed * 100,
                          perSecond: Double(result.completed) / elapsed, failed: result.failed)
        }
        return ProbeAnchors(curl: try run("bare libcurl multi", csupervise_floor_curl),
                            sockets: try run("bare sockets", csupervise_floor_sockets))
    }
}
