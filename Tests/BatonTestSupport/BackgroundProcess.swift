import Foundation

/// A program left running while the test talks to it: stdin is a pipe the test writes to, and
/// stdout's lines are collected as they arrive so the test can await one (`rpc-cli watch`, a
/// bidirectional `rpc-cli call`).
public final class BackgroundProcess: @unchecked Sendable {
    // `lines` and `ended` are guarded by `condition`; the rest is set once in init.
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors: URL
    private let condition = NSCondition()
    private var lines: [String] = []
    private var ended = false

    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        errors = FileManager.default.temporaryDirectory.appending(path: "baton-stderr-\(UUID().uuidString)")
        try Data().write(to: errors)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let reader = Thread { [output, condition] in
            var pending = Data()
            while true {
                let chunk = output.fileHandleForReading.availableData
                condition.lock()
                if chunk.isEmpty {
                    if !pending.isEmpty { self.lines.append(String(decoding: pending, as: UTF8.self)) }
                    self.ended = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    self.lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending = Data(pending[pending.index(after: newline)...])
                }
                condition.broadcast()
                condition.unlock()
            }
        }
        reader.start()
    }

    /// Writes `text` plus a newline to the program's stdin.
    public func writeLine(_ text: String) {
        input.fileHandleForWriting.write(Data((text + "\n").utf8))
    }

    /// Closes the program's stdin (end of input).
    public func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    /// Waits until stdout holds `count` lines (or stdout ends, or `timeout` passes) and returns
    /// every line so far. The timeout only bounds a failing test; passing tests never reach it.
    public func lines(atLeast count: Int, timeout: TimeInterval = 60) async -> [String] {
        await lines(satisfying: { $0.count >= count }, timeout: timeout)
    }

    /// Waits until a line satisfies `predicate` (or stdout ends, or `timeout` passes); returns
    /// every line so far.
    public func lines(until predicate: @escaping @Sendable (String) -> Bool, timeout: TimeInterval = 60) async -> [String] {
        await lines(satisfying: { $0.contains(where: predicate) }, timeout: timeout)
    }

    /// Waits on a thread of its own: blocking one of Swift concurrency's few threads could
    /// starve the calls the test makes meanwhile.
    private func lines(satisfying done: @escaping @Sendable ([String]) -> Bool, timeout: TimeInterval) async -> [String] {
        await withCheckedContinuation { continuation in
            Thread {
                let deadline = Date(timeIntervalSinceNow: timeout)
                self.condition.lock()
                while !done(self.lines), !self.ended, self.condition.wait(until: deadline) {}
                let lines = self.lines
                self.condition.unlock()
                continuation.resume(returning: lines)
            }.start()
        }
    }

    /// What the program wrote to stderr so far.
    public var standardError: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

    /// Waits for the program to exit by itself; returns its exit status.
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread {
                self.process.waitUntilExit()
                continuation.resume(returning: self.process.terminationStatus)
            }.start()
        }
    }

    /// Stops the program (SIGTERM) if it still runs, and removes its stderr file.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: errors)
    }
}
