import SuperviseCore
import SuperviseCurl

/// What the engine thread is asked to do, in order.
enum EngineCommand: CurlMailboxCommand {
    case add(ProbeKey, token: UInt64, spec: ProbeSpec, environment: [String: String], workingDirectory: String?)
    case remove(ProbeKey)
    /// An exec run finished (from the exec queue); `run` tells a current run from a cancelled one.
    case execFinished(probe: UInt64, run: UInt64, ProbeResult)
    case shutdown

    var closesMailbox: Bool { if case .shutdown = self { true } else { false } }
}

/// The command queue into the engine thread, and its doorbell.
typealias EngineMailbox = CurlMailbox<EngineCommand>
