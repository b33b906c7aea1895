/// Process exit codes of the `supervise` command, documented in the README.
public enum ExitCodes {
    public static let success: Int32 = 0
    /// Failure talking to the daemon, or the daemon refused the request.
    public static let failure: Int32 = 1
    /// Bad command line (ArgumentParser's own code).
    public static let usage: Int32 = 64
    /// No such unit.
    public static let unknownUnit: Int32 = 3
    /// The configuration is invalid.
    public static let configInvalid: Int32 = 78
    /// The control socket could not be created.
    public static let controlSocket: Int32 = 71
    /// Permission denied by the daemon.
    public static let permissionDenied: Int32 = 77
}
