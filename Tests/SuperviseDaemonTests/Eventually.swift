/// Waits until `condition` holds, looking again every 2 ms; false if it still does not after
/// `timeout`. A wait on a condition, not a fixed sleep: it returns as soon as the condition holds.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while clock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return try await condition()
}
