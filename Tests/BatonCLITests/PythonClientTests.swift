import BatonProtos
import BatonRPC
import BatonTestSupport
import Foundation
import Testing

/// tools/examples/python/transfer_chat.py, the example client for integration developers, run
/// with the python3 on PATH against a real `batond --demo`, then checked from Swift.
@Suite struct PythonClientTests {
    static let script = BuiltProducts.repositoryRoot.appending(path: "tools/examples/python/transfer_chat.py").path
    static let note = "Visitor asks whether SSO comes with the Team plan"
    static let visitorMessage = "Ben from our security team will continue with you"

    @Test("the Python example hands chat-1 from Ana to Ben, with a note for Ben and a message for the visitor")
    func transfersTheDemoChat() async throws {
        try requireProtobufRuntime()
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try runExample(batond, transferringTo: "ben")
            #expect(result.exited(with: 0), "exit \(result.terminationStatus): \(result.standardError)")
            #expect(result.standardText.contains("TRANSFERRED"), "\(result.standardText)")

            let chat = try await chat("chat-1", of: batond)
            #expect(chat.ownerRepID == "ben")
            #expect(chat.transcript.contains { $0.kind == .transferNote && $0.text == Self.note })
            #expect(chat.transcript.contains { $0.kind == .transferMessage && $0.text == Self.visitorMessage })
        }
    }

    @Test("a transfer to Dan, who is logged out, exits 109 naming the status and the reason; chat-1 stays with Ana")
    func aTransferToALoggedOutRepFailsAndChangesNothing() async throws {
        try requireProtobufRuntime()
        try await BatondProcess.with(["--demo"]) { batond in
            let before = try await chat("chat-1", of: batond)

            let result = try runExample(batond, transferringTo: "dan")
            #expect(result.exited(with: 100 + 9), "exit \(result.terminationStatus): \(result.standardError)")
            #expect(result.standardError.contains("FAILED_PRECONDITION"), "\(result.standardError)")
            #expect(result.standardError.contains("ERROR_REASON_TARGET_LOGGED_OUT"), "\(result.standardError)")

            let after = try await chat("chat-1", of: batond)
            #expect(after.ownerRepID == "ana")
            #expect(after == before)
        }
    }

    private func runExample(_ batond: BatondProcess, transferringTo target: String) throws -> ChildProcessResult {
        try ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", Self.script, "--socket", batond.socketPath, "--chat", "chat-1", "--from", "ana",
                "--to", target, "--note", Self.note, "--visitor-message", Self.visitorMessage,
            ]
        )
    }

    /// The chat with its whole transcript, as batond has it now.
    private func chat(_ id: String, of batond: BatondProcess) async throws -> Baton_V1_Chat {
        let client = try await RPCClient.connect(socketPath: batond.socketPath)
        var request = Baton_V1_GetChatRequest()
        request.chatID = id
        let response: Baton_V1_GetChatResponse
        do {
            response = try await client.unary("/baton.v1.Chats/GetChat", request, as: Baton_V1_GetChatResponse.self)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
        return try #require(response.chat)
    }

    /// Fails with the fix when the python3 the example runs with cannot load the protobuf runtime
    /// or the generated classes (missing, or a version that does not match them): the script
    /// imports them before it parses its arguments, and says how to install the pinned runtime.
    private func requireProtobufRuntime() throws {
        let check = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", Self.script, "--help"])
        try #require(check.exited(with: 0), "\(check.standardError)")
    }
}
