/// Parses and prints durations as operators write them: `250ms`, `10s`, `1m30s`, `1h`.
public enum DurationText {
    /// Units accepted in configuration, longest suffix first.
    static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ms", 1_000_000), ("us", 1_000), ("ns", 1),
        ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000),
    ]

    /// Parses `text` such as `250ms`, `10s`, `5m`, `1h`, `1.5s` or `1m30s`. Returns nil when it is not a duration.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingWhitespace())
        guard !rest.isEmpty else { return nil }
        var total: Double = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            total += value * Double(unit.nanoseconds)
        }
        guard total.isFinite, total < Double(Int64.max) else { return nil }
        return .nanoseconds(Int64(total.rounded()))
    }

    /// Prints `d` compactly: `0s`, `250ms`, `10s`, `1m30s`, `2h5m`.
    public static func format(_ d: Duration) -> String {
        var ns = d.nanosecondsClamped
        let negative = ns < 0
        if negative { ns = -ns }
        let sign = negative ? "-" : ""
        if ns == 0 { return "0s" }
        if ns < 1_000_000 { return "\(sign)\(ns / 1_000)us" }
        if ns < 1_000_000_000 {
            let ms = Double(ns) / 1e6
            return ms == ms.rounded() ? "\(sign)\(Int(ms))ms" : "\(sign)\(String(format1: ms))ms"
        }
        let totalSeconds = ns / 1_000_000_000
        let h = totalSeconds / 3600, m = (totalSeconds % 3600) / 60, s = totalSeconds % 60
        if h > 0 { return "\(sign)\(h)h" + (m > 0 ? "\(m)m" : "") }
        if m > 0 { return "\(sign)\(m)m" + (s > 0 ? "\(s)s" : "") }
        let frac = ns % 1_000_000_000
        if frac == 0 { return "\(sign)\(s)s" }
        return "\(sign)\(String(format1: Double(ns) / 1e9))s"
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }

    func trimmingWhitespace() -> String {
        String(drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
