/// Queues calls for agent-sim workers that take their calls from Redis (`agent-sim --queue`): the producer side, for
/// tests, benchmarks and the demo (`agent-sim enqueue` is the same from the shell).
public enum CallQueue {
    /// `count` jobs of `duration` seconds, named `PREFIX1` … `PREFIXcount` (`c-1`, `c-2`, …).
    public static func jobs(count: Int, duration: Double, idPrefix: String = "c-", firstNumber: Int = 1) -> [QueuedCall] {
        (0..<max(count, 0)).map { QueuedCall(id: "\(idPrefix)\(firstNumber + $0)", duration: duration) }
    }

    /// Appends `calls` to the queue's list in one `RPUSH` (workers take from the head, so they are taken in this
    /// order), on a connection made for it and closed after; returns the list's length afterwards.
    ///
    /// Blocks for up to `timeout` seconds to connect and as long again for the reply: call it from a thread of your
    /// own, never from Swift's cooperative pool.
    ///
    /// - Throws: ``CallQueueError``.
    @discardableResult
    public static func enqueue(_ calls: [QueuedCall], to location: CallQueueLocation, password: String? = nil,
                               timeout: Double = 5) throws(CallQueueError) -> Int {
        let connection = CallQueueConnection(location: location, password: password, timeout: timeout)
        defer { connection.disconnect() }
        return try connection.push(calls.map { Array($0.json.utf8) })
    }

    /// The queue's length (`LLEN`), on a connection made for it and closed after. Blocks like ``enqueue(_:to:password:timeout:)``.
    ///
    /// - Throws: ``CallQueueError``.
    public static func length(of location: CallQueueLocation, password: String? = nil,
                              timeout: Double = 5) throws(CallQueueError) -> Int {
        let connection = CallQueueConnection(location: location, password: password, timeout: timeout)
        defer { connection.disconnect() }
        return try connection.length()
    }
}
