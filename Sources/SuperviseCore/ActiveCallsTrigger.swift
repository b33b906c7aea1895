/// An autoscaler trigger on live calls (`autoscale.active_calls`): the service wants one replica per ``target``
/// calls in progress, counted over its replicas (ADR-010: one worker per ~10 concurrent calls).
///
/// A replica's live calls are read from its drain progress URL (`drain: {progress: URL}`), which the service must
/// have for this trigger.
public struct ActiveCallsTrigger: Sendable, Hashable, Codable {
    /// Live calls per replica; at least 1.
    public var target: Int

    public init(target: Int) {
        self.target = target
    }

    /// The replicas this trigger proposes for `liveCalls` calls in progress over the whole service:
    /// ⌈liveCalls / target⌉.
    public func desiredReplicas(liveCalls: Int) -> Int {
        ceilingDivision(Swift.max(liveCalls, 0), target)
    }
}
