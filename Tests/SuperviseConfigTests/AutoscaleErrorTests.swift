import SuperviseConfig
import SuperviseCore
import Testing

/// A file whose only unit is `w`, replicated, with `body` (lines under `autoscale:`).
func autoscaled(_ body: String) -> String {
    "units:\n  w:\n    command: [x]\n    drain: default\n    autoscale:\n" + body
}

@Suite("autoscale errors")
struct AutoscaleErrorTests {
    @Test("bounds: max required and at least min; a trigger required; replicas within min and max")
    func bounds() {
        #expect(errors("""
            units:
              a:
                command: [x]
                autoscale: {min: 5, max: 2}
              b:
                command: [x]
                autoscale:
              c:
                command: [x]
                replicas: 1
                autoscale: {min: 2, max: 20, queue: {redis: 127.0.0.1:6379, list: q}}
              d:
                command: [x]
                autoscale: {min: 0, max: many, queue: {redis: 127.0.0.1:6379, list: q}}
            """) == [
            error(4, 5, "units.a.autoscale", found: "no queue or active_calls",
                  expected: "at least one of queue or active_calls (what the replica count follows)"),
            error(4, 30, "units.a.autoscale.max", found: "2", expected: "a whole number at least min (5)"),
            error(7, 5, "units.b.autoscale.max", found: "no \"max\"",
                  expected: "the most replicas, a whole number of at least 1, such as 20"),
            error(7, 5, "units.b.autoscale", found: "no queue or active_calls",
                  expected: "at least one of queue or active_calls (what the replica count follows)"),
            error(10, 15, "units.c.replicas", found: "1", expected: "a whole number from 2 to 20 (autoscale's min and "
                  + "max: replicas is the count the service starts at)"),
            error(14, 22, "units.d.autoscale.min", found: "0", expected: "a whole number of at least 1, such as 2"),
            error(14, 30, "units.d.autoscale.max", found: "\"many\"",
                  expected: "a whole number of at least 1, such as 20"),
        ])
    }

    @Test("triggers: a queue needs redis and list, targets at least 1, activation at least 0")
    func triggers() {
        #expect(errors(autoscaled("""
                  max: 3
                  queue: {target: 0, activation: -1, timeout: 0s, username: me}
                  active_calls: {}
            """)) == [
            error(7, 7, "units.w.autoscale.queue.redis", found: "no \"redis\"", expected: redisAddressExpected),
            error(7, 7, "units.w.autoscale.queue.list", found: "no \"list\"",
                  expected: "a Redis key, not empty and without control characters, such as call-queue"),
            error(7, 55, "units.w.autoscale.queue.username", found: "\"username\" without password_file or "
                  + "password_env", expected: "a password for the user beside it (AUTH username password): "
                  + "password_file: PATH or password_env: NAME"),
            error(8, 7, "units.w.autoscale.active_calls.target", found: "no \"target\"",
                  expected: "a whole number of at least 1: live calls per replica, such as 10"),
        ])
        #expect(errors(autoscaled("""
                  max: 3
                  queue: {redis: 127.0.0.1:6379, list: q, target: 0, activation: -1, timeout: 0s}
                  active_calls: {target: 0}
            """)) == [
            error(7, 55, "units.w.autoscale.queue.target", found: "0",
                  expected: "a whole number of at least 1: queued calls per replica, such as 5"),
            error(7, 70, "units.w.autoscale.queue.activation", found: "-1",
                  expected: "a whole number of 0 or more: the longest list that adds no replica, such as 0"),
            error(7, 83, "units.w.autoscale.queue.timeout", found: "\"0s\"", expected: positiveDurationExpected),
            error(8, 30, "units.w.autoscale.active_calls.target", found: "0",
                  expected: "a whole number of at least 1: live calls per replica, such as 10"),
        ])
    }

    @Test("active_calls reads the live calls from the drain's progress URL, which the unit or entry must have")
    func activeCallsNeedProgress() {
        let expected = "drain: {progress: URL} beside autoscale, or in defaults (the live calls are read from each "
            + "replica's drain progress URL)"
        #expect(errors("""
            units:
              w:
                command: [x]
                drain: default
                autoscale: {max: 3, active_calls: {target: 10}}
            containers:
              c:
                compose: c
                autoscale:
                  max: 3
                  active_calls: {target: 10}
            """) == [
            error(5, 25, "units.w.autoscale.active_calls", found: "active_calls without a drain progress URL",
                  expected: expected),
            error(11, 7, "containers.c.autoscale.active_calls", found: "active_calls without a drain progress URL",
                  expected: expected),
        ])
        #expect(throws: Never.self) {
            try ConfigLoader.parse(yaml: """
                defaults:
                  drain: {progress: "http://127.0.0.1:808{replica}/worker"}
                units:
                  w: {command: [x], autoscale: {max: 3, active_calls: {target: 10}}}
                """, file: testFile)
        }
    }

    @Test("interval and the policies: durations and counts in range")
    func policies() {
        #expect(errors(autoscaled("""
                  max: 3
                  queue: {redis: 127.0.0.1:6379, list: q}
                  interval: 0s
                  scale_up: {pods: 0, percent: 0, period: 0s, stabilization: -1s}
                  scale_down: {stabilization: soon}
            """)) == [
            error(8, 17, "units.w.autoscale.interval", found: "\"0s\"", expected: positiveDurationExpected),
            error(9, 24, "units.w.autoscale.scale_up.pods", found: "0", expected: "a whole number of at least 1, such as 4"),
            error(9, 36, "units.w.autoscale.scale_up.percent", found: "0",
                  expected: "a whole number of at least 1, such as 100 (percent of the replicas)"),
            error(9, 47, "units.w.autoscale.scale_up.period", found: "\"0s\"", expected: positiveDurationExpected),
            error(9, 66, "units.w.autoscale.scale_up.stabilization", found: "\"-1s\"",
                  expected: "a duration of zero or more, such as 0s, 10s or 1m"),
            error(10, 35, "units.w.autoscale.scale_down.stabilization", found: "\"soon\"", expected: durationExpected),
        ])
        #expect(errors(autoscaled("""
                  max: 3
                  queue: {redis: 127.0.0.1:6379, list: q}
                  scale_up: 4
                  scale_down: 5m
            """)) == [
            error(8, 17, "units.w.autoscale.scale_up", found: "4", expected: "a mapping with the keys pods, percent, "
                  + "period and stabilization, such as {pods: 4, period: 15s}"),
            error(9, 19, "units.w.autoscale.scale_down", found: "\"5m\"",
                  expected: "a mapping with stabilization, such as {stabilization: 5m}"),
        ])
    }

    @Test("unknown and misplaced keys in autoscale, its triggers and policies; KEDA's and the HPA's names")
    func keys() {
        #expect(errors(autoscaled("""
                  max: 3
                  minReplicaCount: 1
                  stabilization: 5m
                  pods: 2
                  intervall: 2s
                  queue: {redis: 127.0.0.1:6379, list: q, listLength: 5, user: me, password: x}
                  active_calls: {target: 10, field: active_jobs}
                  scale_up: {stabilizationWindowSeconds: 0}
                  scale_down: {percent: 100}
            """)) == [
            error(7, 7, "units.w.autoscale.minReplicaCount", found: "unknown key \"minReplicaCount\"",
                  expected: "a known key (KEDA's minReplicaCount is min here)"),
            error(8, 7, "units.w.autoscale.stabilization", found: "unknown key \"stabilization\"",
                  expected: "a key of autoscale (stabilization goes under scale_down or scale_up: "
                      + "scale_down: {stabilization: 5m})"),
            error(9, 7, "units.w.autoscale.pods", found: "unknown key \"pods\"",
                  expected: "a key of autoscale (pods goes under scale_up: scale_up: {pods: ...})"),
            error(10, 7, "units.w.autoscale.intervall", found: "unknown key \"intervall\"",
                  expected: "a known key (did you mean \"interval\"?)"),
            error(11, 47, "units.w.autoscale.queue.listLength", found: "unknown key \"listLength\"",
                  expected: "a known key (KEDA's listLength is target here)"),
            error(11, 62, "units.w.autoscale.queue.user", found: "unknown key \"user\"",
                  expected: "a key of a queue trigger (the Redis ACL user is username, as in queues)"),
            error(11, 72, "units.w.autoscale.queue.password", found: "unknown key \"password\"",
                  expected: "a key of a queue trigger (the password is never written in the file: "
                      + "password_file: PATH or password_env: NAME)"),
            error(12, 34, "units.w.autoscale.active_calls.field", found: "unknown key \"field\"",
                  expected: "a key of active_calls (the live calls are read from the field named by the unit's drain)"),
            error(13, 18, "units.w.autoscale.scale_up.stabilizationWindowSeconds",
                  found: "unknown key \"stabilizationWindowSeconds\"", expected: "a known key (the HPA's "
                      + "stabilizationWindowSeconds is stabilization here, a duration such as 5m)"),
            error(14, 20, "units.w.autoscale.scale_down.percent", found: "unknown key \"percent\"",
                  expected: "a key of scale_down (scale-down drains one replica at a time within max_unavailable; "
                      + "percent applies to scale_up)"),
        ])
    }
}
