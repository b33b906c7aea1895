import ArgumentParser
import Foundation
import SuperviseControl
import SuperviseCore
import SuperviseDaemon
import SuperviseHTTPClient

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show every unit, or one, as a table or JSON.")

    @Argument(help: "Only this unit.") var name: String?
    @Flag(name: .long, help: "Print JSON (the control API's own answer).") var json = false
    @OptionGroup var socket: SocketOptions

    func run() throws {
        let path = name.map { "/v1/units/\(percentEncode($0))" } ?? "/v1/units"
        let response: LocalHTTPResponse
        do { response = try socket.client.request("GET", path) } catch { fail("\(error)", code: ExitCodes.failure) }
        guard response.status == 200 else { try failFromDaemon(response) }
        if json {
            writeLine(String(decoding: response.body, as: UTF8.self))
            return
        }
        let decoder = ControlJSON.decoder()
        if name != nil {
            let unit = try decoder.decode(UnitStatus.self, from: Data(response.body))
            writeLine(StatusTable.render([unit]))
            let details = StatusTable.renderDetails(unit)
            if !details.isEmpty { writeLine("\n" + details) }
        } else {
            let all = try decoder.decode(UnitsResponse.self, from: Data(response.body))
            writeLine(StatusTable.render(all.units))
            writeLine("\n\(all.summary)")
            if let containment = all.containment { writeLine(containment.description) }
            for queue in all.queues ?? [] { writeLine(Self.text(queue)) }
            for service in all.services ?? [] { writeLine(Self.text(service)) }
        }
    }
}

extension Status {
    /// `service worker: 4 desired, 4 running, 3 in service (autoscale 2…20: queue call-queue 12/5 → 3 …)`, with any
    /// replicas leaving and the rollout's progress.
    static func text(_ s: ServiceStatus) -> String {
        var text = "service \(s.name): \(s.desired) desired, \(s.running) running, \(s.ready) in service"
        if !s.leaving.isEmpty { text += ", leaving: \(s.leaving.joined(separator: ", "))" }
        if let adding = s.adding, !adding.isEmpty { text += ", being made: \(adding.joined(separator: ", "))" }
        if let auto = s.autoscale {
            text += " (autoscale \(auto.min)…\(auto.max)\(auto.paused ? ", paused" : ""))"
            if let problem = auto.problem { text += "; cannot read \(problem): the count holds" }
        }
        text += "; \(s.reason)"
        if let held = s.held { text += "\n  held: \(held)" }
        if let roll = s.rollout { text += "\n  rollout: \(roll.text)" }
        return text
    }

    /// `queue call-queue (127.0.0.1:6379 list call-queue, service worker): 12`, or why it cannot be read.
    static func text(_ q: QueueStatus) -> String {
        let list = q.list == q.name ? "" : " list \(q.list)"
        let service = q.service.map { ", service \($0)" } ?? ""
        return "queue \(q.name) (\(q.redis)\(list)\(service)): " + (q.length.map { "\($0) waiting" } ?? "cannot be read: \(q.error ?? "unknown")")
    }
}

/// The `supervise status` table.
enum StatusTable {
    static let headers = ["NAME", "KIND", "STATE", "HEALTH", "PROBE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "NEXT RESTART", "REASON"]

    /// Shown only when a container unit is listed: short container id and image.
    static let containerHeaders = ["CONTAINER", "IMAGE"]

    static func render(_ units: [UnitStatus]) -> String {
        let containers = units.contains { $0.container != nil }
        let headers = containers ? Array(Self.headers.dropLast()) + containerHeaders + ["REASON"] : Self.headers
        let rows = units.map { u -> [String] in
            let pid = u.pid.map(String.init) ?? "-"
            let uptime = u.uptimeSeconds.map { DurationText.format(.seconds(Int64($0))) } ?? "-"
            let next = u.nextRestartInSeconds.map { DurationText.format(.milliseconds(Int64($0 * 1000))) } ?? "-"
            var row: [String] = [u.name, u.kind, u.state, health(u), probeLatency(u), pid, uptime, "\(u.restarts)", u.lastExit ?? "-", next]
            if containers {
                row.append(u.container.map { String($0.id.prefix(12)) } ?? "-")
                row.append(u.container?.image ?? "-")
            }
            row.append(reason(u))
            return row
        }
        let widths = headers.indices.map { i in ([headers[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }

    /// `healthy`, `failing 2/3`, `unhealthy`, `unknown` for liveness; `ready`/`not ready` for readiness.
    static func health(_ u: UnitStatus) -> String {
        var parts: [String] = []
        if let live = u.probes.first(where: { $0.role == "liveness" }), u.state == "running" {
            parts.append(live.health != "unhealthy" && live.failingStreak > 0
                         ? "failing \(live.failingStreak)/\(live.failureThreshold)" : live.health)
        }
        if let ready = u.ready { parts.append(ready ? "ready" : "not ready") }
        // A container without a liveness probe: Docker's own HEALTHCHECK verdict.
        if parts.isEmpty, let docker = u.container?.dockerHealth, u.state == "running" { parts.append(docker) }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }

    /// Last probe latency (liveness first).
    static func probeLatency(_ u: UnitStatus) -> String {
        guard u.state == "running", let ms = u.probes.compactMap(\.lastLatencyMs).first else { return "-" }
        return ms < 10 ? String(format: "%.1fms", ms) : "\(Int(ms.rounded()))ms"
    }

    /// The unit's reason, or the last probe failure while a probe is failing.
    static func reason(_ u: UnitStatus) -> String {
        if let d = u.drain { return drainProgress(d) }
        if let reason = u.reason { return reason }
        guard u.state == "running" else { return "" }
        return u.probes.first { $0.failingStreak > 0 || $0.health == "unhealthy" }
            .flatMap { p in p.lastFailure.map { "\(p.role): \($0)" } } ?? ""
    }

    /// `draining: 3 live calls, 2m elapsed, deadline in 58m, then stop`
    static func drainProgress(_ d: DrainStatus) -> String {
        "draining (\(d.requestedBy)): \(liveCalls(d.activeCalls)), \(DurationText.format(.seconds(Int64(d.elapsedSeconds)))) elapsed, "
            + "deadline in \(DurationText.format(.seconds(Int64(d.deadlineInSeconds)))), then \(d.then)"
            + (d.cut ? "; deadline reached, killing" : "") + (d.progressError.map { "; progress: \($0)" } ?? "")
    }

    /// `3 live calls`, `1 live call`, or `live calls unknown` (no progress reading yet).
    static func liveCalls(_ count: Int?) -> String {
        count.map { "\($0) live call\($0 == 1 ? "" : "s")" } ?? "live calls unknown"
    }

    /// Everything `supervise status NAME` shows below the table.
    static func renderDetails(_ u: UnitStatus) -> String {
        var lines: [String] = []
        if let c = u.container {
            lines.append("container: \(c.id.prefix(12)) \(c.name), image \(c.image)"
                         + (c.dockerHealth.map { ", Docker HEALTHCHECK \($0)" } ?? ""))
            if c.exitsLeftToDocker {
                lines.append("exits: restarted by Docker (its restart policy \(c.dockerRestartPolicy)); supervise still heals it when unhealthy")
            }
        }
        if let r = u.resources { lines.append(resources(r)) }
        if let d = u.drain { lines.append(drainProgress(d)) }
        if let last = u.lastDrain {
            let cut = last.callsCut.map { $0 == 0 ? "no call cut" : "\($0) live calls cut" } ?? "calls cut: unknown"
            lines.append("last drain: \(DurationText.format(.seconds(Int64(last.durationSeconds.rounded())))), \(cut)"
                         + (last.exit.map { ", \($0)" } ?? ""))
        }
        let probes = renderProbes(u)
        if !probes.isEmpty { lines.append(probes) }
        return lines.joined(separator: "\n")
    }

    /// `processes: 3, CPU 1.25 s, memory 41.2 MiB (peak 57.0 MiB), OOM kills 0`; memory only where
    /// the memory controller is delegated.
    static func resources(_ r: UnitResources) -> String {
        func mib(_ bytes: UInt64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        var parts = ["processes: \(r.processes)"]
        if let cpu = r.cpuSeconds { parts.append(String(format: "CPU %.2f s", cpu)) }
        if let memory = r.memoryBytes {
            parts.append("memory \(mib(memory))" + (r.memoryPeakBytes.map { " (peak \(mib($0)))" } ?? ""))
        } else if r.cpuSeconds != nil {
            parts.append("memory not accounted (no memory controller)")
        }
        if let oom = r.oomKills { parts.append("OOM kills \(oom)") }
        return parts.joined(separator: ", ")
    }

    /// Probe details for `supervise status NAME`.
    static func renderProbes(_ u: UnitStatus) -> String {
        u.probes.map { p in
            var line = "\(p.role): \(p.check) — \(p.health), failing \(p.failingStreak)/\(p.failureThreshold)"
            if let ms = p.lastLatencyMs { line += String(format: ", last %.1f ms", ms) }
            if let ago = p.lastCheckedSecondsAgo { line += String(format: " (%.1fs ago)", ago) }
            if let failure = p.lastFailure { line += ", last failure: \(failure)" }
            return line
        }.joined(separator: "\n")
    }
}
