import SuperviseCore

/// Finds recoveries in the stream of events and makes the `recovered` event for each:
///
/// - a unit that gave up (`gave-up`, which is also logged at startup for a unit still failed from before a
///   restart of the daemon) is running again: its next `start` (after `supervise restart`, `reset`, `start`, or
///   a container started by hand);
/// - the Docker API is reachable again: `docker-connected` after `docker-lost`.
///
/// A unit `removed` from the configuration is forgotten. `recovered` carries the `seq` and `time` of the event
/// that showed the recovery, `level` `notice`, the unit (none for Docker), and in `reason` what had gone wrong.
struct RecoveryTracker {
    /// Units that gave up and have not started since, with their `gave-up` event.
    private var gaveUp: [String: SupervisionEvent] = [:]
    /// The `docker-lost` event, while no `docker-connected` has followed it.
    private var dockerLost: SupervisionEvent?

    /// Takes note of `event`; returns the `recovered` event it shows, if any.
    mutating func observe(_ event: SupervisionEvent) -> SupervisionEvent? {
        switch (event.event, event.unit) {
        case ("gave-up", let unit?):
            if gaveUp[unit] == nil { gaveUp[unit] = event }
        case ("start", let unit?):
            guard let failure = gaveUp.removeValue(forKey: unit) else { return nil }
            return recovered(from: event, unit: unit, failure: failure,
                             message: "running again after giving up at \(failure.time)")
        case ("removed", let unit?):
            gaveUp.removeValue(forKey: unit)
        case ("docker-lost", _):
            if dockerLost == nil { dockerLost = event }
        case ("docker-connected", _):
            guard let lost = dockerLost else { return nil }
            dockerLost = nil
            return recovered(from: event, unit: nil, failure: lost,
                             message: "Docker API reachable again after it was lost at \(lost.time)")
        default:
            break
        }
        return nil
    }

    private func recovered(from event: SupervisionEvent, unit: String?, failure: SupervisionEvent,
                           message: String) -> SupervisionEvent {
        SupervisionEvent(seq: event.seq, time: event.time, level: "notice", unit: unit,
                         event: WebhookSpec.recovered, message: message, reason: failure.reason ?? failure.message)
    }
}
