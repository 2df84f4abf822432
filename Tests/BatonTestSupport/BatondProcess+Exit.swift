import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension BatondProcess {
    /// Runs batond with exactly `arguments`, expected to refuse to start, and returns how it
    /// ended and what it wrote. One that serves instead is killed after `timeout`, so that the
    /// test fails (killed by a signal, not the exit code it expects) rather than hangs; a batond
    /// that refuses ends long before.
    public static func runUntilExit(_ arguments: [String], timeout: Duration = .seconds(30)) async throws
        -> ChildProcessResult
    {
        let directory = FileManager.default.temporaryDirectory.appending(path: "batond-exit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdoutFile = directory.appending(path: "stdout")
        let stderrFile = directory.appending(path: "stderr")
        try Data().write(to: stdoutFile)
        try Data().write(to: stderrFile)
        let stdout = try FileHandle(forWritingTo: stdoutFile)
        let stderr = try FileHandle(forWritingTo: stderrFile)
        defer {
            try? stdout.close()
            try? stderr.close()
        }
        let process = Process()
        process.executableURL = try BuiltProducts.executable("batond")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.finish() }
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(process.processIdentifier, SIGKILL)
        }
        for await _ in exited.stream {}
        watchdog.cancel()
        process.waitUntilExit()
        return ChildProcessResult(
            standardOutput: Array(try Data(contentsOf: stdoutFile)),
            standardError: String(decoding: try Data(contentsOf: stderrFile), as: UTF8.self),
            terminationStatus: process.terminationStatus,
            terminationReason: process.terminationReason
        )
    }
}
