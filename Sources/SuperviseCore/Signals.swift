/// Linux signal numbers by name, so the core and the configuration can name signals without libc.
public enum Signals {
    /// Names without the `SIG` prefix, as on x86-64 and arm64 Linux.
    public static let byName: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16,
        "CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23,
        "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31,
    ]

    public static let term: Int32 = 15
    public static let kill: Int32 = 9
    public static let int: Int32 = 2
    public static let hup: Int32 = 1

    /// Parses `SIGTERM`, `TERM` or a number; nil when unknown.
    public static func parse(_ text: String) -> Int32? {
        let upper = text.uppercased()
        if let n = Int32(upper), n > 0, n < 65 { return n }
        let bare = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        return byName[bare]
    }

    /// `SIGTERM` for 15, `SIG34` for real-time signals.
    public static func name(_ number: Int32) -> String {
        if let entry = byName.first(where: { $0.value == number }) { return "SIG" + entry.key }
        return "SIG\(number)"
    }
}
