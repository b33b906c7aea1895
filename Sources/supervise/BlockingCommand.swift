import ArgumentParser
import Foundation

/// Runs a synchronous command (`status`, `drain`, `check-config`, ...) on a thread of its own and
/// waits for it without holding a thread of the cooperative pool: the control client blocks on
/// its socket, and `drain --wait` pauses a second between polls for as long as the drain lasts.
enum BlockingCommand {
    static func run(_ command: any ParsableCommand) async throws {
        let handoff = Handoff(command)
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try handoff.command.run()
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }
            thread.name = "supervise.command"
            thread.start()
        }
    }

    /// Carries the command to its thread.
    private final class Handoff: @unchecked Sendable {
        // @unchecked: the command is only touched by the thread that runs it, after the hand-off.
        var command: any ParsableCommand
        init(_ command: any ParsableCommand) { self.command = command }
    }
}
