import BatonProtos
import BatonRPC
import Foundation
import Testing

/// The real batond, killed with SIGKILL right after acknowledging a change, then started again
/// on the same database.
@Suite struct KillRestartTests {
    /// batond, built next to the test bundle (the test target depends on it).
    private static var batondPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("batond").path
    }

    private struct Daemon {
        let process: Process
        let client: RPCClient
    }

    private func launch(_ directory: String) async throws -> Daemon {
        let socket = "\(directory)/s.sock"
        try? FileManager.default.removeItem(atPath: socket)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.batondPath)
        process.arguments = ["--database", "\(directory)/baton.sqlite", "--socket", socket, "--demo", "--threads", "1"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The daemon announces nothing; its socket appearing is the only sign it is up.
        for _ in 0..<500 {
            if let client = try? await RPCClient.connect(socketPath: socket) {
                return Daemon(process: process, client: client)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw RPCError(.unavailable, "batond did not start")
    }

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

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: batondPath)))
    func aKilledDaemonKeepsEveryAcknowledgedTransferAndEvent() async throws {
        let directory = NSTemporaryDirectory() + "baton-kill-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let first = try await launch(directory)
        let transferred: Baton_V1_TransferChatResponse = try await first.client.unary(
            "/baton.v1.Chats/TransferChat",
            Make.transfer("chat-1", by: "ana", to: "ben", note: "SSO")
        )
        let before = try await caughtUpEvents(first.client)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        await first.client.close()

        let second = try await launch(directory)
        defer {
            second.process.terminate()
            second.process.waitUntilExit()
        }
        let chat: Baton_V1_GetChatResponse = try await second.client.unary(
            "/baton.v1.Chats/GetChat",
            Make.getChat("chat-1")
        )
        #expect(chat.chat?.ownerRepID == "ben")
        #expect(chat.chat?.version == transferred.chat?.version, "the re-run demo seed must not change the chat")
        #expect(try await caughtUpEvents(second.client) == before)
        await second.client.close()
    }
}
