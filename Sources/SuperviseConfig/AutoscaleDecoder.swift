import SuperviseCore
import Yams

/// Reading `autoscale`: its bounds, its triggers (`queue`, `active_calls`), how often they are read and how fast the
/// count may change.
extension Diagnostics {
    static let autoscaleExpected = "a mapping with max and at least one of queue or active_calls, such as "
        + "{min: 2, max: 20, active_calls: {target: 10}}"
    static let minReplicasExpected = "a whole number of at least 1, such as 2"
    static let maxReplicasExpected = "a whole number of at least 1, such as 20"
    static let triggerExpected = "at least one of queue or active_calls (what the replica count follows)"
    static let queueTriggerExpected = "a mapping with at least redis and list, such as "
        + "{redis: \"127.0.0.1:6379\", list: call-queue, target: 5}"
    static let activeCallsExpected = "a mapping with target, such as {target: 10}"
    static let queueTargetExpected = "a whole number of at least 1: queued calls per replica, such as 5"
    static let callsTargetExpected = "a whole number of at least 1: live calls per replica, such as 10"
    static let activationExpected = "a whole number of 0 or more: the longest list that adds no replica, such as 0"
    static let policyCountExpected = "a whole number of at least 1, such as 4"
    static let percentExpected = "a whole number of at least 1, such as 100 (percent of the replicas)"
    static let scaleUpExpected = "a mapping with the keys pods, percent, period and stabilization, such as "
        + "{pods: 4, period: 15s}"
    static let scaleDownExpected = "a mapping with stabilization, such as {stabilization: 5m}"

    /// `autoscale`; nil (reported) when anything in it is wrong.
    func autoscale(_ entry: Entry) -> AutoscaleSpec? {
        let errorsBefore = errors.count
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.autoscale,
                                  expected: Diagnostics.autoscaleExpected) else { return nil }
        var spec = AutoscaleSpec(max: 1)
        if let min = fields["min"], let value = integer(min.value, min.path, in: 1...Int.max,
                                                         expected: Diagnostics.minReplicasExpected) {
            spec.min = value
        }
        if let max = fields["max"] {
            if let value = integer(max.value, max.path, in: 1...Int.max, expected: Diagnostics.maxReplicasExpected) {
                spec.max = value
                if value < spec.min {
                    report(max.value, max.path, found: "\(value)",
                           expected: "a whole number at least min (\(spec.min))")
                }
            }
        } else {
            report(entry.keyNode, KeyPath.join(entry.path, "max"), found: "no \"max\"",
                   expected: "the most replicas, " + Diagnostics.maxReplicasExpected)
        }
        if let queue = fields["queue"] { spec.queue = queueTrigger(queue) }
        if let calls = fields["active_calls"] { spec.activeCalls = activeCallsTrigger(calls) }
        if fields["queue"] == nil && fields["active_calls"] == nil {
            report(entry.keyNode, entry.path, found: "no queue or active_calls", expected: Diagnostics.triggerExpected)
        }
        if let interval = fields["interval"], let value = duration(interval.value, interval.path, positive: true) {
            spec.interval = value
        }
        if let scaleUp = fields["scale_up"] { spec.scaleUp = scaleUpPolicy(scaleUp) }
        if let scaleDown = fields["scale_down"] { spec.scaleDown = scaleDownPolicy(scaleDown) }
        return errors.count == errorsBefore ? spec : nil
    }

    /// `queue`: a queue's connection keys, `list` (required), `target`, `activation` and `timeout`.
    private func queueTrigger(_ entry: Entry) -> QueueTrigger? {
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.queueTrigger,
                                  expected: Diagnostics.queueTriggerExpected) else { return nil }
        let connection = redisConnection(entry, fields: fields)
        var list: String?
        if let entry = fields["list"] {
            list = redisList(entry)
        } else {
            report(entry.keyNode, KeyPath.join(entry.path, "list"), found: "no \"list\"",
                   expected: Diagnostics.redisListExpected)
        }
        guard let redis = connection.redis, let list else { return nil }
        var trigger = QueueTrigger(redis: redis, list: list, db: connection.db, username: connection.username,
                                   password: connection.password)
        if let target = fields["target"], let value = integer(target.value, target.path, in: 1...Int.max,
                                                               expected: Diagnostics.queueTargetExpected) {
            trigger.target = value
        }
        if let activation = fields["activation"],
           let value = integer(activation.value, activation.path, in: 0...Int.max,
                               expected: Diagnostics.activationExpected) {
            trigger.activation = value
        }
        if let timeout = fields["timeout"], let value = duration(timeout.value, timeout.path, positive: true) {
            trigger.timeout = value
        }
        return trigger
    }

    /// `active_calls`: `{target: N}`.
    private func activeCallsTrigger(_ entry: Entry) -> ActiveCallsTrigger? {
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.activeCalls,
                                  expected: Diagnostics.activeCallsExpected) else { return nil }
        guard let target = fields["target"] else {
            report(entry.keyNode, KeyPath.join(entry.path, "target"), found: "no \"target\"",
                   expected: Diagnostics.callsTargetExpected)
            return nil
        }
        return integer(target.value, target.path, in: 1...Int.max, expected: Diagnostics.callsTargetExpected)
            .map(ActiveCallsTrigger.init(target:))
    }

    /// `scale_up`: `pods`, `percent`, `period` and `stabilization`, each defaulting to the HPA's.
    private func scaleUpPolicy(_ entry: Entry) -> ScaleUpPolicy {
        var policy = ScaleUpPolicy()
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.scaleUp,
                                  expected: Diagnostics.scaleUpExpected) else { return policy }
        if let pods = fields["pods"], let value = integer(pods.value, pods.path, in: 1...Int.max,
                                                           expected: Diagnostics.policyCountExpected) {
            policy.pods = value
        }
        if let percent = fields["percent"], let value = integer(percent.value, percent.path, in: 1...Int.max,
                                                                 expected: Diagnostics.percentExpected) {
            policy.percent = value
        }
        if let period = fields["period"], let value = duration(period.value, period.path, positive: true) {
            policy.period = value
        }
        if let window = fields["stabilization"], let value = duration(window.value, window.path, positive: false) {
            policy.stabilization = value
        }
        return policy
    }

    /// `scale_down`: `stabilization`, default 5 minutes.
    private func scaleDownPolicy(_ entry: Entry) -> ScaleDownPolicy {
        var policy = ScaleDownPolicy()
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.scaleDown,
                                  expected: Diagnostics.scaleDownExpected) else { return policy }
        if let window = fields["stabilization"], let value = duration(window.value, window.path, positive: false) {
            policy.stabilization = value
        }
        return policy
    }
}
