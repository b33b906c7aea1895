import SuperviseCore
import Yams

/// Reading `output`: a process unit's rate limit and longest line.
extension Diagnostics {
    static let rateLimitBurstExpected = "a whole number of lines, 0 or more, such as 10000 (0: no rate limit)"
    static let maxLineExpected = "a number of bytes from \(OutputLimits.maxLineRange.lowerBound) to "
        + "\(OutputLimits.maxLineRange.upperBound), such as 16384"

    /// `output`: `rate_limit_interval`, `rate_limit_burst` and `max_line`.
    func output(_ entry: Entry) -> OutputLayer {
        var layer = OutputLayer()
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.output,
                                  expected: Schema.output.mappingPhrase) else { return layer }
        if let entry = fields["rate_limit_interval"] {
            layer.rateLimitInterval = duration(entry.value, entry.path, positive: true)
        }
        if let entry = fields["rate_limit_burst"] {
            layer.rateLimitBurst = integer(entry.value, entry.path, in: 0...Int.max,
                                           expected: Diagnostics.rateLimitBurstExpected)
        }
        if let entry = fields["max_line"] {
            layer.maxLine = integer(entry.value, entry.path, in: OutputLimits.maxLineRange,
                                    expected: Diagnostics.maxLineExpected)
        }
        return layer
    }
}
