import SuperviseCore

extension ExitStatus {
    /// Decodes a `waitpid` status word (the `WIFEXITED`/`WTERMSIG` macros are not importable).
    public init(waitStatus status: Int32) {
        let signal = status & 0x7f
        if signal == 0 {
            self = .exited(code: (status >> 8) & 0xff)
        } else {
            self = .signaled(signal: signal, coreDumped: status & 0x80 != 0)
        }
    }
}
