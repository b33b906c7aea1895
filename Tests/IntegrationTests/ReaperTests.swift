import CSuperviseSys
import CTestSeccomp
import Foundation
import Synchronization
import SuperviseCore
import SuperviseProcess
import Testing

/// How the spawner learns that processes ended: a main process by its pidfd on the spawn thread,
/// an orphan by the reaper thread, an adopted process (not a child) by its pidfd; and the same
/// with `pidfd_open` refused, as on kernels before 5.3. Each case runs in a child process of its
/// own (an exit test): the spawner makes its process a child subreaper, and the seccomp filter
/// cannot be lifted.
@Suite(.serialized)
struct ReaperTests {
    @Test(arguments: [false, true])
    func exitsOrphansAndAdoptedProcessesAreReported(refusePidfd: Bool) async throws {
        // A process the test's own process starts: to the child, a process it did not start.
        let stranger = try TestProcess("/bin/sleep", ["30"])
        defer { stranger.stop() }
        let strangerPid = stranger.pid
        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            [refusePidfd = refusePidfd as Bool, strangerPid = strangerPid as Int32] in
            if refusePidfd {
                check(ctest_refuse_syscall(ctest_pidfd_open_nr(), ENOSYS) == 0, "seccomp: \(String(cString: strerror(errno)))")
                check(csupervise_pidfd_open(getpid()) < 0 && errno == ENOSYS, "pidfd_open is still allowed")
            }
            let spawner = ProcessSpawner(reaper: Reaper())
            let ends = Mutex<[MainProcessEnd]>([])
            // Which thread learned of each end: the spawn thread by pidfd, else the fallback's.
            let reportedOn = Mutex<[String]>([])
            let spawned = Mutex<[Int32]>([])
            // The main process leaves a child behind: the orphan the reaper thread must take.
            let spec = UnitSpec(name: "leaves-one", command: ["/bin/sh", "-c", "sleep 0.3 & exit 3"])
            spawner.spawn(spec, contained: true, onLine: { _, _, _ in },
                          onExit: { end in
                              reportedOn.withLock { $0.append(currentThreadName()) }
                              ends.withLock { $0.append(end) }
                          },
                          completion: { result in if case .success(let pid) = result { spawned.withLock { $0.append(pid) } } })
            check(eventually(timeout: 5) { !ends.withLock { $0 }.isEmpty }, "the main process's end was not reported")
            let end = ends.withLock { $0.first }
            check(end?.status == .exited(code: 3), "status \(String(describing: end?.status))")
            check(end?.pid == spawned.withLock { $0.first }, "pid \(String(describing: end?.pid))")
            check(reportedOn.withLock { $0 } == [refusePidfd ? "sv-reaper" : "sv-spawn"], "reported on \(reportedOn.withLock { $0 })")
            // The orphan ends 0.3 s after it was left and is reaped: no child of ours stays a zombie.
            check(eventually(timeout: 5) { zombieChildren().isEmpty && childCount() == 0 },
                  "children left: \(childCount()), zombies: \(zombieChildren())")

            let adoptedEnd = Mutex<Bool>(false)
            spawner.watchAdopted(pid: strangerPid) {
                reportedOn.withLock { $0.append(currentThreadName()) }
                adoptedEnd.withLock { $0 = true }
            }
            try? await Task.sleep(for: .milliseconds(200))
            check(!adoptedEnd.withLock { $0 }, "an adopted process that runs was reported ended")
            kill(strangerPid, SIGKILL)
            // By pidfd at once; by the fallback's poll within 100 ms of the end.
            check(eventually(timeout: 5) { adoptedEnd.withLock { $0 } }, "the adopted process's end was not reported")
            check(reportedOn.withLock { $0.last } == (refusePidfd ? "sv-adopted" : "sv-spawn"), "reported on \(reportedOn.withLock { $0 })")

            spawner.shutdown()
            check(eventually(timeout: 5) { Set(threadNames()).isDisjoint(with: ["sv-spawn", "sv-output", "sv-units", "sv-reaper", "sv-adopted"]) },
                  "threads left after shutdown: \(threadNames().sorted())")
        }
        reportChecks(of: child)
    }
}

/// The kernel's name of the calling thread.
private func currentThreadName() -> String {
    ((try? String(contentsOfFile: "/proc/self/task/\(csupervise_gettid())/comm", encoding: .utf8)) ?? "?")
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Processes whose parent is this process.
private func children() -> [(pid: Int32, state: Character)] {
    let me = getpid()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry in
        guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, Int32(fields[1]) == me, let state = fields[0].first else { return nil }
        return (pid, state)
    }
}

private func childCount() -> Int { children().count }

private func zombieChildren() -> [Int32] { children().filter { $0.state == "Z" }.map(\.pid) }
