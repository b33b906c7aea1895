/// How an autoscaler removes replicas (`autoscale.scale_down`).
///
/// The count goes down only to the highest count desired throughout the ``stabilization`` window (the Horizontal
/// Pod Autoscaler's rule, whose default window is 5 minutes), so a short lull does not drain workers that are
/// needed again a minute later. Replicas are removed only by drain, one at a time and within the service's
/// `max_unavailable`, so no call is cut.
public struct ScaleDownPolicy: Sendable, Hashable, Codable {
    /// The window over which the highest desired count is kept; zero: scale down at once.
    public var stabilization: Duration

    /// The HPA's default scale-down stabilization window: 300 s.
    public static let defaultStabilization = Duration.seconds(300)

    public init(stabilization: Duration = ScaleDownPolicy.defaultStabilization) {
        self.stabilization = stabilization
    }
}
