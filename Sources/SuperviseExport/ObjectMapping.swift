import SuperviseCore

/// One supervised Compose service as its objects: a Service (when it publishes ports), a Deployment, a
/// PodDisruptionBudget and, when autoscaled, a ScaledObject.
extension ServiceExport {
    mutating func manifests() throws(ExportError) -> [Manifest] {
        guard let image = compose.image, !image.isEmpty else {
            throw .noImage(service: compose.name, place: compose.place)
        }
        if objectName != compose.name {
            note(compose.place, "named \(objectName) in Kubernetes (object names are lowercase letters, digits and -)")
        }
        if Self.isUnpinned(image) {
            note(compose.imagePlace ?? SourcePlace(file: compose.place.file, keyPath: "\(compose.place.keyPath).image"),
                 "\(image) is not pinned: nodes pull \"latest\" again whenever they start a pod, so one Deployment may "
                     + "run different builds; export with a version (VERSION=1.4.2 supervise export kubernetes …)")
        }
        noteWhatHasNoCounterpart()
        let replicaSettings = selector.replicas ?? ReplicaSettings()
        let autoscale = replicaSettings.autoscale
        let probes = probes()
        let ports = portSpecs()
        let container = ContainerSpec(
            name: objectName, image: image,
            command: compose.entrypoint.map { $0.map(Self.escapingReferences) },
            args: compose.command.map { $0.map(Self.escapingReferences) },
            env: compose.environment.map { EnvironmentVariable(name: $0.name, value: Self.escapingReferences($0.value)) },
            ports: ports,
            limits: ResourceAmounts(cpu: compose.limits.milliCPU.map(Quantities.cpuQuantity),
                                    memory: compose.limits.memoryBytes.map(Quantities.memoryQuantity)),
            requests: ResourceAmounts(cpu: compose.reservations.milliCPU.map(Quantities.cpuQuantity),
                                      memory: compose.reservations.memoryBytes.map(Quantities.memoryQuantity)),
            startupProbe: probes.startup, livenessProbe: probes.liveness, readinessProbe: probes.readiness,
            preStop: preStop())
        let deployment = Deployment(
            metadata: metadata, replicas: autoscale == nil ? replicaCount(replicaSettings) : nil, selector: labels,
            maxSurge: replicaSettings.maxSurge, maxUnavailable: 0,
            progressDeadlineSeconds: seconds(replicaSettings.progressDeadline, key: "progress_deadline"),
            podAnnotations: compose.labels.map { Label($0.key, $0.value) },
            terminationGracePeriodSeconds: terminationGracePeriod(), container: container)
        var manifests: [Manifest] = []
        if !ports.isEmpty { manifests.append(.service(ServiceObject(metadata: metadata, selector: labels, ports: ports))) }
        manifests.append(.deployment(deployment))
        manifests.append(.podDisruptionBudget(PodDisruptionBudget(metadata: metadata, selector: labels,
                                                                  maxUnavailable: spec.maxUnavailable)))
        if let autoscale, let scaled = scaledObject(autoscale) { manifests.append(.scaledObject(scaled)) }
        return manifests
    }

    /// Whether `image` runs whatever `latest` is: tagged `latest`, or neither tagged nor pinned by digest.
    static func isUnpinned(_ image: String) -> Bool {
        if image.contains("@") { return false }
        let lastPart = image.split(separator: "/").last ?? Substring(image)
        guard let colon = lastPart.lastIndex(of: ":") else { return true }
        return lastPart[lastPart.index(after: colon)...] == "latest"
    }

    /// The configuration's `replicas`, else Compose's `deploy.replicas`, else 1.
    private mutating func replicaCount(_ settings: ReplicaSettings) -> Int {
        if let own = settings.replicas {
            if let composed = compose.replicas, composed != own {
                note(SourcePlace(file: compose.place.file, keyPath: "\(compose.place.keyPath).deploy.replicas"),
                     "\(composed) replaced by \(configFile): \(entryPath).replicas (\(own)): supervise owns the count")
            }
            return own
        }
        return compose.replicas ?? 1
    }

    /// The container's ports, one per target port and protocol, named `tcp-8000`.
    private func portSpecs() -> [PortSpec] {
        var specs: [PortSpec] = []
        for port in compose.ports {
            let name = "\(port.proto.lowercased())-\(port.target)"
            if !specs.contains(where: { $0.name == name }) {
                specs.append(PortSpec(name: name, containerPort: port.target, proto: port.proto))
            }
        }
        return specs
    }

    /// Notices for what the service or its entry has that Kubernetes does not: restart policies, the start limit,
    /// `depends_on` conditions, environment files and keys the export does not carry over.
    private mutating func noteWhatHasNoCounterpart() {
        let restart = spec.restart
        switch restart.policy {
        case .always: break
        case .unlessStopped:
            note("restart.policy", "unless-stopped: a Deployment's pods always restart (restartPolicy: Always); an "
                     + "operator's stop is kubectl scale --replicas=0")
        case .onFailure, .no:
            note("restart.policy", "\(restart.policy.rawValue): a Deployment's pods restart after every exit, clean or "
                     + "not (restartPolicy: Always); a container meant to stay down after it ends belongs in a Job")
        }
        note("restart", "backoff (\(DurationText.format(restart.backoff.initial)) doubling to "
                 + "\(DurationText.format(restart.backoff.max))) and start_limit (\(restart.startLimit.burst) starts in "
                 + "\(DurationText.format(restart.startLimit.interval))) have no counterpart: the kubelet restarts a "
                 + "crashing container without end (CrashLoopBackOff, 10s doubling to 5m); alert on "
                 + "kube_pod_container_status_restarts_total where supervise would have given up")
        if let policy = compose.restart, policy != "always", policy != "unless-stopped" {
            note(compose.restartPlace ?? compose.place, "\(policy): Docker's policy is replaced by the pod's "
                     + "restartPolicy: Always")
        }
        for dependency in compose.dependsOn {
            note(dependency.place, "\(dependency.condition) has no counterpart: Kubernetes starts pods in no order; "
                     + "make \(compose.name) retry until \(dependency.service) answers, or add an initContainer that "
                     + "waits for it")
        }
        for envFile in compose.envFiles {
            note(envFile.place, "\(envFile.file) is not read: make a Secret of it (kubectl create secret generic "
                     + "\(objectName)-env --from-env-file=\(envFile.file)) and add it to the container's envFrom")
        }
        for place in compose.unexported {
            let key = place.keyPath.split(separator: ".").last.map(String.init) ?? place.keyPath
            note(place, Self.unexportedAdvice[key] ?? "not exported")
        }
    }

    /// What to do instead, for Compose keys the export leaves out.
    static let unexportedAdvice: [String: String] = [
        "build": "not exported: the cluster pulls the image; build and push it to a registry the cluster can reach",
        "volumes": "not exported: mount PersistentVolumeClaims, ConfigMaps or Secrets instead",
        "networks": "not exported: pods share the cluster's network and reach each other by Service name",
        "container_name": "not exported: pods are named by their Deployment",
        "stop_signal": "not exported: Kubernetes stops a container with its image's STOPSIGNAL; set it in the image",
        "network_mode": "not exported: pods share the cluster's network",
        "user": "not exported: set securityContext.runAsUser in the Deployment",
        "working_dir": "not exported: set workingDir in the Deployment",
        "logging": "not exported: the cluster collects container output",
        "expose": "not exported: a container's ports are reachable in the cluster; list them under ports to get a Service",
        "restart_policy": "not exported: pods restart per restartPolicy: Always",
        "update_config": "not exported: the rollout follows the entry's max_surge (strategy.rollingUpdate)",
    ]
}
