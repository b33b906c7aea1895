/// "Did you mean …?" for misspelt keys and values.
enum KeySuggestion {
    /// The candidates closest to `word`, ignoring case and `-`/`_`: best an edit distance (insertions, deletions,
    /// substitutions, swaps of neighbours) of at most 2 and at most a third of the word's length (at least 1); then
    /// one a prefix of the other (from 3 characters); then a shared prefix of at least 4 characters. Best first;
    /// empty when none is close.
    static func suggestions(for word: String, among candidates: [String]) -> [String] {
        let target = normalized(word)
        guard !target.isEmpty else { return [] }
        let allowedDistance = Swift.min(2, Swift.max(1, target.count / 3))
        var scored: [(candidate: String, score: Int)] = []
        for candidate in candidates {
            let other = normalized(candidate)
            let distance = editDistance(target, other)
            if distance <= allowedDistance {
                scored.append((candidate, distance))
            } else if target.count >= 3 && (other.starts(with: target) || target.starts(with: other)) {
                scored.append((candidate, 3))
            } else if zip(target, other).prefix(while: { $0 == $1 }).count >= 4 {
                scored.append((candidate, 4))
            }
        }
        guard let best = scored.map(\.score).min() else { return [] }
        return scored.filter { $0.score == best }.map(\.candidate)
    }

    /// `did you mean "a"?` or `did you mean "a" or "b"?`; nil when there is no suggestion.
    static func didYouMean(_ word: String, among candidates: [String]) -> String? {
        let found = suggestions(for: word, among: candidates)
        guard !found.isEmpty else { return nil }
        return "did you mean \(Section.list(found.prefix(3).map(quoted)))?"
    }

    static func normalized(_ word: String) -> [Character] {
        Array(word.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    /// Optimal string alignment distance (Levenshtein plus swaps of neighbours).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = Swift.min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
