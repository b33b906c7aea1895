import Foundation
import Testing

/// A failed check inside an exit test's child process. Issues recorded in the child reach the
/// parent without their expression or comment, so checks print a line that the parent turns into
/// an issue with the full text (see ``reportChecks(of:)``).
func check(_ condition: Bool, _ message: @autoclosure () -> String = "", file: String = #fileID, line: Int = #line) {
    guard !condition else { return }
    let text = "CHECK FAILED at \(file):\(line)\(message().isEmpty ? "" : ": \(message())")\n"
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Records an issue for every failed check the child printed; echoes its other output.
func reportChecks(of child: ExitTest.Result?, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let child else { return }
    for line in String(decoding: child.standardOutputContent, as: UTF8.self).split(separator: "\n") {
        if line.hasPrefix("CHECK FAILED") {
            Issue.record(Comment(rawValue: String(line)), sourceLocation: sourceLocation)
        } else {
            print(line)
        }
    }
}

