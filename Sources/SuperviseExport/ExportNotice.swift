/// Something of the configuration or the Compose files that the export could not carry over as it is: what has no
/// Kubernetes counterpart, or was changed on the way, with what to do instead. Printed on stderr, one a line; never
/// silently dropped.
public struct ExportNotice: Sendable, Hashable, CustomStringConvertible {
    /// Where it was written: file, position when known, key path.
    public var place: SourcePlace
    /// What happens to it, and what to do instead.
    public var message: String

    /// A notice about `place`.
    public init(_ place: SourcePlace, _ message: String) {
        self.place = place
        self.message = message
    }

    /// `FILE:LINE:COLUMN: KEYPATH: MESSAGE`.
    public var description: String { "\(place): \(message)" }
}
