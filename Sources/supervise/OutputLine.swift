import Foundation

/// Writes `line` and a newline to standard output at once.
///
/// Every line the CLI prints goes through here, never through `print`: `print` is buffered when
/// standard output is a pipe, so its lines came out after those written directly (`drain --wait`
/// showed its header after the progress lines) and were lost when the command was interrupted.
func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes `supervise: warning: ...` to standard error.
func writeWarning(_ message: String) {
    FileHandle.standardError.write(Data("supervise: warning: \(message)\n".utf8))
}
