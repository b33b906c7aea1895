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
/// Yams refuses a mapping with a duplicate key and names only the first occurrence. The composer then renames that
/// first occurrence in a copy of the text by prefixing a marker (`U+E000 n U+E001`, private-use scalars that no
/// configuration uses), records the insertion in a ``MarkMap`` so that columns stay those of the original text, and
/// composes again. ``originalKey(_:)`` strips the marker, so the validator sees every occurrence of the key, in
/// order, and reports each one after the first.
enum YAMLComposer {
    static let markerOpen: Unicode.Scalar = "\u{E000}"
    static let markerClose: Unicode.Scalar = "\u{E001}"
    /// How many duplicate keys are got past before giving up.
    static let maximumRenames = 500
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
        var text = source.unicodeScalars.first == "\u{FEFF}" ? String(source.unicodeScalars.dropFirst()) : source
        var marks = MarkMap()
        var renames = 0
        while true {
            do {
                return .composed(ComposedYAML(root: try Yams.compose(yaml: text), marks: marks))
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let key = duplicates.first ?? ""
                guard renames < maximumRenames,
                      let insertion = insertMarker(number: renames, into: &text,
                                                   line: context.mark.line, column: context.mark.column, key: key)
                else {
                    let position = context.mark.line > 0 ? marks.position(of: context.mark) : nil
                    return .failed(YAMLProblem(position: position, found: "duplicate key \(quoted(key))",
                                               expected: "each key at most once in a mapping"))
                }
                marks.record(insertion)
                renames += 1
            } catch let error as YamlError {
                return .failed(problem(from: error, text: text, marks: marks))
            } catch {
                return .failed(YAMLProblem(position: nil, found: "an unreadable document (\(error))",
                                           expected: "valid YAML"))
            }
        }
    }

    /// `key` without the marker that ``compose(_:)`` may have put in front of it, and whether it had one.
    static func originalKey(_ key: String) -> (key: String, renamed: Bool) {
        let scalars = key.unicodeScalars
        guard scalars.first == markerOpen, let close = scalars.firstIndex(of: markerClose) else { return (key, false) }
        return (String(scalars[scalars.index(after: close)...]), true)
    }

    /// Inserts a marker at the start of the key whose node starts at `line`:`column`; nil unless that is a plain or
    /// quoted scalar spelling `key`, possibly after an anchor or tag (complex and alias keys get the fallback error).
    private static func insertMarker(number: Int, into text: inout String, line: Int, column: Int,
                                     key: String) -> MarkMap.Insertion? {
        var scalars = Array(text.unicodeScalars)
        guard var start = index(line: line, column: column, in: scalars) else { return nil }
        var atColumn = column
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
        var at = start
        if first == "\"" || first == "'" {
            at += 1
            atColumn += 1
        } else {
            let keyScalars = Array(key.unicodeScalars)
            guard !keyScalars.isEmpty, start + keyScalars.count <= scalars.count,
                  Array(scalars[start..<(start + keyScalars.count)]) == keyScalars else { return nil }
        }
        let marker = Array("\(markerOpen)\(number)\(markerClose)".unicodeScalars)
        scalars.insert(contentsOf: marker, at: at)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        text = String(view)
        return MarkMap.Insertion(line: line, column: atColumn, length: marker.count)
    }

    /// The index of the scalar at a 1-based `line`:`column`, counting line breaks as libyaml does.
    private static func index(line: Int, column: Int, in scalars: [Unicode.Scalar]) -> Int? {
        guard line >= 1, column >= 1 else { return nil }
        var currentLine = 1
        var i = 0
        while currentLine < line {
            guard i < scalars.count else { return nil }
            switch scalars[i] {
            case "\r":
                if i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
                currentLine += 1
            case "\n", "\u{85}", "\u{2028}", "\u{2029}":
                currentLine += 1
            default:
                break
            }
            i += 1
        }
        let target = i + column - 1
        guard target < scalars.count else { return nil }
        for j in i..<target where ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalars[j]) { return nil }
        return target
    }

    /// A ``YAMLProblem`` for an error of Yams or libyaml.
    static func problem(from error: YamlError, text: String, marks: MarkMap) -> YAMLProblem {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let position = marks.position(of: mark)
            if problem.hasPrefix("found character that cannot start any token"),
               let index = index(line: mark.line, column: mark.column, in: Array(text.unicodeScalars)),
               Array(text.unicodeScalars)[index] == "\t" {
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
