import SuperviseCore

/// Makes a failing history small: deletes chunks of steps and single steps, simplifies values
/// (the initial configuration, reloads, durations, picks, salts), and keeps each change that still
/// breaks the same invariant (same key).
struct PropShrinker {
    let key: String
    /// Keep only histories in which the violation is the first one (when the original is so):
    /// a failure shrunk on its own, not as the consequence of another.
    let first: Bool
    let sabotage: PropSabotage
    /// Runs allowed; each run replays one candidate history.
    var budget: Int
    var runs = 0

    init(key: String, first: Bool, sabotage: PropSabotage, budget: Int = 1500) {
        self.key = key
        self.first = first
        self.sabotage = sabotage
        self.budget = budget
    }

    /// The index of the step that breaks the invariant, or nil when the history does not.
    mutating func failingStep(_ h: PropHistory) -> Int? {
        runs += 1
        if first {
            let v = PropRunner.run(h, sabotage: sabotage, stop: .first).violations.first
            return v?.key == key ? v?.step : nil
        }
        return PropRunner.run(h, sabotage: sabotage, stop: .key(key)).violations.first { $0.key == key }?.step
    }

    /// Keeps `candidate` when it still fails, cut after its failing step.
    mutating func attempt(_ candidate: PropHistory, into best: inout PropHistory) -> Bool {
        guard runs < budget, let step = failingStep(candidate) else { return false }
        var kept = candidate
        if step >= 0 && step < kept.steps.count - 1 { kept.steps.removeSubrange((step + 1)...) }
        best = kept
        return true
    }

    mutating func shrink(_ history: PropHistory) -> PropHistory {
        var best = history
        guard let step = failingStep(best) else { return best }
        if step >= 0 && step < best.steps.count - 1 { best.steps.removeSubrange((step + 1)...) }
        var progress = true
        var rounds = 0
        while progress && runs < budget && rounds < 3 {
            rounds += 1
            progress = false
            // Chunks, halving down to single steps.
            var size = max(1, best.steps.count / 2)
            while size >= 1 && runs < budget {
                var start = 0
                while start < best.steps.count && runs < budget {
                    var candidate = best
                    candidate.steps.removeSubrange(start..<min(start + size, candidate.steps.count))
                    if attempt(candidate, into: &best) { progress = true } else { start += size }
                }
                size /= 2
            }
            // Pairs of steps, in short histories (a step may only matter with another).
            if best.steps.count <= 25 {
                var i = 0
                while i < best.steps.count && runs < budget {
                    var j = i + 2
                    while j < best.steps.count && runs < budget {
                        var candidate = best
                        candidate.steps.remove(at: j)
                        candidate.steps.remove(at: i)
                        if attempt(candidate, into: &best) { progress = true } else { j += 1 }
                    }
                    i += 1
                }
            }
            // The initial configuration: fewer units, variant a.
            for i in 0...PropUniverse.count where best.initialMask & (1 << i) != 0 {
                var candidate = best
                candidate.initialMask &= ~(1 << i)
                if attempt(candidate, into: &best) { progress = true }
            }
            if best.initialVariants != 0 {
                var candidate = best
                candidate.initialVariants = 0
                if attempt(candidate, into: &best) { progress = true }
            }
            // Each step: simpler values.
            var i = 0
            while i < best.steps.count && runs < budget {
                for simpler in Self.simplifications(of: best.steps[i]) {
                    var candidate = best
                    candidate.steps[i] = simpler
                    if attempt(candidate, into: &best) { progress = true; break }
                }
                i += 1
            }
        }
        return best
    }

    /// Simpler forms of a step, simplest first.
    static func simplifications(of step: PropStep) -> [PropStep] {
        var out: [PropStep] = []
        func with(_ action: PropAction) { if action != step.action { out.append(PropStep(action: action, salt: step.salt)) } }
        switch step.action {
        case .advance(let ms):
            if ms > 1000 && ms % 1000 != 0 { with(.advance(milliseconds: ms / 1000 * 1000)) }
            if ms / 2 >= 100 { with(.advance(milliseconds: ms / 2)) }
        case .exit(let pick, let status):
            if pick != 0 { with(.exit(pick: 0, status: status)) }
            with(.exit(pick: pick, status: .exited(code: 0)))
            with(.exit(pick: pick, status: .exited(code: 1)))
        case .deliver(let pick):
            if pick != 0 { with(.deliver(pick: 0)) }
        case .probe(let pick, let healthy, let stale):
            if pick != 0 { with(.probe(pick: 0, healthy: healthy, stale: stale)) }
            if stale { with(.probe(pick: pick, healthy: healthy, stale: false)) }
        case .drainProgress(let pick, let calls):
            if pick != 0 { with(.drainProgress(pick: 0, calls: calls)) }
            if calls != 0 { with(.drainProgress(pick: pick, calls: 0)) }
        case .drain(let unit, let then, let timeout, let force):
            if timeout != nil { with(.drain(unit: unit, then: then, timeoutSeconds: nil, force: force)) }
            if force { with(.drain(unit: unit, then: then, timeoutSeconds: timeout, force: false)) }
            if then != .stop { with(.drain(unit: unit, then: .stop, timeoutSeconds: timeout, force: force)) }
        case .reload(let mask, let variants):
            for i in 0...PropUniverse.count where mask & (1 << i) != 0 { with(.reload(mask: mask & ~(1 << i), variants: variants)) }
            for i in 0..<PropUniverse.count where variants & (1 << i) != 0 { with(.reload(mask: mask, variants: variants & ~(1 << i))) }
        case .containerExit(let pick, let code):
            if pick != 0 { with(.containerExit(pick: 0, code: code)) }
            if code != 1 { with(.containerExit(pick: pick, code: 1)) }
        case .dockerStop(let pick):
            if pick != 0 { with(.dockerStop(pick: 0)) }
        case .dockerStart(let pick):
            if pick != 0 { with(.dockerStart(pick: 0)) }
        case .containerHealth(let pick, let healthy):
            if pick != 0 { with(.containerHealth(pick: 0, healthy: healthy)) }
        case .drainRequestFailed, .command, .undrain, .rolling, .daemonRestart, .shutdown, .dockerFlap:
            break
        }
        if step.salt != 0 { out.append(PropStep(action: step.action, salt: 0)) }
        return out
    }
}
