#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The only ways the running simulator ends its own process.
///
/// `exit(3)` would run atexit handlers and static destructors while the event-loop threads are
/// still running, which can crash a process that meant to exit cleanly and so change its exit
/// status. Everything the simulator prints goes out unbuffered (see `Log`), so `_exit(2)` loses
/// nothing and gives exactly the status asked for.
enum Termination {
    /// Ends the process at once with `code`.
    static func exit(_ code: Int32) -> Never {
        _exit(code)
    }

    /// Ends the process with SIGABRT, as a crashing worker would.
    ///
    /// Two things are switched off first, because the crash is deliberate: core dumps (no core
    /// files left behind), and the Swift runtime's crash handler for SIGABRT, which would print
    /// a long backtrace into the log and delay the death while it symbolicates. With the
    /// default disposition back, `abort()` kills the process with SIGABRT at once.
    static func crash() -> Never {
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = getrlimit(RLIMIT_CORE_VALUE, &noCore)
        noCore.rlim_cur = 0
        _ = setrlimit(RLIMIT_CORE_VALUE, &noCore)
        signal(SIGABRT, SIG_DFL)
        abort()
    }
}

#if canImport(Glibc)
// Glibc imports RLIMIT_CORE as an enum case (`__rlimit_resource`); getrlimit takes that type.
private let RLIMIT_CORE_VALUE = __rlimit_resource_t(RLIMIT_CORE.rawValue)
#else
private let RLIMIT_CORE_VALUE = RLIMIT_CORE
#endif
