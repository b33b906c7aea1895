import CSuperviseSys
import Foundation

/// Starts a thread under `name` (at most 15 bytes: the kernel's limit), as `top -H`, `ps -L` and
/// `/proc/PID/task/TID/comm` show it.
///
/// SuperviseProcess's `startThread(named:)`, without depending on that module: the name is set from inside the
/// thread (Foundation's `Thread.name`, set before the thread runs, does not reach the kernel on Linux).
func startNamedThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    precondition(name.utf8.count <= 15, "thread name \(name) is over the kernel's 15 bytes")
    let thread = Thread {
        _ = csupervise_set_thread_name(name)
        body()
    }
    thread.name = name
    thread.start()
}
