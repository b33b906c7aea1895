import Foundation

/// What `GET /containers/{id}/json` says about a container, reduced to what supervision needs.
public struct DockerContainer: Sendable, Equatable {
    /// The full 64-hex-digit id.
    public var id: String
    /// The name without Docker's leading `/` (`voice-worker-3`).
    public var name: String
    /// The image as given at creation (`Config.Image`, e.g. `livekit/agent:1.2`).
    public var image: String
    /// The image's id (`sha256:...`).
    public var imageID: String
    public var state: State
    /// `Config.Labels`: where Compose puts project, service and replica number.
    public var labels: [String: String]
    public var restartPolicy: RestartPolicy
    /// `Config.StopTimeout` in seconds; nil when the container uses the daemon's default (10 s).
    public var stopTimeout: Int?
    /// `Config.StopSignal`; nil for the default (`SIGTERM`).
    public var stopSignal: String?
    /// `HostConfig.NetworkMode`: `none`, `host`, `bridge`, `container:ID`, or a network's name.
    public var networkMode: String
    /// How often Docker's own restart policy restarted it.
    public var restartCount: Int

    /// `State`: whether and since when it runs, and how it last ended.
    public struct State: Sendable, Equatable {
        /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
        public var status: String
        public var running: Bool
        public var paused: Bool
        public var restarting: Bool
        /// The last end was the kernel's OOM killer.
        public var oomKilled: Bool
        public var dead: Bool
        /// The main process on the host; 0 when not running.
        public var pid: Int32
        /// The last exit code (137 = SIGKILL); 0 while running for the first time.
        public var exitCode: Int32
        /// Why the last start failed, if it did (`State.Error`).
        public var error: String
        /// RFC 3339 with nanoseconds; `0001-01-01T00:00:00Z` for never (see ``startedDate``).
        public var startedAt: String
        public var finishedAt: String
        /// Docker HEALTHCHECK state; nil when the container has no health check.
        public var health: Health?

        public var startedDate: Date? { DockerTimestamp.date(startedAt) }
        public var finishedDate: Date? { DockerTimestamp.date(finishedAt) }
    }

    /// `State.Health`.
    public struct Health: Sendable, Equatable {
        /// `starting`, `healthy` or `unhealthy`.
        public var status: String
        /// Consecutive failed checks.
        public var failingStreak: Int
    }

    /// `HostConfig.RestartPolicy`: Docker's own restarts (`no`, `always`, `unless-stopped`, `on-failure`).
    public struct RestartPolicy: Sendable, Equatable {
        /// Empty or `no` when Docker does not restart it.
        public var name: String
        /// For `on-failure`: at most this many restarts (0 = unlimited).
        public var maximumRetryCount: Int
    }
}

extension DockerContainer {
    /// Decodes an inspect answer.
    static func decode(_ body: [UInt8]) throws(DockerError) -> DockerContainer {
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(body)) } catch {
            throw .invalidResponse("container inspect: \(error)")
        }
        let state = wire.State
        return DockerContainer(
            id: wire.Id,
            name: wire.Name.hasPrefix("/") ? String(wire.Name.dropFirst()) : wire.Name,
            image: wire.Config?.Image ?? wire.Image ?? "",
            imageID: wire.Image ?? "",
            state: State(
                status: state.Status ?? "", running: state.Running ?? false, paused: state.Paused ?? false,
                restarting: state.Restarting ?? false, oomKilled: state.OOMKilled ?? false, dead: state.Dead ?? false,
                pid: state.Pid ?? 0, exitCode: state.ExitCode ?? 0, error: state.Error ?? "",
                startedAt: state.StartedAt ?? "", finishedAt: state.FinishedAt ?? "",
                health: state.Health.map { Health(status: $0.Status ?? "", failingStreak: $0.FailingStreak ?? 0) }),
            labels: wire.Config?.Labels ?? [:],
            restartPolicy: RestartPolicy(name: wire.HostConfig?.RestartPolicy?.Name ?? "",
                                         maximumRetryCount: wire.HostConfig?.RestartPolicy?.MaximumRetryCount ?? 0),
            stopTimeout: wire.Config?.StopTimeout,
            stopSignal: wire.Config?.StopSignal,
            networkMode: wire.HostConfig?.NetworkMode ?? "",
            restartCount: wire.RestartCount ?? 0)
    }

    // Docker's field names, as sent.
    private struct Wire: Decodable {
        var Id: String
        var Name: String
        var Image: String?
        var RestartCount: Int?
        var State: WireState
        var Config: WireConfig?
        var HostConfig: WireHostConfig?
    }

    private struct WireState: Decodable {
        var Status: String?
        var Running: Bool?
        var Paused: Bool?
        var Restarting: Bool?
        var OOMKilled: Bool?
        var Dead: Bool?
        var Pid: Int32?
        var ExitCode: Int32?
        var Error: String?
        var StartedAt: String?
        var FinishedAt: String?
        var Health: WireHealth?
    }

    private struct WireHealth: Decodable {
        var Status: String?
        var FailingStreak: Int?
    }

    private struct WireConfig: Decodable {
        var Image: String?
        var Labels: [String: String]?
        var StopTimeout: Int?
        var StopSignal: String?
    }

    private struct WireHostConfig: Decodable {
        var NetworkMode: String?
        var RestartPolicy: WireRestartPolicy?
    }

    private struct WireRestartPolicy: Decodable {
        var Name: String?
        var MaximumRetryCount: Int?
    }
}
