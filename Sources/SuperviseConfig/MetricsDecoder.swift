import SuperviseCore
import Yams

/// Reading `metrics`: the read-only TCP listener for Prometheus.
extension Diagnostics {
    static let listenExpected = "an IP address and port, such as 127.0.0.1:9469 or [::1]:9469"

    func metrics(_ entry: Entry) -> MetricsSettings {
        // `metrics: {}` asks for the listener at its default address.
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.metrics,
                                  expected: Schema.metrics.mappingPhrase) else { return MetricsSettings() }
        guard let listen = fields["listen"] else { return MetricsSettings(listen: MetricsSettings.defaultListen) }
        guard let text = text(listen.value, listen.path, expected: Self.listenExpected) else { return MetricsSettings() }
        guard let address = ListenAddress.parse(text) else {
            report(listen.value, listen.path, expected: Self.listenExpected)
            return MetricsSettings()
        }
        return MetricsSettings(listen: address)
    }
}
