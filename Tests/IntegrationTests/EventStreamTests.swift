import Foundation
import SuperviseControl
import SuperviseCore
import SuperviseHTTPClient
import Synchronization
import Testing

/// `GET /v1/events` and `supervise events` against a real daemon: live events in order, the unit filter, replay
/// (`since`, `after`), bad queries, the CLI, a reader that never reads (dropped, without slowing anyone else), and
/// the streams' end when the daemon stops.
@Suite(.serialized) struct EventStreamTests {
    /// A unit that exits 3 after `after`, restarted after 300 ms, without a start limit that matters.
    static func crasher(_ name: String = "crasher", after: String = "0.3") -> String {
        """
          \(name):
            command: [/bin/sh, -c, "sleep \(after); exit 3"]
            restart:
              policy: always
              backoff: {initial: 300ms, max: 300ms, jitter: 0}
              start_limit: {burst: 1000, interval: 10s}
        """
    }

    static let sleeper = """
          sleeper:
            command: [/bin/sleep, "1000"]
        """

    @Test("a new reader sees the start of a unit started after it connected, a crashing unit's exit, restart and start, every event once, in seq order")
    func liveEventsInOrder() throws {
        let daemon = try DaemonHarness(config: "units:\n\(Self.sleeper)\n\(Self.crasher())\n")
        defer { daemon.stop() }
        try #require(daemon.waitForRunning("sleeper") != nil)
        #expect(try daemon.command("stop", "sleeper").status == 200)
        #expect(eventually(timeout: 10) { (try? daemon.unit("sleeper"))?.state == "inactive" })

        let reader = try EventSocket(daemon.socketPath)
        defer { reader.close() }
        reader.startReading()
        #expect(eventually(timeout: 5) { reader.status != nil })
        #expect(reader.status == 200, "\(reader.head)")
        #expect(reader.head.lowercased().contains("content-type: application/x-ndjson"), "\(reader.head)")
        #expect(reader.head.lowercased().contains("transfer-encoding: chunked"), "\(reader.head)")
        // Nothing is replayed without since/after: whatever comes first happened after the connection.
        let connectedAt = Date()
        #expect(try daemon.command("start", "sleeper").status == 200)
        let pid = try #require(daemon.waitForRunning("sleeper"))

        // The crasher goes round: exit, restart (after a backoff), start; wait for two rounds after the connection.
        let seen = eventually(timeout: 20) {
            let events = reader.events
            return events.contains { $0.unit == "sleeper" && $0.event == "start" }
                && events.filter { $0.unit == "crasher" && $0.event == "start" }.count >= 2
        }
        let events = reader.events
        #expect(seen, "\(events.map(\.event))")
        #expect(!events.contains { $0.event == "daemon-start" || $0.event == "ready" }, "no replay: \(events.map(\.event))")
        #expect(reader.badLines.isEmpty, "every line is one event: \(reader.badLines)")

        // Every event, each once: the seqs go up by one.
        let seqs = events.map(\.seq)
        #expect(!seqs.isEmpty)
        #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $1 == $0 + 1 }, "\(seqs)")
        // Times are RFC 3339 UTC with milliseconds, in order.
        let times = events.map(\.time)
        #expect(times.allSatisfy { $0.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil }, "\(times)")
        #expect(times == times.sorted(), "\(times)")

        let start = try #require(events.first { $0.unit == "sleeper" && $0.event == "start" })
        #expect(start.level == "info")
        #expect(start.message == "started, pid \(pid)")
        #expect(events.first { $0.unit == "sleeper" && $0.event == "operator-start" }.map { $0.seq < start.seq } == true,
                "the operator's start comes first: \(events.map { "\($0.seq) \($0.unit ?? "-") \($0.event)" })")

        // The crasher: exit (with how), then restart, then start, in that order.
        let crasher = events.filter { $0.unit == "crasher" }
        let exit = try #require(crasher.first { $0.event == "exit" }, "\(crasher.map(\.event))")
        #expect(exit.exit == "exit code 3")
        #expect(exit.level == "warning")
        #expect(exit.message.hasPrefix("exited: exit code 3 after "), "\(exit.message)")
        // The first restart of a streak is at once ("restarting now"); later ones wait out the backoff first.
        let next = crasher.filter { $0.seq > exit.seq }
        let round = next.prefix(through: next.firstIndex { $0.event == "start" } ?? next.endIndex - 1).map(\.event)
        #expect(round == ["restart", "start"] || round == ["backoff", "restart", "start"], "\(crasher.map(\.event))")
        let restart = try #require(crasher.first { $0.event == "restart" && $0.seq > exit.seq }, "\(crasher.map(\.event))")
        #expect(restart.level == "notice")
        let restarted = try #require(crasher.first { $0.event == "start" && $0.seq > restart.seq }, "\(crasher.map(\.event))")
        #expect(restarted.message.hasPrefix("started, pid "))
        // A backoff of 300 ms shows between an exit and the next start (only a lower bound: the machine is shared).
        let backoff = try #require(crasher.first { $0.event == "backoff" }, "two rounds make a streak: \(crasher.map(\.event))")
        #expect(backoff.message.hasPrefix("restarting in 300ms (attempt "), "\(backoff.message)")
        let before = try #require(crasher.last { $0.event == "exit" && $0.seq < backoff.seq })
        let after = try #require(crasher.first { $0.event == "start" && $0.seq > backoff.seq })
        if let gap = Self.millisecondsBetween(before.time, after.time) {
            #expect(gap >= 250, "exit at \(before.time), start again at \(after.time)")
        }
        print("EventStreamTests: \(events.count) events in \(String(format: "%.1f", Date().timeIntervalSince(connectedAt))) s")
    }

    @Test("unit= shows only that unit's events; an unknown unit is 404 with the daemon's error and its units")
    func unitFilter() throws {
        let daemon = try DaemonHarness(config: "units:\n\(Self.sleeper)\n\(Self.crasher())\n")
        defer { daemon.stop() }
        try #require(daemon.waitForRunning("sleeper") != nil)

        let crasher = try EventSocket(daemon.socketPath, query: "?unit=crasher")
        defer { crasher.close() }
        crasher.startReading()
        let sleeper = try EventSocket(daemon.socketPath, query: "?unit=sleeper&since=1m")
        defer { sleeper.close() }
        sleeper.startReading()
        #expect(eventually(timeout: 5) { crasher.status != nil && sleeper.status != nil })
        #expect(crasher.status == 200 && sleeper.status == 200)
        let pid = try #require(daemon.waitForRunning("sleeper"))
        kill(pid, SIGKILL)
        #expect(eventually(timeout: 20) {
            crasher.events.filter { $0.event == "start" }.count >= 2
                && sleeper.events.filter { $0.event == "start" }.count >= 2
        }, "\(crasher.events.map(\.event)) \(sleeper.events.map(\.event))")
        #expect(crasher.events.allSatisfy { $0.unit == "crasher" }, "\(crasher.events.map { $0.unit ?? "-" })")
        #expect(sleeper.events.allSatisfy { $0.unit == "sleeper" }, "\(sleeper.events.map { $0.unit ?? "-" })")
        #expect(!sleeper.events.contains { $0.event == "daemon-start" }, "events of no unit are not a unit's")
        let killed = try #require(sleeper.events.first { $0.event == "exit" })
        #expect(killed.exit == "killed by SIGKILL", "\(killed)")
        for reader in [crasher, sleeper] {
            let seqs = reader.events.map(\.seq)
            #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $1 > $0 }, "\(seqs)")
        }

        // Unknown: 404, the daemon's error as JSON, with the units there are.
        let unknown = try daemon.client.stream("/v1/events?unit=nope") { _ in true }
        #expect(unknown.status == 404)
        let error = try JSONDecoder().decode(ErrorResponse.self, from: Data(unknown.body))
        #expect(error.error == #"no unit named "nope"; units: sleeper, crasher"#, "\(error.error)")
        #expect(error.units == ["sleeper", "crasher"], "in the configuration's order")
        // The CLI says the same and exits 3 (unknown unit).
        let cli = try daemon.cli(["events", "--unit", "nope"])
        #expect(cli.code == 3, "\(cli)")
        #expect(cli.output.contains(#"supervise: no unit named "nope"; units: sleeper, crasher"#), "\(cli.output)")
    }

    @Test("since=1m replays the kept events first (containment, daemon-start, ready, the first starts), then new ones")
    func sinceReplays() throws {
        let daemon = try DaemonHarness(config: "units:\n\(Self.sleeper)\n\(Self.crasher(after: "0.5"))\n")
        defer { daemon.stop() }
        try #require(daemon.waitForRunning("sleeper") != nil)
        // Let some history build up: a couple of crasher rounds.
        let history = try EventSocket(daemon.socketPath)
        defer { history.close() }
        history.startReading()
        #expect(eventually(timeout: 20) { history.events.filter { $0.event == "start" }.count >= 2 })

        let lastSeen = history.events.last?.seq ?? 0
        let reader = try EventSocket(daemon.socketPath, query: "?since=1m")
        defer { reader.close() }
        reader.startReading()
        #expect(eventually(timeout: 10) { reader.events.contains { $0.seq > lastSeen + 2 } }, "the replay, then new events")
        let events = reader.events
        let names = events.map(\.event)
        // The daemon's first events are all still kept: the replay starts at seq 1 and leaves nothing out.
        #expect(events.first?.seq == 1, "\(events.prefix(5))")
        let seqs = events.map(\.seq)
        #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $1 == $0 + 1 }, "\(seqs)")
        for name in ["daemon-start", "ready"] { #expect(names.contains(name), "\(names)") }
        let daemonStart = try #require(events.first { $0.event == "daemon-start" })
        #expect(daemonStart.unit == nil)
        #expect(daemonStart.message.contains("2 units from \(daemon.configPath)"), "\(daemonStart.message)")
        let ready = try #require(events.first { $0.event == "ready" })
        #expect(ready.seq > daemonStart.seq)
        for unit in ["sleeper", "crasher"] {
            #expect(events.first { $0.unit == unit && $0.event == "start" }.map { $0.seq > daemonStart.seq } == true,
                    "the first start of \(unit) is replayed: \(names)")
        }
        // What the history reader saw live is what the replay has under the same seqs.
        let newest = events.last?.seq ?? 0
        for event in history.events where event.seq <= newest {
            #expect(events.first { $0.seq == event.seq } == event)
        }

        // A UTC time: the events from that second on, and those only. The cutoff is the second of `ready`
        // (so ready, with its milliseconds, is after it).
        let second = String(ready.time.prefix(19)) + "Z"
        let fromTime = try EventSocket(daemon.socketPath, query: "?since=\(second)")
        defer { fromTime.close() }
        #expect(fromTime.read(until: { $0.events.count >= 1 && $0.events.last!.seq >= ready.seq }, timeout: 5),
                "since=\(second): \(fromTime.events.map { "\($0.seq) \($0.time) \($0.event)" })")
        let replayed = fromTime.events
        // Compared by the second: "…:12.345Z" is after "…:12Z" though it sorts before it as text.
        func secondOf(_ time: String) -> String { String(time.prefix(19)) }
        let expected = events.filter { secondOf($0.time) >= secondOf(second) }
        #expect(replayed.first?.seq == expected.first?.seq,
                "since=\(second) starts at the first event of that second: \(replayed.prefix(3)) vs \(expected.prefix(3))")
        #expect(replayed.contains { $0.seq == ready.seq }, "ready at \(ready.time) is after \(second)")
        #expect(!replayed.contains { secondOf($0.time) < secondOf(second) })
        // With milliseconds: from that exact event on.
        let exact = try EventSocket(daemon.socketPath, query: "?since=\(ready.time)")
        defer { exact.close() }
        #expect(exact.read(until: { !$0.events.isEmpty }, timeout: 5))
        #expect(exact.events.first.map { $0.time >= ready.time && $0.seq <= ready.seq } == true,
                "since=\(ready.time): \(exact.events.prefix(3))")
        #expect(exact.events.contains { $0.seq == ready.seq })
        // Tenths of a second: from .4 on is from .400 on.
        let tenths = String(ready.time.prefix(21)) + "Z"
        let fromTenths = try EventSocket(daemon.socketPath, query: "?since=\(tenths)")
        defer { fromTenths.close() }
        #expect(fromTenths.read(until: { $0.events.contains { $0.seq >= ready.seq } }, timeout: 5))
        #expect(fromTenths.events.contains { $0.seq == ready.seq }, "ready at \(ready.time) is after \(tenths)")
        // A time still to come replays nothing.
        let seen = reader.events.last?.seq ?? 0
        let future = try EventSocket(daemon.socketPath, query: "?since=2999-01-01T00:00:00Z")
        defer { future.close() }
        future.read(until: { !$0.events.isEmpty }, timeout: 2)
        #expect(future.status == 200)
        #expect(future.events.allSatisfy { $0.seq > seen }, "only new events: \(future.events.prefix(3))")
    }

    @Test("after=SEQ resumes right after SEQ: no duplicate, no gap; after=0 replays all that is kept")
    func afterResumes() throws {
        let daemon = try DaemonHarness(config: "units:\n\(Self.crasher(after: "0.1"))\n")
        defer { daemon.stop() }
        let first = try EventSocket(daemon.socketPath, query: "?since=1h")
        first.startReading()
        #expect(eventually(timeout: 20) { first.events.filter { $0.event == "start" }.count >= 3 })
        first.close()
        let firstEvents = first.events
        let last = try #require(firstEvents.last?.seq)
        // Events go on while no one reads.
        #expect(eventually(timeout: 20) {
            guard let seq = try? Self.latestSeq(daemon) else { return false }
            return seq >= last + 8
        })

        let resumed = try EventSocket(daemon.socketPath, query: "?after=\(last)")
        defer { resumed.close() }
        #expect(resumed.read(until: { $0.events.count >= 8 }, timeout: 10), "\(resumed.events.map(\.seq))")
        let seqs = resumed.events.map(\.seq)
        #expect(seqs.first == last + 1, "after=\(last): \(seqs.prefix(5))")
        #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $1 == $0 + 1 }, "\(seqs)")
        #expect(Set(seqs).isDisjoint(with: firstEvents.map(\.seq)), "nothing read twice")

        let all = try EventSocket(daemon.socketPath, query: "?after=0")
        defer { all.close() }
        #expect(all.read(until: { $0.events.count >= Int(last) }, timeout: 10))
        #expect(all.events.first?.seq == 1)
        #expect(Array(all.events.prefix(firstEvents.count)) == firstEvents, "the same events under the same seqs")
        // after= a seq still to come: only new events, from the next one on.
        let ahead = try EventSocket(daemon.socketPath, query: "?after=\(last + 1_000_000)")
        defer { ahead.close() }
        #expect(ahead.read(until: { !$0.events.isEmpty }, timeout: 10))
        #expect(ahead.events.first.map { $0.seq > last } == true)
        // after wins over since when both are given? The API takes after; the CLI refuses both.
        let both = try daemon.cli(["events", "--since", "1m", "--after", "3"])
        #expect(both.code == 64, "\(both)")
        #expect(both.output.contains("--since and --after both say where to start: give one"), "\(both.output)")
    }

    @Test("bad since or after: 400 with what was expected; the CLI checks --since before asking")
    func badQueries() throws {
        let daemon = try DaemonHarness(config: "units:\n\(Self.sleeper)\n")
        defer { daemon.stop() }
        for (query, message) in [
            ("since=yesterday", "since=yesterday: expected a duration such as 10m or 2h, or a UTC time such as 2026-11-29T18:00:00Z"),
            ("since=10x", "since=10x: expected a duration such as 10m or 2h"),
            ("since=2026-11-29", "since=2026-11-29: expected a duration"),
            ("since=2026-11-29T18:00:00%2B01:00", "since=2026-11-29T18:00:00+01:00: expected a duration"),
            ("since=", "since=: expected a duration"),
            ("after=abc", "after=abc: expected the sequence number of the last event read, such as after=42"),
            ("after=-1", "after=-1: expected the sequence number"),
            ("after=1.5", "after=1.5: expected the sequence number"),
            ("after=", "after=: expected the sequence number"),
            ("since=1m&after=3", "since and after both say where to start: give one"),
        ] {
            let answer = try daemon.client.stream("/v1/events?\(query)") { _ in true }
            #expect(answer.status == 400, "\(query): \(answer.status)")
            let error = try? JSONDecoder().decode(ErrorResponse.self, from: Data(answer.body))
            #expect(error?.error.hasPrefix(message) == true, "\(query): \(String(decoding: answer.body, as: UTF8.self))")
        }
        // The daemon is none the worse.
        #expect(try daemon.client.request("GET", "/v1/units").status == 200)
        let cli = try daemon.cli(["events", "--since", "yesterday"])
        #expect(cli.code == 64, "\(cli)")
        #expect(cli.output.contains("--since yesterday: expected a duration such as 10m or 2h"), "\(cli.output)")
    }

    @Test("supervise events --since 1m --json prints the API's JSON lines; --unit prints text lines of that unit")
    func cli() throws {
        let daemon = try DaemonHarness(config: "units:\n\(Self.sleeper)\n\(Self.crasher())\n")
        defer { daemon.stop() }
        try #require(daemon.waitForRunning("sleeper") != nil)

        let json = try TestProcess(Binaries.supervise, ["events", "--since", "1m", "--json", "--socket", daemon.socketPath])
        defer { json.stop() }
        let text = try TestProcess(Binaries.supervise, ["events", "--unit", "crasher", "--socket", daemon.socketPath])
        defer { text.stop() }
        #expect(json.waitForOutput(timeout: 20) { out in
            out.contains(#""event":"ready""#) && out.components(separatedBy: #""event":"start""#).count > 3
        }, "\(json.output)")
        #expect(text.waitForOutput(timeout: 20) { $0.contains("  exit  ") && $0.contains("  start  ") }, "\(text.output)")
        // Both follow until stopped (by PID).
        #expect(json.process.isRunning && text.process.isRunning)
        json.stop()
        text.stop()

        let jsonLines = json.output.split(separator: "\n").map(String.init)
        let decoder = JSONDecoder()
        let events = jsonLines.compactMap { try? decoder.decode(SupervisionEvent.self, from: Data($0.utf8)) }
        #expect(events.count == jsonLines.count,
                "every line is an event: \(jsonLines.filter { (try? decoder.decode(SupervisionEvent.self, from: Data($0.utf8))) == nil })")
        #expect(events.first?.seq == 1)
        #expect(events.contains { $0.event == "daemon-start" })
        #expect(jsonLines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") && $0.contains(#""seq":"#) })
        // The API's own bytes: sorted keys, snake_case, absent values left out.
        let line = try #require(jsonLines.first { $0.contains(#""event":"exit""#) })
        #expect(line.range(of: #"^\{"event":"exit","exit":"exit code 3","level":"warning","message":"exited: [^"]*","seq":\d+,"time":"[^"]+","unit":"crasher"\}$"#,
                            options: .regularExpression) != nil, "\(line)")

        let textLines = text.output.split(separator: "\n").map(String.init)
        #expect(!textLines.isEmpty)
        // `TIME  LEVEL    UNIT  EVENT  MESSAGE`
        let pattern = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  [a-z]+ +crasher  [a-z-]+  .+$"#
        #expect(textLines.allSatisfy { $0.range(of: pattern, options: .regularExpression) != nil }, "\(textLines)")
        #expect(textLines.contains { $0.contains("Z  warning  crasher  exit  exited: exit code 3 after ") }, "\(textLines)")
        #expect(!text.output.contains("sleeper"))
    }

    @Test("a reader that never reads is dropped with a last reader-dropped line, and counted; supervision, the status and a fast reader go on meanwhile")
    func slowReaderIsDropped() throws {
        // Eight units crash as fast as they can: thousands of events within seconds.
        let units = Self.crashLoops(8)
        let daemon = try DaemonHarness(config: "units:\n\(Self.sleeper)\n\(units)\n")
        defer { daemon.stop() }

        let slow = try EventSocket(daemon.socketPath, receiveBuffer: 4096)
        defer { slow.close() }
        let fast = try EventSocket(daemon.socketPath)
        defer { fast.close() }
        fast.startReading()
        let started = Date()

        // The slow reader sends its request and then reads nothing. Meanwhile the status answers promptly.
        var slowest = 0.0
        var statusAnswers = 0
        let dropped = try eventually(timeout: 120) {
            let asked = Date()
            if let response = try? daemon.client.request("GET", "/v1/units"), response.status == 200 {
                statusAnswers += 1
                slowest = max(slowest, Date().timeIntervalSince(asked))
            }
            usleep(200_000)
            return (Self.metric(try daemon.metrics(), "supervise_event_readers_dropped_total") ?? 0) >= 1
        }
        let elapsed = Date().timeIntervalSince(started)
        let fastAtDrop = fast.events.count
        print("EventStreamTests: slow reader dropped after \(String(format: "%.1f", elapsed)) s, \(fastAtDrop) events; "
            + "\(statusAnswers) status answers, the slowest in \(String(format: "%.3f", slowest)) s")
        #expect(dropped, "never dropped; fast reader has \(fast.events.count) events")
        // And while the dropped stream still sits in its socket, unread.
        for _ in 0..<5 {
            let asked = Date()
            #expect(try daemon.client.request("GET", "/v1/units").status == 200)
            statusAnswers += 1
            slowest = max(slowest, Date().timeIntervalSince(asked))
        }
        #expect(slowest < 3, "GET /v1/units took \(slowest) s at the slowest (of \(statusAnswers)) while events piled up")

        // The slow reader's socket: what fitted, then the note, then the end of the stream.
        let reading = Date()
        #expect(slow.read(until: { $0.ended }, timeout: 30), "the dropped stream ends: \(slow.lines.suffix(2))")
        print("EventStreamTests: the dropped stream read to its end in \(String(format: "%.2f", Date().timeIntervalSince(reading))) s")
        #expect(slow.status == 200)
        let last = try #require(slow.events.last, "\(slow.lines.suffix(2))")
        #expect(last.event == "reader-dropped", "\(slow.lines.suffix(3))")
        #expect(last.level == "warning")
        #expect(last.unit == nil)
        #expect(last.message.contains("fell more than 1000 events behind and was dropped"), "\(last.message)")
        #expect(last.message.contains("?after=SEQ"))
        #expect(slow.chunkedEnd, "the chunked body ends properly")
        let slowSeqs = slow.events.dropLast().map(\.seq)
        #expect(slowSeqs.count >= 1000, "it had at least the buffer's worth: \(slowSeqs.count)")
        #expect(zip(slowSeqs, slowSeqs.dropFirst()).allSatisfy { $1 > $0 }, "in order")
        #expect(slowSeqs.last.map { last.seq >= $0 } == true)
        #expect(!slow.events.dropLast().contains { $0.event == "reader-dropped" })

        // The fast reader was not dropped, missed nothing and keeps receiving.
        let waiting = Date()
        #expect(eventually(timeout: 20) { fast.events.count >= fastAtDrop + 100 }, "\(fastAtDrop) → \(fast.events.count)")
        print("EventStreamTests: the fast reader had 100 more events \(String(format: "%.2f", Date().timeIntervalSince(waiting))) s later")
        let fastEvents = fast.events
        #expect(!fastEvents.contains { $0.event == "reader-dropped" })
        #expect(!fast.ended)
        let fastSeqs = fastEvents.map(\.seq)
        #expect(zip(fastSeqs, fastSeqs.dropFirst()).allSatisfy { $1 == $0 + 1 },
                "no gaps: \(zip(fastSeqs, fastSeqs.dropFirst()).first { $1 != $0 + 1 }.map { "\($0) → \($1)" } ?? "")")
        #expect(fastEvents.count >= 1000, "\(fastEvents.count)")
        // Each event the slow one had is the fast one's too.
        let bySeq = Dictionary(fastEvents.map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
        let shared = slow.events.dropLast().filter { bySeq[$0.seq] != nil }
        #expect(!shared.isEmpty && shared.allSatisfy { bySeq[$0.seq] == $0 })

        // Only the last 1,000 events are kept for replay.
        let replay = try EventSocket(daemon.socketPath, query: "?after=0")
        defer { replay.close() }
        #expect(replay.read(until: { $0.events.count >= 1000 }, timeout: 10))
        replay.close() // before it falls behind in turn
        let replayed = replay.events.map(\.seq)
        #expect(replayed.first.map { $0 > 1 } == true, "the first events are gone: \(replayed.prefix(3))")
        #expect(zip(replayed, replayed.dropFirst()).allSatisfy { $1 == $0 + 1 })

        // Supervision went on: the loops kept being restarted, the sleeper still runs.
        let loops = try daemon.units().filter { $0.name.hasPrefix("loop-") }
        #expect(loops.allSatisfy { $0.restarts > 10 }, "\(loops.map { "\($0.name) \($0.restarts)" })")
        #expect(try daemon.unit("sleeper")?.state == "running")
        let metrics = try daemon.metrics()
        #expect(Self.metric(metrics, "supervise_event_readers_dropped_total") == 1, "only the slow one")
        let stopping = Date()
        daemon.stop()
        print("EventStreamTests: the crash-looping daemon stopped in \(String(format: "%.2f", Date().timeIntervalSince(stopping))) s")
    }

    @Test("readers that come and go while events pour in never stop the daemon")
    func readersComeAndGo() throws {
        let units = Self.crashLoops(4)
        let daemon = try DaemonHarness(config: "units:\n\(Self.sleeper)\n\(units)\n")
        defer { daemon.stop() }
        let started = Date()
        var cycles = 0
        // Each reader reads a little and leaves: its stream ends while events are being published.
        while cycles < 300 && Date().timeIntervalSince(started) < 30 {
            let reader = try EventSocket(daemon.socketPath, query: cycles % 3 == 0 ? "?unit=loop-1" : "")
            let read = reader.read(until: { !$0.events.isEmpty }, timeout: 5)
            reader.close()
            cycles += 1
            guard read else { break } // the daemon has stopped answering
        }
        let answered = Date()
        let status = try daemon.client.request("GET", "/v1/units")
        let took = Date().timeIntervalSince(answered)
        print("EventStreamTests: \(cycles) readers came and went in \(String(format: "%.1f", answered.timeIntervalSince(started))) s; "
            + "then GET /v1/units in \(String(format: "%.3f", took)) s")
        #expect(status.status == 200)
        #expect(took < 3)
        // Supervision goes on: a new reader sees new restarts.
        let last = try EventSocket(daemon.socketPath)
        defer { last.close() }
        #expect(last.read(until: { $0.events.filter { $0.event == "start" }.count >= 5 }, timeout: 10))
        #expect(eventually(timeout: 5) { (try? daemon.units())?.count == 5 })
        // And it stops when asked.
        let process = try #require(daemon.process)
        process.signal(SIGTERM)
        #expect(process.waitForExit(timeout: 10) == 0, "\(daemon.output.suffix(1500))")
    }

    @Test("when the daemon shuts down, every reader's stream ends after the shutdown's events, and the CLI exits 0")
    func shutdownEndsStreams() throws {
        let daemon = try DaemonHarness(config: "units:\n\(Self.sleeper)\n\(Self.crasher())\n")
        defer { daemon.stop() }
        try #require(daemon.waitForRunning("sleeper") != nil)
        let all = try EventSocket(daemon.socketPath)
        defer { all.close() }
        all.startReading()
        let one = try EventSocket(daemon.socketPath, query: "?unit=sleeper&since=1m")
        defer { one.close() }
        one.startReading()
        // A reader that does not read, but is not behind either.
        let idle = try EventSocket(daemon.socketPath)
        defer { idle.close() }
        let cli = try TestProcess(Binaries.supervise, ["events", "--json", "--socket", daemon.socketPath])
        defer { cli.stop() }
        #expect(eventually(timeout: 10) { all.status == 200 && one.status == 200 && !one.events.isEmpty })
        #expect(eventually(timeout: 10) { !cli.output.isEmpty }, "the CLI follows")

        let process = try #require(daemon.process)
        let stopping = Date()
        process.signal(SIGTERM)
        #expect(all.read(until: { $0.ended }, timeout: 20), "the reader's read returns 0")
        #expect(one.read(until: { $0.ended }, timeout: 20))
        #expect(idle.read(until: { $0.ended }, timeout: 20))
        #expect(cli.waitForExit(timeout: 20) == 0, "\(cli.output)")
        #expect(process.waitForExit(timeout: 20) == 0, "\(daemon.output.suffix(2000))")
        print("EventStreamTests: streams ended \(String(format: "%.2f", Date().timeIntervalSince(stopping))) s after SIGTERM")
        for reader in [all, one, idle] {
            #expect(reader.badLines.isEmpty, "\(reader.badLines)")
        }
        #expect(all.events.contains { $0.event == "shutdown" }, "\(all.events.map(\.event))")
        #expect(one.events.last.map { $0.unit == "sleeper" && $0.event == "exit" } == true,
                "the sleeper's last event is its exit: \(one.events.map(\.event))")
        #expect(idle.events.contains { $0.event == "shutdown" })
        #expect(cli.output.contains(#""event":"shutdown""#))
    }

    // MARK: - Helpers

    /// `count` units `loop-1`… that exit 1 at once and are restarted after 1–5 ms, without a
    /// start limit: thousands of events within seconds.
    static func crashLoops(_ count: Int) -> String {
        (1...count).map { i in
            """
              loop-\(i):
                command: [/bin/sh, -c, "exit 1"]
                restart: {policy: always, backoff: {initial: 1ms, max: 5ms, jitter: 0}, start_limit: {burst: 100000, interval: 1s}}
            """
        }.joined(separator: "\n")
    }

    /// Milliseconds from RFC 3339 time `a` to `b` (both `…T…:SS.mmmZ`), nil when they do not parse.
    static func millisecondsBetween(_ a: String, _ b: String) -> Double? {
        func parse(_ text: String) -> Double? {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.date(from: text)?.timeIntervalSince1970
        }
        guard let x = parse(a), let y = parse(b) else { return nil }
        return (y - x) * 1000
    }

    /// The seq of the newest kept event (a reader with after=0, read briefly).
    static func latestSeq(_ daemon: DaemonHarness) throws -> UInt64? {
        let socket = try EventSocket(daemon.socketPath, query: "?after=0")
        defer { socket.close() }
        socket.read(until: { _ in false }, timeout: 0.3)
        return socket.events.last?.seq
    }

    /// A sample's value in Prometheus text: `name` with exactly `labels`; nil when there is no such line.
    static func metric(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        metricSample(text, name, labels)
    }
}

extension DaemonHarness {
    /// `GET /metrics` on the control socket, as text.
    func metrics() throws -> String {
        let response = try client.request("GET", "/metrics")
        guard response.status == 200 else { throw FixtureFailure(description: "GET /metrics: \(response.status)") }
        return String(decoding: response.body, as: UTF8.self)
    }
}

/// A sample's value in Prometheus text: `name` with exactly `labels` (`name` alone when empty); nil when absent.
func metricSample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        let series = line[..<space]
        let value = line[line.index(after: space)...]
        let seriesName: Substring
        var found: [String: String] = [:]
        if let brace = series.firstIndex(of: "{") {
            seriesName = series[..<brace]
            let inner = series[series.index(after: brace)..<(series.lastIndex(of: "}") ?? series.endIndex)]
            for match in inner.matches(of: /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/) {
                found[String(match.1)] = String(match.2)
            }
        } else {
            seriesName = series
        }
        if seriesName == name, found == labels { return Double(value) }
    }
    return nil
}

/// `GET /v1/events` over a raw unix socket of the test's own: the request is sent at once; the answer is read only when
/// asked (``read(until:timeout:)``) or by a thread of its own (``startReading()``). It shows the head, the lines of the
/// chunked body as events, whether the body's last chunk came and whether the daemon closed the connection (a read
/// returned 0). ``close()`` joins the thread and closes the socket; `deinit` calls it.
final class EventSocket: @unchecked Sendable {
    // @unchecked: the parsed state is behind `lock`; `fd` is closed once, by `close()`, after the thread has ended.
    let fd: Int32
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var headText: String?
    /// The chunked body as the daemon's own client reads it.
    private var chunk = ChunkedDecoder()
    private var partialLine: [UInt8] = []
    private var completeLines: [String] = []
    private var decoded: [SupervisionEvent] = []
    private var undecodable: [String] = []
    private var reachedEnd = false
    private var closed = false
    private let stopping = Atomic<Bool>(false)
    private var readerDone: DispatchSemaphore?

    /// Connects to `socketPath`, with `receiveBuffer` as SO_RCVBUF when given, and sends `GET /v1/events<query>`.
    init(_ socketPath: String, query: String = "", receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        guard withUnixAddress(socketPath, { connect(fd, $0, $1) }) == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw FixtureFailure(description: "connect \(socketPath): \(why)")
        }
        let request = Array("GET /v1/events\(query) HTTP/1.1\r\nHost: supervise\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else {
            Glibc.close(fd)
            throw FixtureFailure(description: "send to \(socketPath) failed")
        }
    }

    deinit { close() }

    /// The status of the answer, once its head has arrived.
    var status: Int? {
        lock.withLock {
            guard let headText, let line = headText.split(separator: "\r\n").first else { return nil }
            let parts = line.split(separator: " ")
            return parts.count >= 2 ? Int(parts[1]) : nil
        }
    }

    var head: String { lock.withLock { headText ?? "" } }
    /// Complete lines of the body so far.
    var lines: [String] { lock.withLock { completeLines } }
    /// Each complete line, decoded.
    var events: [SupervisionEvent] { lock.withLock { decoded } }
    /// Lines that are no event.
    var badLines: [String] { lock.withLock { undecodable } }
    /// The daemon closed the connection (a read returned 0, or failed).
    var ended: Bool { lock.withLock { reachedEnd } }
    /// The chunked body's last (empty) chunk came.
    var chunkedEnd: Bool { lock.withLock { chunk.finished } }

    /// Reads what arrives until `condition` holds, the connection ends, or `timeout` seconds pass; whether
    /// `condition` held. Not while ``startReading()``'s thread reads.
    @discardableResult
    func read(until condition: (EventSocket) -> Bool, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(self) {
            guard !ended, Date() < deadline else { return condition(self) }
            receiveOnce(waitMilliseconds: 20)
        }
        return true
    }

    /// Reads on a thread of its own until the connection ends or ``close()``.
    func startReading() {
        let done = DispatchSemaphore(value: 0)
        lock.withLock { readerDone = done }
        let thread = Thread { [self] in
            while !stopping.load(ordering: .acquiring) && !ended { receiveOnce(waitMilliseconds: 50) }
            done.signal()
        }
        thread.start()
    }

    /// Stops the thread, if any, and closes the socket. Safe to call twice.
    func close() {
        stopping.store(true, ordering: .releasing)
        let (done, first) = lock.withLock { () -> (DispatchSemaphore?, Bool) in
            defer { closed = true; readerDone = nil }
            return (readerDone, !closed)
        }
        done?.wait()
        if first { Glibc.close(fd) }
    }

    private func receiveOnce(waitMilliseconds: Int32) {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, waitMilliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        lock.withLock {
            guard n > 0 else {
                reachedEnd = true
                return
            }
            pending.append(contentsOf: buffer[0..<n])
            parse()
        }
    }

    /// Under `lock`: the head, then the chunked body into lines and events.
    private func parse() {
        if headText == nil {
            guard let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            headText = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
            pending.removeSubrange(..<end.upperBound)
        }
        let chunked = headText?.lowercased().contains("transfer-encoding: chunked") == true
        let body: [UInt8]
        if chunked {
            // A malformed chunk size leaves the rest unread: the test then finds no events.
            body = (try? chunk.decode(&pending)) ?? []
        } else {
            body = pending
            pending.removeAll()
        }
        for byte in body {
            guard byte == 10 else {
                partialLine.append(byte)
                continue
            }
            let line = String(decoding: partialLine, as: UTF8.self)
            partialLine.removeAll(keepingCapacity: true)
            completeLines.append(line)
            if let event = try? JSONDecoder().decode(SupervisionEvent.self, from: Data(line.utf8)) {
                decoded.append(event)
            } else if chunked {
                undecodable.append(line)
            }
        }
        if !chunked, !partialLine.isEmpty {
            // An error answer is one JSON document without a line break.
            completeLines.append(String(decoding: partialLine, as: UTF8.self))
            partialLine.removeAll()
        }
    }
}
