import Synchronization

/// The transport callbacks of one event stream: resumes the opening call once the daemon accepts
/// the subscription (or refuses it), then turns body chunks into ``DockerEvent``s on the stream.
///
/// Its callbacks run on the transport thread; the lock only makes the handoff of the opening
/// continuation safe (it is set from the calling task).
final class EventSubscription: Sendable {
    private struct State {
        var opening: CheckedContinuation<Void, any Error>?
        var splitter = LineSplitter()
    }

    private let state = Mutex(State())
    private let events: AsyncThrowingStream<DockerEvent, any Error>.Continuation
    private let request: HTTPRequest

    init(events: AsyncThrowingStream<DockerEvent, any Error>.Continuation, request: HTTPRequest) {
        self.events = events
        self.request = request
    }

    /// The continuation of the `events()` call, resumed when the subscription is accepted or fails.
    func awaitOpening(_ continuation: CheckedContinuation<Void, any Error>) {
        state.withLock { $0.opening = continuation }
    }

    var handlers: TransferHandlers {
        TransferHandlers(
            onHead: { [self] status, _ in
                guard (200..<300).contains(status) else { return } // the error body follows; see onEnd
                takeOpening()?.resume()
            },
            onData: { [self] chunk in
                let lines = state.withLock { $0.splitter.append(chunk) }
                guard let lines else {
                    end(DockerError.eventStreamEnded(reason: "an event line longer than \(LineSplitter.maxLine) bytes"))
                    return
                }
                for line in lines {
                    // One unreadable line must not blind the supervisor: skip it.
                    if let event = try? DockerEvent.decode(line) { events.yield(event) }
                }
            },
            onEnd: { [self] outcome in
                switch outcome {
                case .completed(let response) where !(200..<300).contains(response.status):
                    fail(TransportFailure.error(status: response.status, body: response.body,
                                                request: request.summary, container: nil))
                case .completed:
                    end(DockerError.eventStreamEnded(reason: "the daemon closed the stream"))
                case .failed(let error):
                    end(DockerError.eventStreamEnded(reason: error.description), opening: error)
                case .cancelled:
                    fail(CancellationError())
                }
            })
    }

    /// Ends everything with `error`: the opening call if still waiting, else the stream.
    func fail(_ error: any Error) { end(error) }

    /// Ends the stream with `error`; an opening call still waiting gets `opening` instead when
    /// given (the plain connect error, e.g. "not reachable"), else `error`.
    private func end(_ error: any Error, opening openingError: (any Error)? = nil) {
        if let opening = takeOpening() {
            opening.resume(throwing: openingError ?? error)
            events.finish()
        } else {
            events.finish(throwing: error)
        }
    }

    private func takeOpening() -> CheckedContinuation<Void, any Error>? {
        state.withLock { state in
            defer { state.opening = nil }
            return state.opening
        }
    }
}
