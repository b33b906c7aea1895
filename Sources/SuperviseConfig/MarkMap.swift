import Yams

/// Maps positions in text that the loader rewrote (to get past duplicate keys, see ``YAMLComposer``)
/// back to positions in the original text.
struct MarkMap: Sendable {
    /// A run of `length` Unicode scalars inserted at `line`:`column` of the original text.
    struct Insertion: Sendable {
        var line: Int
        var column: Int
        var length: Int
    }

    /// The insertions of each line, by column.
    private var byLine: [Int: [Insertion]] = [:]

    /// Records an insertion, in any order (at most one per original position).
    mutating func record(_ insertion: Insertion) {
        var line = byLine[insertion.line, default: []]
        let at = line.firstIndex { $0.column > insertion.column } ?? line.endIndex
        line.insert(insertion, at: at)
        byLine[insertion.line] = line
    }

    /// The original position of a Yams mark.
    func position(of mark: Mark) -> SourcePosition {
        original(SourcePosition(line: mark.line, column: mark.column))
    }

    /// The original position of a position in the rewritten text. Insertions never add lines, so only the column
    /// moves: back by every insertion that lies before it on its line. A position at an insertion is the inserted
    /// text's start, which is where the original text was.
    func original(_ position: SourcePosition) -> SourcePosition {
        guard let insertions = byLine[position.line] else { return position }
        var shift = 0
        for insertion in insertions {
            guard position.column > insertion.column + shift else { break }
            shift += insertion.length
        }
        return SourcePosition(line: position.line, column: position.column - shift)
    }
}
