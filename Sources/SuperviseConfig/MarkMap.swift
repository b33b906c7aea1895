import Yams

/// Maps positions in text that the loader rewrote (to get past duplicate keys, see ``YAMLComposer``)
/// back to positions in the original text.
struct MarkMap: Sendable {
    /// A run of `length` Unicode scalars inserted at `line`:`column`, in the coordinates of the text it went into.
    struct Insertion: Sendable {
        var line: Int
        var column: Int
        var length: Int
    }

    private(set) var insertions: [Insertion] = []

    mutating func record(_ insertion: Insertion) { insertions.append(insertion) }

    /// The original position of a Yams mark.
    func position(of mark: Mark) -> SourcePosition {
        original(SourcePosition(line: mark.line, column: mark.column))
    }

    /// The original position of a position in the rewritten text.
    func original(_ position: SourcePosition) -> SourcePosition {
        var result = position
        for insertion in insertions.reversed() where result.line == insertion.line && result.column > insertion.column {
            result.column -= insertion.length
        }
        return result
    }
}
