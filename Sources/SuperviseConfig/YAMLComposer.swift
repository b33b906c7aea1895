import Yams

/// A YAML text composed into a node tree whose marks can be traced back to the original text.
struct ComposedYAML {
    /// The document's root; nil when the text holds no document (empty, or only comments).
    var root: Node?
    /// Maps marks of `root`'s nodes to positions in the original text.
    var marks: MarkMap
}

/// A problem that keeps a text from being composed at all (a syntax error, for instance).
struct YAMLProblem {
    /// Where in the original text; nil when unknown.
    var position: SourcePosition?
    var found: String
    var expected: String
}

/// Composes YAML with Yams, getting past duplicate keys so that they, and everything else, can be reported at once.
///
/// Yams refuses a mapping with a duplicate key and names only one occurrence, of one mapping. So when Yams refuses a
/// text for that, one pass of libyaml's event parser (``DuplicateKeyScan``) finds every key that repeats an earlier
/// key of its mapping, and the composer renames all of them in one copy of the text by prefixing a marker
/// (`U+E000 n U+E001`, private-use scalars that no configuration uses), records the insertions in a ``MarkMap`` so
/// that columns stay those of the original text, and composes that copy. ``originalKey(_:)`` strips the marker, so
/// the validator sees every occurrence of the key, in order, and reports each one after the first. A text is parsed
/// once without duplicate keys and three times with any number of them.
enum YAMLComposer {
    static let markerOpen: Unicode.Scalar = "\u{E000}"
    static let markerClose: Unicode.Scalar = "\u{E001}"
    /// libyaml's nesting limit (`MAX_NESTING_LEVEL` in Yams' CYaml, not visible from Swift): its parser refuses a
    /// list or mapping that would make this many levels of lists and mappings, counting the document's root. It
    /// counts at the point its scanner has read up to, which may be ahead of the collection the parser is at, so
    /// the error's position can be where the deep nesting starts rather than where it reaches the limit. A test
    /// pins the value.
    static let maximumNesting = 1000

    enum Outcome {
        case composed(ComposedYAML)
        case failed(YAMLProblem)
    }

    static func compose(_ source: String) -> Outcome {
        var parses = 0
        return compose(source, parses: &parses)
    }

    /// ``compose(_:)``, adding to `parses` each pass of a parser over the text (for the test that pins their number).
    static func compose(_ source: String, parses: inout Int) -> Outcome {
        let text = source.unicodeScalars.first == "\u{FEFF}" ? String(source.unicodeScalars.dropFirst()) : source
        parses += 1
        if let outcome = composeOnce(text, marks: MarkMap(), refusingDuplicates: false) { return outcome }
        parses += 1
        let (renamed, marks) = rename(DuplicateKeyScan.repeatedKeys(in: text), in: text)
        parses += 1
        // Duplicates left (an alias or a list as a key, which cannot be renamed in the text) are refused as Yams
        // names them; so is anything else that keeps the renamed text from composing, such as a syntax error after
        // the duplicates.
        return composeOnce(renamed, marks: marks, refusingDuplicates: true)!
    }

    /// Composes `text`; nil when Yams refuses it for a duplicate key, unless `refusingDuplicates`.
    private static func composeOnce(_ text: String, marks: MarkMap, refusingDuplicates: Bool) -> Outcome? {
        do {
            // Tags as Yams' default resolver gives them, without its regular expressions (``ImplicitTags``).
            let root = try Yams.compose(yaml: text, .basic).map { ImplicitTags.resolve($0, in: text) }
            return .composed(ComposedYAML(root: root, marks: marks))
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            guard refusingDuplicates else { return nil }
            let position = context.mark.line > 0 ? marks.position(of: context.mark) : nil
            return .failed(YAMLProblem(position: position, found: "duplicate key \(quoted(duplicates.first ?? ""))",
                                       expected: "each key at most once in a mapping"))
        } catch let error as YamlError {
            return .failed(problem(from: error, text: text, marks: marks))
        } catch {
            return .failed(YAMLProblem(position: nil, found: "an unreadable document (\(error))", expected: "valid YAML"))
        }
    }

    /// `key` without the marker that ``compose(_:)`` may have put in front of it, and whether it had one.
    static func originalKey(_ key: String) -> (key: String, renamed: Bool) {
        let scalars = key.unicodeScalars
        guard scalars.first == markerOpen, let close = scalars.firstIndex(of: markerClose) else { return (key, false) }
        return (String(scalars[scalars.index(after: close)...]), true)
    }

    /// `text` with a marker at the start of each repeated key that is a plain or quoted scalar spelling its key,
    /// possibly after an anchor or tag (others are left as they are), and the map back to the original positions.
    /// One pass over the text, however many keys repeat.
    private static func rename(_ repeats: [DuplicateKeyScan.Key], in text: String) -> (String, MarkMap) {
        let scalars = Array(text.unicodeScalars)
        let lines = LineStarts(scalars)
        var marks = MarkMap()
        var insertions: [(index: Int, marker: [Unicode.Scalar])] = []
        for (number, key) in repeats.enumerated() {
            guard let (index, column) = insertionPoint(of: key, in: scalars, lines: lines) else { continue }
            let marker = Array("\(markerOpen)\(number)\(markerClose)".unicodeScalars)
            insertions.append((index, marker))
            marks.record(MarkMap.Insertion(line: key.line, column: column, length: marker.count))
        }
        insertions.sort { $0.index < $1.index }
        var view = String.UnicodeScalarView()
        var copied = 0
        for insertion in insertions {
            view.append(contentsOf: scalars[copied..<insertion.index])
            view.append(contentsOf: insertion.marker)
            copied = insertion.index
        }
        view.append(contentsOf: scalars[copied...])
        return (String(view), marks)
    }

    /// Where a marker goes for the key whose node starts at `key.line`:`key.column`: the scalar index and its column;
    /// nil unless that is a plain or quoted scalar spelling `key.text`, possibly after an anchor or tag.
    private static func insertionPoint(of key: DuplicateKeyScan.Key, in scalars: [Unicode.Scalar],
                                       lines: LineStarts) -> (index: Int, column: Int)? {
        guard var start = lines.index(line: key.line, column: key.column, in: scalars) else { return nil }
        var atColumn = key.column
        // An anchor (`&name`) or tag (`!tag`) before the key: the key's scalar starts after it and its blanks.
        while scalars[start] == "&" || scalars[start] == "!" {
            while start < scalars.count, scalars[start] != " " {
                guard !["\n", "\r", "\t"].contains(scalars[start]) else { return nil }
                start += 1
                atColumn += 1
            }
            while start < scalars.count, scalars[start] == " " {
                start += 1
                atColumn += 1
            }
            guard start < scalars.count else { return nil }
        }
        let first = scalars[start]
        if first == "\"" || first == "'" { return (start + 1, atColumn + 1) }
        let keyScalars = Array(key.text.unicodeScalars)
        guard !keyScalars.isEmpty, start + keyScalars.count <= scalars.count,
              scalars[start..<(start + keyScalars.count)].elementsEqual(keyScalars) else { return nil }
        return (start, atColumn)
    }

    /// A ``YAMLProblem`` for an error of Yams or libyaml.
    static func problem(from error: YamlError, text: String, marks: MarkMap) -> YAMLProblem {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let position = marks.position(of: mark)
            if problem.hasPrefix("found character that cannot start any token"),
               case let scalars = Array(text.unicodeScalars),
               let index = LineStarts(scalars).index(line: mark.line, column: mark.column, in: scalars),
               scalars[index] == "\t" {
                return YAMLProblem(position: position, found: "a tab character",
                                   expected: "spaces for indentation (YAML does not allow tabs there)")
            }
            if problem.hasPrefix("Maximum nesting level reached") {
                return YAMLProblem(position: position,
                                   found: "lists and mappings nested \(maximumNesting) or more levels deep",
                                   expected: "fewer than \(maximumNesting) levels of nesting (the YAML parser's limit)")
            }
            if problem == "but found another document" {
                return YAMLProblem(position: position, found: "a second YAML document",
                                   expected: "a single document (nothing after a second \"---\")")
            }
            var found = "a YAML syntax error: \(problem)"
            if let context {
                let start = marks.position(of: context.mark)
                found += " (\(context.text) at line \(start.line), column \(start.column))"
            }
            return YAMLProblem(position: position, found: found, expected: "valid YAML")
        case .reader(let problem, let offset, let value, _):
            var position: SourcePosition?
            if let offset, let index = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) {
                let scalarOffset = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: index)
                position = marks.original(SourcePosition.of(scalarOffset: scalarOffset, in: text))
            }
            var found = "unreadable text: \(problem)"
            if value >= 0 { found += " (U+\(hex4(value)))" }
            return YAMLProblem(position: position, found: found, expected: "printable UTF-8 text")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return YAMLProblem(position: marks.position(of: context.mark),
                               found: "duplicate key \(quoted(duplicates.first ?? ""))",
                               expected: "each key at most once in a mapping")
        default:
            return YAMLProblem(position: nil, found: "an unreadable document (\(error))", expected: "valid YAML")
        }
    }

    private static func hex4(_ value: Int32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// Where each line of a text starts, counting line breaks as libyaml does (`\r\n`, `\r`, `\n`, NEL, LS and PS).
struct LineStarts {
    private static let breaks: Set<Unicode.Scalar> = ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"]
    /// The scalar index at which each line starts; line 1 at index 0.
    private var starts = [0]

    init(_ scalars: [Unicode.Scalar]) {
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
            if Self.breaks.contains(scalars[i]) { starts.append(i + 1) }
            i += 1
        }
    }

    /// The index of the scalar at a 1-based `line`:`column`; nil when that is past the line's end or the text's.
    func index(line: Int, column: Int, in scalars: [Unicode.Scalar]) -> Int? {
        guard line >= 1, line <= starts.count, column >= 1 else { return nil }
        let target = starts[line - 1] + column - 1
        guard target < scalars.count else { return nil }
        let lineEnd = line < starts.count ? starts[line] : scalars.count
        guard target < lineEnd, !scalars[starts[line - 1]..<target].contains(where: Self.breaks.contains) else { return nil }
        return target
    }
}
