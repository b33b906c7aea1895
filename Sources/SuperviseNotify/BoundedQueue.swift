/// A first-in, first-out queue of at most `capacity` elements: appending to a full one pushes out the oldest.
///
/// A ring over one array, allocated as it fills: appends and removals are O(1) and never reallocate once
/// the queue has been full.
struct BoundedQueue<Element> {
    let capacity: Int
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity >= 1, "a bounded queue holds at least one element")
        self.capacity = capacity
    }

    var isEmpty: Bool { count == 0 }

    /// Appends `element`; returns the oldest element when it had to make room for it.
    mutating func append(_ element: Element) -> Element? {
        if count == capacity {
            // Full: the newest takes the oldest's place, which is the ring's head.
            let oldest = storage[head]
            storage[head] = element
            head = (head + 1) % capacity
            return oldest
        }
        if count == storage.count {
            // Every slot in use, below capacity: grow, with the oldest first again.
            if head != 0 {
                storage = Array(storage[head...] + storage[..<head])
                head = 0
            }
            storage.append(element)
        } else {
            storage[(head + count) % storage.count] = element
        }
        count += 1
        return nil
    }

    /// Removes and returns the oldest element.
    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        if count == 0 { head = 0 }
        return element
    }

    /// Removes everything; returns how many elements there were.
    @discardableResult
    mutating func removeAll() -> Int {
        let removed = count
        storage.removeAll()
        head = 0
        count = 0
        return removed
    }
}
