/// What this build of supervise is: ``version`` and ``commit`` are generated before every build by
/// `scripts/build-info.sh` (through the `SuperviseBuildInfoPlugin` prebuild command), from the
/// repository's `VERSION` file and `git rev-parse HEAD`.
public enum BuildInfo {
    /// `supervise VERSION (commit COMMIT)`, as `supervise version` prints it.
    public static var description: String { "supervise \(version) (commit \(commit))" }
}
