import CSuperviseSys
import Foundation

/// Starts a thread of the daemon's own under `name` (at most 15 bytes: the kernel's limit), as
/// `top -H`, `ps -L` and `/proc/PID/task/TID/comm` show it.
///
/// Foundation's `Thread.name` does not reach the kernel on Linux when set before the thread
/// runs: every such thread showed as `-qos.overcommit`, a libdispatch name it inherited.
public func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
    precondition(name.utf8.count <= 15, "thread name \(name) is over the kernel's 15 bytes")
    let thread = Thread {
        _ = csupervise_set_thread_name(name)
        body()
    }
    thread.name = name
    thread.start()
}
