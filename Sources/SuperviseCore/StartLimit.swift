/// More than `burst` starts within `interval` puts a unit in `failed` until an operator acts.
public struct StartLimit: Sendable, Hashable, Codable {
    public var burst: Int
    public var interval: Duration

    /// systemd's defaults: `StartLimitBurst=5` within `StartLimitIntervalSec=10s`.
    public static let `default` = StartLimit(burst: 5, interval: .seconds(10))

    public init(burst: Int, interval: Duration) {
        self.burst = burst
        self.interval = interval
    }
}
