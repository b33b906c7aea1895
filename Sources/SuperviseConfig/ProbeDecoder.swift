import SuperviseCore
import Yams

/// Reading `liveness` and `readiness`: one check (`http`, `tcp` or `exec`) with its timing and thresholds.
extension Diagnostics {
    static let probeExpected = "a mapping with exactly one of http, tcp or exec, such as "
        + "{http: {url: \"http://127.0.0.1:8080/\"}, interval: 5s}, or none"
    static let oneCheckExpected = "exactly one of \(Section.list(Schema.probeChecks))"
    static let urlExpected = "an http:// or https:// URL such as http://127.0.0.1:8080/healthz"
    static let statusExpected =
        "an HTTP status code from 100 to 599, or a range LOW-HIGH of them, such as 200 or 200-399"
    static let portExpected = "a port number from 1 to 65535"
    static let hostExpected = "a host name or IP address such as 127.0.0.1, without blanks or /"
    static let thresholdExpected = "a whole number of at least 1, such as 3"
    static let execExpected =
        "a command as a list, such as [sh, -c, \"test -f /tmp/ok\"], or a mapping {command: [...]}"

    static let networkExpected = "host or container"

    /// A probe: a mapping with one check and optional timing, or `none` (no probe, not even the one in `defaults`).
    /// `network` is allowed unless `owner` is a process unit. Anything wrong is reported, and then gives `.none`.
    func probe(_ entry: Entry, owner: LayerOwner) -> ProbeSetting {
        let node = entry.value
        if node.text == "none" { return .none }
        if case .scalar = node {
            report(node, entry.path, expected: Diagnostics.probeExpected)
            return .none
        }
        let errorsBefore = errors.count
        let section = owner == .process ? Schema.probe : Schema.containerProbe
        guard let fields = fields(of: node, at: entry.path, section: section, expected: Diagnostics.probeExpected)
        else { return .none }

        let checks = exclusive(Schema.probeChecks, in: fields, expected: Diagnostics.oneCheckExpected)
        if checks.isEmpty {
            report(entry.keyNode, entry.path, found: "no \(Section.list(Schema.probeChecks))",
                   expected: Diagnostics.oneCheckExpected)
        }
        let decoded = checks.map(probeCheck)

        var spec = ProbeSpec(check: .exec(command: []))
        if let entry = fields["interval"], let value = duration(entry.value, entry.path, positive: true) {
            spec.interval = value
        }
        if let entry = fields["timeout"], let value = duration(entry.value, entry.path, positive: true) {
            spec.timeout = value
        }
        if let entry = fields["failure_threshold"], let value = threshold(entry) { spec.failureThreshold = value }
        if let entry = fields["success_threshold"], let value = threshold(entry) { spec.successThreshold = value }
        if let entry = fields["start_period"], let value = duration(entry.value, entry.path, positive: false) {
            spec.startPeriod = value
        }
        if let entry = fields["initial_delay"], let value = duration(entry.value, entry.path, positive: false) {
            spec.initialDelay = value
        }
        let network = fields["network"]
        if let network, let value = probeNetwork(network) {
            spec.network = value
            if value == .container, checks.count == 1, checks[0].key == "exec" {
                report(network.value, network.path, found: "\"container\" with an exec check",
                       expected: "host (an exec check runs on the host; network applies to http and tcp checks)")
            }
        }
        guard errors.count == errorsBefore, decoded.count == 1, let check = decoded[0] else { return .none }
        spec.check = check
        return .probe(spec, network: network)
    }

    /// `network`: `host` or `container`.
    func probeNetwork(_ entry: Entry) -> ProbeNetwork? {
        guard let text = text(entry.value, entry.path, expected: Diagnostics.networkExpected) else { return nil }
        if let network = ProbeNetwork(rawValue: text) { return network }
        let hint = KeySuggestion.didYouMean(text, among: Schema.probeNetworks).map { " (\($0))" } ?? ""
        report(entry.value, entry.path, expected: Diagnostics.networkExpected + hint)
        return nil
    }

    /// `failure_threshold` or `success_threshold`: at least 1.
    private func threshold(_ entry: Entry) -> Int? {
        integer(entry.value, entry.path, in: 1...Int.max, expected: Diagnostics.thresholdExpected)
    }

    /// The check under `http`, `tcp` or `exec`.
    private func probeCheck(_ entry: Entry) -> ProbeCheck? {
        switch entry.key {
        case "http": httpCheck(entry).map(ProbeCheck.http)
        case "tcp": tcpCheck(entry)
        default: execCheck(entry)
        }
    }

    /// `http`: a mapping with `url`, `status`, `body_contains` and `headers`, or just the URL.
    func httpCheck(_ entry: Entry) -> HTTPCheck? {
        if case .scalar = entry.value, !entry.value.isNull {
            return url(entry.value, entry.path).map { HTTPCheck(url: $0) }
        }
        let expected = "an http:// or https:// URL, or \(Schema.http.mappingPhrase)"
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.http, expected: expected) else {
            return nil
        }
        let errorsBefore = errors.count
        var check = HTTPCheck(url: "")
        if let url = fields["url"] {
            check.url = self.url(url.value, url.path) ?? ""
        } else {
            report(entry.keyNode, KeyPath.join(entry.path, "url"), found: "no \"url\"",
                   expected: Diagnostics.urlExpected)
        }
        if let status = fields["status"], let range = statusRange(status.value, status.path) {
            (check.statusMin, check.statusMax) = (range.lowerBound, range.upperBound)
        }
        if let body = fields["body_contains"] {
            check.bodyContains = text(body.value, body.path, expected: "a string to look for in the response body")
            if check.bodyContains?.isEmpty == true {
                report(body.value, body.path, found: "an empty string",
                       expected: "a string to look for in the response body (leave body_contains out to accept any)")
            }
        }
        if let headers = fields["headers"] { check.headers = self.headers(headers) }
        return errors.count == errorsBefore ? check : nil
    }

    /// An `http://` or `https://` URL with a host.
    func url(_ node: Node, _ path: String) -> String? {
        guard let text = text(node, path, expected: Diagnostics.urlExpected) else { return nil }
        let lowered = text.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lowered.hasPrefix($0) }),
              let first = text.unicodeScalars.dropFirst(scheme.count).first, first != "/",
              !text.unicodeScalars.contains(where: Diagnostics.isBlankOrControl)
        else {
            report(node, path, expected: Diagnostics.urlExpected)
            return nil
        }
        return text
    }

    /// `status`: a code (`200`) or an inclusive range (`200-399`) within 100...599.
    func statusRange(_ node: Node, _ path: String) -> ClosedRange<Int>? {
        guard let text = text(node, path, expected: Diagnostics.statusExpected) else { return nil }
        let codes = text.split(separator: "-", omittingEmptySubsequences: false).map { part in
            let digits = part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
            return digits.allSatisfy { $0.isASCII && $0.isNumber } ? Int(String(digits)) : nil
        }
        guard (1...2).contains(codes.count), let low = codes.first ?? nil, let high = codes.last ?? nil,
              (100...599).contains(low), (100...599).contains(high) else {
            report(node, path, expected: Diagnostics.statusExpected)
            return nil
        }
        guard low <= high else {
            report(node, path, expected: "a range LOW-HIGH with LOW no greater than HIGH, such as 200-399")
            return nil
        }
        return low...high
    }

    /// `headers`: a mapping of header names to one-line values.
    func headers(_ entry: Entry) -> [String: String] {
        let expected = "a mapping of header names to values, such as {X-Probe: supervise}"
        guard let entries = entries(of: entry.value, at: entry.path, expected: expected) else { return [:] }
        var result: [String: String] = [:]
        for header in entries {
            guard Diagnostics.isHeaderName(header.key) else {
                report(header.keyNode, header.path, found: quoted(header.key),
                       expected: "a header name of letters, digits and !#$%&'*+-.^_`|~")
                continue
            }
            let valueExpected = "a header value on one line"
            guard let value = text(header.value, header.path, expected: valueExpected) else { continue }
            guard !value.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) else {
                report(header.value, header.path, expected: valueExpected)
                continue
            }
            result[header.key] = value
        }
        return result
    }

    /// Whether `scalar` is white space or a control character.
    static func isBlankOrControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F
    }

    /// An HTTP token (RFC 9110): letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0))
        }
    }

    /// `tcp`: a mapping with `host` (default 127.0.0.1) and `port`, or just the port.
    func tcpCheck(_ entry: Entry) -> ProbeCheck? {
        if case .scalar = entry.value, !entry.value.isNull {
            return probePort(entry.value, entry.path).map { ProbeCheck.tcp(host: "127.0.0.1", port: $0) }
        }
        let expected = "a port number, or \(Schema.tcp.mappingPhrase)"
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.tcp, expected: expected) else {
            return nil
        }
        var host: String? = "127.0.0.1"
        if let entry = fields["host"] { host = self.host(entry.value, entry.path) }
        guard let portEntry = fields["port"] else {
            report(entry.keyNode, KeyPath.join(entry.path, "port"), found: "no \"port\"",
                   expected: Diagnostics.portExpected)
            return nil
        }
        guard let port = probePort(portEntry.value, portEntry.path), let host else { return nil }
        return .tcp(host: host, port: port)
    }

    /// A `tcp` check's port, or `{port}` (kept as `ProcessService.tcpPortPlaceholder`; where it cannot be filled,
    /// `PlaceholderCheck` reports it).
    private func probePort(_ node: Node, _ path: String) -> Int? {
        node.text == ReplicaPlaceholder.port.rawValue ? ProcessService.tcpPortPlaceholder : port(node, path)
    }

    func port(_ node: Node, _ path: String) -> Int? {
        integer(node, path, in: 1...65535, expected: Diagnostics.portExpected)
    }

    /// A host name or address: not empty, no blanks, control characters or `/`.
    func host(_ node: Node, _ path: String) -> String? {
        guard let text = text(node, path, expected: Diagnostics.hostExpected) else { return nil }
        guard !text.isEmpty, !text.unicodeScalars.contains(where: { Diagnostics.isBlankOrControl($0) || $0 == "/" })
        else {
            report(node, path, expected: Diagnostics.hostExpected)
            return nil
        }
        return text
    }

    /// `exec`: a command as a list, or a mapping with `command`.
    func execCheck(_ entry: Entry) -> ProbeCheck? {
        if case .sequence = entry.value { return command(entry).map { ProbeCheck.exec(command: $0) } }
        guard case .mapping = entry.value else {
            report(entry.value, entry.path, expected: Diagnostics.execExpected)
            return nil
        }
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.exec,
                                  expected: Diagnostics.execExpected) else { return nil }
        guard let commandEntry = fields["command"] else {
            report(entry.keyNode, KeyPath.join(entry.path, "command"), found: "no \"command\"",
                   expected: Schema.commandExpected)
            return nil
        }
        return command(commandEntry).map { ProbeCheck.exec(command: $0) }
    }
}
