import Yams

/// One key of a mapping with its value, as read from the file.
struct Entry {
    /// The key as written (without any duplicate marker, see ``YAMLComposer``).
    let key: String
    let keyNode: Node
    let value: Node
    /// The entry's key path, such as `units.api.command`.
    let path: String
}

extension Diagnostics {
    /// The entries of the mapping `node`, in file order, without repeated keys (each repetition is reported at the
    /// repeated key). Reports and returns nil when `node` is not a mapping; a null counts as an empty mapping when
    /// `nullIsEmpty`.
    func entries(of node: Node, at path: String, expected: String, nullIsEmpty: Bool = true) -> [Entry]? {
        if nullIsEmpty && node.isNull { return [] }
        guard case .mapping(let mapping) = node else {
            report(node, path, expected: expected)
            return nil
        }
        var firstSeen: [String: Node] = [:]
        var result: [Entry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode, !keyNode.isNull else {
                report(keyNode, path, found: keyNode.isNull ? "an empty key" : "\(foundText(keyNode)) as a key",
                       expected: "a key name")
                continue
            }
            let key = YAMLComposer.originalKey(scalar.string).key
            let entryPath = KeyPath.join(path, key)
            if let first = firstSeen[key] {
                var found = "\(quoted(key)) a second time"
                if let at = position(of: first) { found += " (first at line \(at.line), column \(at.column))" }
                report(keyNode, entryPath, found: found, expected: "each key at most once in a mapping")
                continue
            }
            firstSeen[key] = keyNode
            result.append(Entry(key: key, keyNode: keyNode, value: value, path: entryPath))
        }
        return result
    }

    /// The entries among `keys` that `fields` holds, in file order. Each after the first is reported as
    /// `"B" besides "A"` against `expected`: for keys that exclude each other (a probe's checks, a drain's
    /// start, a container entry's selectors).
    func exclusive(_ keys: [String], in fields: [String: Entry], expected: String) -> [Entry] {
        let present = keys.compactMap { fields[$0] }.sorted {
            (position(of: $0.keyNode) ?? SourcePosition(line: 0, column: 0))
                < (position(of: $1.keyNode) ?? SourcePosition(line: 0, column: 0))
        }
        for extra in present.dropFirst() {
            report(extra.keyNode, extra.path, found: "\(quoted(extra.key)) besides \(quoted(present[0].key))",
                   expected: expected)
        }
        return present
    }

    /// The entries of the mapping `node` keyed by key, keeping only the keys `section` allows; unknown keys are
    /// reported with a suggestion of the closest allowed key. Reports and returns nil when `node` is not a mapping.
    func fields(of node: Node, at path: String, section: Section, expected: String) -> [String: Entry]? {
        guard let entries = entries(of: node, at: path, expected: expected) else { return nil }
        var result: [String: Entry] = [:]
        for entry in entries {
            if section.keys.contains(entry.key) {
                result[entry.key] = entry
                continue
            }
            let hint: String
            if let misplaced = section.misplaced[entry.key] {
                hint = misplaced
            } else if let suggestion = KeySuggestion.didYouMean(entry.key, among: section.keys) {
                hint = "a known key (\(suggestion))"
            } else {
                hint = "one of \(section.keyList)"
            }
            report(entry.keyNode, entry.path, found: "unknown key \(quoted(entry.key))", expected: hint)
        }
        return result
    }
}
