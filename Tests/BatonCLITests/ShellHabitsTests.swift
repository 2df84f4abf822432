import BatonTestSupport
import Foundation
import Testing

/// rpc-cli taking its arguments as grpcurl, curl and varlinkctl users write them.
@Suite struct ShellHabitsTests {
    /// A socket nobody serves: a test passing it in BATON_SOCKET and the real one as --socket
    /// shows that --socket is what rpc-cli used.
    static let nowhere = "/tmp/baton-no-such-folder/batond.sock"

    @Test("connection options work before the subcommand, as `rpc-cli --socket PATH list`")
    func connectionOptionsBeforeTheSubcommand() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let list = try RPCCLI.run(["--socket", batond.socketPath, "list"], socket: Self.nowhere)
            #expect(list.exited(with: 0), "\(list.standardError)")
            #expect(list.standardText.contains("baton.v1.Chats\n"))

            let call = try RPCCLI.run(
                ["--socket=\(batond.socketPath)", "--timeout", "5", "-H", "x-trace=1", "call", "baton.v1.Chats/GetChat",
                 "-d", #"{"chatId":"chat-1"}"#],
                socket: Self.nowhere
            )
            #expect(call.exited(with: 0), "\(call.standardError)")
            #expect(call.standardText.contains(#""id":"chat-1""#))

            // After the subcommand, as before, and BATON_SOCKET alone.
            #expect(try RPCCLI.run(["health", "--socket", batond.socketPath], socket: Self.nowhere).exited(with: 0))
            #expect(try RPCCLI.run(["health"], socket: batond.socketPath).exited(with: 0))
        }
    }

    @Test("an option before the subcommand that is not a connection option is still refused")
    func otherOptionsBeforeTheSubcommandAreRefused() throws {
        let result = try RPCCLI.run(["--format", "json", "list"], socket: Self.nowhere)
        #expect(result.exited(with: 64), "\(result.terminationStatus) \(result.standardError)")
        #expect(result.standardError.contains("--format"))
    }

    @Test("a method may be written Service.Method, Service/Method or as its path", arguments: [
        "baton.v1.Chats.GetChat", "baton.v1.Chats/GetChat", "/baton.v1.Chats/GetChat",
    ])
    func methodSpellings(_ method: String) async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["call", method, "-d", #"{"chatId":"chat-1"}"#], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            #expect(result.standardText.contains(#""id":"chat-1""#))
        }
    }

    @Test("-d @FILE reads the request from a file and -d @- from stdin")
    func requestFromFileOrStandardInput() async throws {
        let file = FileManager.default.temporaryDirectory.appending(path: "baton-request-\(UUID().uuidString).json")
        try Data("{\n  \"chatId\": \"chat-1\"\n}\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try await BatondProcess.with(["--demo"]) { batond in
            let fromFile = try RPCCLI.run(["call", "baton.v1.Chats/GetChat", "-d", "@" + file.path], socket: batond.socketPath)
            #expect(fromFile.exited(with: 0), "\(fromFile.standardError)")
            #expect(fromFile.standardText.contains(#""id":"chat-1""#))

            let fromStdin = try RPCCLI.run(
                ["call", "baton.v1.Chats/GetChat", "-d", "@-"], socket: batond.socketPath, input: #"{"chatId":"chat-1"}"#
            )
            #expect(fromStdin.exited(with: 0), "\(fromStdin.standardError)")
            #expect(fromStdin.standardText.contains(#""id":"chat-1""#))

            let missing = try RPCCLI.run(["call", "baton.v1.Chats/GetChat", "-d", "@/tmp/baton-no-such-file.json"], socket: batond.socketPath)
            #expect(missing.exited(with: 65), "\(missing.standardError)")
            #expect(missing.standardError.contains("/tmp/baton-no-such-file.json"))
            #expect(missing.standardOutput.isEmpty)
        }
    }

    @Test("a request stream may put objects on one line, or one object over several lines")
    func requestStreamOfJSONValues() async throws {
        let streams = [
            #"{"text":"a"} {"text":"b"}{"text":"c"}"#,
            "{\n  \"text\": \"a\"\n}\n{\"text\":\n\"b\"}\t{\"text\":\"c\"}",
            // Braces inside strings are text, not structure.
            #"{"text":"a"}{"text":"b"}{"text":"c"}"# + "\n",
        ]
        try await BatondProcess.with(["--enable-test-service"]) { batond in
            for input in streams {
                for arguments in [["call", "baton.test.v1.TestService/ClientStream"], ["call", "baton.test.v1.TestService/ClientStream", "-d", input]] {
                    let result = try RPCCLI.run(arguments, socket: batond.socketPath, input: input)
                    #expect(result.exited(with: 0), "\(input): \(result.standardError)")
                    let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any]
                    #expect(object?["receivedCount"] as? Int == 3, "\(input)")
                    #expect(object?["text"] as? String == "abc", "\(input)")
                }
            }
            let braces = try RPCCLI.run(
                ["call", "baton.test.v1.TestService/ClientStream"], socket: batond.socketPath, input: #"{"text":"} {"} {"text":"\"{"}"#
            )
            let object = try JSONSerialization.jsonObject(with: Data(braces.standardOutput)) as? [String: Any]
            #expect(object?["text"] as? String == "} {\"{", "\(braces.standardError)")
        }
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        let input: String
        let mentions: String
        var testDescription: String { input }
    }

    @Test("a malformed request stream exits 65 naming where", arguments: [
        Malformed(input: "{\"text\":\"a\"}\n  x", mentions: "line 2, column 3"),
        Malformed(input: "{\"text\":\"a\"}\n{\"text\":", mentions: "line 2, column 1 is not closed"),
        Malformed(input: "{\"text\":\"a\"}\n{\"txet\":\"b\"}", mentions: "line 2, column 1"),
        Malformed(input: "[{\"text\":\"a\"}]", mentions: "line 1, column 1"),
    ])
    func malformedRequestStream(_ malformed: Malformed) async throws {
        try await BatondProcess.with(["--enable-test-service"]) { batond in
            let result = try RPCCLI.run(["call", "baton.test.v1.TestService/ClientStream"], socket: batond.socketPath, input: malformed.input)
            #expect(result.exited(with: 65), "\(result.terminationStatus): \(result.standardError)")
            #expect(result.standardError.contains(malformed.mentions), "\(result.standardError)")
            #expect(result.standardOutput.isEmpty)
        }
    }

    @Test("a method that takes one request refuses two, naming where the second starts")
    func unaryRefusesTwoRequests() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(
                ["call", "baton.v1.Chats/GetChat", "-d", "{\"chatId\":\"chat-1\"}\n{\"chatId\":\"chat-2\"}"], socket: batond.socketPath
            )
            #expect(result.exited(with: 65), "\(result.standardError)")
            #expect(result.standardError.contains("line 2, column 1"), "\(result.standardError)")
            #expect(result.standardOutput.isEmpty)
        }
    }

    @Test("--version of rpc-cli and batond name the same schema fingerprint")
    func versionsAgree() throws {
        let cli = try ChildProcess.run(try BuiltProducts.executable("rpc-cli"), ["--version"])
        let daemon = try ChildProcess.run(try BuiltProducts.executable("batond"), ["--version"])
        #expect(cli.exited(with: 0) && daemon.exited(with: 0), "\(cli.standardError) \(daemon.standardError)")
        let cliLine = cli.standardText.trimmingCharacters(in: .newlines)
        let daemonLine = daemon.standardText.trimmingCharacters(in: .newlines)
        let pattern = #/^(rpc-cli|batond) \d+\.\d+\.\d+ \(schema ([0-9a-f]{12})\)$/#
        let cliMatch = try #require(cliLine.wholeMatch(of: pattern), "\(cliLine)")
        let daemonMatch = try #require(daemonLine.wholeMatch(of: pattern), "\(daemonLine)")
        #expect(cliMatch.1 == "rpc-cli" && daemonMatch.1 == "batond")
        #expect(cliMatch.2 == daemonMatch.2)
    }
}
