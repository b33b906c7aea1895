import Logging

/// A swift-log handler that hands every record with an `event` to the ``EventHub``, beside the
/// journal or stderr handler (swift-log's `MultiplexLogHandler`): `GET /v1/events` and webhooks
/// carry the same events as the journal. A unit's output lines (`event=output`) are not events.
package struct EventLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    let hub: EventHub

    package init(hub: EventHub) { self.hub = hub }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        guard let name = all["event"].map({ "\($0)" }), name != "output" else { return }
        let exit: String? = all["exit_code"].map { "exit code \($0)" } ?? all["exit_signal"].map { "killed by \($0)" }
        hub.publish(level: LineLogHandler.name(event.level), unit: all["unit"].map { "\($0)" }, event: name,
                    message: "\(event.message)", reason: all["reason"].map { "\($0)" }, exit: exit)
    }
}
