/// A binary min-heap of probe due times: O(log n) push/pop, O(1) earliest.
///
/// Entries are never removed from the middle. A removed or rescheduled probe leaves a stale
/// entry behind, which the engine recognises (id unknown or due time no longer the probe's)
/// and drops when it reaches the top; each probe has at most one live entry.
struct ScheduleHeap {
    struct Entry: Equatable {
        /// Monotonic nanoseconds at which the run is scheduled.
        var due: UInt64
        /// The engine's internal id of the probe (unique per `add`).
        var probe: UInt64
    }

    private var entries: [Entry] = []

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// The earliest entry, if any.
    var first: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].due < entries[parent].due else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry.
    @discardableResult
    mutating func popFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let first = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].due < entries[smallest].due { smallest = left }
            if right < entries.count, entries[right].due < entries[smallest].due { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    mutating func removeAll() { entries.removeAll() }
}
