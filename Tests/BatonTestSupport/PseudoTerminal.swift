import Foundation

/// Runs a shell command on a pseudo-terminal, through `script` (Debian's bsdutils), so the
/// programs in it see a terminal on stdin and stdout, as when a person types the command.
public enum PseudoTerminal {
    /// Runs `command` with bash (`pipefail` on) and returns what it printed, stdout and stderr
    /// together as on a screen, with the terminal's `\r\n` turned back into `\n`.
    public static func run(
        _ command: String,
        environment: [String: String] = [:],
        workingDirectory: URL? = nil
    ) throws -> (output: String, exitStatus: Int32) {
        guard let script = ["/usr/bin/script", "/bin/script"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ScriptMissing()
        }
        // -q: no banner; -e: exit with the command's status; -f: flush as it is written.
        let result = try ChildProcess.run(
            URL(fileURLWithPath: script),
            ["-qefc", "set -o pipefail; " + command, "/dev/null"],
            environment: environment.merging(["SHELL": "/bin/bash", "TERM": "dumb"]) { mine, _ in mine },
            workingDirectory: workingDirectory
        )
        let output = String(decoding: result.standardOutput, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        return (output, result.terminationReason == .exit ? result.terminationStatus : -1)
    }
}

/// `script` is not installed.
public struct ScriptMissing: Error, CustomStringConvertible {
    public var description: String { "script is not installed: apt-get install bsdutils" }
}
