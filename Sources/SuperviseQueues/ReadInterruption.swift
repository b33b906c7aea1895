import Foundation
import Synchronization

/// Lets another thread cut short a reading blocked in hiredis: `interrupt()` shuts the connection's socket down, so
/// a `recv` waiting for a reply returns at once (as if the server had closed it).
///
/// The reader attaches its socket after connecting and detaches it before closing it, both under the lock
/// `interrupt()` takes: the descriptor it shuts down is always still the reader's, never a number the kernel has
/// handed to someone else since. A connection attempt itself cannot be cut short (hiredis holds the socket until it
/// returns); it ends within the queue's timeout.
final class ReadInterruption: Sendable {
    private struct State {
        var interrupted = false
        var socket: Int32?
    }

    private let state = Mutex(State())

    var isInterrupted: Bool { state.withLock { $0.interrupted } }

    /// Makes `socket` the one `interrupt()` shuts down; false (and nothing attached) when already interrupted.
    func attach(_ socket: Int32) -> Bool {
        state.withLock { state in
            guard !state.interrupted else { return false }
            state.socket = socket
            return true
        }
    }

    /// Forgets the socket, before it is closed.
    func detach() {
        state.withLock { $0.socket = nil }
    }

    /// From any thread: marks the reading interrupted and shuts the attached socket down. Idempotent.
    func interrupt() {
        state.withLock { state in
            state.interrupted = true
            if let socket = state.socket { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }
}
