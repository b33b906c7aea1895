import Foundation
import Synchronization
@testable import SuperviseDocker

/// Consumes an event stream in the background and remembers every event and how the stream ended.
final class EventRecorder: Sendable {
    private struct State {
        var events: [DockerEvent] = []
        var ended = false
        var error: (any Error)?
    }

    private let state = Mutex(State())
    private let consumer = Mutex<Task<Void, Never>?>(nil)

    init(_ stream: AsyncThrowingStream<DockerEvent, any Error>) {
        let task = Task { [self] in
            do {
                for try await event in stream { state.withLock { $0.events.append(event) } }
                state.withLock { $0.ended = true }
            } catch {
                state.withLock { $0.ended = true; $0.error = error }
            }
        }
        consumer.withLock { $0 = task }
    }

    var events: [DockerEvent] { state.withLock { $0.events } }

    /// The first event matching `predicate`, waiting up to `timeout` seconds for it.
    func first(timeout: Double, where predicate: @escaping (DockerEvent) -> Bool) async -> DockerEvent? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let event = state.withLock({ $0.events.first(where: predicate) }) { return event }
            if Date() > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// How the stream ended (nil error = finished without one); nil if still open after `timeout`.
    func end(timeout: Double) async -> (ended: Bool, error: (any Error)?) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let (ended, error) = state.withLock { ($0.ended, $0.error) }
            if ended { return (true, error) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return (false, nil)
    }

    /// Stops consuming (closes the connection).
    func cancel() { consumer.withLock { $0?.cancel() } }
}
