import BatonRPC
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The real batond as an operator runs it, in its own process, on a socket and database in a
/// fresh temporary folder that is removed when it is stopped.
public final class BatondProcess: @unchecked Sendable {
    /// The folder holding the socket (`run/batond.sock` unless told otherwise), the database
    /// (`data/`) and `stderr.log`.
    public let folder: String
    public let socketPath: String
    public let stderrLog: URL
    /// The running process; replaced by `restart()`.
    public private(set) var process: Process
    private let arguments: [String]
    private let umask: String?

    /// Starts batond with `arguments` (added to its socket and data folder) and returns once it
    /// accepts connections. `umask` (octal digits, e.g. "000") is batond's umask, when given;
    /// `socketPath` makes the socket's path from the folder's. With `postgresURL` the state is
    /// in that PostgreSQL database instead of the data folder.
    public static func start(
        _ arguments: [String] = [],
        umask: String? = nil,
        postgresURL: String? = nil,
        socketPath: (_ folder: String) -> String = defaultSocketPath
    ) async throws -> BatondProcess {
        let folder = String(cString: mkdtemp(strdup("/tmp/batond-test-XXXXXX"))!)
        // Each batond gets its own database unless it is to share one in PostgreSQL: tests run in
        // parallel, and must not share (or touch) the default one.
        let store = postgresURL.map { ["--postgres-url", $0] } ?? ["--data-dir", "\(folder)/data"]
        let batond = try BatondProcess(
            folder: folder,
            socketPath: socketPath(folder),
            arguments: store + arguments,
            umask: umask
        )
        try await batond.waitUntilServing()
        return batond
    }

    public static func defaultSocketPath(in folder: String) -> String { "\(folder)/run/batond.sock" }

    private init(folder: String, socketPath: String, arguments: [String], umask: String?) throws {
        self.folder = folder
        self.socketPath = socketPath
        self.stderrLog = URL(fileURLWithPath: "\(folder)/stderr.log")
        _ = FileManager.default.createFile(atPath: stderrLog.path, contents: nil)
        self.arguments = ["--socket", socketPath] + arguments
        self.umask = umask
        self.process = try Self.launch(arguments: self.arguments, umask: umask, stderr: stderrLog)
    }

    private static func launch(arguments: [String], umask: String?, stderr: URL) throws -> Process {
        let process = Process()
        let batond = try BuiltProducts.executable("batond")
        if let umask {
            // The umask is process-wide: set in the test process, it would leak into every test
            // running beside it. A shell sets it for batond alone, then becomes batond (same pid).
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\"", batond.path] + arguments
        } else {
            process.executableURL = batond
            process.arguments = arguments
        }
        let log = try FileHandle(forWritingTo: stderr)
        log.seekToEndOfFile()
        process.standardError = log
        try process.run()
        return process
    }

    /// batond's resident memory (VmRSS of /proc/PID/status), in bytes.
    public func residentMemoryBytes() throws -> Int {
        let path = "/proc/\(process.processIdentifier)/status"
        let status = try String(contentsOfFile: path, encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({
                Int($0.trimmingCharacters(in: .whitespaces))
            })
        else { throw BatondFailed(message: "no VmRSS in \(path)") }
        return kilobytes * 1024
    }

    /// What batond logged so far.
    public var log: String { (try? String(contentsOf: stderrLog, encoding: .utf8)) ?? "" }

    /// Polls with a connect until batond accepts: a process start has no event to await.
    public func waitUntilServing() async throws {
        for _ in 0..<600 {
            if let client = try? await RPCClient.connect(socketPath: socketPath) {
                await client.close()
                return
            }
            guard process.isRunning else { throw BatondFailed(message: "batond exited before serving: \(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BatondFailed(message: "batond did not start serving within 30 s: \(log)")
    }

    /// Sends SIGTERM and waits for the process to exit.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Stops batond (SIGTERM), starts it again on the same socket and database, and waits until
    /// it serves.
    public func restart() async throws {
        stop()
        process = try Self.launch(arguments: arguments, umask: umask, stderr: stderrLog)
        try await waitUntilServing()
    }

    /// Kills batond with SIGKILL (no drain, no cleanup: a crash) and waits for it to be gone.
    public func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Kills batond with SIGKILL (no drain, no cleanup: a crash), starts it again on the same
    /// socket and database, and waits until it serves.
    public func killAndRestart() async throws {
        crash()
        process = try Self.launch(arguments: arguments, umask: umask, stderr: stderrLog)
        try await waitUntilServing()
    }

    /// Stops batond and removes its folder.
    public func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Starts batond, runs `body`, then stops it and removes its folder, also when `body` throws.
    public static func with<Result>(
        _ arguments: [String] = [],
        umask: String? = nil,
        postgresURL: String? = nil,
        _ body: (BatondProcess) async throws -> Result
    ) async throws -> Result {
        let batond = try await start(arguments, umask: umask, postgresURL: postgresURL)
        defer { batond.remove() }
        return try await body(batond)
    }
}

/// batond did not come up.
public struct BatondFailed: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
