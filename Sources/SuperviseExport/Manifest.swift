/// The Kubernetes objects the export writes, with the fields it sets; ``ManifestYAML`` writes them in kubectl's order.

/// `metadata` of an object.
public struct ObjectMeta: Sendable, Hashable {
    /// `metadata.name`.
    public var name: String
    /// Nil: left out (the namespace of `kubectl apply`'s context).
    public var namespace: String?
    /// `metadata.labels`, in order.
    public var labels: [Label]

    /// Metadata.
    public init(name: String, namespace: String?, labels: [Label]) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
    }
}

/// A label or annotation.
public struct Label: Sendable, Hashable {
    /// The key, such as `app.kubernetes.io/name`.
    public var key: String
    /// The value.
    public var value: String

    /// A label or annotation.
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// What a probe checks.
public enum ProbeHandler: Sendable, Hashable {
    /// `httpGet`; healthy for a status from 200 to 399.
    case httpGet(path: String, port: Int, host: String?, scheme: String, headers: [Label])
    case tcpSocket(port: Int, host: String?)
    case exec(command: [String])
}

/// A container probe (`livenessProbe`, `readinessProbe`, `startupProbe`).
public struct Probe: Sendable, Hashable {
    /// What it checks.
    public var handler: ProbeHandler
    /// `initialDelaySeconds` (left out at 0).
    public var initialDelaySeconds: Int
    /// `periodSeconds`.
    public var periodSeconds: Int
    /// `timeoutSeconds`.
    public var timeoutSeconds: Int
    /// `successThreshold` (1 for liveness and startup probes).
    public var successThreshold: Int
    /// `failureThreshold`.
    public var failureThreshold: Int

    /// A probe.
    public init(handler: ProbeHandler, initialDelaySeconds: Int, periodSeconds: Int, timeoutSeconds: Int,
                successThreshold: Int, failureThreshold: Int) {
        self.handler = handler
        self.initialDelaySeconds = initialDelaySeconds
        self.periodSeconds = periodSeconds
        self.timeoutSeconds = timeoutSeconds
        self.successThreshold = successThreshold
        self.failureThreshold = failureThreshold
    }
}

/// A port of a container, and of its Service.
public struct PortSpec: Sendable, Hashable {
    /// `tcp-8000`: an IANA service name as Kubernetes wants one (at most 15 characters).
    public var name: String
    /// The port in the container; also the Service's port.
    public var containerPort: Int
    /// `TCP`, `UDP`, `SCTP`.
    public var proto: String
}

/// `resources` of a container.
public struct ResourceAmounts: Sendable, Hashable {
    /// `500m`, `"2"`.
    public var cpu: String?
    /// `512Mi`, `2Gi`.
    public var memory: String?

    /// Amounts; nil ones are left out.
    public init(cpu: String? = nil, memory: String? = nil) {
        self.cpu = cpu
        self.memory = memory
    }

    var isEmpty: Bool { cpu == nil && memory == nil }
}

/// The one container of a pod.
public struct ContainerSpec: Sendable, Hashable {
    public var name: String
    public var image: String
    /// Compose's `entrypoint`.
    public var command: [String]?
    /// Compose's `command`.
    public var args: [String]?
    public var env: [EnvironmentVariable]
    public var ports: [PortSpec]
    public var limits: ResourceAmounts
    public var requests: ResourceAmounts
    public var startupProbe: Probe?
    public var livenessProbe: Probe?
    public var readinessProbe: Probe?
    /// `lifecycle.preStop.exec.command`.
    public var preStop: [String]?
}

/// An `apps/v1` Deployment.
public struct Deployment: Sendable, Hashable {
    public var metadata: ObjectMeta
    /// Nil when a ScaledObject owns the count.
    public var replicas: Int?
    public var selector: [Label]
    public var maxSurge: Int
    public var maxUnavailable: Int
    public var progressDeadlineSeconds: Int
    public var podAnnotations: [Label]
    public var terminationGracePeriodSeconds: Int
    public var container: ContainerSpec
}

/// A `v1` Service of type ClusterIP.
public struct ServiceObject: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var selector: [Label]
    public var ports: [PortSpec]
}

/// A `policy/v1` PodDisruptionBudget.
public struct PodDisruptionBudget: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var selector: [Label]
    public var maxUnavailable: Int
}

/// One trigger of a ScaledObject.
public struct ScaleTrigger: Sendable, Hashable {
    /// The scaler, such as `redis`.
    public var type: String
    /// KEDA's trigger metadata: every value a string.
    public var metadata: [Label]

    /// A trigger.
    public init(type: String, metadata: [Label]) {
        self.type = type
        self.metadata = metadata
    }
}

/// A KEDA `keda.sh/v1alpha1` ScaledObject.
public struct ScaledObject: Sendable, Hashable {
    public var metadata: ObjectMeta
    /// The Deployment it scales.
    public var target: String
    public var pollingInterval: Int
    public var minReplicaCount: Int
    public var maxReplicaCount: Int
    public var scaleDownStabilizationSeconds: Int
    /// The HPA's scale-up behaviour, when it is not the HPA's default.
    public var scaleUp: ScaleUpBehavior?
    public var triggers: [ScaleTrigger]
}

/// `behavior.scaleUp`: a `Pods` and a `Percent` policy over one period, the larger one applying.
public struct ScaleUpBehavior: Sendable, Hashable {
    public var stabilizationWindowSeconds: Int
    public var pods: Int
    public var percent: Int
    public var periodSeconds: Int

    /// A scale-up behaviour.
    public init(stabilizationWindowSeconds: Int, pods: Int, percent: Int, periodSeconds: Int) {
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
        self.pods = pods
        self.percent = percent
        self.periodSeconds = periodSeconds
    }
}

/// One object of the export.
public enum Manifest: Sendable, Hashable {
    case service(ServiceObject)
    case deployment(Deployment)
    case podDisruptionBudget(PodDisruptionBudget)
    case scaledObject(ScaledObject)

    /// `Kind/name`, as kubectl names objects.
    public var reference: String {
        switch self {
        case .service(let s): "Service/\(s.metadata.name)"
        case .deployment(let d): "Deployment/\(d.metadata.name)"
        case .podDisruptionBudget(let p): "PodDisruptionBudget/\(p.metadata.name)"
        case .scaledObject(let o): "ScaledObject/\(o.metadata.name)"
        }
    }
}
