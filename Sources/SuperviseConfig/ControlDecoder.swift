import SuperviseCore
import Yams

/// Reading `control`: the control socket and who may use it.
extension Diagnostics {
    /// The longest socket path Linux accepts (`sun_path` holds 108 bytes with the terminating NUL).
    static let maximumSocketPathBytes = 107

    func control(_ entry: Entry) -> ControlSettings {
        var settings = ControlSettings()
        guard let fields = fields(of: entry.value, at: entry.path, section: Schema.control,
                                  expected: Schema.control.mappingPhrase) else { return settings }
        if let entry = fields["socket"],
           let path = absolutePath(entry.value, entry.path, example: ControlSettings.defaultSocketPath) {
            if path.utf8.count > Diagnostics.maximumSocketPathBytes {
                report(entry.value, entry.path, found: "a path of \(path.utf8.count) bytes",
                       expected: "an absolute path of at most \(Diagnostics.maximumSocketPathBytes) bytes "
                           + "(the limit of a Unix socket address)")
            } else {
                settings.socketPath = path
            }
        }
        if let entry = fields["group"] { settings.group = account(entry.value, entry.path, kind: "group") }
        if let entry = fields["mode"], let mode = fileMode(entry.value, entry.path) { settings.socketMode = mode }
        return settings
    }
}
