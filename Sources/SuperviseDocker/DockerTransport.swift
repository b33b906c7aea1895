import Foundation
import Synchronization

/// Requests to one Docker socket, all performed by one dedicated thread driving a libcurl multi
/// handle (``TransportLoop``), so any number can be in flight and none blocks Swift's
/// cooperative thread pool: callers suspend on continuations that the thread resumes.
final class DockerTransport: Sendable {
    let socket: String
    private let mailbox = TransportMailbox()
    private let nextID = Atomic<UInt64>(0)
    private let stopped = DispatchGroup()

    /// Starts the transport thread for `socket`. Nothing connects until the first request.
    init(socket: String) {
        self.socket = socket
        let (mailbox, stopped) = (self.mailbox, self.stopped)
        stopped.enter()
        let thread = Thread {
            defer { stopped.leave() }
            guard let loop = TransportLoop(mailbox: mailbox, socket: socket) else {
                // No libcurl: close the mailbox so every request fails at once.
                mailbox.send(.shutdown)
                for case .start(_, _, let handlers) in mailbox.take() {
                    handlers.onEnd(.failed(.transport("libcurl (libcurl.so.4) could not be loaded")))
                }
                return
            }
            loop.run()
        }
        thread.name = "supervise-docker"
        thread.start()
    }

    deinit { mailbox.send(.shutdown) }

    /// Starts `request`; its handlers are called on the transport thread. Returns the transfer's
    /// id for ``cancel(_:)``, or nil (after `onEnd(.failed(.clientShutDown))`) once shut down.
    @discardableResult
    func start(_ request: HTTPRequest, _ handlers: TransferHandlers) -> UInt64? {
        let id = nextID.add(1, ordering: .relaxed).newValue
        guard mailbox.send(.start(id, request, handlers)) else {
            handlers.onEnd(.failed(.clientShutDown))
            return nil
        }
        return id
    }

    /// Aborts transfer `id`; its `onEnd` gets `.cancelled` unless it already ended.
    func cancel(_ id: UInt64) { mailbox.send(.cancel(id)) }

    /// Performs `request` and returns the whole answer (any HTTP status). Cancelling the task
    /// aborts the transfer and throws `CancellationError`.
    func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let token = RequestToken()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                token.begin {
                    self.start(request, TransferHandlers(onEnd: { outcome in
                        switch outcome {
                        case .completed(let response): continuation.resume(returning: response)
                        case .failed(let error): continuation.resume(throwing: error)
                        case .cancelled: continuation.resume(throwing: CancellationError())
                        }
                    }))
                } alreadyCancelled: {
                    continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            token.cancel(self.cancel)
        }
    }

    /// Ends the thread: every transfer in flight and every later request fails with
    /// ``DockerError/clientShutDown``. Waits for the thread unless `wait` is false or the caller is
    /// that thread (a transfer's handler), which must never wait for itself. Idempotent.
    func shutdown(wait: Bool = true) {
        mailbox.send(.shutdown)
        if wait && !mailbox.onOwningThread { stopped.wait() }
    }
}
