/// Writes ``Manifest`` objects as ``YAMLValue``s, keys in the order `kubectl get -o yaml` shows the fields people
/// look for first: `apiVersion`, `kind`, `metadata`, `spec`; in a spec the count and selector before the template; in
/// a container its name and image before the rest.
public enum ManifestYAML {
    /// The object as an ordered YAML value.
    public static func value(_ manifest: Manifest) -> YAMLValue {
        switch manifest {
        case .service(let s): service(s)
        case .deployment(let d): deployment(d)
        case .podDisruptionBudget(let p): podDisruptionBudget(p)
        case .scaledObject(let o): scaledObject(o)
        }
    }

    static func object(_ apiVersion: String, _ kind: String, _ metadata: ObjectMeta, spec: YAMLValue) -> YAMLValue {
        .map([("apiVersion", .string(apiVersion)), ("kind", .string(kind)), ("metadata", meta(metadata)), ("spec", spec)])
    }

    static func meta(_ m: ObjectMeta) -> YAMLValue {
        var pairs: [(String, YAMLValue)] = [("name", .string(m.name))]
        if let namespace = m.namespace { pairs.append(("namespace", .string(namespace))) }
        if !m.labels.isEmpty { pairs.append(("labels", labels(m.labels))) }
        return .map(pairs)
    }

    static func labels(_ labels: [Label]) -> YAMLValue { .map(labels.map { ($0.key, .string($0.value)) }) }

    static func selector(_ labels: [Label]) -> YAMLValue { .map([("matchLabels", Self.labels(labels))]) }

    static func service(_ s: ServiceObject) -> YAMLValue {
        object("v1", "Service", s.metadata, spec: .map([
            ("type", .string("ClusterIP")),
            ("selector", labels(s.selector)),
            ("ports", .list(s.ports.map { port in
                .map([("name", .string(port.name)), ("port", .int(port.containerPort)),
                      ("targetPort", .string(port.name)), ("protocol", .string(port.proto))])
            })),
        ]))
    }

    static func deployment(_ d: Deployment) -> YAMLValue {
        var spec: [(String, YAMLValue)] = []
        if let replicas = d.replicas { spec.append(("replicas", .int(replicas))) }
        spec += [
            ("selector", selector(d.selector)),
            ("strategy", .map([
                ("type", .string("RollingUpdate")),
                ("rollingUpdate", .map([("maxSurge", .int(d.maxSurge)), ("maxUnavailable", .int(d.maxUnavailable))])),
            ])),
            ("progressDeadlineSeconds", .int(d.progressDeadlineSeconds)),
        ]
        var templateMeta: [(String, YAMLValue)] = [("labels", labels(d.metadata.labels))]
        if !d.podAnnotations.isEmpty { templateMeta.append(("annotations", labels(d.podAnnotations))) }
        spec.append(("template", .map([
            ("metadata", .map(templateMeta)),
            ("spec", .map([
                ("terminationGracePeriodSeconds", .int(d.terminationGracePeriodSeconds)),
                ("containers", .list([container(d.container)])),
            ])),
        ])))
        return object("apps/v1", "Deployment", d.metadata, spec: .map(spec))
    }

    static func container(_ c: ContainerSpec) -> YAMLValue {
        var pairs: [(String, YAMLValue)] = [("name", .string(c.name)), ("image", .string(c.image))]
        if let command = c.command { pairs.append(("command", .list(command.map(YAMLValue.string)))) }
        if let args = c.args { pairs.append(("args", .list(args.map(YAMLValue.string)))) }
        if !c.env.isEmpty {
            pairs.append(("env", .list(c.env.map { .map([("name", .string($0.name)), ("value", .string($0.value))]) })))
        }
        if !c.ports.isEmpty {
            pairs.append(("ports", .list(c.ports.map { port in
                .map([("name", .string(port.name)), ("containerPort", .int(port.containerPort)),
                      ("protocol", .string(port.proto))])
            })))
        }
        var resources: [(String, YAMLValue)] = []
        if !c.limits.isEmpty { resources.append(("limits", amounts(c.limits))) }
        if !c.requests.isEmpty { resources.append(("requests", amounts(c.requests))) }
        if !resources.isEmpty { pairs.append(("resources", .map(resources))) }
        if let probe = c.startupProbe { pairs.append(("startupProbe", Self.probe(probe))) }
        if let probe = c.livenessProbe { pairs.append(("livenessProbe", Self.probe(probe))) }
        if let probe = c.readinessProbe { pairs.append(("readinessProbe", Self.probe(probe))) }
        if let preStop = c.preStop {
            pairs.append(("lifecycle", .map([("preStop", .map([
                ("exec", .map([("command", .list(preStop.map(YAMLValue.string)))])),
            ]))])))
        }
        return .map(pairs)
    }

    static func amounts(_ a: ResourceAmounts) -> YAMLValue {
        var pairs: [(String, YAMLValue)] = []
        if let cpu = a.cpu { pairs.append(("cpu", .string(cpu))) }
        if let memory = a.memory { pairs.append(("memory", .string(memory))) }
        return .map(pairs)
    }

    static func probe(_ p: Probe) -> YAMLValue {
        var pairs: [(String, YAMLValue)]
        switch p.handler {
        case .httpGet(let path, let port, let host, let scheme, let headers):
            var get: [(String, YAMLValue)] = [("path", .string(path)), ("port", .int(port))]
            if let host { get.append(("host", .string(host))) }
            get.append(("scheme", .string(scheme)))
            if !headers.isEmpty {
                get.append(("httpHeaders", .list(headers.map { .map([("name", .string($0.key)), ("value", .string($0.value))]) })))
            }
            pairs = [("httpGet", .map(get))]
        case .tcpSocket(let port, let host):
            var socket: [(String, YAMLValue)] = [("port", .int(port))]
            if let host { socket.append(("host", .string(host))) }
            pairs = [("tcpSocket", .map(socket))]
        case .exec(let command):
            pairs = [("exec", .map([("command", .list(command.map(YAMLValue.string)))]))]
        }
        if p.initialDelaySeconds > 0 { pairs.append(("initialDelaySeconds", .int(p.initialDelaySeconds))) }
        pairs += [
            ("periodSeconds", .int(p.periodSeconds)),
            ("timeoutSeconds", .int(p.timeoutSeconds)),
            ("successThreshold", .int(p.successThreshold)),
            ("failureThreshold", .int(p.failureThreshold)),
        ]
        return .map(pairs)
    }

    static func podDisruptionBudget(_ p: PodDisruptionBudget) -> YAMLValue {
        object("policy/v1", "PodDisruptionBudget", p.metadata, spec: .map([
            ("maxUnavailable", .int(p.maxUnavailable)),
            ("selector", selector(p.selector)),
        ]))
    }

    static func scaledObject(_ o: ScaledObject) -> YAMLValue {
        var behavior: [(String, YAMLValue)] = []
        if let up = o.scaleUp {
            behavior.append(("scaleUp", .map([
                ("stabilizationWindowSeconds", .int(up.stabilizationWindowSeconds)),
                ("selectPolicy", .string("Max")),
                ("policies", .list([
                    .map([("type", .string("Pods")), ("value", .int(up.pods)), ("periodSeconds", .int(up.periodSeconds))]),
                    .map([("type", .string("Percent")), ("value", .int(up.percent)),
                          ("periodSeconds", .int(up.periodSeconds))]),
                ])),
            ])))
        }
        behavior.append(("scaleDown", .map([("stabilizationWindowSeconds", .int(o.scaleDownStabilizationSeconds))])))
        return object("keda.sh/v1alpha1", "ScaledObject", o.metadata, spec: .map([
            ("scaleTargetRef", .map([("apiVersion", .string("apps/v1")), ("kind", .string("Deployment")),
                                     ("name", .string(o.target))])),
            ("pollingInterval", .int(o.pollingInterval)),
            ("minReplicaCount", .int(o.minReplicaCount)),
            ("maxReplicaCount", .int(o.maxReplicaCount)),
            ("advanced", .map([("horizontalPodAutoscalerConfig", .map([("behavior", .map(behavior))]))])),
            ("triggers", .list(o.triggers.map { trigger in
                .map([("type", .string(trigger.type)), ("metadata", labels(trigger.metadata))])
            })),
        ]))
    }
}
