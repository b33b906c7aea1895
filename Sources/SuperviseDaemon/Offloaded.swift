import Dispatch

/// Runs blocking `work` (file reads, waits, `join`s) on a Dispatch queue of its own and returns
/// its result, so the cooperative thread pool never waits for it.
func offloaded<T: Sendable>(_ label: String, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { done in
        DispatchQueue(label: label).async { done.resume(returning: work()) }
    }
}
