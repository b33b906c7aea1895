/// How fast an autoscaler may add replicas (`autoscale.scale_up`): the Horizontal Pod Autoscaler's default
/// scale-up behaviour, written as its two policies and their shared period.
///
/// Within any ``period`` the count may grow to the larger of `start + pods` and `⌈start × (1 + percent / 100)⌉`,
/// `start` being the count at the beginning of the period (the HPA's `selectPolicy: Max` over a `Pods` and a
/// `Percent` policy). A higher desired count is reached over several periods.
public struct ScaleUpPolicy: Sendable, Hashable, Codable {
    /// Replicas that may be added per period (the HPA's default `Pods` policy: 4). At least 1.
    public var pods: Int
    /// Percent of the count that may be added per period (the HPA's default `Percent` policy: 100, doubling).
    /// At least 1.
    public var percent: Int
    /// The policies' period (the HPA's default: 15 s).
    public var period: Duration
    /// Scale up only to the lowest count desired throughout this window (the HPA's default for scale-up: 0, at once).
    public var stabilization: Duration

    public static let defaultPods = 4
    public static let defaultPercent = 100
    public static let defaultPeriod = Duration.seconds(15)

    public init(pods: Int = ScaleUpPolicy.defaultPods, percent: Int = ScaleUpPolicy.defaultPercent,
                period: Duration = ScaleUpPolicy.defaultPeriod, stabilization: Duration = .zero) {
        self.pods = pods
        self.percent = percent
        self.period = period
        self.stabilization = stabilization
    }

    /// The highest count allowed within a period that began at `start` replicas.
    public func limit(from start: Int) -> Int {
        // start + ⌈start × percent / 100⌉ and start + pods, saturating rather than overflowing.
        func sum(_ a: Int, _ b: Int) -> Int {
            let (value, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int.max : value
        }
        let (scaled, overflow) = start.multipliedReportingOverflow(by: percent)
        let byPercent = overflow ? Int.max : sum(start, ceilingDivision(scaled, 100))
        return Swift.max(sum(start, pods), byPercent)
    }
}
