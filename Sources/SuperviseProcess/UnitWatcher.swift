import CSuperviseSys
import Foundation
import Synchronization
import SuperviseThreads

/// Counts what is left of units whose main process has ended, on a thread of its own, and
/// reports each new count until the unit is empty.
///
/// In cgroup mode the kernel says when a cgroup empties: an inotify watch on its `cgroup.events`
/// wakes the thread at once; counts in between are read every 250 ms. In the process-group mode
/// nothing says so: the thread counts every 50 ms, and the reaper wakes it whenever it reaps an
/// orphan (often the last process of a unit).
final class UnitWatcher: Sendable {
    private struct Watch {
        var main: Int32
        var last: Int?
        var report: @Sendable (Int) -> Void
        var inotifyWatch: Int32 = -1
    }

    /// The thread's descriptors, made with the thread on the first watch: a spawner that never
    /// watches a unit (the probe engine's) holds none.
    private struct Channel {
        var inotify: Int32
        var wakeup: [Int32]
    }

    private let watches = Mutex<[String: Watch]>([:])
    private let count: @Sendable (String, Int32) -> Int
    private let hierarchy: CgroupHierarchy?
    private let channel = Mutex<Channel?>(nil)
    private let idleMilliseconds: Int32
    private let stopping = Atomic<Bool>(false)

    init(hierarchy: CgroupHierarchy?, count: @escaping @Sendable (String, Int32) -> Int) {
        self.hierarchy = hierarchy
        self.count = count
        idleMilliseconds = hierarchy == nil ? 50 : 250
    }

    /// The descriptors, and the thread reading them, made on first use.
    private func open() -> Channel {
        channel.withLock { channel in
            if let channel { return channel }
            var fds: [Int32] = [-1, -1]
            _ = csupervise_pipe_cloexec(&fds)
            _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
            _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
            let made = Channel(inotify: hierarchy == nil ? -1 : inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)), wakeup: fds)
            channel = made
            startThread(named: "sv-units") { [self] in self.run(made) }
            return made
        }
    }

    /// Reports the count of `unit` (main process `main`, ended) now and whenever it changes,
    /// until it is 0.
    func watch(_ unit: String, main: Int32, report: @escaping @Sendable (Int) -> Void) {
        let channel = open()
        var w = Watch(main: main, report: report)
        if let hierarchy, channel.inotify >= 0 {
            w.inotifyWatch = inotify_add_watch(channel.inotify, hierarchy.path(of: unit) + "/cgroup.events", UInt32(IN_MODIFY))
        }
        watches.withLock { all in
            if let old = all[unit], old.inotifyWatch >= 0, old.inotifyWatch != w.inotifyWatch {
                _ = inotify_rm_watch(channel.inotify, old.inotifyWatch)
            }
            all[unit] = w
        }
        nudge()
    }

    /// Ends the thread (if one was started); watched units are no longer reported.
    func stop() {
        stopping.store(true, ordering: .releasing)
        nudge()
    }

    /// Wakes the thread to count again now (nothing to do before the first watch).
    func nudge() {
        // Under the lock: the thread closes the pipe under it when it ends.
        channel.withLock { channel in
            guard let channel else { return }
            var byte: UInt8 = 1
            _ = Glibc.write(channel.wakeup[1], &byte, 1)
        }
    }

    private func run(_ channel: Channel) {
        let (inotify, wakeup) = (channel.inotify, channel.wakeup)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopping.load(ordering: .acquiring) {
            let idle = watches.withLock { $0.isEmpty }
            var fds = [pollfd(fd: wakeup[0], events: Int16(POLLIN), revents: 0), pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, inotify >= 0 ? 2 : 1, idle ? -1 : idleMilliseconds)
            if n < 0 && errno != EINTR { usleep(10_000) }
            // Drain both: what woke us does not matter, every watched unit is counted again.
            while Glibc.read(wakeup[0], &buffer, buffer.count) > 0 {}
            if inotify >= 0 { while Glibc.read(inotify, &buffer, buffer.count) > 0 {} }
            if stopping.load(ordering: .acquiring) { break }
            countAll(inotify: inotify)
        }
        self.channel.withLock { channel in
            channel = nil
            close(wakeup[0])
            close(wakeup[1])
            if inotify >= 0 { close(inotify) }
        }
    }

    private func countAll(inotify: Int32) {
        let current = watches.withLock { $0 }
        for (unit, w) in current {
            let n = count(unit, w.main)
            guard n != w.last else { continue }
            let still = watches.withLock { all -> Bool in
                guard all[unit]?.main == w.main else { return false }
                if n == 0 {
                    if w.inotifyWatch >= 0 { _ = inotify_rm_watch(inotify, w.inotifyWatch) }
                    all[unit] = nil
                } else {
                    all[unit]?.last = n
                }
                return true
            }
            if still { w.report(n) }
        }
    }
}
