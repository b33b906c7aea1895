/// One reading of an autoscaled service's triggers, taken every `autoscale.interval`.
public struct AutoscaleReading: Sendable, Hashable {
    /// The queue's length; nil when it was not read (no queue trigger, or Redis failed: see ``queueError``).
    public var queueLength: Int?
    /// Why the queue could not be read, when it could not.
    public var queueError: String?

    public init(queueLength: Int? = nil, queueError: String? = nil) {
        self.queueLength = queueLength
        self.queueError = queueError
    }
}

/// What an autoscaler remembers between readings: its recent recommendations (for the stabilization windows)
/// and the replicas it added lately (for the scale-up policy's period). Saved with the state, so a daemon
/// restart does not reset a scale-down window.
public struct AutoscaleMemory: Sendable, Hashable, Codable {
    /// A count recommended at a time.
    public struct Recommendation: Sendable, Hashable, Codable {
        public var at: Instant
        public var replicas: Int
    }

    /// A scale-up the autoscaler made.
    public struct ScaleUp: Sendable, Hashable, Codable {
        public var at: Instant
        public var added: Int
    }

    /// Recommendations within the longest stabilization window, oldest first.
    public var recommendations: [Recommendation] = []
    /// Scale-ups within the scale-up policy's period, oldest first.
    public var scaleUps: [ScaleUp] = []

    public init() {}
}

/// The autoscaler's decision for one reading.
public struct AutoscaleDecision: Sendable, Hashable {
    /// The count the service should run now.
    public var desired: Int
    /// Why, in words for `status` and the log: the triggers' proposals and any limit that applied.
    public var reason: String
    /// The metric the decision could not use (Redis unreachable), if any: the count does not go down then.
    public var missing: String?
}

/// The Horizontal Pod Autoscaler's algorithm over supervise's two triggers, as KEDA feeds it.
///
/// Each trigger proposes a count (KEDA's list scaler: ⌈length / target⌉; live calls: ⌈calls / target⌉); the
/// largest proposal, clamped to `min`…`max`, is the recommendation. As the HPA does:
/// - when a metric is missing, the count may go up on the others but never down;
/// - a scale-up goes to the lowest recommendation of the scale-up stabilization window (0 s by default: at once),
///   a scale-down to the highest of the scale-down window (5 min): the count falls only once every
///   recommendation for the whole window was lower;
/// - within a scale-up period the count grows at most to the larger of `start + pods` and
///   `start × (1 + percent / 100)`, `start` being the count when the period began.
public enum Autoscaler {
    /// The desired count for `reading`, given `current` (the count desired before), the service's `liveCalls`
    /// (nil when not known for every running replica), updating `memory`.
    public static func decide(_ spec: AutoscaleSpec, current: Int, reading: AutoscaleReading, liveCalls: Int?,
                              memory: inout AutoscaleMemory, now: Instant) -> AutoscaleDecision {
        var proposals: [(String, Int)] = []
        var missing: [String] = []
        if let queue = spec.queue {
            if let length = reading.queueLength {
                proposals.append(("queue \(queue.list) \(length)/\(queue.target)", queue.desiredReplicas(length: length)))
            } else {
                missing.append("queue \(queue.list): \(reading.queueError ?? "not read")")
            }
        }
        if let calls = spec.activeCalls {
            if let liveCalls {
                proposals.append(("live calls \(liveCalls)/\(calls.target)", calls.desiredReplicas(liveCalls: liveCalls)))
            } else {
                missing.append("live calls: not known for every replica")
            }
        }
        let missingText = missing.isEmpty ? nil : missing.joined(separator: "; ")
        let proposalText = proposals.map { "\($0.0) → \($0.1)" }.joined(separator: ", ")
        guard let largest = proposals.map(\.1).max() else {
            return AutoscaleDecision(desired: current, reason: "holding at \(current): \(missingText ?? "no reading")",
                                     missing: missingText)
        }
        var recommendation = spec.clamped(largest)
        // The HPA's rule for a missing metric: scale up on the others if they say so, never down.
        if missingText != nil { recommendation = max(recommendation, current) }

        let window = max(spec.scaleUp.stabilization, spec.scaleDown.stabilization)
        memory.recommendations.removeAll { $0.at < now - window }
        memory.recommendations.append(.init(at: now, replicas: recommendation))
        memory.scaleUps.removeAll { $0.at <= now - spec.scaleUp.period }

        func within(_ d: Duration) -> [Int] {
            memory.recommendations.filter { $0.at >= now - d }.map(\.replicas)
        }
        var desired = current
        var limits: [String] = []
        let upward = within(spec.scaleUp.stabilization).min() ?? recommendation
        let downward = within(spec.scaleDown.stabilization).max() ?? recommendation
        if upward > current {
            desired = upward
            let start = current - memory.scaleUps.reduce(0) { $0 + $1.added }
            let limit = min(spec.scaleUp.limit(from: max(start, 0)), spec.max)
            if desired > limit {
                desired = max(limit, current)
                limits.append("scale-up limited to \(desired) in \(DurationText.format(spec.scaleUp.period))")
            }
            if desired > current { memory.scaleUps.append(.init(at: now, added: desired - current)) }
        } else if downward < current {
            desired = downward
        } else if recommendation < current {
            limits.append("scale-down waits out its \(DurationText.format(spec.scaleDown.stabilization)) window (highest recent \(downward))")
        }
        if upward > current && upward != recommendation {
            limits.append("scale-up stabilized at the lowest recent \(upward)")
        }
        var reason = "\(proposalText); desired \(desired)"
        if spec.clamped(largest) != largest { reason += " (kept within \(spec.min)…\(spec.max))" }
        if !limits.isEmpty { reason += "; " + limits.joined(separator: "; ") }
        if let missingText { reason += "; not scaling down without \(missingText)" }
        return AutoscaleDecision(desired: desired, reason: reason, missing: missingText)
    }
}
