import BatonTestSupport
import Foundation
import Testing

/// `rpc-cli watch` against a real batond: filters, a start point, and resuming across a restart
/// with no gap and no duplicate.
@Suite struct WatchCommandTests {
    private static let postMessage = "baton.v1.Chats/PostMessage"

    private static func post(_ text: String, socket: String) throws {
        let request = #"{"chatId":"chat-1","author":{"kind":"ACTOR_KIND_VISITOR"},"text":"\#(text)"}"#
        let result = try RPCCLI.run(["call", postMessage, "-d", request], socket: socket)
        #expect(result.exited(with: 0), "\(result.standardError)")
    }

    /// Each JSON line's `sequence` (uint64, a string in proto3 JSON).
    private static func sequences(_ lines: [String]) throws -> [UInt64] {
        try lines.map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            return try #require((object["sequence"] as? String).flatMap(UInt64.init), "\(line)")
        }
    }

    @Test("following the log across a batond restart prints every event exactly once, in order")
    func resumesAfterRestart() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let watch = try BackgroundProcess(
                try BuiltProducts.executable("rpc-cli"),
                ["watch", "--format", "json"],
                environment: ["BATON_SOCKET": batond.socketPath]
            )
            defer { watch.stop() }
            try Self.post("before restart", socket: batond.socketPath)
            _ = await watch.lines(until: { $0.contains("before restart") })

            try await batond.restart()
            try Self.post("after restart", socket: batond.socketPath)
            let lines = await watch.lines(until: { $0.contains("after restart") })

            #expect(lines.contains { $0.contains("after restart") }, "stderr: \(watch.standardError)")
            let sequences = try Self.sequences(lines)
            #expect(sequences == Array(1...UInt64(sequences.count)), "a gap or a duplicate: \(sequences)")
            #expect(watch.standardError.contains("reconnected; resuming after event #"), "\(watch.standardError)")
        }
    }

    @Test("a filtered watch across a restart prints each matching event once and resumes no earlier than it printed")
    func filteredWatchResumesAcrossARestart() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let watch = try BackgroundProcess(
                try BuiltProducts.executable("rpc-cli"),
                ["watch", "--kind", "message_posted", "--format", "json"],
                environment: ["BATON_SOCKET": batond.socketPath]
            )
            defer { watch.stop() }
            try Self.post("matching", socket: batond.socketPath)
            let before = await watch.lines(until: { $0.contains("\"matching\"") })
            let lastPrinted = try #require(try Self.sequences(before).last)
            // Events the filter skips, after the last one printed.
            for status in ["REP_STATUS_BUSY", "REP_STATUS_AVAILABLE"] {
                let presence = #"{"repId":"ben","presence":"PRESENCE_LOGGED_IN","status":"\#(status)"}"#
                #expect(try RPCCLI.run(["call", "baton.v1.Reps/SetPresence", "-d", presence], socket: batond.socketPath).exited(with: 0))
            }

            try await batond.restart()
            try Self.post("after restart", socket: batond.socketPath)
            let lines = await watch.lines(until: { $0.contains("after restart") })
            #expect(lines.filter { $0.contains("\"matching\"") }.count == 1, "\(lines)")
            #expect(lines.last?.contains("after restart") == true)
            let sequences = try Self.sequences(lines)
            #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
            let resumedAfter = try #require(
                watch.standardError.firstMatch(of: #/resuming after event #(\d+)/#).flatMap { UInt64($0.1) },
                "\(watch.standardError)"
            )
            // The server's resume point (it may have examined the presence events already).
            #expect(resumedAfter >= lastPrinted && resumedAfter <= lastPrinted + 2)
        }
    }

    @Test("--no-follow with filters prints the matching stored events and exits 0; --from starts there")
    func filtersAndStartPoint() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            try Self.post("one", socket: batond.socketPath)
            try Self.post("two", socket: batond.socketPath)
            let all = try RPCCLI.run(
                ["watch", "--chat", "chat-1", "--kind", "message_posted", "--no-follow"],
                socket: batond.socketPath
            )
            #expect(all.exited(with: 0), "\(all.standardError)")
            let lines = all.standardText.split(separator: "\n").map(String.init)
            #expect(lines.count >= 3, "the demo reply, one and two: \(lines)")
            #expect(lines.allSatisfy { $0.contains("EVENT_KIND_MESSAGE_POSTED") && $0.contains("\"chatId\":\"chat-1\"") })
            #expect(lines.last?.contains("\"two\"") == true)

            let sequences = try Self.sequences(lines)
            let fromLast = try RPCCLI.run(
                ["watch", "--chat", "chat-1", "--from", "\(sequences.last!)", "--no-follow"],
                socket: batond.socketPath
            )
            #expect(try Self.sequences(fromLast.standardText.split(separator: "\n").map(String.init)) == [sequences.last!])

            let text = try RPCCLI.run(
                ["watch", "--chat", "chat-1", "--kind", "message_posted", "--no-follow", "--format", "text"],
                socket: batond.socketPath
            )
            #expect(text.standardText.split(separator: "\n").last?.hasSuffix("message posted  chat-1  \"two\"") == true, "\(text.standardText)")
        }
    }

    @Test("a reader that goes away (watch | head -1) ends the watch by SIGPIPE, quietly")
    func closedPipeEndsTheWatch() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try ChildProcess.run(
                URL(fileURLWithPath: "/bin/bash"),
                ["-c", "rpc-cli watch --format json | head -1; echo \"status ${PIPESTATUS[0]}\""],
                environment: [
                    "PATH": BuiltProducts.directory.path + ":/usr/bin:/bin",
                    "BATON_SOCKET": batond.socketPath,
                ]
            )
            let lines = result.standardText.split(separator: "\n")
            #expect(lines.count == 2 && lines[0].contains("\"sequence\":\"1\""), "\(lines)")
            #expect(lines.last == "status 141", "killed by SIGPIPE (128 + 13): \(lines)")
            #expect(!result.standardError.contains("Fatal error") && !result.standardError.contains("crashed"), "\(result.standardError)")
        }
    }

    @Test("an unknown event kind is a usage error (64) that lists the kinds")
    func unknownKind() throws {
        let result = try RPCCLI.run(["watch", "--kind", "transfer_exploded"], socket: "/tmp/baton-no-such-folder/s.sock")
        #expect(result.exited(with: 64))
        #expect(result.standardError.contains("transfer_completed"))
    }
}
