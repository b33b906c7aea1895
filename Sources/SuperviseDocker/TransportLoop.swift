import CCurl
import SuperviseCurl

/// The transport thread: one libcurl multi handle and every request in flight.
///
/// Everything here is touched only by that thread. Each turn: apply queued commands, let curl
/// make progress on every transfer at once, hand finished ones to their `onEnd`, then sleep in
/// `curl_multi_poll` until a socket is ready, curl's timer fires, or a command rings the mailbox.
/// A restart that takes an hour is just one more idle transfer: it delays nothing else.
final class TransportLoop {
    /// Longest sleep when curl has no timer pending (commands wake the thread earlier anyway).
    static let idlePollMs: Int32 = 1000

    private let multi: UnsafeMutableRawPointer
    private let mailbox: TransportMailbox
    private let socket: String
    private var transfers: [UInt64: CurlRequest] = [:]
    private var ids: [UnsafeMutableRawPointer: UInt64] = [:]

    init?(mailbox: TransportMailbox, socket: String) {
        guard CurlGlobal.ensureInitialized(), let multi = csupervise_curl_multi_init() else { return nil }
        self.multi = multi
        self.mailbox = mailbox
        self.socket = socket
    }

    /// Runs until a `shutdown` command; then ends every transfer with ``DockerError/clientShutDown``
    /// and frees the handle.
    func run() {
        mailbox.attach(multi: multi)
        while true {
            for command in mailbox.take() {
                switch command {
                case .start(let id, let request, let handlers): start(id, request, handlers)
                case .cancel(let id): end(id, .cancelled)
                case .shutdown:
                    tearDown()
                    return
                }
            }
            var running: Int32 = 0
            _ = csupervise_curl_multi_perform(multi, &running)
            collectFinished()
            var timeout = -1
            if csupervise_curl_multi_timeout(multi, &timeout) != CURLM_OK || timeout < 0 { timeout = Int(Self.idlePollMs) }
            if timeout > 0 { _ = csupervise_curl_multi_poll(multi, nil, 0, Int32(min(timeout, Int(Self.idlePollMs))), nil) }
        }
    }

    private func start(_ id: UInt64, _ request: HTTPRequest, _ handlers: TransferHandlers) {
        switch CurlRequest.make(request, socket: socket, handlers: handlers) {
        case .failure(let error):
            handlers.onEnd(.failed(error))
        case .success(let transfer):
            let code = csupervise_curl_multi_add_handle(multi, transfer.handle)
            guard code == CURLM_OK else {
                handlers.onEnd(.failed(.transport("curl_multi_add_handle: \(String(cString: csupervise_curl_multi_strerror(code)))")))
                return
            }
            transfers[id] = transfer
            ids[transfer.handle] = id
        }
    }

    /// Removes transfer `id` (if it is still in flight) and reports `outcome`.
    private func end(_ id: UInt64, _ outcome: TransferOutcome) {
        guard let transfer = transfers.removeValue(forKey: id) else { return } // already finished
        ids.removeValue(forKey: transfer.handle)
        csupervise_curl_multi_remove_handle(multi, transfer.handle)
        transfer.handlers.onEnd(outcome)
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = csupervise_curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                  let id = ids[handle], let transfer = transfers[id] else { continue }
            // The message is invalid once the handle is removed: read the result first.
            let outcome = transfer.outcome(message.pointee.data.result)
            end(id, outcome)
        }
    }

    private func tearDown() {
        for id in Array(transfers.keys) { end(id, .failed(.clientShutDown)) }
        mailbox.attach(multi: nil)
        csupervise_curl_multi_cleanup(multi)
    }
}
