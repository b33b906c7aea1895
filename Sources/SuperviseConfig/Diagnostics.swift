import Yams

/// Collects ``ConfigDiagnostic``s while a document is read, locating nodes in the original text.
final class Diagnostics {
    let file: String
    let marks: MarkMap
    private(set) var errors: [ConfigDiagnostic] = []

    init(file: String, marks: MarkMap = MarkMap()) {
        self.file = file
        self.marks = marks
    }

    /// Where `node` starts in the original text.
    func position(of node: Node) -> SourcePosition? {
        node.mark.map { marks.position(of: $0) }
    }

    /// Records a problem at `node`.
    func report(_ node: Node, _ keyPath: String, found: String, expected: String) {
        report(at: position(of: node), keyPath, found: found, expected: expected)
    }

    /// Records a problem at `node`, describing what was found with ``foundText(_:)``.
    func report(_ node: Node, _ keyPath: String, expected: String) {
        report(node, keyPath, found: foundText(node), expected: expected)
    }

    /// ` (units.worker at line 2, column 3)`: where `node`, at key path `path`, was written, for an error that names
    /// another place; empty when the position is unknown.
    func written(_ node: Node, at path: String) -> String {
        guard let at = position(of: node) else { return "" }
        return " (\(path) at line \(at.line), column \(at.column))"
    }

    /// Records a problem at a position (nil: unknown, reported as line and column 0).
    func report(at position: SourcePosition?, _ keyPath: String, found: String, expected: String) {
        errors.append(ConfigDiagnostic(file: file, line: position?.line ?? 0, column: position?.column ?? 0,
                                  keyPath: keyPath, found: found, expected: expected))
    }
}

/// Dotted key paths as they appear in errors: `units.worker-1.restart.backoff.initial`, `units.api.command[2]`.
/// A key with a control character in it is quoted and escaped (`units."a\u{1B}b".command`, see ``shown(_:)``).
enum KeyPath {
    static func join(_ base: String, _ key: String) -> String {
        base.isEmpty ? shown(key) : "\(base).\(shown(key))"
    }
    static func item(_ base: String, _ index: Int) -> String { "\(base)[\(index)]" }
}
