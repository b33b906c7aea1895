import Yams

/// A YAML value whose mappings keep the order they were built in, so that a manifest reads as kubectl users expect
/// (`apiVersion`, `kind`, `metadata`, `spec`, …) and the same input always gives the same bytes.
public indirect enum YAMLValue: Sendable, Hashable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case list([YAMLValue])
    /// Keys in the order they are written.
    case map([(String, YAMLValue)])

    /// Equal when of the same kind and content, keys in the same order.
    public static func == (a: YAMLValue, b: YAMLValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.list(let x), .list(let y)): x == y
        case (.map(let x), .map(let y)): x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        default: false
        }
    }

    /// Hashes kind and content.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .string(let s): hasher.combine(0); hasher.combine(s)
        case .int(let i): hasher.combine(1); hasher.combine(i)
        case .bool(let b): hasher.combine(2); hasher.combine(b)
        case .list(let l): hasher.combine(3); hasher.combine(l)
        case .map(let m):
            hasher.combine(4)
            for (key, value) in m { hasher.combine(key); hasher.combine(value) }
        }
    }

    /// The value at `key` of a mapping; nil for a missing key or a value that is no mapping.
    public subscript(key: String) -> YAMLValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }
}

/// Writes ``YAMLValue`` documents as YAML text with Yams.
///
/// Block style throughout, two-space indentation, no line folding; a string that YAML (1.1, as kubectl's parser
/// reads it) would take for a number, a boolean or null is double-quoted (`cpu: "2"`, `value: "yes"`), a string of
/// several lines is written as a literal block (`|`), and anything else is left to libyaml (plain where it can be).
public enum YAMLEmitter {
    /// The documents, each started by `---`.
    public static func documents(_ values: [YAMLValue]) throws -> String {
        try Yams.serialize(nodes: values.map(node), indent: 2, width: -1, allowUnicode: true, explicitStart: true)
    }

    /// One document, without a `---` line.
    public static func document(_ value: YAMLValue) throws -> String {
        try Yams.serialize(node: node(value), indent: 2, width: -1, allowUnicode: true)
    }

    static func node(_ value: YAMLValue) -> Node {
        switch value {
        case .string(let text): .scalar(Node.Scalar(text, Tag(.str), style(for: text)))
        case .int(let number): .scalar(Node.Scalar(String(number), Tag(.int)))
        case .bool(let flag): .scalar(Node.Scalar(flag ? "true" : "false", Tag(.bool)))
        case .list(let items): .sequence(Node.Sequence(items.map(node), Tag(.seq), .block))
        case .map(let pairs):
            .mapping(Node.Mapping(pairs.map { (Node.scalar(Node.Scalar($0.0, Tag(.str), style(for: $0.0))), node($0.1)) },
                                  Tag(.map), .block))
        }
    }

    /// Double quotes for text a YAML parser would read as something else than a string; a literal block for text
    /// of several lines; otherwise libyaml's choice.
    static func style(for text: String) -> Node.Scalar.Style {
        if text.contains("\n") { return .literal }
        return readsAsString(text) ? .any : .doubleQuoted
    }

    /// Whether plain `text` would be read back as the same string by Yams and by YAML 1.1 parsers (kubectl's), whose
    /// booleans include `y`, `n`, `yes`, `no`, `on` and `off`, and whose numbers include `0755`, `1_000` and `1:30`.
    static func readsAsString(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        if Resolver.default.resolveTag(of: Node(text)) != .str { return false }
        if yaml11Words.contains(text.lowercased()) { return false }
        // Number-like text in any of YAML 1.1's spellings: digits with signs, dots, underscores, colons, exponents.
        let numberish = text.unicodeScalars.allSatisfy { "0123456789+-._:eE".unicodeScalars.contains($0) }
        return !(numberish && text.unicodeScalars.contains { ("0"..."9").contains($0) })
    }

    static let yaml11Words: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"]
}
