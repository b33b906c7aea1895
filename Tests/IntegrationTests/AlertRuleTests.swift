import Foundation
import Testing

/// alerts/supervise.rules.yml: promtool accepts it, its unit tests (alerts/tests/*.yml) pass, every alert has
/// tests, it uses only the metric names of docs/metrics.md, and its runbook links lead somewhere.
@Suite(.serialized) struct AlertRuleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let rulesFile = repository.appendingPathComponent("alerts/supervise.rules.yml")
    static let testsDirectory = repository.appendingPathComponent("alerts/tests")

    static func testFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: testsDirectory.path)
            .filter { $0.hasSuffix(".yml") }.sorted()
            .map { testsDirectory.appendingPathComponent($0).path }
    }

    static func rulesText() throws -> String { try String(contentsOf: rulesFile, encoding: .utf8) }

    /// The alert names of the rules file, in order.
    static func alertNames() throws -> [String] {
        try rulesText().split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("- alert:") else { return nil }
            return trimmed.dropFirst("- alert:".count).trimmingCharacters(in: .whitespaces)
        }
    }

    @Test func promtoolCheckRulesAcceptsTheRules() throws {
        let result = try Promtool.run(["check", "rules", Self.rulesFile.path])
        #expect(result.code == 0, "promtool check rules \(Self.rulesFile.path) failed:\n\(result.output)")
        let count = try Self.alertNames().count
        #expect(result.output.contains("SUCCESS: \(count) rules found"), "\(result.output)")
    }

    @Test func promtoolUnitTestsOfTheRulesPass() throws {
        let files = try Self.testFiles()
        try #require(!files.isEmpty, "no alerts/tests/*.yml")
        let result = try Promtool.run(["test", "rules"] + files, timeout: 120)
        #expect(result.code == 0, "promtool test rules failed:\n\(result.output)")
        #expect(!result.output.contains("FAILED"), "\(result.output)")
        let passed = result.output.components(separatedBy: "SUCCESS").count - 1
        #expect(passed == files.count, "\(passed) of \(files.count) test files passed:\n\(result.output)")
        print("promtool test rules: \(passed) of \(files.count) files passed")
    }

    @Test func everyAlertHasUnitTests() throws {
        let tests = try Self.testFiles().map { try String(contentsOfFile: $0, encoding: .utf8) }.joined(separator: "\n")
        let tested = Set(tests.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("alertname:") else { return nil }
            return trimmed.dropFirst("alertname:".count).trimmingCharacters(in: .whitespaces)
        })
        let names = try Self.alertNames()
        #expect(names.count >= 7)
        for name in names {
            #expect(tested.contains(name), "alert \(name) has no alert_rule_test in alerts/tests/")
            // A test that only ever expects silence would pass for a rule that cannot fire.
            #expect(tests.contains("alertname: \(name)\n        exp_alerts:\n          - exp_labels"),
                    "no test of \(name) expects it to fire")
        }
    }

    @Test func rulesUseOnlyTheDocumentedMetricNames() throws {
        let documentation = try String(contentsOf: Self.repository.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        let documented = Set(documentation.matches(of: /`(supervise_[a-z0-9_]+)`/).map { String($0.output.1) })
        try #require(documented.count > 10, "docs/metrics.md lists no metrics?")
        let used = Set(try Self.rulesText().matches(of: /\bsupervise_[a-z0-9_]+/).map { String($0.output) })
        #expect(!used.isEmpty)
        for name in used.sorted() {
            // A histogram's series carry suffixes of its documented name.
            let base = ["_bucket", "_sum", "_count"].first { name.hasSuffix($0) }.map { String(name.dropLast($0.count)) }
            #expect(documented.contains(name) || base.map(documented.contains) == true,
                    "\(name) is not in docs/metrics.md")
        }
    }

    /// The rule file in a real Prometheus (scraping only itself, so there is no supervise target): every group
    /// loads and evaluates without errors, and SuperviseTargetMissing goes pending.
    @Test func rulesRunInARealPrometheus() async throws {
        try await withTestPrometheus(job: "self", targets: [TestPrometheus.itself], ruleFiles: [Self.rulesFile.path]) { prometheus in
            let names = try Self.alertNames()
            let loaded = try await prometheus.waitForSeries(#"sum(prometheus_rule_group_rules{job="self"})"#)
            #expect(loaded.first?.value == Double(names.count), "rules loaded: \(loaded)")
            let pending = try await prometheus.waitForSeries(#"ALERTS{alertname="SuperviseTargetMissing"}"#)
            #expect(pending.first?.labels["alertstate"] == "pending", "\(pending)")
            #expect(pending.first?.labels["severity"] == "warning", "\(pending)")
            // Several evaluations of every group, none failed.
            let evaluations = try await prometheus.waitForSeries(
                #"min(prometheus_rule_evaluations_total{job="self"}) >= 3"#, timeout: 30)
            #expect(!evaluations.isEmpty)
            let failures = try await prometheus.query(#"sum(prometheus_rule_evaluation_failures_total{job="self"})"#)
            #expect(failures.first?.value == 0, "rule evaluation failures: \(failures)\n\(prometheus.output)")
        }
    }

    @Test func runbookLinksPointAtFilesOfTheRepository() throws {
        let links = try Self.rulesText().split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("runbook_url:") else { return nil }
            return trimmed.dropFirst("runbook_url:".count).trimmingCharacters(in: .whitespaces)
        }
        #expect(links.count == (try Self.alertNames().count), "every alert has a runbook_url")
        for link in links {
            let path = Self.repository.appendingPathComponent(link).path
            #expect(FileManager.default.fileExists(atPath: path), "runbook_url \(link): no such file")
        }
    }
}
