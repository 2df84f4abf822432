import BatonTestSupport
import Foundation
import Testing

/// The exit codes `rpc-cli --help` and the README document, one per kind of failure, each with
/// its one-line message on stderr and nothing on stdout.
@Suite struct ExitCodeTests {
    @Test("a socket nobody serves exits 69 and says where it looked")
    func unreachableServerExits69() throws {
        let result = try RPCCLI.run(["health"], socket: "/tmp/baton-no-such-folder/batond.sock")
        #expect(result.exited(with: 69), "\(result.terminationStatus) \(result.standardError)")
        #expect(result.standardError.contains("/tmp/baton-no-such-folder/batond.sock"))
        #expect(result.standardOutput.isEmpty)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        let exitCode: Int32
        let stderrMentions: String
        var testDescription: String { "\(arguments.joined(separator: " ")) -> \(exitCode)" }
    }

    static let cases: [Case] = [
        Case(arguments: ["call", "baton.v1.Chats/NoSuchMethod", "-d", "{}"], exitCode: 64, stderrMentions: "unknown method"),
        Case(arguments: ["call", "baton.v1.Chats/GetChat", "--no-such-flag"], exitCode: 64, stderrMentions: "--no-such-flag"),
        Case(arguments: ["call", "baton.v1.Chats/GetChat", "--timeout", "inf"], exitCode: 64, stderrMentions: "--timeout"),
        Case(arguments: ["watch", "--retry-for", "-1"], exitCode: 64, stderrMentions: "--retry-for"),
        Case(arguments: ["call", "baton.v1.Chats/GetChat", "-H", "=1"], exitCode: 64, stderrMentions: "key=value"),
        Case(arguments: ["call", "baton.v1.Chats/GetChat", "-d", #"{"chatId":"#], exitCode: 65, stderrMentions: "baton.v1.GetChatRequest"),
        Case(arguments: ["call", "baton.v1.Chats/GetChat", "-d", #"{"chatIdd":"x"}"#], exitCode: 65, stderrMentions: "chatIdd"),
        Case(arguments: ["call", "baton.v1.Chats/GetChat", "-d", #"{"chatId":"nope"}"#], exitCode: 105, stderrMentions: "NOT_FOUND"),
        Case(arguments: ["call", "baton.v1.Chats/GetChat", "-d", "{}"], exitCode: 103, stderrMentions: "INVALID_ARGUMENT"),
        Case(
            arguments: ["call", "baton.test.v1.TestService/Unary", "-d", #"{"delayMillis":10000}"#, "--timeout", "0.2"],
            exitCode: 104, stderrMentions: "DEADLINE_EXCEEDED"
        ),
        Case(
            arguments: ["call", "baton.v1.Chats/TransferChat", "-d", #"{"chatId":"chat-1","actingRepId":"ana","targetRepId":"dan"}"#],
            exitCode: 109, stderrMentions: "FAILED_PRECONDITION"
        ),
        Case(
            arguments: ["watch", "--from", "100000", "--no-follow"],
            exitCode: 111, stderrMentions: "reason sequence not reached, last_sequence "
        ),
        Case(
            arguments: ["call", "baton.v1.Chats/GetChat", "-d", #"{"chatId":"chat-1"}"#, "-H", "bad key=1"],
            exitCode: 103, stderrMentions: "INVALID_ARGUMENT"
        ),
    ]

    @Test("each kind of failure has its documented exit code", arguments: cases)
    func documentedExitCode(_ testCase: Case) async throws {
        try await BatondProcess.with(["--demo", "--enable-test-service"]) { batond in
            let result = try RPCCLI.run(testCase.arguments, socket: batond.socketPath)
            #expect(result.exited(with: testCase.exitCode), "\(result.terminationStatus): \(result.standardError)")
            #expect(result.standardOutput.isEmpty)
            #expect(result.standardError.contains(testCase.stderrMentions), "\(result.standardError)")
            // The server is unharmed and still answers.
            #expect(try RPCCLI.run(["health"], socket: batond.socketPath).exited(with: 0))
        }
    }

    @Test("bash completion offers the subcommands and completes method names")
    func bashCompletion() throws {
        let rpcCLI = try BuiltProducts.executable("rpc-cli")
        let script = try ChildProcess.run(rpcCLI, ["--generate-completion-script", "bash"])
        #expect(script.exited(with: 0))
        let directory = FileManager.default.temporaryDirectory.appending(path: "baton-completion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scriptFile = directory.appending(path: "rpc-cli.bash")
        try Data(script.standardOutput).write(to: scriptFile)

        // What bash does on TAB: sets COMP_* and calls the completion function.
        func complete(_ words: [String]) throws -> [String] {
            let line = words.joined(separator: " ")
            let program = """
                source '\(scriptFile.path)'
                COMP_WORDS=(\(words.map { "'\($0)'" }.joined(separator: " "))); COMP_CWORD=\(words.count - 1)
                COMP_LINE='\(line)'; COMP_POINT=\(line.count)
                _rpc-cli rpc-cli '\(words.last!)' '\(words[words.count - 2])'
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let result = try ChildProcess.run(
                URL(fileURLWithPath: "/bin/bash"), ["-c", program],
                environment: ["PATH": BuiltProducts.directory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")]
            )
            return result.standardText.split(separator: "\n").map(String.init)
        }
        #expect(try complete(["rpc-cli", "wa"]) == ["watch"])
        #expect(try complete(["rpc-cli", "call", "baton.v1.Chats/Transf"]) == ["baton.v1.Chats/TransferChat"])
        #expect(try complete(["rpc-cli", "watch", "--kind", "transfer_c"]).sorted() == ["transfer_cancelled", "transfer_completed"])
    }
}
