import BatonProtos
import BatonRPC
import BatonTestSupport
import Foundation
import Testing

/// The real batond, killed with SIGKILL right after acknowledging a change, then started again
/// on the same database.
@Suite struct KillRestartTests {
    private func caughtUpEvents(_ client: RPCClient) async throws -> [Baton_V1_Event] {
        var request = Baton_V1_WatchRequest()
        request.stopWhenCaughtUp = true
        var events: [Baton_V1_Event] = []
        for try await event in try await client.serverStreaming(
            "/baton.v1.Events/Watch",
            request,
            as: Baton_V1_Event.self
        ) {
            events.append(event)
        }
        return events
    }

    @Test func aKilledDaemonKeepsEveryAcknowledgedTransferAndEvent() async throws {
        try await BatondProcess.with(["--demo", "--threads", "1"]) { batond in
            let first = try await RPCClient.connect(socketPath: batond.socketPath)
            let transferred: Baton_V1_TransferChatResponse = try await first.unary(
                "/baton.v1.Chats/TransferChat",
                Make.transfer("chat-1", by: "ana", to: "ben", note: "SSO")
            )
            let before = try await caughtUpEvents(first)
            try await batond.killAndRestart()
            await first.close()

            let second = try await RPCClient.connect(socketPath: batond.socketPath)
            let chat: Baton_V1_GetChatResponse = try await second.unary(
                "/baton.v1.Chats/GetChat",
                Make.getChat("chat-1")
            )
            #expect(chat.chat?.ownerRepID == "ben", "batond's log: \(batond.log)")
            #expect(chat.chat?.version == transferred.chat?.version, "the re-run demo seed must not change the chat")
            #expect(try await caughtUpEvents(second) == before)
            await second.close()
        }
    }
}
