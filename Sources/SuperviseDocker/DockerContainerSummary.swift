import Foundation

/// One entry of `GET /containers/json`: enough to find a Compose project's containers and resync
/// after the event stream reconnects (inspect each for details).
public struct DockerContainerSummary: Sendable, Equatable {
    public var id: String
    /// Names without the leading `/`.
    public var names: [String]
    public var image: String
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var state: String
    /// Human text such as `Up 2 minutes (healthy)` or `Exited (137) 5 seconds ago`.
    public var status: String
    public var labels: [String: String]
    /// Seconds since 1970.
    public var created: Int64
}

extension DockerContainerSummary {
    /// Decodes a list answer.
    static func decodeList(_ body: [UInt8]) throws(DockerError) -> [DockerContainerSummary] {
        let wire: [Wire]
        do { wire = try JSONDecoder().decode([Wire].self, from: Data(body)) } catch {
            throw .invalidResponse("container list: \(error)")
        }
        return wire.map { entry in
            DockerContainerSummary(
                id: entry.Id,
                names: (entry.Names ?? []).map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 },
                image: entry.Image ?? "", state: entry.State ?? "", status: entry.Status ?? "",
                labels: entry.Labels ?? [:], created: entry.Created ?? 0)
        }
    }

    private struct Wire: Decodable {
        var Id: String
        var Names: [String]?
        var Image: String?
        var State: String?
        var Status: String?
        var Labels: [String: String]?
        var Created: Int64?
    }
}
