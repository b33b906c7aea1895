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
        if let entry = fields["socket"], let path = socketPath(entry, example: ControlSettings.defaultSocketPath) {
            settings.socketPath = path
        }
        if let entry = fields["group"] { settings.group = account(entry.value, entry.path, kind: "group") }
        if let entry = fields["mode"], let mode = fileMode(entry.value, entry.path) { settings.socketMode = mode }
        return settings
    }
}
