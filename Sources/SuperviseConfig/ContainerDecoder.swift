import SuperviseCore
import Yams

/// A `containers` entry as read, before it is checked against the process units and the other entries.
struct DecodedContainer {
    var key: String
    var keyNode: Node
    /// The selector; nil when the entry has a problem.
    var selector: ContainerSelector?
    /// The selector key's entry (`compose`, `container` or `label`), for errors about the match.
    var matchEntry: Entry?
    /// `{port}` placeholders of `defaults` the entry inherits (it cannot fill them).
    var inheritedPlaceholders: [PlaceholderUse] = []
}

/// Reading `docker` and `containers`.
extension Diagnostics {
    static let containersExpected = "a mapping of entry names to container selectors, such as "
        + "{worker: {compose: {service: worker}}}"
    static let selectorExpected = "exactly one of \(Section.list(Schema.containerSelectors))"
    static let containerEntryExpected = "a mapping with \(selectorExpected), such as {compose: {service: worker}}"
    static let serviceExpected = "a Compose service name of letters, digits, . _ and -, starting with a letter or digit"
    static let projectExpected = "a Compose project name of lowercase letters, digits, _ and -, "
        + "starting with a letter or digit"
    static let containerNameExpected = "a container name of letters, digits, . _ and -, starting with a letter or "
        + "digit, such as redis"
    static let labelExpected = "a label as KEY or KEY=VALUE, such as app=cache, the key without blanks"

    /// `docker`: the Docker socket and the Compose project watched.
    func docker(_ entry: Entry) -> (settings: DockerSettings, project: Entry?) {
        var settings = DockerSettings()
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.docker,
                                  expected: Schema.docker.mappingPhrase) else { return (settings, nil) }
        if let entry = fields["socket"], let path = socketPath(entry, example: DockerSettings.defaultSocketPath) {
            settings.socketPath = path
        }
        var projectEntry: Entry?
        if let entry = fields["project"], let project = projectName(entry.value, entry.path) {
            settings.project = project
            projectEntry = entry
        }
        return (settings, projectEntry)
    }

    /// The entries of `containers`, each laid over `defaults`; a compose entry without a project of its own takes
    /// `docker.project`.
    func containers(_ entry: Entry, defaults: UnitLayer, defaultFields: [String: Entry], docker: DockerSettings,
                    dockerProject: Entry?, units: [DecodedUnit]) -> [ContainerSelector] {
        guard let entries = entries(of: entry.value, at: entry.path, expected: Diagnostics.containersExpected) else {
            return []
        }
        let processUnits = Dictionary(units.map { ($0.name, $0.keyNode) }) { first, _ in first }
        let replicated = Dictionary(units.filter(\.isReplicated).map { ($0.name, $0) }) { first, _ in first }
        var decoded: [DecodedContainer] = []
        for entry in entries {
            var container = container(entry, defaults: defaults, defaultFields: defaultFields, docker: docker,
                                      dockerProject: dockerProject, units: units)
            if let owner = replicaOwner(of: entry.key, among: replicated) {
                report(entry.keyNode, entry.path, found: replicaNameFound(entry.key, owner: owner),
                       expected: replicaNameExpected(owner))
                container.selector = nil
            } else if let unitNode = processUnits[entry.key] {
                var found = "\(quoted(entry.key)), the name of a process unit"
                if let at = position(of: unitNode) {
                    found += " (\(KeyPath.join("units", entry.key)) at line \(at.line), column \(at.column))"
                }
                report(entry.keyNode, entry.path, found: found,
                       expected: "a name no process unit has (units and container entries share one set of names)")
                container.selector = nil
            }
            if case .compose(_, let service)? = container.selector?.match, let owner = replicated[service],
               let matchEntry = container.matchEntry {
                report(matchEntry.value, matchEntry.path,
                       found: "the Compose service \(quoted(service)), whose replicas would be named as those of the "
                           + "replicated unit \(shown(service))"
                           + written(owner.keyNode, at: KeyPath.join("units", service)),
                       expected: "a Compose service not named as a replicated process unit (both would have the units "
                           + "\(shown(service))-1, \(shown(service))-2, …)")
                container.selector = nil
            }
            decoded.append(container)
        }
        checkSameMatches(decoded)
        reportInheritedPlaceholders(decoded.flatMap { container in
            container.inheritedPlaceholders.map { ($0, PlaceholderProblem.container, container.key) }
        })
        return decoded.compactMap(\.selector)
    }

    /// One entry of `containers`.
    private func container(_ entry: Entry, defaults: UnitLayer, defaultFields: [String: Entry],
                           docker: DockerSettings, dockerProject: Entry?, units: [DecodedUnit]) -> DecodedContainer {
        var decoded = DecodedContainer(key: entry.key, keyNode: entry.keyNode)
        let errorsBefore = errors.count
        if !Diagnostics.isUnitName(entry.key) {
            report(entry.keyNode, entry.path, found: quoted(entry.key), expected: Diagnostics.unitNameExpected)
        }
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.container,
                                  expected: Diagnostics.containerEntryExpected) else { return decoded }
        let layer = layer(from: fields, owner: .container)
        checkBackoffBounds(layer.restart.backoff, over: defaults.restart.backoff)
        let merged = layer.overriding(defaults)
        let uses = placeholderUses(own: fields, defaults: defaultFields, keys: Diagnostics.containerFilledKeys)
        reportPlaceholders(uses.own, .container)
        decoded.inheritedPlaceholders = PlaceholderProblem.container.relevant(uses.inherited)

        let selectors = exclusive(Schema.containerSelectors, in: fields, expected: Diagnostics.selectorExpected)
        if selectors.isEmpty {
            report(entry.keyNode, entry.path, found: "no \(Section.list(Schema.containerSelectors))",
                   expected: Diagnostics.selectorExpected + " (which containers the entry supervises)")
        }
        guard selectors.count == 1 else { return decoded }
        decoded.matchEntry = selectors[0]
        let match = self.match(selectors[0], docker: docker, dockerProject: dockerProject)
        let replicas = containerReplicas(fields, selector: selectors[0])
        if let replicas {
            checkActiveCalls(replicas, drain: merged.drain?.spec)
            if case .compose(_, let service)? = match {
                checkComposeReplicaNames(replicas, service: service, units: units)
            }
        }
        guard let match, errors.count == errorsBefore else { return decoded }
        decoded.selector = ContainerSelector(key: entry.key, match: match, template: merged.container(named: entry.key),
                                             replicas: replicas?.settings)
        return decoded
    }

    /// What `compose`, `container` or `label` selects.
    private func match(_ entry: Entry, docker: DockerSettings, dockerProject: Entry?) -> ContainerSelector.Match? {
        switch entry.key {
        case "compose": compose(entry, docker: docker, dockerProject: dockerProject)
        case "container": containerName(entry.value, entry.path).map(ContainerSelector.Match.name)
        default: label(entry.value, entry.path)
        }
    }

    /// `compose`: a service name, or a mapping with `service` and optionally `project` (default `docker.project`).
    private func compose(_ entry: Entry, docker: DockerSettings, dockerProject: Entry?) -> ContainerSelector.Match? {
        if case .scalar = entry.value, !entry.value.isNull {
            return serviceName(entry.value, entry.path).map { .compose(project: docker.project, service: $0) }
        }
        let expected = "a Compose service name, or \(Schema.compose.mappingPhrase), such as {service: worker}"
        if entry.value.isNull {
            report(entry.value, entry.path, expected: expected)
            return nil
        }
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.compose, expected: expected) else {
            return nil
        }
        var project = docker.project
        var valid = true
        if let projectEntry = fields["project"] {
            if let name = projectName(projectEntry.value, projectEntry.path) {
                if let watched = docker.project, name != watched {
                    var found = quoted(name)
                    if let dockerProject, let at = position(of: dockerProject.value) {
                        found += " while docker.project (line \(at.line), column \(at.column)) is \(quoted(watched))"
                    }
                    report(projectEntry.value, projectEntry.path, found: found,
                           expected: "\(quoted(watched)) or no project (only containers of docker.project are "
                               + "watched)")
                    valid = false
                }
                project = name
            } else {
                valid = false
            }
        }
        guard let serviceEntry = fields["service"] else {
            report(entry.keyNode, KeyPath.join(entry.path, "service"), found: "no \"service\"",
                   expected: Diagnostics.serviceExpected)
            return nil
        }
        guard let service = serviceName(serviceEntry.value, serviceEntry.path), valid else { return nil }
        return .compose(project: project, service: service)
    }

    /// A Compose service name: `[A-Za-z0-9][A-Za-z0-9._-]*`.
    private func serviceName(_ node: Node, _ path: String) -> String? {
        name(node, path, expected: Diagnostics.serviceExpected) { $0.isASCII && ($0.properties.isAlphabetic) }
    }

    /// A Compose project name: `[a-z0-9][a-z0-9_-]*`.
    func projectName(_ node: Node, _ path: String) -> String? {
        name(node, path, expected: Diagnostics.projectExpected, otherAllowed: "_-") {
            $0.isASCII && $0.properties.isLowercase
        }
    }

    /// A Docker container name: `[A-Za-z0-9][A-Za-z0-9_.-]*` (Docker's leading `/` is not written).
    private func containerName(_ node: Node, _ path: String) -> String? {
        name(node, path, expected: Diagnostics.containerNameExpected) { $0.isASCII && $0.properties.isAlphabetic }
    }

    /// A name starting with a letter (as `letter` defines it) or digit, then letters, digits and `otherAllowed`.
    private func name(_ node: Node, _ path: String, expected: String, otherAllowed: String = "._-",
                      letter: (Unicode.Scalar) -> Bool) -> String? {
        guard let text = text(node, path, expected: expected) else { return nil }
        func alphanumeric(_ s: Unicode.Scalar) -> Bool { letter(s) || ("0"..."9").contains(s) }
        guard let first = text.unicodeScalars.first, alphanumeric(first),
              text.unicodeScalars.allSatisfy({ alphanumeric($0) || otherAllowed.unicodeScalars.contains($0) }) else {
            report(node, path, expected: expected)
            return nil
        }
        return text
    }

    /// `label`: `KEY` (any value) or `KEY=VALUE`, split at the first `=`.
    private func label(_ node: Node, _ path: String) -> ContainerSelector.Match? {
        guard let text = text(node, path, expected: Diagnostics.labelExpected) else { return nil }
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(parts[0])
        guard !key.isEmpty, !key.unicodeScalars.contains(where: Diagnostics.isBlankOrControl) else {
            report(node, path, expected: Diagnostics.labelExpected)
            return nil
        }
        return .label(key: key, value: parts.count == 2 ? String(parts[1]) : nil)
    }

    /// An absolute path short enough for a Unix socket address.
    func socketPath(_ entry: Entry, example: String) -> String? {
        guard let path = absolutePath(entry.value, entry.path, example: example) else { return nil }
        guard path.utf8.count <= Diagnostics.maximumSocketPathBytes else {
            report(entry.value, entry.path, found: "a path of \(path.utf8.count) bytes",
                   expected: "an absolute path of at most \(Diagnostics.maximumSocketPathBytes) bytes "
                       + "(the limit of a Unix socket address)")
            return nil
        }
        return path
    }

    /// Two entries with the same match: the first owns every container, so the second would never apply.
    private func checkSameMatches(_ containers: [DecodedContainer]) {
        var first: [ContainerSelector.Match: DecodedContainer] = [:]
        for container in containers {
            guard let match = container.selector?.match, let matchEntry = container.matchEntry else { continue }
            guard let owner = first[match] else {
                first[match] = container
                continue
            }
            var found = "the same containers as \(KeyPath.join("containers", owner.key))"
            if let at = position(of: owner.keyNode) { found += " (line \(at.line), column \(at.column))" }
            report(matchEntry.value, matchEntry.path, found: found,
                   expected: "a selector no earlier entry has (the first entry that matches a container owns it)")
        }
    }
}
