import BatonTestSupport
import Foundation
import Testing

/// batond's exit codes when it cannot start: sysexits(3) codes that say what failed and a
/// message without the usage text when the flags were fine; 64 (EX_USAGE) with it when not.
@Suite struct BatondExitCodeTests {
    /// A fresh folder for one test, removed after `body`.
    private func withFolder<Result>(_ body: (String) async throws -> Result) async throws -> Result {
        let folder = String(cString: mkdtemp(strdup("/tmp/batond-exit-XXXXXX"))!)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await body(folder)
    }

    /// Expects batond to have exited with `code`, saying `message`, without the usage text.
    private func expectRefusal(
        _ result: ChildProcessResult,
        _ code: Int32,
        saying message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let output = result.standardError
        #expect(
            result.exited(with: code),
            "exit \(result.terminationStatus): \(output)",
            sourceLocation: sourceLocation
        )
        #expect(output.contains(message), "\(output)", sourceLocation: sourceLocation)
        #expect(!output.contains("Usage:") && !output.contains("--help"), "\(output)", sourceLocation: sourceLocation)
    }

    @Test func aSocketAnotherServerListensOnExits69() async throws {
        try await BatondProcess.with { running in
            let result = try BatondProcess.runUntilExit([
                "--socket", running.socketPath, "--data-dir", "\(running.folder)/other-data",
            ])
            expectRefusal(result, 69, saying: "another server is already listening on \(running.socketPath)")
        }
    }

    @Test func aSocketPathTooLongForAUnixAddressExits78() async throws {
        try await withFolder { folder in
            let socket = "\(folder)/" + String(repeating: "s", count: 120) + ".sock"
            let result = try BatondProcess.runUntilExit(["--socket", socket, "--data-dir", "\(folder)/data"])
            expectRefusal(result, 78, saying: "longer than the 107 bytes a Unix socket address holds")
        }
    }

    @Test func aDatabaseUnderAPlainFileExits73() async throws {
        try await withFolder { folder in
            try Data().write(to: URL(fileURLWithPath: "\(folder)/file"))
            let result = try BatondProcess.runUntilExit([
                "--socket", "\(folder)/s.sock", "--database", "\(folder)/file/baton.sqlite",
            ])
            expectRefusal(result, 73, saying: "cannot open the database: \(folder)/file exists and is not a folder")
        }
    }

    @Test func aFileThatIsNotADatabaseExits74() async throws {
        try await withFolder { folder in
            let database = "\(folder)/baton.sqlite"
            try Data(String(repeating: "not a database\n", count: 1_000).utf8).write(to: URL(fileURLWithPath: database))
            let result = try BatondProcess.runUntilExit(["--socket", "\(folder)/s.sock", "--database", database])
            expectRefusal(result, 74, saying: "cannot open the database: cannot open \(database)")
        }
    }

    @Test func aDatabaseOnAReadOnlyFileSystemExits73() async throws {
        try await withFolder { folder in
            try await Tmpfs.with(options: "ro,size=1m") { readOnly in
                let result = try BatondProcess.runUntilExit([
                    "--socket", "\(folder)/s.sock", "--data-dir", "\(readOnly)/data",
                ])
                expectRefusal(result, 73, saying: "Read-only file system")
            }
        }
    }

    @Test func aSocketOnAReadOnlyFileSystemExits73() async throws {
        try await withFolder { folder in
            try await Tmpfs.with(options: "ro,size=1m") { readOnly in
                for socket in ["\(readOnly)/run/s.sock", "\(readOnly)/s.sock"] {
                    let result = try BatondProcess.runUntilExit([
                        "--socket", socket, "--data-dir", "\(folder)/data",
                    ])
                    expectRefusal(result, 73, saying: "cannot listen on \(socket)")
                }
            }
        }
    }

    @Test(arguments: [["--no-such-flag"], ["--max-connections", "many"]])
    func aBadFlagStillExits64WithTheUsage(flag: [String]) async throws {
        try await withFolder { folder in
            let result = try BatondProcess.runUntilExit(
                ["--socket", "\(folder)/s.sock", "--data-dir", "\(folder)/data"] + flag
            )
            #expect(result.exited(with: 64), "exit \(result.terminationStatus): \(result.standardError)")
            #expect(result.standardError.contains("Usage:"), "\(result.standardError)")
        }
    }
}
