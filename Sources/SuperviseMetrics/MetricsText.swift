/// The Prometheus text exposition format, as `GET /metrics` answers in it.
public enum MetricsText {
    /// The `Content-Type` Prometheus expects for text format 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
