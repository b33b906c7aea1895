import CCurl
import SuperviseCore
import SuperviseCurl

/// The delivery thread: one libcurl multi handle and, per webhook, the delivery it is working on.
///
/// Everything here is touched only by that thread. Each webhook gets its events in order, one delivery at a
/// time: the next is taken from its queue once the one before was sent or given up. Webhooks do not wait for
/// each other: their attempts are transfers on the same multi handle, so a receiver that never answers costs
/// only its own deliveries (each attempt ends at the webhook's `timeout`).
///
/// Each turn: take work from the mailbox (or stop), start the attempts that are due, let curl make progress,
/// collect finished attempts, then sleep in `curl_multi_poll` until the earliest of (next retry, curl's own
/// timer, the mailbox's doorbell).
final class DeliveryLoop {
    /// Longest sleep with nothing to do (the doorbell wakes the thread earlier anyway).
    static let idlePollMs = 10_000

    /// A webhook as the thread uses it.
    private struct Target {
        let url: String
        /// The URL as log lines show it (``RedactedURL``).
        let shownURL: String
        let timeoutMs: Int
        /// The webhook's `headers`, as `Name: value` lines (their names and values checked by the loader).
        let headers: [String]
        let headersFile: String?
    }

    /// What one webhook is working on.
    private struct Slot {
        var delivery: Delivery
        var json: String
        /// Attempts made so far (the one in flight included).
        var attempts = 0
        /// When the next attempt is due (``MonotonicClock``).
        var due: UInt64
        var transfer: WebhookTransfer?
    }

    private let multi: UnsafeMutableRawPointer
    private let mailbox: DeliveryMailbox
    private let counters: DeliveryCounters
    private let retry: WebhookRetry
    private let host: String
    private let log: @Sendable (String) -> Void
    private let targets: [Target]
    private var slots: [Slot?]
    /// Easy handle in the multi → the webhook whose attempt it is.
    private var inFlight: [UnsafeMutableRawPointer: Int] = [:]
    private var random = SystemRandomNumberGenerator()
    /// A webhook finished a delivery this turn: its next one is taken at once, without sleeping first.
    private var slotFreed = false

    init?(mailbox: DeliveryMailbox, counters: DeliveryCounters, retry: WebhookRetry, host: String,
          log: @escaping @Sendable (String) -> Void) {
        guard CurlGlobal.ensureInitialized(), let multi = csupervise_curl_multi_init() else { return nil }
        self.multi = multi
        self.mailbox = mailbox
        self.counters = counters
        self.retry = retry
        self.host = host
        self.log = log
        targets = mailbox.webhooks.map { webhook in
            Target(url: webhook.url, shownURL: RedactedURL.text(webhook.url),
                   timeoutMs: DeliveryLoop.milliseconds(webhook.timeout),
                   headers: webhook.headers.sorted { $0.key < $1.key }.map { name, value in
                       // `Name;` sends an empty header (`Name:` would remove curl's own).
                       value.isEmpty ? "\(name);" : "\(name): \(value)"
                   },
                   headersFile: webhook.headersFile)
        }
        slots = targets.map { _ in nil }
    }

    /// Runs until the mailbox is closed; then abandons what is in progress (counted as dropped) and releases the
    /// multi handle.
    func run() {
        mailbox.attach(multi: multi)
        while true {
            let now = MonotonicClock.now()
            let work = mailbox.take(idle: slots.indices.filter { slots[$0] == nil }, now: now,
                                    maxAge: retry.maxAge.notifyNanoseconds)
            if work.stopped {
                tearDown()
                return
            }
            slotFreed = false
            report(work)
            for (index, delivery) in work.deliveries {
                slots[index] = Slot(delivery: delivery, json: WebhookPayload.json(host: host, event: delivery.event),
                                    due: now)
            }
            startDueAttempts()
            var running: Int32 = 0
            _ = csupervise_curl_multi_perform(multi, &running)
            collectFinishedAttempts()
            let timeout = pollTimeoutMs()
            if timeout > 0 { _ = csupervise_curl_multi_poll(multi, nil, 0, Int32(timeout), nil) }
        }
    }

    private func tearDown() {
        for (handle, _) in inFlight { csupervise_curl_multi_remove_handle(multi, handle) }
        inFlight.removeAll()
        counters.add(.dropped, slots.compactMap { $0 }.count)
        slots = slots.map { _ in nil }
        mailbox.attach(multi: nil)
        csupervise_curl_multi_cleanup(multi)
    }

    /// Logs what the mailbox dropped or expired since the last turn: one line per webhook, not one per delivery.
    private func report(_ work: DeliveryMailbox.Work) {
        for (index, count) in work.overflowed {
            log("webhook \(targets[index].shownURL): \(count) \(count == 1 ? "delivery" : "deliveries") dropped: "
                + "its queue was full (the receiver is failing or slow)")
        }
        for (index, count) in work.expired {
            counters.add(.failed, count)
            log("webhook \(targets[index].shownURL): \(count) \(count == 1 ? "delivery" : "deliveries") not sent: "
                + "queued longer than \(DurationText.format(retry.maxAge)) behind failing ones")
        }
    }

    // MARK: Attempts

    private func startDueAttempts() {
        let now = MonotonicClock.now()
        for index in slots.indices {
            guard var slot = slots[index], slot.transfer == nil, slot.due <= now else { continue }
            slot.attempts += 1
            if slot.attempts > 1 { counters.add(.retried) }
            let target = targets[index]
            var headers = target.headers
            headers.append("X-Supervise-Event: \(slot.delivery.event.event)")
            headers.append("X-Supervise-Attempt: \(slot.attempts)")
            if let file = target.headersFile {
                switch HeadersFile.read(file) {
                case .success(let lines): headers += lines
                case .failure(let error):
                    slots[index] = slot
                    failed(index, TransferFailure(error.description))
                    continue
                }
            }
            switch WebhookTransfer.make(url: target.url, json: slot.json, headers: headers, timeoutMs: target.timeoutMs) {
            case .failure(let error):
                slots[index] = slot
                failed(index, error)
            case .success(let transfer):
                let code = csupervise_curl_multi_add_handle(multi, transfer.handle)
                guard code == CURLM_OK else {
                    slots[index] = slot
                    failed(index, TransferFailure("curl_multi_add_handle: \(String(cString: csupervise_curl_multi_strerror(code)))"))
                    continue
                }
                slot.transfer = transfer
                slots[index] = slot
                inFlight[transfer.handle] = index
            }
        }
    }

    private func collectFinishedAttempts() {
        var remaining: Int32 = 0
        while let message = csupervise_curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            // The message is invalid after this; everything needed was read above.
            csupervise_curl_multi_remove_handle(multi, handle)
            guard let index = inFlight.removeValue(forKey: handle), var slot = slots[index],
                  let transfer = slot.transfer else { continue }
            slot.transfer = nil
            slots[index] = slot
            if let failure = transfer.failure(code) {
                failed(index, failure)
            } else {
                counters.add(.sent)
                slots[index] = nil
                slotFreed = true
            }
        }
    }

    /// Attempt `slots[index].attempts` failed: the next one is scheduled, or the delivery is given up.
    private func failed(_ index: Int, _ failure: TransferFailure) {
        guard var slot = slots[index] else { return }
        let what = "webhook \(targets[index].shownURL): \(slot.delivery.label), attempt \(slot.attempts) of \(retry.attempts) "
            + "failed: \(failure)"
        if slot.attempts < retry.attempts {
            let delay = retry.delay(afterAttempt: slot.attempts, random: Double.random(in: 0..<1, using: &random))
            let due = MonotonicClock.now() &+ delay.notifyNanoseconds
            if due <= slot.delivery.published || due - slot.delivery.published <= retry.maxAge.notifyNanoseconds {
                slot.due = due
                slots[index] = slot
                log("\(what); next attempt in \(DurationText.format(delay))")
                return
            }
            counters.add(.failed)
            slots[index] = nil
            slotFreed = true
            log("\(what); not delivered: no attempt left within \(DurationText.format(retry.maxAge)) of the event")
            return
        }
        counters.add(.failed)
        slots[index] = nil
        slotFreed = true
        log("\(what); not delivered")
    }

    /// Milliseconds until the next retry is due or curl's next timer, whichever is first (rounded up, so the
    /// thread never wakes just before a retry and spins).
    private func pollTimeoutMs() -> Int {
        guard !slotFreed else { return 0 }
        var timeout = Self.idlePollMs
        let now = MonotonicClock.now()
        for case let slot? in slots where slot.transfer == nil {
            guard slot.due > now else { return 0 }
            timeout = min(timeout, Int(min((slot.due - now + 999_999) / 1_000_000, UInt64(Self.idlePollMs))))
        }
        var curlTimeout = -1
        if csupervise_curl_multi_timeout(multi, &curlTimeout) == CURLM_OK, curlTimeout >= 0 {
            timeout = min(timeout, curlTimeout)
        }
        return timeout
    }

    /// Whole milliseconds of `duration`, at least 1: what curl's `*_MS` options take.
    static func milliseconds(_ duration: Duration) -> Int {
        Int(max(1, min(duration.notifyNanoseconds / 1_000_000, UInt64(Int32.max))))
    }
}
