import CCurl
import SuperviseCurl
import Dispatch
import SuperviseCore
import SuperviseProcess

/// The engine thread: one libcurl multi handle, the schedule heap and every probe's state.
///
/// Everything here is touched only by that thread. Each turn: apply queued commands, start the
/// runs that are due, let curl make progress, collect finished transfers, then sleep in
/// `curl_multi_poll` until the earliest of (next due run, curl's own timer, a command's wakeup).
/// Exec runs live on the exec queue and come back as `execFinished` commands, so every result
/// is delivered from this thread.
final class ProbeLoop {
    /// Longest sleep when nothing is due (commands wake the thread earlier anyway).
    static let idlePollMs = 1000

    private let multi: UnsafeMutableRawPointer
    private let mailbox: EngineMailbox
    private let gate: ResultGate
    private let recorder: ScheduleRecorder
    private let spawner: ProcessSpawner
    private let onResult: @Sendable (ProbeKey, ProbeResult) -> Void
    private let execQueue = DispatchQueue(label: "supervise.probes.exec")

    private var heap = ScheduleHeap()
    private var probes: [UInt64: ScheduledProbe] = [:]
    private var idsByKey: [ProbeKey: UInt64] = [:]
    /// Easy handle in the multi → the probe whose run it is.
    private var transfers: [UnsafeMutableRawPointer: UInt64] = [:]
    private var nextID: UInt64 = 0
    private var nextRun: UInt64 = 0

    /// Idle connections kept for reuse across all probes.
    static let connectionPool = 1024

    init?(mailbox: EngineMailbox, gate: ResultGate, recorder: ScheduleRecorder, spawner: ProcessSpawner,
          onResult: @escaping @Sendable (ProbeKey, ProbeResult) -> Void) {
        guard CurlGlobal.ensureInitialized(), let multi = csupervise_curl_multi_init() else { return nil }
        // Idle keep-alive connections are pooled here between runs; curl's default pool (4 per
        // handle in the multi) is far too small when only a few runs are in flight at a time.
        _ = csupervise_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, ProbeLoop.connectionPool)
        self.multi = multi
        self.mailbox = mailbox
        self.gate = gate
        self.recorder = recorder
        self.spawner = spawner
        self.onResult = onResult
    }

    /// Runs until a `shutdown` command; then releases every transfer and the multi handle.
    func run() {
        mailbox.attach(multi: multi)
        while true {
            for command in mailbox.take() {
                if case .shutdown = command {
                    tearDown()
                    return
                }
                apply(command)
            }
            startDueRuns()
            var running: Int32 = 0
            _ = csupervise_curl_multi_perform(multi, &running)
            collectFinishedTransfers()
            let timeout = pollTimeoutMs()
            if timeout > 0 { _ = csupervise_curl_multi_poll(multi, nil, 0, Int32(timeout), nil) }
        }
    }

    // MARK: Commands

    private func apply(_ command: EngineCommand) {
        switch command {
        case .add(let key, let token, let spec, let environment, let workingDirectory):
            remove(key)
            nextID += 1
            let probe = ScheduledProbe(id: nextID, key: key, token: token, spec: spec,
                                   environment: environment, workingDirectory: workingDirectory)
            let phase = UInt64.random(in: 0..<probe.intervalNs)
            probe.nextDue = MonotonicTime.now() &+ spec.initialDelay.nanoseconds(atLeast: 0) &+ phase
            probes[probe.id] = probe
            idsByKey[key] = probe.id
            heap.push(.init(due: probe.nextDue, probe: probe.id))
        case .remove(let key):
            remove(key)
        case .execFinished(let id, let run, let result):
            guard let probe = probes[id], case .exec(_, let current) = probe.run, current == run else { return }
            probe.run = nil
            deliver(probe, result)
        case .shutdown:
            break
        }
    }

    private func remove(_ key: ProbeKey) {
        guard let id = idsByKey.removeValue(forKey: key), let probe = probes.removeValue(forKey: id) else { return }
        cancelRun(of: probe)
        // Its heap entry goes stale and is dropped when it reaches the top.
    }

    private func cancelRun(of probe: ScheduledProbe) {
        switch probe.run {
        case .curl(let transfer):
            csupervise_curl_multi_remove_handle(multi, transfer.handle)
            transfers.removeValue(forKey: transfer.handle)
        case .exec(let run, _):
            run.cancel()
        case nil:
            break
        }
        probe.run = nil
    }

    private func tearDown() {
        for probe in probes.values { cancelRun(of: probe) }
        probes.removeAll()
        idsByKey.removeAll()
        heap.removeAll()
        mailbox.attach(multi: nil)
        csupervise_curl_multi_cleanup(multi)
    }

    // MARK: Scheduling

    private func startDueRuns() {
        let now = MonotonicTime.now()
        while let entry = heap.first, entry.due <= now {
            heap.popFirst()
            guard let probe = probes[entry.probe], probe.nextDue == entry.due else { continue } // stale
            if probe.run == nil {
                start(probe, scheduled: entry.due)
            } else {
                recorder.recordSkipped()
            }
            // Next tick from the scheduled time, not the actual one: no drift. Ticks already in
            // the past (the thread fell a whole interval behind) are skipped, not run in a burst.
            var next = entry.due &+ probe.intervalNs
            let after = MonotonicTime.now()
            if next <= after {
                let missed = (after - entry.due) / probe.intervalNs
                recorder.recordSkipped(Int(missed))
                next = entry.due &+ (missed + 1) &* probe.intervalNs
            }
            probe.nextDue = next
            heap.push(.init(due: next, probe: probe.id))
        }
    }

    /// Timer slack: runs are started on wake-ups aligned to this grid, so the runs due within one
    /// slot start (and mostly finish) together. A thousand probes a second then cost about forty
    /// wake-ups instead of several thousand, for at most this much lateness. Measured with
    /// `scripts/bench.sh probes` (1,000 probes/s): 10 ms slots cost 11 % of a core, 25 ms 8.9 %,
    /// 40 ms 7.6 %; 25 ms keeps p99 lateness at half the 50 ms goal.
    static let slackNs: UInt64 = 25_000_000

    /// The slot width for a probe: never more than a fortieth of its interval, so a probe every
    /// 100 ms is at most 2.5 ms late.
    static func slack(intervalNs: UInt64) -> UInt64 { max(1_000_000, min(slackNs, intervalNs / 40)) }

    /// Milliseconds until the next due run (on the slack grid) or curl's next timer, whichever is
    /// first (rounded up, so the thread never wakes just before a run is due and spins).
    private func pollTimeoutMs() -> Int {
        var timeout = Self.idlePollMs
        if let first = heap.first {
            let now = MonotonicTime.now()
            guard first.due > now else { return 0 }
            let slack = probes[first.probe].map { Self.slack(intervalNs: $0.intervalNs) } ?? Self.slackNs
            let wake = (first.due + slack - 1) / slack * slack
            timeout = min(timeout, Int((wake - now + 999_999) / 1_000_000))
        }
        var curlTimeout = -1
        if csupervise_curl_multi_timeout(multi, &curlTimeout) == CURLM_OK, curlTimeout >= 0 {
            timeout = min(timeout, curlTimeout)
        }
        return timeout
    }

    // MARK: Runs

    private func start(_ probe: ScheduledProbe, scheduled: UInt64) {
        let started = MonotonicTime.now()
        recorder.recordStart(latenessNanoseconds: started >= scheduled ? started - scheduled : 0)
        switch probe.spec.check {
        case .http(let http):
            startTransfer(probe, .http(http), started: started)
        case .tcp(let host, let port):
            startTransfer(probe, .tcp(host: host, port: port), started: started)
        case .exec(let command):
            nextRun += 1
            let run = nextRun, id = probe.id, mailbox = self.mailbox
            var unit = UnitSpec(name: "\(probe.key.unit)-\(probe.key.role.rawValue)-probe", command: command,
                                environment: probe.environment, workingDirectory: probe.workingDirectory)
            unit.restart.policy = .no
            let exec = ExecProbeRun(spec: unit, timeoutMs: probe.timeoutMs, spawner: spawner, queue: execQueue) { result in
                mailbox.send(.execFinished(probe: id, run: run, result))
            }
            probe.run = .exec(exec, run: run)
        }
    }

    private func startTransfer(_ probe: ScheduledProbe, _ check: CurlCheck, started: UInt64) {
        switch CurlTransfer.make(check, timeoutMs: probe.timeoutMs, started: started,
                                  networkNamespacePid: probe.spec.networkNamespacePid) {
        case .failure(let error):
            deliver(probe, ProbeResult(healthy: false, latency: .zero, failure: error.description))
        case .success(let transfer):
            transfer.keepsBody = probe.spec.keepsBody
            let code = csupervise_curl_multi_add_handle(multi, transfer.handle)
            guard code == CURLM_OK else {
                let text = String(cString: csupervise_curl_multi_strerror(code))
                deliver(probe, ProbeResult(healthy: false, latency: .zero, failure: "curl_multi_add_handle: \(text)"))
                return
            }
            transfers[transfer.handle] = probe.id
            probe.run = .curl(transfer)
        }
    }

    private func collectFinishedTransfers() {
        var remaining: Int32 = 0
        while let message = csupervise_curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            let now = MonotonicTime.now()
            // The message is invalid after this; everything needed was read above.
            csupervise_curl_multi_remove_handle(multi, handle)
            guard let id = transfers.removeValue(forKey: handle), let probe = probes[id],
                  case .curl(let transfer) = probe.run else { continue }
            probe.run = nil
            deliver(probe, transfer.result(code, at: now))
        }
    }

    private func deliver(_ probe: ScheduledProbe, _ result: ProbeResult) {
        let onResult = self.onResult
        gate.deliver(probe.key, token: probe.token) { onResult(probe.key, result) }
    }
}
