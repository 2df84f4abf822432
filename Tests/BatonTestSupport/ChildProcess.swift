import Foundation

/// How a child process ended and what it wrote.
public struct ChildProcessResult: Sendable {
    public var standardOutput: [UInt8]
    public var standardError: String
    public var terminationStatus: Int32
    public var terminationReason: Process.TerminationReason

    /// stdout as UTF-8 text.
    public var standardText: String { String(decoding: standardOutput, as: UTF8.self) }

    /// True when the process exited (no signal) with `code`.
    public func exited(with code: Int32) -> Bool { terminationReason == .exit && terminationStatus == code }
}

/// Runs a program to completion with Foundation's `Process`: protoc, `rpc-cli`, python3.
public enum ChildProcess {
    /// Runs `executable` with `input` on stdin and collects stdout and stderr. `environment`
    /// entries are added to (or replace) the test process's own; `workingDirectory` is its
    /// directory (default: the test process's). A child still running after `timeout` is
    /// killed (SIGKILL), so that a test expecting it to end fails instead of hanging.
    ///
    /// All three streams are files, not pipes: a child that exits without reading stdin cannot
    /// raise SIGPIPE in the test process, and one that writes a lot cannot block on a full pipe.
    public static func run(
        _ executable: URL,
        _ arguments: [String],
        input: [UInt8] = [],
        environment: [String: String] = [:],
        workingDirectory: URL? = nil,
        timeout: Duration? = nil
    ) throws -> ChildProcessResult {
        let directory = FileManager.default.temporaryDirectory.appending(path: "baton-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdinFile = directory.appending(path: "stdin")
        let stdoutFile = directory.appending(path: "stdout")
        let stderrFile = directory.appending(path: "stderr")
        try Data(input).write(to: stdinFile)
        try Data().write(to: stdoutFile)
        try Data().write(to: stderrFile)

        let stdin = try FileHandle(forReadingFrom: stdinFile)
        let stdout = try FileHandle(forWritingTo: stdoutFile)
        let stderr = try FileHandle(forWritingTo: stderrFile)
        defer {
            try? stdin.close()
            try? stdout.close()
            try? stderr.close()
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let watchdog = DispatchWorkItem { [pid = process.processIdentifier] in kill(pid, SIGKILL) }
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            let deadline = DispatchTime.now() + Double(seconds) + Double(attoseconds) * 1e-18
            DispatchQueue.global().asyncAfter(deadline: deadline, execute: watchdog)
        }
        process.waitUntilExit()
        watchdog.cancel()

        return ChildProcessResult(
            standardOutput: Array(try Data(contentsOf: stdoutFile)),
            standardError: String(decoding: try Data(contentsOf: stderrFile), as: UTF8.self),
            terminationStatus: process.terminationStatus,
            terminationReason: process.terminationReason
        )
    }
}
