import CCurl
import Foundation
import Synchronization

/// What the transport thread is asked to do, in order.
enum TransportCommand: Sendable {
    case start(UInt64, HTTPRequest, TransferHandlers)
    case cancel(UInt64)
    case shutdown
}

/// The lock-protected command queue into the transport thread, and its doorbell
/// (`curl_multi_wakeup`, the one multi call that is safe from any thread).
final class TransportMailbox: Sendable {
    private struct State: ~Copyable {
        var commands: [TransportCommand] = []
        var multi: MultiRef?
        var closed = false
    }

    private let state = Mutex(State())

    /// Queues `command` and wakes the thread; false once the transport has shut down.
    @discardableResult
    func send(_ command: TransportCommand) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            if case .shutdown = command { state.closed = true }
            state.commands.append(command)
            if let multi = state.multi { _ = curl_multi_wakeup(multi.pointer) }
            return true
        }
    }

    /// Everything queued so far, oldest first.
    func take() -> [TransportCommand] {
        state.withLock { state in
            let commands = state.commands
            state.commands.removeAll(keepingCapacity: true)
            return commands
        }
    }

    /// Called by the thread when it starts and stops owning `multi`.
    func attach(multi: UnsafeMutableRawPointer?) {
        let ref = multi.map(MultiRef.init)
        state.withLock { $0.multi = ref }
    }
}

/// The multi handle as the mailbox holds it for `curl_multi_wakeup`.
private struct MultiRef: @unchecked Sendable {
    // @unchecked: only `curl_multi_wakeup` is called through it, with the mailbox lock held, and
    // only while the thread has it attached (it detaches before `curl_multi_cleanup`).
    let pointer: UnsafeMutableRawPointer
}
