import Testing
@testable import SuperviseCore

/// Plays Docker for container units in virtual time: restarts and stops issued by the core are
/// answered with the events a real engine sends, in its order (`kill`, `die`, `stop`/`start`).
struct DockerPlay {
    var h: Harness
    var containers: [String: ContainerSnapshot] = [:]
    var nextPid: Int32 = 5000
    /// Restart/stop actions the core issued, as `unit:action`.
    var actions: [String] = []
    /// Replicas the core asked for are made at once (else they wait in ``creations`` for ``make(_:)``).
    var makesReplicas = true
    /// Replicas asked for and not made yet.
    var creations: [ReplicaCreation] = []
    /// Images that exist: a replica of another image cannot be made (as `docker create` with a missing image).
    var images: Set<String> = ["agent-sim:test", "agent-sim:next"]

    init(selectors: [ContainerSelector], units: [UnitSpec] = []) {
        h = Harness(units)
        h.core = Supervisor(config: SupervisorConfig(units: units, containers: selectors), seed: 1)
    }

    static func replica(_ service: String, _ n: Int, project: String = "voice", running: Bool = true,
                        dockerPolicy: String = "no", oneoff: Bool = false) -> ContainerSnapshot {
        ContainerSnapshot(
            id: "\(service)\(n)" + String(repeating: "0", count: 58), name: "\(project)_\(service)_\(n)", image: "agent-sim:test",
            labels: ["com.docker.compose.project": project, "com.docker.compose.service": service,
                     "com.docker.compose.container-number": "\(n)", "com.docker.compose.oneoff": oneoff ? "True" : "False"],
            running: running, pid: running ? 4000 + Int32(n) : 0, exitCode: running ? nil : 0, dockerRestartPolicy: dockerPolicy)
    }

    mutating func boot(_ snapshots: [ContainerSnapshot], persisted: PersistedState? = nil) {
        h.boot(persisted: persisted)
        for s in snapshots { containers[s.id] = s }
        send(.containerResync(snapshots))
    }

    mutating func send(_ event: Event) {
        play(h.core.handle(event, now: h.now))
    }

    /// Carries out the core's effects as Docker would, and what follows from them.
    mutating func play(_ effects: [Effect]) {
        var queue = effects
        while !queue.isEmpty {
            let effect = queue.removeFirst()
            h.effects.append(effect)
            if case .createReplica(let creation) = effect {
                actions.append("\(creation.unit):create")
                creations.append(creation)
                if makesReplicas { queue += answer(creation) }
                continue
            }
            guard case .container(let unit, let id, let action) = effect, var c = containers[id] else { continue }
            switch action {
            case .restart:
                actions.append("\(unit):restart")
                if c.running {
                    queue += h.core.handle(.container(id: id, .killed(signal: 15)), now: h.now)
                    queue += h.core.handle(.container(id: id, .died(exitCode: 143)), now: h.now)
                }
                nextPid += 1
                c.running = true
                c.pid = nextPid
                containers[id] = c
                queue += h.core.handle(.container(id: id, .started), now: h.now)
                queue += h.core.handle(.containerSeen(c), now: h.now)
            case .stop:
                actions.append("\(unit):stop")
                guard c.running else { continue }
                c.running = false
                c.exitCode = 143
                containers[id] = c
                queue += h.core.handle(.container(id: id, .killed(signal: 15)), now: h.now)
                queue += h.core.handle(.container(id: id, .died(exitCode: 143)), now: h.now)
                queue += h.core.handle(.container(id: id, .stopped), now: h.now)
            case .kill(let signal):
                actions.append("\(unit):kill \(signal)")
            case .remove:
                actions.append("\(unit):remove")
                if c.running {
                    queue += h.core.handle(.container(id: id, .killed(signal: 15)), now: h.now)
                    queue += h.core.handle(.container(id: id, .died(exitCode: 143)), now: h.now)
                    queue += h.core.handle(.container(id: id, .stopped), now: h.now)
                }
                containers[id] = nil
                queue += h.core.handle(.container(id: id, .destroyed), now: h.now)
            }
        }
    }

    /// Docker's answer to a `.createReplica`: the source copied as the new number (with the new
    /// image), started; or the failure when the image does not exist.
    mutating func answer(_ creation: ReplicaCreation) -> [Effect] {
        creations.removeAll { $0 == creation }
        guard let source = containers[creation.source] else {
            return h.core.handle(.replicaCreateFailed(unit: creation.unit, reason: "no such container: \(creation.source)"), now: h.now)
        }
        let image = creation.image ?? source.image
        guard images.contains(image) else {
            return h.core.handle(.replicaCreateFailed(unit: creation.unit, reason: "No such image: \(image)"), now: h.now)
        }
        var made = source
        made.id = "\(creation.service)\(creation.number)" + String(repeating: "1", count: 58)
        made.name = source.name.replacingOccurrences(of: "_\(source.labels["com.docker.compose.container-number"]!)", with: "_\(creation.number)")
        made.labels["com.docker.compose.container-number"] = "\(creation.number)"
        made.image = image
        made.health = nil
        nextPid += 1
        made.running = true
        made.pid = nextPid
        containers[made.id] = made
        return h.core.handle(.replicaCreated(unit: creation.unit, made), now: h.now)
    }

    /// Docker makes the replica asked for first (with ``makesReplicas`` off).
    mutating func make() {
        guard let creation = creations.first else { Issue.record("no replica asked for"); return }
        play(answer(creation))
    }

    /// The container's process dies on its own (kill -9 from the host, a crash).
    mutating func die(_ unit: String, exitCode: Int32) {
        guard let id = h.core.unit(unit)?.container?.id else { Issue.record("no container unit \(unit) to die"); return }
        containers[id]?.running = false
        containers[id]?.exitCode = exitCode
        send(.container(id: id, .died(exitCode: exitCode)))
    }

    /// An operator's `docker stop`.
    mutating func dockerStop(_ unit: String) {
        guard let id = h.core.unit(unit)?.container?.id else { Issue.record("no container unit \(unit) to stop"); return }
        containers[id]?.running = false
        send(.container(id: id, .killed(signal: 15)))
        send(.container(id: id, .died(exitCode: 143)))
        send(.container(id: id, .stopped))
    }

    mutating func advance(_ d: Duration) {
        let end = h.now + d
        while let next = h.core.nextDeadline, next <= end {
            h.now = max(h.now, next)
            send(.tick)
        }
        h.now = end
    }

    func phase(_ unit: String) -> UnitPhase? { h.core.unit(unit)?.phase }
}

