import Foundation
import SuperviseSystemd
import Testing

/// Log format selection: `JOURNAL_STREAM` must name the file really open on stderr.
@Suite(.serialized) struct JournalLoggingTests {
    @Test func journalStreamMatchesOnlyTheFileOnTheDescriptor() throws {
        let dir = makeTemporaryDirectory("supervise-journal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("stderr").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let file = try #require(FileHandle(forWritingAtPath: path))
        defer { try? file.close() }
        let fd = file.fileDescriptor
        let identity = try #require(JournalStream.identity(of: fd))
        #expect(JournalStream.matches(identity, fd: fd))

        let parts = identity.split(separator: ":")
        #expect(!JournalStream.matches("\(parts[0]):\(UInt64(parts[1])! + 1)", fd: fd), "wrong inode")
        #expect(!JournalStream.matches("\(UInt64(parts[0])! + 1):\(parts[1])", fd: fd), "wrong device")
        for malformed in ["", ":", "12", "a:b", "\(identity):1", " \(identity)"] {
            #expect(!JournalStream.matches(malformed, fd: fd), "\(malformed)")
        }
        // Our own stderr is not that file, and no variable means no journal.
        #expect(!JournalStream.isStderrJournal(environment: ["JOURNAL_STREAM": identity]))
        #expect(!JournalStream.isStderrJournal(environment: [:]))
    }

    @Test func fieldNamesAreJournalSafe() {
        #expect(Journal.fieldName(prefix: "SUPERVISE_", "exit_code") == "SUPERVISE_EXIT_CODE")
        #expect(Journal.fieldName(prefix: "SUPERVISE_", "a-b.c") == "SUPERVISE_A_B_C")
        #expect(Journal.fieldName(prefix: "SUPERVISE_", String(repeating: "x", count: 100)).count == 64)
    }

    /// `supervise run` in a child process whose stderr is a file: with `JOURNAL_STREAM` naming a
    /// different file it writes plain lines; naming its stderr it writes to the journal (on a host
    /// without journald: `<N>`-prefixed lines, journald's stream syntax), never plain lines.
    @Test func daemonChoosesTheJournalOnlyWhenStderrIsTheJournalStream() throws {
        let dir = makeTemporaryDirectory("supervise-journal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("supervise.yaml").path
        try "units:\n  a: {command: [sleep, \"1000\"]}\n".write(toFile: config, atomically: true, encoding: .utf8)

        func run(_ name: String, journalStream: (FileHandle) -> String?) throws -> String {
            let path = dir.appendingPathComponent("\(name).stderr").path
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let stderr = try #require(FileHandle(forWritingAtPath: path))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Binaries.supervise)
            process.arguments = ["run", "--config", config, "--socket", dir.appendingPathComponent("\(name).sock").path,
                                 "--state-dir", dir.appendingPathComponent("\(name)-state").path]
            var env = ProcessInfo.processInfo.environment
            env.removeValue(forKey: "NOTIFY_SOCKET")
            env["JOURNAL_STREAM"] = journalStream(stderr)
            process.environment = env
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            try? stderr.close()
            defer {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
            }
            let read = { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
            let socket = dir.appendingPathComponent("\(name).sock").path
            let hostJournal = FileManager.default.fileExists(atPath: "/run/systemd/journal/socket")
            let started = eventually(timeout: 15) {
                read().contains("a: started, pid") || (hostJournal && FileManager.default.fileExists(atPath: socket))
            }
            #expect(started, "\(name): \(read())")
            kill(process.processIdentifier, SIGTERM)
            _ = eventually(timeout: 15) { !process.isRunning }
            return read()
        }

        let plain = try run("wrong") { _ in "1:1" }
        #expect(plain.contains(" info    a: started, pid"), "plain lines expected:\n\(plain)")

        let journal = try run("right") { JournalStream.identity(of: $0.fileDescriptor) }
        #expect(!journal.contains(" info    "), "no plain lines expected:\n\(journal)")
        if !FileManager.default.fileExists(atPath: "/run/systemd/journal/socket") {
            #expect(journal.contains("<6>a: started, pid"), "<N>-prefixed fallback lines expected:\n\(journal)")
        }
    }
}
