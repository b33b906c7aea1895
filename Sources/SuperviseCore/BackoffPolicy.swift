/// Exponential backoff between automatic restarts.
///
/// The first restart after a failure is immediate; the n-th consecutive one
/// (n ≥ 2) waits `initial × multiplier^(n-2)`, capped at `max`, spread by
/// `±jitter` (a fraction). A unit that stayed up for `resetAfter` starts the
/// sequence again.
public struct BackoffPolicy: Sendable, Hashable, Codable {
    public var initial: Duration
    public var max: Duration
    public var multiplier: Double
    /// Fraction of the delay, 0...1: the delay is drawn uniformly from `[d×(1-j), d×(1+j)]`, then capped at `max`.
    public var jitter: Double
    public var resetAfter: Duration

    /// Defaults: systemd's `RestartSec=100ms` and Docker's doubling from 100 ms to a 1 min cap, reset after 10 s up.
    public static let `default` = BackoffPolicy(
        initial: .milliseconds(100), max: .seconds(60), multiplier: 2, jitter: 0.1, resetAfter: .seconds(10))

    public init(initial: Duration, max: Duration, multiplier: Double, jitter: Double, resetAfter: Duration) {
        self.initial = initial
        self.max = max
        self.multiplier = multiplier
        self.jitter = jitter
        self.resetAfter = resetAfter
    }

    /// The nominal delay (without jitter) before restart number `attempt` of a streak (1-based).
    public func nominalDelay(attempt: Int) -> Duration {
        guard attempt > 1 else { return .zero }
        let base = initial.seconds * pow(multiplier, Double(attempt - 2))
        let capped = Swift.min(base, max.seconds)
        return .nanoseconds(Int64(capped * 1e9))
    }

    /// The delay with jitter applied; `unitRandom` is a value in `0..<1` drawn by the caller.
    public func delay(attempt: Int, unitRandom: Double) -> Duration {
        let nominal = nominalDelay(attempt: attempt)
        guard nominal > .zero, jitter > 0 else { return nominal }
        let factor = 1 + jitter * (2 * unitRandom - 1)
        let seconds = Swift.min(nominal.seconds * factor, max.seconds)
        return .nanoseconds(Int64(seconds * 1e9))
    }
}

/// `pow` without Foundation, for small integer exponents.
@inline(__always)
func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var n = Int(exponent)
    while n > 0 && result < 1e300 { result *= base; n -= 1 }
    return result
}
