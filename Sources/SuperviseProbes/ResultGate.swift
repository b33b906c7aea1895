import Foundation

/// Decides, under one lock, whether a result may still be delivered — and delivers it under that
/// lock, so that once ``close(_:)`` returns no result for that key is delivered any more.
///
/// Each `add` gets a fresh token; a result is delivered only while its key is live with the token
/// of the `add` that produced it, so a late result of a replaced probe is never delivered either.
/// The lock is recursive: the result callback may call `add`/`remove` on the engine itself.
final class ResultGate: @unchecked Sendable {
    // @unchecked: `live`, `nextToken` and `closed` are only touched with `lock` held.
    private let lock = NSRecursiveLock()
    private var live: [ProbeKey: UInt64] = [:]
    private var nextToken: UInt64 = 0
    private var closed = false

    /// Makes `key` live with a new token; nil once the gate is closed for good.
    func open(_ key: ProbeKey) -> UInt64? {
        lock.withLock {
            guard !closed else { return nil }
            nextToken += 1
            live[key] = nextToken
            return nextToken
        }
    }

    /// Stops deliveries for `key`; waits for a delivery of it in progress on another thread.
    func close(_ key: ProbeKey) {
        lock.withLock { _ = live.removeValue(forKey: key) }
    }

    /// Stops every delivery, now and for good.
    func closeAll() {
        lock.withLock {
            closed = true
            live.removeAll()
        }
    }

    /// Runs `deliver` if `key` is still live with `token`.
    func deliver(_ key: ProbeKey, token: UInt64, _ deliver: () -> Void) {
        lock.withLock {
            guard live[key] == token else { return }
            deliver()
        }
    }
}
