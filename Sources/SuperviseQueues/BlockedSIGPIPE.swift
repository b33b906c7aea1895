import Foundation

/// Runs hiredis calls with `SIGPIPE` blocked on the calling thread.
///
/// hiredis writes with `write(2)`, not `send(MSG_NOSIGNAL)`: a write to a connection the server has closed raises
/// `SIGPIPE`, whose default action ends the whole process. The daemon ignores it, but the reader must not depend on
/// its host (tests, tools). Blocked, the signal stays pending on this thread and the write fails with `EPIPE`, which
/// hiredis reports; a `SIGPIPE` that became pending here is then taken off, so it never reaches the process later.
enum BlockedSIGPIPE {
    static func run<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        var pipeOnly = sigset_t()
        sigemptyset(&pipeOnly)
        sigaddset(&pipeOnly, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous)
        let pendingBefore = isPending()
        defer {
            if !pendingBefore && isPending() {
                var now = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipeOnly, nil, &now)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        return try body()
    }

    private static func isPending() -> Bool {
        var pending = sigset_t()
        sigpending(&pending)
        return sigismember(&pending, SIGPIPE) == 1
    }
}
