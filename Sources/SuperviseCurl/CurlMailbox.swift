import CCurl
import Foundation
import Synchronization

/// A command for a thread that drives a libcurl multi handle.
public protocol CurlMailboxCommand: Sendable {
    /// The last command the mailbox accepts (the thread's shutdown): later sends fail.
    var closesMailbox: Bool { get }
}

/// The lock-protected command queue into a thread that drives a libcurl multi handle, and its
/// doorbell: senders append and ring `curl_multi_wakeup`, which makes the thread's current (or
/// next) `curl_multi_poll` return at once.
///
/// The multi handle is published here only while the thread owns it, so a late sender never rings
/// a handle that has been cleaned up.
public final class CurlMailbox<Command: CurlMailboxCommand>: Sendable {
    private struct State: ~Copyable {
        var commands: [Command] = []
        var multi: MultiRef?
        var thread: pthread_t?
        var closed = false
    }

    private let state = Mutex(State())

    /// An open mailbox; no thread owns a multi handle yet.
    public init() {}

    /// Queues `command` and wakes the thread; false once the mailbox is closed.
    @discardableResult
    public func send(_ command: Command) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            if command.closesMailbox { state.closed = true }
            state.commands.append(command)
            if let multi = state.multi { _ = csupervise_curl_multi_wakeup(multi.pointer) }
            return true
        }
    }

    /// Everything queued so far, oldest first.
    public func take() -> [Command] {
        // Called on every turn of the thread's loop, mostly with nothing queued: no allocation then.
        state.withLock { state in
            guard !state.commands.isEmpty else { return [] }
            var commands: [Command] = []
            swap(&commands, &state.commands)
            return commands
        }
    }

    /// Called by the thread when it starts (`multi`) and stops (nil) owning its multi handle.
    public func attach(multi: UnsafeMutableRawPointer?) {
        let ref = multi.map(MultiRef.init)
        state.withLock { state in
            state.multi = ref
            state.thread = ref == nil ? nil : pthread_self()
        }
    }

    /// Whether the caller is the thread that owns the multi handle (which must never wait for itself).
    public var onOwningThread: Bool {
        state.withLock { state in state.thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }
}

/// The multi handle as the mailbox holds it for `curl_multi_wakeup`, the one multi call that is
/// safe from any thread.
private struct MultiRef: @unchecked Sendable {
    // @unchecked: only `curl_multi_wakeup` is called through it, with the mailbox lock held, and
    // only while the owning thread has it attached (it detaches before `curl_multi_cleanup`).
    let pointer: UnsafeMutableRawPointer
}
