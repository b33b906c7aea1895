import SuperviseCore

/// A value read from the file, with where it was written (for errors that compare two values).
struct Sourced<Value> {
    var value: Value
    var position: SourcePosition?
    var path: String
    /// The value as written.
    var text: String
}

/// Exit statuses counted as a clean end: exit codes and signals, set together by `success_exit_codes`.
struct SuccessStatuses: Equatable {
    var codes: Set<Int32>
    var signals: Set<Int32>
}

/// The `backoff` settings given in one layer (defaults or a unit); nil where not given.
struct BackoffLayer {
    var initial: Sourced<Duration>?
    var max: Sourced<Duration>?
    var multiplier: Double?
    var jitter: Double?
    var resetAfter: Duration?

    /// This layer's values, and `base`'s where this one has none.
    func overriding(_ base: BackoffLayer) -> BackoffLayer {
        BackoffLayer(initial: initial ?? base.initial, max: max ?? base.max, multiplier: multiplier ?? base.multiplier,
                     jitter: jitter ?? base.jitter, resetAfter: resetAfter ?? base.resetAfter)
    }

    /// The policy, with `BackoffPolicy.default` where nothing was given.
    var resolved: BackoffPolicy {
        let d = BackoffPolicy.default
        return BackoffPolicy(initial: initial?.value ?? d.initial, max: max?.value ?? d.max,
                             multiplier: multiplier ?? d.multiplier, jitter: jitter ?? d.jitter,
                             resetAfter: resetAfter ?? d.resetAfter)
    }
}

/// The `start_limit` settings given in one layer; nil where not given.
struct StartLimitLayer {
    var burst: Int?
    var interval: Duration?

    func overriding(_ base: StartLimitLayer) -> StartLimitLayer {
        StartLimitLayer(burst: burst ?? base.burst, interval: interval ?? base.interval)
    }

    var resolved: StartLimit {
        StartLimit(burst: burst ?? StartLimit.default.burst, interval: interval ?? StartLimit.default.interval)
    }
}

/// The `restart` settings given in one layer; nil where not given.
struct RestartLayer {
    /// The policy, with where it was written (named when a `depends_on` condition cannot be met under it).
    var policy: Sourced<RestartPolicy>?
    var success: SuccessStatuses?
    var backoff = BackoffLayer()
    var startLimit = StartLimitLayer()

    /// Merged field by field, `backoff` and `start_limit` too.
    func overriding(_ base: RestartLayer) -> RestartLayer {
        RestartLayer(policy: policy ?? base.policy, success: success ?? base.success,
                     backoff: backoff.overriding(base.backoff), startLimit: startLimit.overriding(base.startLimit))
    }

    /// The settings, with `RestartSettings.default` where nothing was given.
    var resolved: RestartSettings {
        let d = RestartSettings.default
        return RestartSettings(policy: policy?.value ?? d.policy,
                               successExitCodes: success?.codes ?? d.successExitCodes,
                               successSignals: success?.signals ?? d.successSignals,
                               backoff: backoff.resolved, startLimit: startLimit.resolved)
    }
}

/// The `output` settings given in one layer; nil where not given.
struct OutputLayer {
    var rateLimitInterval: Duration?
    var rateLimitBurst: Int?
    var maxLine: Int?

    func overriding(_ base: OutputLayer) -> OutputLayer {
        OutputLayer(rateLimitInterval: rateLimitInterval ?? base.rateLimitInterval,
                    rateLimitBurst: rateLimitBurst ?? base.rateLimitBurst, maxLine: maxLine ?? base.maxLine)
    }

    /// The limits, with `OutputLimits.default` where nothing was given.
    var resolved: OutputLimits {
        let d = OutputLimits.default
        return OutputLimits(rateLimitInterval: rateLimitInterval ?? d.rateLimitInterval,
                            rateLimitBurst: rateLimitBurst ?? d.rateLimitBurst, maxLine: maxLine ?? d.maxLine)
    }
}

/// A `liveness` or `readiness` as one layer gives it: a probe (with its `network` entry when one was written), or
/// `none` to drop the one `defaults` gives.
enum ProbeSetting {
    case none
    case probe(ProbeSpec, network: Entry?)

    var spec: ProbeSpec? {
        switch self {
        case .none: nil
        case .probe(let spec, _): spec
        }
    }

    /// The `network` entry of a probe made from the container's network, where it was written.
    var containerNetwork: Entry? {
        guard case .probe(let spec, let network) = self, spec.network == .container else { return nil }
        return network
    }
}

/// A `drain` as one layer gives it: a drain contract (with its `network` entry when one was written), or `none` to
/// drop the one `defaults` gives.
enum DrainSetting {
    case none
    case drain(DrainSpec, network: Entry?)

    var spec: DrainSpec? {
        switch self {
        case .none: nil
        case .drain(let spec, _): spec
        }
    }

    /// The `network` entry of a drain made through the container's network, where it was written.
    var containerNetwork: Entry? {
        guard case .drain(let spec, let network) = self, spec.network == .container else { return nil }
        return network
    }
}

/// What `defaults` and a unit have in common: the settings of one layer, nil where not given.
struct UnitLayer {
    var environment: [String: String] = [:]
    var workingDirectory: String?
    var user: String?
    var group: String?
    var stopSignal: Int32?
    var stopTimeout: Duration?
    var restart = RestartLayer()
    var liveness: ProbeSetting?
    var readiness: ProbeSetting?
    var drain: DrainSetting?
    var maxUnavailable: Int?
    var nice: Int32?
    var output = OutputLayer()

    /// This layer over `base`: key by key for `env`, field by field for everything else (`restart` and `output`
    /// too) except the probes and the drain, which replace `base`'s as a whole.
    func overriding(_ base: UnitLayer) -> UnitLayer {
        UnitLayer(environment: base.environment.merging(environment) { _, unit in unit },
                  workingDirectory: workingDirectory ?? base.workingDirectory, user: user ?? base.user,
                  group: group ?? base.group, stopSignal: stopSignal ?? base.stopSignal,
                  stopTimeout: stopTimeout ?? base.stopTimeout, restart: restart.overriding(base.restart),
                  liveness: liveness ?? base.liveness, readiness: readiness ?? base.readiness,
                  drain: drain ?? base.drain, maxUnavailable: maxUnavailable ?? base.maxUnavailable,
                  nice: nice ?? base.nice, output: output.overriding(base.output))
    }

    /// The template of a container entry's units: only the settings a container has (stop signal and timeout,
    /// restart, probes, drain); `env`, `working_dir`, `user`, `group` and `output` (from `defaults`) do not apply.
    func container(named name: String) -> UnitSpec {
        let defaults = UnitSpec(name: name, kind: .container, command: [])
        var spec = UnitSpec(name: name, kind: .container, command: [], stopSignal: stopSignal ?? defaults.stopSignal,
                            stopTimeout: stopTimeout ?? defaults.stopTimeout, restart: restart.resolved,
                            liveness: liveness?.spec, readiness: readiness?.spec)
        spec.drain = drain?.spec
        spec.maxUnavailable = maxUnavailable ?? defaults.maxUnavailable
        return spec
    }

    /// The unit, with the `UnitSpec` defaults where nothing was given.
    func unit(named name: String, command: [String], dependsOn: [DependencySpec]) -> UnitSpec {
        let defaults = UnitSpec(name: name, command: command)
        var spec = UnitSpec(name: name, command: command, environment: environment, workingDirectory: workingDirectory,
                            user: user, group: group, stopSignal: stopSignal ?? defaults.stopSignal,
                            stopTimeout: stopTimeout ?? defaults.stopTimeout, restart: restart.resolved,
                            dependsOn: dependsOn, liveness: liveness?.spec, readiness: readiness?.spec)
        spec.drain = drain?.spec
        spec.maxUnavailable = maxUnavailable ?? defaults.maxUnavailable
        spec.nice = nice ?? defaults.nice
        spec.output = output.resolved
        return spec
    }
}
