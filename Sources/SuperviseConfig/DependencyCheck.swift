import SuperviseCore

/// Checking `depends_on` across units: unknown names, a unit naming itself, names listed twice, conditions the
/// dependency can never meet, and cycles.
extension Diagnostics {
    func checkDependencies(of units: [DecodedUnit]) {
        let names = units.map(\.name)
        let known = Set(names)
        let byName = Dictionary(units.map { ($0.name, $0) }) { first, _ in first }
        let replicated = byName.filter { $0.value.isReplicated }
        var edges: [String: [Dependency]] = [:]
        for unit in units {
            var listed = Set<String>()
            for dependency in unit.dependencies {
                let service = replicated[dependency.name] ?? replicated[UnitSpec.service(of: dependency.name)]
                if dependency.name == unit.name {
                    report(dependency.node, dependency.path, found: "\(quoted(dependency.name)) (the unit itself)",
                           expected: "the name of another unit")
                } else if let service {
                    let what = service.name == dependency.name ? ", a replicated unit"
                        : ", a replica of the replicated unit \(shown(service.name))"
                    report(dependency.node, dependency.path,
                           found: quoted(dependency.name) + what
                               + written(service.keyNode, at: KeyPath.join("units", service.name)),
                           expected: "the name of a unit without replicas (replicas come and go with scale, rollout "
                               + "and autoscale, so no unit waits for them)")
                } else if !known.contains(dependency.name) {
                    report(dependency.node, dependency.path, expected: Diagnostics.unitChoice(
                        for: dependency.name, among: names.filter { $0 != unit.name && replicated[$0] == nil }))
                } else if !listed.insert(dependency.name).inserted {
                    report(dependency.node, dependency.path, found: "\(quoted(dependency.name)) a second time",
                           expected: "each unit at most once")
                } else {
                    edges[unit.name, default: []].append(dependency)
                    if let target = byName[dependency.name] { checkCondition(of: dependency, on: target) }
                }
            }
        }
        for component in Diagnostics.stronglyConnectedComponents(names, edges) where component.count > 1 {
            let members = Set(component)
            let start = names.first { members.contains($0) }!
            let cycle = Diagnostics.cycle(from: start, within: members, edges)
            guard cycle.count > 1, let closing = edges[start]?.first(where: { $0.name == cycle[1] }) else { continue }
            report(closing.node, closing.path,
                   found: "a dependency cycle \((cycle + [start]).map(shown).joined(separator: " -> "))",
                   expected: "dependencies without cycles")
        }
    }

    /// `service_completed_successfully` on a unit restarted after every exit (`always`, `unless-stopped`): it never
    /// completes, so the dependent would wait forever. Reported at the condition, naming where the policy is set.
    private func checkCondition(of dependency: Dependency, on target: DecodedUnit) {
        guard dependency.condition == .completedSuccessfully, let condition = dependency.conditionEntry,
              let policy = target.restartPolicy, [.always, .unlessStopped].contains(policy.value) else { return }
        var found = "\(quoted(DependencyCondition.completedSuccessfully.rawValue)) for \(quoted(target.name)), "
            + "whose restart policy is \(policy.value.rawValue)"
        if let at = policy.position { found += " (\(policy.path) at line \(at.line), column \(at.column))" }
        report(condition.value, condition.path, found: found,
               expected: "restart: no or on-failure for \(quoted(target.name)) (a unit restarted after every exit "
                   + "never completes), or the condition service_started or service_healthy")
    }

    /// `one of the units a, b or c` (with a suggestion when one is close), or a note that there are none.
    static func unitChoice(for name: String, among names: [String]) -> String {
        guard !names.isEmpty else { return "the name of a unit defined under units (there are no other units)" }
        let hint = KeySuggestion.didYouMean(name, among: names).map { " (\($0))" } ?? ""
        let listed = names.count > 12 ? names.prefix(11).map(shown) + ["\(names.count - 11) more"] : names.map(shown)
        return "one of the units \(Section.list(listed))" + hint
    }

    /// Tarjan's algorithm; components in no particular order, nodes visited in file order.
    static func stronglyConnectedComponents(_ names: [String], _ edges: [String: [Dependency]]) -> [[String]] {
        var index: [String: Int] = [:]
        var lowLink: [String: Int] = [:]
        var onStack = Set<String>()
        var stack: [String] = []
        var components: [[String]] = []
        var counter = 0
        func visit(_ name: String) {
            index[name] = counter
            lowLink[name] = counter
            counter += 1
            stack.append(name)
            onStack.insert(name)
            for next in edges[name, default: []].map(\.name) {
                if index[next] == nil {
                    visit(next)
                    lowLink[name] = min(lowLink[name]!, lowLink[next]!)
                } else if onStack.contains(next) {
                    lowLink[name] = min(lowLink[name]!, index[next]!)
                }
            }
            if lowLink[name] == index[name] {
                var component: [String] = []
                while let top = stack.popLast() {
                    onStack.remove(top)
                    component.append(top)
                    if top == name { break }
                }
                components.append(component)
            }
        }
        for name in names where index[name] == nil { visit(name) }
        return components
    }

    /// The shortest cycle from `start` back to it through `members` (breadth first, edges in file order):
    /// `[start, b, c]` for `start -> b -> c -> start`.
    static func cycle(from start: String, within members: Set<String>, _ edges: [String: [Dependency]]) -> [String] {
        var previous: [String: String] = [:]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let current = queue[head]
            head += 1
            for next in edges[current, default: []].map(\.name) where members.contains(next) {
                if next == start {
                    var path = [current]
                    while let before = previous[path[0]] { path.insert(before, at: 0) }
                    return path
                }
                if previous[next] == nil && next != start {
                    previous[next] = current
                    queue.append(next)
                }
            }
        }
        return [start]
    }
}
