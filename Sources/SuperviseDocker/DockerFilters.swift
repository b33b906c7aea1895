import Foundation

/// Docker's `filters` query parameter: a JSON object of filter name to accepted values, e.g.
/// `{"type":["container"],"label":["com.docker.compose.project=voice"]}`. Values of one name are
/// alternatives (OR); for `label`, every value must match (AND).
public struct DockerFilters: Sendable, Hashable {
    public var values: [String: [String]]

    public init(_ values: [String: [String]] = [:]) { self.values = values }

    /// Adds `value` under `name`.
    public mutating func add(_ name: String, _ value: String) { values[name, default: []].append(value) }

    /// Only objects with label `key` (any value), or with `key=value`.
    public func label(_ key: String, _ value: String? = nil) -> DockerFilters {
        var copy = self
        copy.add("label", value.map { "\(key)=\($0)" } ?? key)
        return copy
    }

    /// Only events about objects of `type` (`container`, `image`, `network`, ...).
    public func type(_ type: String) -> DockerFilters {
        var copy = self
        copy.add("type", type)
        return copy
    }

    /// The containers of one Compose project (`com.docker.compose.project=P`).
    public static func composeProject(_ project: String) -> DockerFilters {
        DockerFilters().label("com.docker.compose.project", project)
    }

    public var isEmpty: Bool { values.isEmpty }

    /// The JSON text, keys sorted (stable, so requests are reproducible).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(values) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Percent-encoding for query values and path segments: everything but RFC 3986 unreserved characters.
enum QueryEncoding {
    private static let unreserved = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// `?a=1&b=2` from pairs, values encoded; empty for no pairs.
    static func query(_ pairs: [(String, String)]) -> String {
        pairs.isEmpty ? "" : "?" + pairs.map { "\($0.0)=\(encode($0.1))" }.joined(separator: "&")
    }
}
