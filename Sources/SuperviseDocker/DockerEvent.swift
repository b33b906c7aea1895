import Foundation

/// One entry of Docker's event stream (`GET /events`).
///
/// Container events carry the container's labels in ``attributes`` next to Docker's own keys
/// (`name`, `image`, `exitCode` for `die`, `signal` for `kill`); ``labels`` separates them.
public struct DockerEvent: Sendable, Equatable {
    /// `container`, `image`, `network`, `volume`, `daemon`, ...
    public var type: String
    public var action: Action
    /// `Action` as sent (`die`, `health_status: unhealthy`, `exec_start: sh -c ...`).
    public var rawAction: String
    /// `Actor.ID`: for container events the container's full id.
    public var actorID: String
    /// `Actor.Attributes`.
    public var attributes: [String: String]
    /// Seconds since 1970.
    public var time: Int64
    /// Nanoseconds since 1970: orders events within a second.
    public var timeNano: Int64

    /// What happened. Actions that carry a value after a colon (`health_status: unhealthy`) are split.
    public enum Action: Sendable, Hashable {
        case create, start, restart, die, oom, kill, stop, destroy, pause, unpause
        /// `health_status: STATUS` with STATUS `healthy`, `unhealthy` or `starting`.
        case healthStatus(String)
        /// Anything else, as sent.
        case other(String)

        public init(_ raw: String) {
            if let colon = raw.firstIndex(of: ":"), raw[..<colon] == "health_status" {
                self = .healthStatus(String(raw[raw.index(after: colon)...]).trimmingWhitespace())
                return
            }
            switch raw {
            case "create": self = .create
            case "start": self = .start
            case "restart": self = .restart
            case "die": self = .die
            case "oom": self = .oom
            case "kill": self = .kill
            case "stop": self = .stop
            case "destroy": self = .destroy
            case "pause": self = .pause
            case "unpause": self = .unpause
            default: self = .other(raw)
            }
        }
    }

    public init(type: String, rawAction: String, actorID: String, attributes: [String: String],
                time: Int64, timeNano: Int64) {
        self.type = type
        self.action = Action(rawAction)
        self.rawAction = rawAction
        self.actorID = actorID
        self.attributes = attributes
        self.time = time
        self.timeNano = timeNano
    }

    /// The container's id, for container events.
    public var containerID: String? { type == "container" ? actorID : nil }
    /// The container's name (attribute `name`).
    public var name: String? { attributes["name"] }
    /// The exit code of a `die` event.
    public var exitCode: Int32? { attributes["exitCode"].flatMap { Int32($0) } }
    /// The signal of a `kill` event, as sent (`9`, or a name such as `SIGTERM` on some versions).
    public var signal: String? { attributes["signal"] }

    /// Attribute keys Docker adds itself; every other attribute of a container event is a label.
    public static let engineAttributeKeys: Set<String> = ["name", "image", "exitCode", "signal", "execDuration"]

    /// The container's labels: ``attributes`` without ``engineAttributeKeys``.
    public var labels: [String: String] { attributes.filter { !Self.engineAttributeKeys.contains($0.key) } }
}

extension DockerEvent {
    /// Decodes one line of the stream.
    static func decode(_ line: some Collection<UInt8>) throws(DockerError) -> DockerEvent {
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(line)) } catch {
            throw .invalidResponse("event: \(error)")
        }
        // Before API 1.22 events had only `status`/`id`; keep them as fallbacks.
        let action = wire.Action ?? wire.status ?? ""
        return DockerEvent(type: wire.Type ?? "", rawAction: action, actorID: wire.Actor?.ID ?? wire.id ?? "",
                           attributes: wire.Actor?.Attributes ?? [:], time: wire.time ?? 0,
                           timeNano: wire.timeNano ?? (wire.time ?? 0) * 1_000_000_000)
    }

    private struct Wire: Decodable {
        var `Type`: String?
        var Action: String?
        var Actor: WireActor?
        var status: String?
        var id: String?
        var time: Int64?
        var timeNano: Int64?
    }

    private struct WireActor: Decodable {
        var ID: String?
        var Attributes: [String: String]?
    }
}
