import SuperviseCore

/// `autoscale` as a KEDA ScaledObject with a Redis list trigger.
///
/// | supervise | KEDA |
/// |---|---|
/// | `min`, `max` | `minReplicaCount`, `maxReplicaCount` |
/// | `interval` | `pollingInterval` (the HPA's own 15 s sync is the cluster's) |
/// | `queue: {redis, list, target, db}` | trigger `redis`: `address`, `listName`, `listLength`, `databaseIndex` |
/// | `scale_down.stabilization` | `advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds` |
/// | `scale_up` (when not the HPA's default) | `behavior.scaleUp`: `Pods` and `Percent` policies, `selectPolicy: Max` |
extension ServiceExport {
    mutating func scaledObject(_ autoscale: AutoscaleSpec) -> ScaledObject? {
        var triggers: [ScaleTrigger] = []
        if let queue = autoscale.queue {
            var metadata = [Label("address", redisAddress(queue.redis)), Label("listName", queue.list),
                            Label("listLength", String(queue.target))]
            if queue.activation > 0 {
                metadata.append(Label("activationListLength", String(queue.activation)))
                note("autoscale.queue.activation", "exported as activationListLength, which KEDA applies only to scaling "
                         + "from zero: with minReplicaCount \(autoscale.min) a backlog of \(queue.activation) or fewer "
                         + "calls no longer holds the count down")
            }
            if queue.db != 0 { metadata.append(Label("databaseIndex", String(queue.db))) }
            if queue.password != nil || queue.username != nil {
                note("autoscale.queue", "the Redis password (and user) is not exported: put it in a Secret, add a KEDA "
                         + "TriggerAuthentication whose secretTargetRef gives the parameter password (and username), "
                         + "and set the trigger's authenticationRef to it")
            }
            triggers.append(ScaleTrigger(type: "redis", metadata: metadata))
        }
        if let calls = autoscale.activeCalls {
            note("autoscale.active_calls", "target \(calls.target) has no KEDA trigger here (the live calls are read from "
                     + "each worker's drain progress URL): publish the live calls as a Prometheus metric and add a "
                     + "prometheus trigger on its sum with threshold \(calls.target)")
        }
        guard !triggers.isEmpty else {
            note("autoscale", "no trigger KEDA can read: no ScaledObject; the Deployment keeps \(autoscale.min) replicas")
            return nil
        }
        var scaleUp: ScaleUpBehavior?
        if autoscale.scaleUp != ScaleUpPolicy() {
            scaleUp = ScaleUpBehavior(
                stabilizationWindowSeconds: seconds(autoscale.scaleUp.stabilization, minimum: 0,
                                                    key: "autoscale.scale_up.stabilization"),
                pods: autoscale.scaleUp.pods, percent: autoscale.scaleUp.percent,
                periodSeconds: seconds(autoscale.scaleUp.period, key: "autoscale.scale_up.period"))
        }
        return ScaledObject(
            metadata: metadata, target: objectName,
            pollingInterval: seconds(autoscale.interval, key: "autoscale.interval"),
            minReplicaCount: autoscale.min, maxReplicaCount: autoscale.max,
            scaleDownStabilizationSeconds: seconds(autoscale.scaleDown.stabilization, minimum: 0,
                                                   key: "autoscale.scale_down.stabilization"),
            scaleUp: scaleUp, triggers: triggers)
    }

    /// The Redis address as KEDA, in the cluster, reaches it. A loopback address is this host's: when a Compose
    /// service publishes that port, its Service name and container port (`redis:6379`); otherwise it is kept, with a
    /// notice.
    mutating func redisAddress(_ address: RedisAddress) -> String {
        switch address {
        case .unix(let path):
            note("autoscale.queue.redis", "unix:\(path) is a socket on this host, which KEDA cannot reach: set the "
                     + "trigger's address to Redis's Service, such as redis:6379")
            return address.description
        case .tcp(let host, let port):
            guard Self.isLoopback(host) else { return address.description }
            let publishers = project.services.filter { service in service.ports.contains { $0.published == port } }
            if let redis = publishers.first, let target = redis.ports.first(where: { $0.published == port })?.target {
                return "\(Self.dnsLabel(redis.name)):\(target)"
            }
            note("autoscale.queue.redis", "\(address) is this host's loopback, which KEDA cannot reach, and no Compose "
                     + "service publishes port \(port): kept as written; set the trigger's address to Redis's "
                     + "Service, such as redis:6379")
            return address.description
        }
    }
}
