#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SuperviseConfig
import SuperviseCore
import Yams

/// Reads Compose files (the keys `supervise export kubernetes` uses) into a ``ComposeProject``.
///
/// Several files are merged as `docker compose -f a.yml -f b.yml` merges them: a later file's scalar keys replace an
/// earlier one's, `environment`, `labels` and `depends_on` are merged entry by entry, `ports` and `env_file` are
/// added to. Values are interpolated (`${VERSION:-latest}`) with the variables given. Every problem is reported at
/// once, each with `file:line:column`, the key path, what was found and what was expected, as the configuration's
/// own errors are; keys the export does not carry over become ``ExportNotice``s.
public enum ComposeReader {
    /// Reads and merges the files at `paths`, in order.
    ///
    /// - Throws: ``InvalidConfig`` with every problem of every file.
    public static func load(paths: [String], variables: [String: String]) throws -> ComposeProject {
        var texts: [(file: String, yaml: String)] = []
        var errors: [ConfigDiagnostic] = []
        for path in paths {
            switch readFile(path) {
            case .success(let text): texts.append((path, text))
            case .failure(let reason):
                errors.append(ConfigDiagnostic(file: path, line: 0, column: 0, keyPath: "",
                                               found: "an error opening the file: \(reason)",
                                               expected: "a readable Compose file"))
            }
        }
        guard errors.isEmpty else { throw InvalidConfig(errors) }
        return try parse(texts, variables: variables)
    }

    /// Parses and merges `files` (name and text), in order.
    ///
    /// - Throws: ``InvalidConfig`` with every problem of every file.
    public static func parse(_ files: [(file: String, yaml: String)], variables: [String: String]) throws -> ComposeProject {
        var project = ComposeProject(name: nil, services: [], files: files.map(\.file), notices: [])
        var errors: [ConfigDiagnostic] = []
        for (file, yaml) in files {
            let reader = ComposeFileReader(file: file, interpolation: ComposeInterpolation(variables: variables))
            reader.read(yaml)
            errors += reader.errors
            project.notices += reader.notices
            if let name = reader.projectName { project.name = name }
            for service in reader.services {
                if let index = project.services.firstIndex(where: { $0.name == service.name }) {
                    project.services[index].merge(service)
                } else {
                    project.services.append(service)
                }
            }
        }
        errors += dependencyErrors(project.services)
        guard errors.isEmpty else { throw InvalidConfig(errors) }
        return project
    }

    /// `depends_on` naming a service no file defines: Compose refuses the project.
    static func dependencyErrors(_ services: [ComposeService]) -> [ConfigDiagnostic] {
        let names = services.map(\.name)
        return services.flatMap { service in
            service.dependsOn.filter { !names.contains($0.service) }.map { dependency in
                ConfigDiagnostic(file: dependency.place.file, line: dependency.place.line, column: dependency.place.column,
                                 keyPath: dependency.place.keyPath, found: "\"\(dependency.service)\"",
                                 expected: "a service of the Compose files (\(names.joined(separator: ", "))); "
                                     + "give the file that defines it with another --compose")
            }
        }
    }

    static func readFile(_ path: String) -> Result<String, ReadFailure> {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return .failure(ReadFailure(reason: String(cString: strerror(errno)))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(reason: String(cString: strerror(errno))))
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    struct ReadFailure: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }
}

extension ComposeService {
    /// `later` laid over this service, as Compose merges a service defined in several files.
    mutating func merge(_ later: ComposeService) {
        if let laterImage = later.image {
            image = laterImage
            imagePlace = later.imagePlace
        }
        command = later.command ?? command
        entrypoint = later.entrypoint ?? entrypoint
        for variable in later.environment {
            if let index = environment.firstIndex(where: { $0.name == variable.name }) {
                environment[index] = variable
            } else {
                environment.append(variable)
            }
        }
        envFiles += later.envFiles
        for port in later.ports where !ports.contains(port) { ports.append(port) }
        replicas = later.replicas ?? replicas
        limits = ComposeResources(milliCPU: later.limits.milliCPU ?? limits.milliCPU,
                                  memoryBytes: later.limits.memoryBytes ?? limits.memoryBytes)
        reservations = ComposeResources(milliCPU: later.reservations.milliCPU ?? reservations.milliCPU,
                                        memoryBytes: later.reservations.memoryBytes ?? reservations.memoryBytes)
        healthcheck = later.healthcheck ?? healthcheck
        for dependency in later.dependsOn {
            if let index = dependsOn.firstIndex(where: { $0.service == dependency.service }) {
                dependsOn[index] = dependency
            } else {
                dependsOn.append(dependency)
            }
        }
        if let restart = later.restart {
            self.restart = restart
            restartPlace = later.restartPlace
        }
        for label in later.labels {
            if let index = labels.firstIndex(where: { $0.key == label.key }) {
                labels[index] = label
            } else {
                labels.append(label)
            }
        }
        stopGracePeriod = later.stopGracePeriod ?? stopGracePeriod
        unexported += later.unexported
    }
}

/// Reads one Compose file, collecting errors and notices.
final class ComposeFileReader {
    let file: String
    let interpolation: ComposeInterpolation
    var errors: [ConfigDiagnostic] = []
    var notices: [ExportNotice] = []
    var services: [ComposeService] = []
    var projectName: String?

    init(file: String, interpolation: ComposeInterpolation) {
        self.file = file
        self.interpolation = interpolation
    }

    /// Top-level keys that are read, and those whose content has no place in the manifests.
    static let topLevelIgnored: Set<String> = ["version"]
    static let topLevelUnexported = ["networks", "volumes", "secrets", "configs", "include", "models"]

    func read(_ yaml: String) {
        let text = yaml.unicodeScalars.first == "\u{FEFF}" ? String(yaml.unicodeScalars.dropFirst()) : yaml
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            errors.append(syntaxError(error))
            return
        } catch {
            errors.append(ConfigDiagnostic(file: file, line: 0, column: 0, keyPath: "", found: "\(error)",
                                           expected: "valid YAML"))
            return
        }
        guard let root, let top = mapping(root, "", expected: "a Compose file: a mapping with services") else {
            if root == nil { report(nil, "", found: "an empty file", expected: "a Compose file with services") }
            return
        }
        for (key, keyNode, value) in top {
            switch key {
            case "services":
                guard let entries = mapping(value, "services", expected: "a mapping of service names to services") else {
                    continue
                }
                for (name, nameNode, body) in entries { service(name, nameNode, body) }
            case "name":
                projectName = string(value, "name", expected: "a project name")
            case _ where Self.topLevelIgnored.contains(key) || key.hasPrefix("x-"):
                continue
            case _ where Self.topLevelUnexported.contains(key):
                notices.append(ExportNotice(place(keyNode, key),
                    "not exported: declare the cluster's \(key) separately (PersistentVolumeClaims, Secrets, "
                        + "ConfigMaps; a cluster network needs no declaration)"))
            default:
                notices.append(ExportNotice(place(keyNode, key), "unknown top-level key, not exported"))
            }
        }
        if top.first(where: { $0.0 == "services" }) == nil {
            report(root, "", found: "no \"services\"", expected: "a Compose file with services")
        }
    }

    // MARK: Services

    static let serviceKeys: Set<String> = [
        "image", "command", "entrypoint", "environment", "env_file", "ports", "deploy", "scale", "healthcheck",
        "depends_on", "restart", "labels", "stop_grace_period",
    ]

    private func service(_ name: String, _ nameNode: Node, _ body: Node) {
        let path = "services.\(name)"
        var service = ComposeService(name: name, place: place(nameNode, path))
        guard isServiceName(name) else {
            report(nameNode, path, found: quoted(name),
                   expected: "a service name of letters, digits, . _ and -, starting with a letter or digit")
            return
        }
        if body.isNull { services.append(service); return }
        guard let keys = mapping(body, path, expected: "a mapping of service keys such as image and command") else {
            return
        }
        for (key, keyNode, value) in keys {
            let keyPath = "\(path).\(key)"
            switch key {
            case "image":
                service.image = string(value, keyPath, expected: "an image reference such as redis:7")
                service.imagePlace = place(value, keyPath)
            case "command": service.command = commandLine(value, keyPath)
            case "entrypoint": service.entrypoint = commandLine(value, keyPath)
            case "environment": service.environment = environment(value, keyPath)
            case "env_file": service.envFiles = envFiles(value, keyPath)
            case "ports": service.ports = ports(value, keyPath)
            case "deploy": deploy(value, keyPath, into: &service)
            case "scale": service.replicas = service.replicas ?? count(value, keyPath)
            case "healthcheck": service.healthcheck = healthcheck(value, keyPath, key: keyNode)
            case "depends_on": service.dependsOn = dependsOn(value, keyPath)
            case "restart":
                service.restart = restartPolicy(value, keyPath)
                service.restartPlace = place(value, keyPath)
            case "labels": service.labels = pairs(value, keyPath, what: "label")
            case "stop_grace_period":
                service.stopGracePeriod = duration(value, keyPath)
            case _ where key.hasPrefix("x-"):
                continue
            default:
                service.unexported.append(place(keyNode, keyPath))
            }
        }
        services.append(service)
    }

    private func isServiceName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIIAlphanumeric else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "._-".unicodeScalars.contains($0) }
    }

    /// `command` / `entrypoint`: a list of strings, or one string split into words as Compose splits it.
    private func commandLine(_ node: Node, _ path: String) -> [String]? {
        if node.isNull { return nil }
        if case .sequence(let items) = node {
            var words: [String] = []
            for (index, item) in items.enumerated() {
                guard let word = string(item, "\(path)[\(index)]", expected: "a string") else { return nil }
                words.append(word)
            }
            return words
        }
        guard let text = string(node, path, expected: "a command: a list of strings, or a string") else { return nil }
        guard let words = ShellWords.split(text) else {
            report(node, path, found: quoted(text), expected: "a command whose quotes are closed")
            return nil
        }
        return words
    }

    /// `environment`: a list of `NAME=VALUE` (or `NAME`, taken from the variables), or a mapping.
    private func environment(_ node: Node, _ path: String) -> [EnvironmentVariable] {
        var variables: [EnvironmentVariable] = []
        func add(_ name: String, _ value: String?, at node: Node, _ path: String) {
            guard let value else {
                // `NAME` alone (or `NAME:` with no value): Compose takes it from its environment, or leaves it out.
                if let inherited = interpolation.variables[name] {
                    variables.append(EnvironmentVariable(name: name, value: inherited))
                } else {
                    notices.append(ExportNotice(place(node, path),
                        "\(name) has no value here and is not set in the environment of this export: left out, as "
                            + "Compose leaves it out; set it when you export, or put it in a Secret"))
                }
                return
            }
            if let index = variables.firstIndex(where: { $0.name == name }) { variables.remove(at: index) }
            variables.append(EnvironmentVariable(name: name, value: value))
        }
        switch node {
        case .sequence(let items):
            for (index, item) in items.enumerated() {
                let itemPath = "\(path)[\(index)]"
                guard let entry = string(item, itemPath, expected: "NAME=VALUE") else { continue }
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                add(String(parts[0]), parts.count == 2 ? String(parts[1]) : nil, at: item, itemPath)
            }
        case .mapping:
            for (name, _, value) in mapping(value: node) {
                let itemPath = "\(path).\(name)"
                add(name, value.isNull ? nil : string(value, itemPath, expected: "a value"), at: value, itemPath)
            }
        default:
            if !node.isNull {
                report(node, path, expected: "a list of NAME=VALUE or a mapping of names to values")
            }
        }
        return variables
    }

    private func envFiles(_ node: Node, _ path: String) -> [(file: String, place: SourcePlace)] {
        let items: [(Node, String)]
        if case .sequence(let list) = node {
            items = list.enumerated().map { ($0.element, "\(path)[\($0.offset)]") }
        } else {
            items = [(node, path)]
        }
        return items.compactMap { item, itemPath in
            if case .mapping = item {
                let fields = mapping(value: item)
                guard let pathNode = fields.first(where: { $0.0 == "path" })?.2,
                      let file = string(pathNode, "\(itemPath).path", expected: "a file name") else { return nil }
                return (file, place(item, itemPath))
            }
            return string(item, itemPath, expected: "a file name").map { ($0, place(item, itemPath)) }
        }
    }

    /// `labels`: a list of `KEY=VALUE` or a mapping.
    private func pairs(_ node: Node, _ path: String, what: String) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        switch node {
        case .sequence(let items):
            for (index, item) in items.enumerated() {
                guard let entry = string(item, "\(path)[\(index)]", expected: "KEY=VALUE") else { continue }
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                result.append((String(parts[0]), parts.count == 2 ? String(parts[1]) : ""))
            }
        case .mapping:
            for (key, _, value) in mapping(value: node) {
                result.append((key, value.isNull ? "" : string(value, "\(path).\(key)", expected: "a value") ?? ""))
            }
        default:
            if !node.isNull { report(node, path, expected: "a list of KEY=VALUE or a mapping of \(what)s") }
        }
        return result
    }

    // MARK: Ports

    /// `ports`: short (`"8000"`, `"8080:8000"`, `"127.0.0.1:8080:8000/udp"`, ranges) or long form.
    private func ports(_ node: Node, _ path: String) -> [ComposePort] {
        guard case .sequence(let items) = node else {
            if !node.isNull { report(node, path, expected: "a list of ports such as [\"8000:8000\"]") }
            return []
        }
        var result: [ComposePort] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if case .mapping = item {
                if let port = longPort(item, itemPath) { result.append(port) }
                continue
            }
            guard let text = string(item, itemPath, expected: Self.portExpected) else { continue }
            guard let parsed = Self.shortPorts(text) else {
                report(item, itemPath, found: quoted(text), expected: Self.portExpected)
                continue
            }
            result += parsed
        }
        return result
    }

    static let portExpected = "a port such as \"8000\", \"8080:8000\", \"127.0.0.1:8080:8000\" or \"5060:5060/udp\", "
        + "or {target: 8000, published: 8080}"

    /// `[HOST_IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTOCOL]`; nil when malformed.
    static func shortPorts(_ text: String) -> [ComposePort]? {
        var rest = Substring(text)
        var proto = "TCP"
        if let slash = rest.lastIndex(of: "/") {
            guard let known = protocolName(rest[rest.index(after: slash)...]) else { return nil }
            proto = known
            rest = rest[..<slash]
        }
        var hostIP: String?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            hostIP = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        let containerText: Substring
        var hostText: Substring?
        switch parts.count {
        case 1: containerText = parts[0]
        case 2: (hostText, containerText) = (parts[0], parts[1])
        case 3 where hostIP == nil:
            hostIP = String(parts[0])
            (hostText, containerText) = (parts[1], parts[2])
        default: return nil
        }
        if hostText?.isEmpty == true { hostText = nil }
        guard let targets = range(containerText) else { return nil }
        var published: [Int?] = Array(repeating: nil, count: targets.count)
        if let hostText {
            guard let hosts = range(hostText) else { return nil }
            if hosts.count == targets.count {
                published = hosts.map { $0 }
            } else if hosts.count > 1, targets.count == 1 {
                published = [hosts[0]]   // Docker picks one of the range; the first is as good a guess as any
            } else {
                return nil
            }
        }
        return zip(targets, published).map { ComposePort(target: $0, published: $1, hostIP: hostIP, proto: proto) }
    }

    static func protocolName(_ text: Substring) -> String? {
        switch text.lowercased() {
        case "tcp": "TCP"
        case "udp": "UDP"
        case "sctp": "SCTP"
        default: nil
        }
    }

    /// `8000` or `8000-8005` (at most 1000 ports).
    static func range(_ text: Substring) -> [Int]? {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(bounds.count),
              let low = portNumber(bounds[0]), let high = bounds.count == 2 ? portNumber(bounds[1]) : low,
              low <= high, high - low < 1000 else { return nil }
        return Array(low...high)
    }

    static func portNumber(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text),
              (1...65535).contains(port) else { return nil }
        return port
    }

    private func longPort(_ node: Node, _ path: String) -> ComposePort? {
        var port = ComposePort(target: 0)
        for (key, keyNode, value) in mapping(value: node) {
            let keyPath = "\(path).\(key)"
            switch key {
            case "target", "published":
                guard let text = string(value, keyPath, expected: "a port number from 1 to 65535") else { return nil }
                guard let number = Self.portNumber(Substring(text)) else {
                    report(value, keyPath, found: quoted(text), expected: "a port number from 1 to 65535")
                    return nil
                }
                if key == "target" { port.target = number } else { port.published = number }
            case "host_ip": port.hostIP = string(value, keyPath, expected: "an IP address")
            case "protocol":
                guard let text = string(value, keyPath, expected: "tcp, udp or sctp") else { return nil }
                guard let proto = Self.protocolName(Substring(text)) else {
                    report(value, keyPath, found: quoted(text), expected: "tcp, udp or sctp")
                    return nil
                }
                port.proto = proto
            case "mode", "name", "app_protocol":
                continue
            default:
                notices.append(ExportNotice(place(keyNode, keyPath), "not exported"))
            }
        }
        guard port.target > 0 else {
            report(node, path, found: "no \"target\"", expected: "the container's port: {target: 8000}")
            return nil
        }
        return port
    }

    // MARK: deploy

    private func deploy(_ node: Node, _ path: String, into service: inout ComposeService) {
        guard let keys = mapping(node, path, expected: "a mapping such as {replicas: 2}") else { return }
        for (key, keyNode, value) in keys {
            let keyPath = "\(path).\(key)"
            switch key {
            case "replicas": service.replicas = count(value, keyPath)
            case "resources":
                guard let kinds = mapping(value, keyPath, expected: "a mapping with limits and reservations") else {
                    continue
                }
                for (kind, kindNode, body) in kinds {
                    let kindPath = "\(keyPath).\(kind)"
                    switch kind {
                    case "limits": service.limits = resources(body, kindPath)
                    case "reservations": service.reservations = resources(body, kindPath)
                    default: service.unexported.append(place(kindNode, kindPath))
                    }
                }
            default:
                service.unexported.append(place(keyNode, keyPath))
            }
        }
    }

    private func resources(_ node: Node, _ path: String) -> ComposeResources {
        var resources = ComposeResources()
        guard let keys = mapping(node, path, expected: "a mapping such as {cpus: '0.5', memory: 512M}") else {
            return resources
        }
        for (key, keyNode, value) in keys {
            let keyPath = "\(path).\(key)"
            switch key {
            case "cpus":
                guard let text = string(value, keyPath, expected: Quantities.cpusExpected) else { continue }
                guard let milli = Quantities.milliCPU(text) else {
                    report(value, keyPath, found: quoted(text), expected: Quantities.cpusExpected)
                    continue
                }
                resources.milliCPU = milli
            case "memory":
                guard let text = string(value, keyPath, expected: Quantities.memoryExpected) else { continue }
                guard let bytes = Quantities.bytes(text) else {
                    report(value, keyPath, found: quoted(text), expected: Quantities.memoryExpected)
                    continue
                }
                resources.memoryBytes = bytes
            default:
                notices.append(ExportNotice(place(keyNode, keyPath), "not exported"))
            }
        }
        return resources
    }

    // MARK: healthcheck

    private func healthcheck(_ node: Node, _ path: String, key: Node) -> ComposeHealthcheck? {
        guard let keys = mapping(node, path, expected: "a mapping with test, interval, timeout, retries") else {
            return nil
        }
        var check = ComposeHealthcheck(command: [], interval: ComposeHealthcheck.defaultInterval,
                                       timeout: ComposeHealthcheck.defaultTimeout,
                                       retries: ComposeHealthcheck.defaultRetries, startPeriod: .zero,
                                       place: place(key, path))
        var disabled = false
        var hasTest = false
        for (key, keyNode, value) in keys {
            let keyPath = "\(path).\(key)"
            switch key {
            case "test":
                hasTest = true
                guard let test = healthTest(value, keyPath) else { disabled = true; continue }
                check.command = test
            case "interval": if let d = duration(value, keyPath) { check.interval = d }
            case "timeout": if let d = duration(value, keyPath) { check.timeout = d }
            case "start_period": if let d = duration(value, keyPath) { check.startPeriod = d }
            case "retries": if let n = count(value, keyPath) { check.retries = n }
            case "disable":
                guard case .scalar(let scalar) = value, let flag = Bool.construct(from: scalar) else {
                    report(value, keyPath, expected: "true or false")
                    continue
                }
                disabled = flag
            default:
                notices.append(ExportNotice(place(keyNode, keyPath), "not exported (no Kubernetes probe counterpart)"))
            }
        }
        if !hasTest && !disabled {
            notices.append(ExportNotice(place(node, path),
                "has no test: it would use the image's HEALTHCHECK, which the export cannot see; not exported"))
            return nil
        }
        return disabled ? nil : check
    }

    /// `["CMD", a, b]` → `[a, b]`; `["CMD-SHELL", s]` or `s` → `[/bin/sh, -c, s]`; `["NONE"]` → nil.
    private func healthTest(_ node: Node, _ path: String) -> [String]? {
        let expected = "[\"CMD\", COMMAND, ARG…], [\"CMD-SHELL\", \"COMMAND\"], [\"NONE\"] or a shell command"
        if case .sequence(let items) = node {
            let words = items.enumerated().compactMap { string($0.element, "\(path)[\($0.offset)]", expected: "a string") }
            guard words.count == items.count, let first = words.first else {
                report(node, path, expected: expected)
                return nil
            }
            switch first {
            case "NONE": return nil
            case "CMD" where words.count > 1: return Array(words.dropFirst())
            case "CMD-SHELL" where words.count == 2: return ["/bin/sh", "-c", words[1]]
            default:
                report(node, path, found: "a list starting with \(quoted(first))", expected: expected)
                return nil
            }
        }
        guard let text = string(node, path, expected: expected) else { return nil }
        return ["/bin/sh", "-c", text]
    }

    // MARK: depends_on, restart

    static let conditions = ["service_started", "service_healthy", "service_completed_successfully"]

    private func dependsOn(_ node: Node, _ path: String) -> [ComposeDependency] {
        switch node {
        case .sequence(let items):
            return items.enumerated().compactMap { index, item in
                let itemPath = "\(path)[\(index)]"
                return string(item, itemPath, expected: "a service name").map {
                    ComposeDependency(service: $0, condition: "service_started", place: place(item, itemPath))
                }
            }
        case .mapping:
            return mapping(value: node).compactMap { name, nameNode, body in
                let itemPath = "\(path).\(name)"
                var condition = "service_started"
                if !body.isNull, let fields = mapping(body, itemPath, expected: "{condition: service_healthy}") {
                    for (key, _, value) in fields where key == "condition" {
                        guard let text = string(value, "\(itemPath).condition", expected: "a condition") else { continue }
                        guard Self.conditions.contains(text) else {
                            report(value, "\(itemPath).condition", found: quoted(text),
                                   expected: "one of \(Self.conditions.joined(separator: ", "))")
                            continue
                        }
                        condition = text
                    }
                }
                return ComposeDependency(service: name, condition: condition, place: place(nameNode, itemPath))
            }
        default:
            report(node, path, expected: "a list of service names, or a mapping of service names to {condition: …}")
            return []
        }
    }

    private func restartPolicy(_ node: Node, _ path: String) -> String? {
        let expected = "no, always, on-failure, on-failure:N or unless-stopped"
        // A bare `no` is YAML 1.1's false.
        if case .scalar(let scalar) = node, scalar.style == .plain, Bool.construct(from: scalar) == false { return "no" }
        guard let text = string(node, path, expected: expected) else { return nil }
        let valid = ["no", "always", "unless-stopped", "on-failure"].contains(text)
            || (text.hasPrefix("on-failure:") && Int(text.dropFirst("on-failure:".count)).map { $0 >= 0 } == true)
        guard valid else {
            report(node, path, found: quoted(text), expected: expected)
            return nil
        }
        return text
    }

    // MARK: Values

    /// The keys of a mapping in order, with `<<` merge keys applied (the merged keys first, own keys winning).
    private func mapping(value node: Node) -> [(String, Node, Node)] {
        guard case .mapping(let map) = node else { return [] }
        var merged: [(String, Node, Node)] = []
        var own: [(String, Node, Node)] = []
        for (keyNode, value) in map {
            guard case .scalar(let keyScalar) = keyNode else { continue }
            if keyScalar.string == "<<", keyScalar.style == .plain {
                let sources: [Node]
                if case .sequence(let list) = value { sources = Array(list) } else { sources = [value] }
                for source in sources { merged += mapping(value: source) }
                continue
            }
            own.append((keyScalar.string, keyNode, value))
        }
        let ownKeys = Set(own.map(\.0))
        var seen = Set<String>()
        let inherited = merged.filter { !ownKeys.contains($0.0) && seen.insert($0.0).inserted }
        return inherited + own
    }

    private func mapping(_ node: Node, _ path: String, expected: String) -> [(String, Node, Node)]? {
        guard case .mapping(let map) = node else {
            report(node, path, expected: expected)
            return nil
        }
        for (keyNode, _) in map {
            if case .scalar = keyNode { continue }
            report(keyNode, path, found: "a key that is not a string", expected: "string keys")
        }
        return mapping(value: node)
    }

    /// A scalar, interpolated; numbers and booleans as written.
    private func string(_ node: Node, _ path: String, expected: String) -> String? {
        guard case .scalar(let scalar) = node, !(scalar.style == .plain && node.isNull) else {
            report(node, path, expected: expected)
            return nil
        }
        do throws(ComposeInterpolation.Failure) {
            let (text, unset) = try interpolation.interpolate(scalar.string)
            for name in unset {
                notices.append(ExportNotice(place(node, path),
                    "the variable \(name) is not set and has no default: replaced by an empty string, as Compose "
                        + "does; set it in the environment of the export"))
            }
            return text
        } catch .required(let variable, let message) {
            report(node, path, found: "\(variable) unset" + (message.isEmpty ? "" : " (\(message))"),
                   expected: "\(variable) set in the environment of the export")
        } catch {
            report(node, path, found: quoted(scalar.string),
                   expected: "a value whose $ starts ${NAME}, $NAME or $$ (a literal $)")
        }
        return nil
    }

    private func count(_ node: Node, _ path: String) -> Int? {
        guard let text = string(node, path, expected: "a whole number of 0 or more") else { return nil }
        guard let number = Int(text), number >= 0 else {
            report(node, path, found: quoted(text), expected: "a whole number of 0 or more")
            return nil
        }
        return number
    }

    private func duration(_ node: Node, _ path: String) -> Duration? {
        let expected = "a duration such as 10s, 1m30s or 500ms"
        guard let text = string(node, path, expected: expected) else { return nil }
        guard let value = DurationText.parse(text), value >= .zero else {
            report(node, path, found: quoted(text), expected: expected)
            return nil
        }
        return value
    }

    // MARK: Reporting

    func place(_ node: Node?, _ path: String) -> SourcePlace {
        SourcePlace(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, keyPath: path)
    }

    func report(_ node: Node?, _ path: String, found: String? = nil, expected: String) {
        let at = place(node, path)
        errors.append(ConfigDiagnostic(file: file, line: at.line, column: at.column, keyPath: path,
                                       found: found ?? describe(node), expected: expected))
    }

    private func describe(_ node: Node?) -> String {
        switch node {
        case .scalar(let scalar)?:
            if node?.isNull == true, scalar.style == .plain { return "nothing" }
            return scalar.style == .plain && node?.tag.rawValue != Tag.Name.str.rawValue
                ? scalar.string : quoted(scalar.string)
        case .mapping?: return "a mapping"
        case .sequence?: return "a list"
        default: return "nothing"
        }
    }

    private func quoted(_ text: String) -> String { "\"\(text)\"" }

    private func syntaxError(_ error: YamlError) -> ConfigDiagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return ConfigDiagnostic(file: file, line: mark.line, column: mark.column, keyPath: "",
                                    found: "a YAML syntax error: \(problem)\(detail)", expected: "valid YAML")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigDiagnostic(file: file, line: context.mark.line, column: context.mark.column, keyPath: "",
                                    found: "the key \(duplicates.joined(separator: ", ")) twice in one mapping",
                                    expected: "each key once")
        default:
            return ConfigDiagnostic(file: file, line: 0, column: 0, keyPath: "", found: "\(error)",
                                    expected: "valid YAML")
        }
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}

extension Node {
    /// Whether this is a null scalar: an empty value, `~`, `null` or `!!null`.
    var isNull: Bool {
        guard case .scalar = self else { return false }
        return tag.rawValue == Tag.Name.null.rawValue
    }
}
