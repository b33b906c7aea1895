/// Every problem found in a configuration file, thrown at once by ``ConfigLoader``.
public struct InvalidConfig: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, sorted by file, line and column (problems at the same place keep the order they were found in).
    public var errors: [ConfigDiagnostic]

    /// Collects `errors`, sorting them by position.
    public init(_ errors: [ConfigDiagnostic]) {
        self.errors = InvalidConfig.sorted(errors)
    }

    /// One ``ConfigDiagnostic/description`` per line, sorted by line and column.
    public var description: String {
        InvalidConfig.sorted(errors).map(\.description).joined(separator: "\n")
    }

    /// A stable sort by file, then line, then column.
    static func sorted(_ errors: [ConfigDiagnostic]) -> [ConfigDiagnostic] {
        errors.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if x.file != y.file { return x.file < y.file }
            if x.line != y.line { return x.line < y.line }
            if x.column != y.column { return x.column < y.column }
            return a.offset < b.offset
        }.map(\.element)
    }
}
