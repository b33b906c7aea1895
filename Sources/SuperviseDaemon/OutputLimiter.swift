import Logging
import Synchronization
import SuperviseCore
import SuperviseProcess

/// One unit's output on its way to the log, through its ``OutputRateLimit``: a line over the limit is
/// dropped before anything about it is formatted or written, and one warning (`output-suppressed`) per
/// window says how many were dropped.
///
/// That warning comes when the window is over (a timer on the loop's clock, armed by the window's first
/// dropped line, so a unit that goes quiet still gets it), before the next line if that comes first, or
/// when the unit's process ends. Shared by every process of the unit (see ``OutputLimiters``), so the
/// count goes on across restarts.
final class OutputLimiter: Sendable {
    let unit: String
    private let logger: Logger
    private let clock: any SupervisionClock
    private let state: Mutex<OutputRateLimit>

    init(unit: String, limits: OutputLimits, logger: Logger, clock: any SupervisionClock) {
        self.unit = unit
        self.logger = logger
        self.clock = clock
        state = Mutex(OutputRateLimit(limits: limits))
    }

    /// The limits now in force (a reload may have changed them); the window's counts go on.
    var limits: OutputLimits {
        get { state.withLock { $0.limits } }
        set { state.withLock { $0.limits = newValue } }
    }

    /// One line of the unit's process `pid`: logged, or dropped and counted.
    func line(_ text: String, pid: Int32, stream: OutputStream) {
        let now = clock.now()
        // Logged under the lock, so a suppression warning and the lines around it keep their order.
        let windowEnd: Instant? = state.withLock { limit in
            let decision = limit.admit(at: now)
            if let dropped = decision.suppressedBefore { reportSuppressed(dropped, limit.limits) }
            if decision.log {
                logger.info("\(text)", metadata: ["unit": "\(unit)", "pid": "\(pid)", "event": "output",
                                                  "stream": "\(stream.rawValue)"])
            }
            return decision.firstDrop ? limit.windowEnd : nil
        }
        if let windowEnd { reportAtEnd(of: windowEnd) }
    }

    /// The unit's process has ended: lines dropped so far are reported now rather than at the window's end.
    func processEnded() {
        state.withLock { limit in
            if let dropped = limit.takeDropped() { reportSuppressed(dropped, limit.limits) }
        }
    }

    /// Once `windowEnd` has come, reports what the window dropped, unless a line or an exit did first.
    private func reportAtEnd(of windowEnd: Instant) {
        let clock = self.clock
        Task { [self] in
            // Again if woken a little early: the window is over only at its end on the loop's clock.
            while clock.now() < windowEnd {
                guard (try? await clock.sleep(until: windowEnd)) != nil else { return }
            }
            let now = clock.now()
            state.withLock { limit in
                if let dropped = limit.expire(at: now) { reportSuppressed(dropped, limit.limits) }
            }
        }
    }

    private func reportSuppressed(_ dropped: Int, _ limits: OutputLimits) {
        logger.warning("\(limits.suppressionMessage(dropped: dropped))",
                       metadata: ["unit": "\(unit)", "event": "output-suppressed", "dropped": "\(dropped)"])
    }
}

/// The units' ``OutputLimiter``s by name, made on a unit's first spawn and kept across its restarts.
final class OutputLimiters: Sendable {
    private let logger: Logger
    private let clock: any SupervisionClock
    private let limiters = Mutex<[String: OutputLimiter]>([:])

    init(logger: Logger, clock: any SupervisionClock) {
        self.logger = logger
        self.clock = clock
    }

    /// `spec`'s unit's limiter, with `spec`'s limits.
    func limiter(for spec: UnitSpec) -> OutputLimiter {
        let limiter = limiters.withLock { all in
            if let existing = all[spec.name] { return existing }
            let made = OutputLimiter(unit: spec.name, limits: spec.output, logger: logger, clock: clock)
            all[spec.name] = made
            return made
        }
        if limiter.limits != spec.output { limiter.limits = spec.output }
        return limiter
    }
}
