import CCurl
import Foundation
import Synchronization
import SuperviseCore

/// What the engine thread is asked to do, in order.
enum EngineCommand: Sendable {
    case add(ProbeKey, token: UInt64, spec: ProbeSpec, environment: [String: String], workingDirectory: String?)
    case remove(ProbeKey)
    /// An exec run finished (from the exec queue); `run` tells a current run from a cancelled one.
    case execFinished(probe: UInt64, run: UInt64, ProbeResult)
    case shutdown
}

/// The lock-protected command queue into the engine thread, and its doorbell.
///
/// Senders append and ring `curl_multi_wakeup`, which makes the thread's current (or next)
/// `curl_multi_poll` return at once. The multi handle is published here only while the thread
/// owns it, so a late sender never rings a handle that has been cleaned up.
final class EngineMailbox: Sendable {
    private struct State: ~Copyable {
        var commands: [EngineCommand] = []
        var multi: MultiRef?
        var thread: pthread_t?
        var closed = false
    }

    private let state = Mutex(State())

    /// Queues `command` and wakes the engine thread; false once the engine has shut down.
    @discardableResult
    func send(_ command: EngineCommand) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            if case .shutdown = command { state.closed = true }
            state.commands.append(command)
            if let multi = state.multi { _ = curl_multi_wakeup(multi.pointer) }
            return true
        }
    }

    /// Everything queued so far, oldest first.
    func take() -> [EngineCommand] {
        // Called on every turn of the engine loop, mostly with nothing queued: no allocation then.
        state.withLock { state in
            guard !state.commands.isEmpty else { return [] }
            var commands: [EngineCommand] = []
            swap(&commands, &state.commands)
            return commands
        }
    }

    /// Called by the engine thread when it starts and stops owning `multi`.
    func attach(multi: UnsafeMutableRawPointer?) {
        let ref = multi.map(MultiRef.init)
        state.withLock { state in
            state.multi = ref
            state.thread = ref == nil ? nil : pthread_self()
        }
    }

    /// Whether the caller is the engine thread itself (which must never wait for itself).
    var onEngineThread: Bool {
        state.withLock { state in state.thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }
}

/// The multi handle as the mailbox holds it for `curl_multi_wakeup`, the one multi call that is
/// safe from any thread.
private struct MultiRef: @unchecked Sendable {
    // @unchecked: only `curl_multi_wakeup` is called through it, with the mailbox lock held, and
    // only while the engine thread has it attached (it detaches before `curl_multi_cleanup`).
    let pointer: UnsafeMutableRawPointer
}
