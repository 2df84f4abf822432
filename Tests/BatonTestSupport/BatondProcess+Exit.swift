import Foundation

extension BatondProcess {
    /// Runs batond with exactly `arguments`, expected to refuse to start, and returns how it
    /// ended and what it wrote. One that serves instead is killed after `timeout`, so that the
    /// test fails (killed by a signal, not the exit code it expects) rather than hangs; a batond
    /// that refuses ends long before.
    public static func runUntilExit(_ arguments: [String], timeout: Duration = .seconds(30)) throws
        -> ChildProcessResult
    {
        try ChildProcess.run(try BuiltProducts.executable("batond"), arguments, timeout: timeout)
    }
}
