import Foundation
import Synchronization

/// How punctually the engine started probe runs since it was created.
///
/// Lateness is `actual start − scheduled time` for every run that started. Percentiles come
/// from a fixed-size log-linear histogram (≤ 1.6 % relative error, bounded memory however long
/// the engine runs); `lateMaxMs` is exact.
public struct ProbeScheduleStats: Sendable, Hashable, CustomStringConvertible {
    /// Runs started.
    public var runs: Int
    /// The largest lateness seen, in milliseconds.
    public var lateMaxMs: Double
    /// Median lateness, in milliseconds.
    public var lateP50Ms: Double
    /// 99th-percentile lateness, in milliseconds.
    public var lateP99Ms: Double
    /// Runs not started: the previous run of the same probe was still in flight when it was due
    /// (or, rarely, the engine fell more than a whole interval behind and the missed ticks were
    /// dropped rather than run in a burst).
    public var skipped: Int

    public init(runs: Int = 0, lateMaxMs: Double = 0, lateP50Ms: Double = 0, lateP99Ms: Double = 0, skipped: Int = 0) {
        self.runs = runs
        self.lateMaxMs = lateMaxMs
        self.lateP50Ms = lateP50Ms
        self.lateP99Ms = lateP99Ms
        self.skipped = skipped
    }

    public var description: String {
        func ms(_ v: Double) -> String { String(format: "%.2f", v) }
        return "runs=\(runs) skipped=\(skipped) late p50=\(ms(lateP50Ms))ms p99=\(ms(lateP99Ms))ms max=\(ms(lateMaxMs))ms"
    }
}

/// A log-linear histogram of microsecond values: 64 linear buckets below 64 µs, then 64
/// sub-buckets per power of two up to ~2^46 µs (larger values land in the last bucket).
struct LatenessHistogram {
    private static let subBits = 6
    private static let sub = 1 << subBits
    private static let maxExponent = 46
    private var buckets = [Int](repeating: 0, count: sub + (maxExponent - subBits + 1) * sub)
    private(set) var count = 0
    private(set) var maxMicros: UInt64 = 0

    mutating func record(micros: UInt64) {
        buckets[Self.index(micros)] += 1
        count += 1
        maxMicros = max(maxMicros, micros)
    }

    static func index(_ v: UInt64) -> Int {
        if v < UInt64(sub) { return Int(v) }
        let exponent = min(63 - v.leadingZeroBitCount, maxExponent)
        let shifted = v >> UInt64(exponent - subBits)
        let subIndex = Int(min(shifted, UInt64(2 * sub - 1))) & (sub - 1)
        return sub + (exponent - subBits) * sub + subIndex
    }

    /// The upper bound of bucket `i`, in microseconds.
    static func upperBound(_ i: Int) -> Double {
        if i < sub { return Double(i) }
        let exponent = (i - sub) / sub + subBits
        let subIndex = (i - sub) % sub
        let width = Double(UInt64(1) << UInt64(exponent - subBits))
        return Double(sub + subIndex) * width + width - 1
    }

    /// The value at quantile `q` (0...1), in microseconds, never above the exact maximum.
    func quantile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (i, n) in buckets.enumerated() where n > 0 {
            seen += n
            if seen >= rank { return min(Self.upperBound(i), Double(maxMicros)) }
        }
        return Double(maxMicros)
    }
}

/// Thread-safe schedule statistics: the engine thread records, anyone reads.
final class ScheduleRecorder: Sendable {
    private struct State {
        var histogram = LatenessHistogram()
        var skipped = 0
    }

    private let state = Mutex(State())

    func recordStart(latenessNanoseconds: UInt64) {
        state.withLock { $0.histogram.record(micros: latenessNanoseconds / 1000) }
    }

    func recordSkipped(_ n: Int = 1) {
        state.withLock { $0.skipped += n }
    }

    /// The statistics so far; with `reset`, the next snapshot counts from now.
    func snapshot(reset: Bool = false) -> ProbeScheduleStats {
        state.withLock { s in
            defer { if reset { s = State() } }
            return ProbeScheduleStats(
                runs: s.histogram.count,
                lateMaxMs: Double(s.histogram.maxMicros) / 1000,
                lateP50Ms: s.histogram.quantile(0.50) / 1000,
                lateP99Ms: s.histogram.quantile(0.99) / 1000,
                skipped: s.skipped)
        }
    }
}
