import SuperviseCore

/// Reads a `supervise.yaml` into a validated ``SupervisorConfig``.
///
/// Every problem in the file is reported at once, each with `file:line:column`, the key path, what was found and
/// what was expected (see ``ConfigDiagnostic``). The loader never crashes on bad input: whatever the file holds, it
/// returns a configuration or throws ``InvalidConfig``.
public enum ConfigLoader {
    /// Reads and validates the file at `path`.
    ///
    /// - Throws: ``InvalidConfig`` with every problem found, sorted by position; a file that cannot be read gives
    ///   one error naming the file and the OS's reason (such as "No such file or directory").
    public static func load(path: String) throws -> SupervisorConfig {
        switch FileReader.contents(ofFile: path) {
        case .success(let text): return try parse(yaml: text, file: path)
        case .failure(let error): throw InvalidConfig([error])
        }
    }

    /// Validates `yaml`, naming it `file` in errors.
    ///
    /// - Throws: ``InvalidConfig`` with every problem found, sorted by position.
    public static func parse(yaml: String, file: String) throws -> SupervisorConfig {
        switch YAMLComposer.compose(yaml) {
        case .failed(let problem):
            throw InvalidConfig([ConfigDiagnostic(file: file, line: problem.position?.line ?? 0,
                                            column: problem.position?.column ?? 0, keyPath: "",
                                            found: problem.found, expected: problem.expected)])
        case .composed(let document):
            let diagnostics = Diagnostics(file: file, marks: document.marks)
            let config = diagnostics.config(from: document.root)
            guard let config, diagnostics.errors.isEmpty else { throw InvalidConfig(diagnostics.errors) }
            return config
        }
    }
}
