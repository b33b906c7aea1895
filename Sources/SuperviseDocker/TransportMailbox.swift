import SuperviseCurl

/// What the transport thread is asked to do, in order.
enum TransportCommand: CurlMailboxCommand {
    case start(UInt64, HTTPRequest, TransferHandlers)
    case cancel(UInt64)
    case shutdown

    var closesMailbox: Bool { if case .shutdown = self { true } else { false } }
}

/// The command queue into the transport thread, and its doorbell.
typealias TransportMailbox = CurlMailbox<TransportCommand>
