import Baton
import BatonProtos
import BatonRPC
import BatonTestSupport
import Foundation
import Testing

/// The sweep deletes events and remembered responses older than the retention, and watchers
/// are told when events they asked for are gone instead of silently missing them.
@Suite struct RetentionTests {
    private static let hour: TimeInterval = 3600
    private static let eventsForAnHour = Retention(events: hour)

    private func watch(_ baton: TestBaton, after sequence: UInt64) async throws -> [Baton_V1_Event] {
        var request = Baton_V1_WatchRequest()
        request.afterSequence = sequence
        request.stopWhenCaughtUp = true
        var events: [Baton_V1_Event] = []
        for try await event in try await baton.client.serverStreaming(
            "/baton.v1.Events/Watch",
            request,
            as: Baton_V1_Event.self
        ) {
            events.append(event)
        }
        return events
    }

    /// Posts `count` messages, up to 50 at a time (a connection takes 100 calls in flight).
    private func post(_ baton: TestBaton, _ chat: Baton_V1_Chat, count: Int) async throws {
        for start in stride(from: 0, to: count, by: 50) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in start..<min(start + 50, count) {
                    group.addTask {
                        let _: Baton_V1_PostMessageResponse = try await baton.call(
                            "Chats/PostMessage",
                            Make.post(chat.id, rep: "ana", "message \(index)")
                        )
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func eventsOlderThanTheRetentionAreDeletedWithTheirRowsAndNewerOnesStay(engine: TestEngine) async throws {
        try await TestBaton.with(engine, retention: Self.eventsForAnHour) { baton in
            let chat = try await baton.seedStory()
            // More than one batch, so the sweep has to go round.
            try await post(baton, chat, count: 600)
            let old = try await baton.allEvents()
            baton.clock.advance(seconds: Self.hour / 2)
            try await post(baton, chat, count: 3)
            #expect(try await baton.handoff.sweep().prunedEventCount == 0, "nothing is an hour old yet")

            baton.clock.advance(seconds: Self.hour / 2 + 1)
            #expect(try await baton.handoff.sweep().prunedEventCount == old.count)
            let kept = try await baton.allEvents()
            #expect(kept.map(\.sequence) == Array(UInt64(old.count + 1)...UInt64(old.count + 3)))
            let keptReps = kept.map(\.repIDs.count).reduce(0, +)
            let keptTeams = kept.map(\.teamIDs.count).reduce(0, +)
            #expect(try await baton.rowCount("event_reps") == keptReps)
            #expect(try await baton.rowCount("event_teams") == keptTeams)
            #expect(try await baton.handoff.sweep().prunedEventCount == 0)
        }
    }

    /// Seeds the story, lets an hour pass, posts two messages and sweeps: only those two events
    /// remain. Returns the last pruned sequence.
    private func seedThenPruneAllButTwoNewEvents(_ baton: TestBaton) async throws -> UInt64 {
        let chat = try await baton.seedStory()
        let old = UInt64(try await baton.allEvents().count)
        baton.clock.advance(seconds: Self.hour + 1)
        try await post(baton, chat, count: 2)
        _ = try await baton.handoff.sweep()
        return old
    }

    @Test(arguments: TestEngine.allCases)
    func aWatchResumingFromAPrunedSequenceIsToldTheEventsExpired(engine: TestEngine) async throws {
        try await TestBaton.with(engine, retention: Self.eventsForAnHour) { baton in
            let old = try await seedThenPruneAllButTwoNewEvents(baton)

            let error = await expectError(.outOfRange, .eventsExpired) {
                try await watch(baton, after: old - 1)
            }
            let metadata = error?.detail(Baton_V1_ErrorInfo.self)?.metadata.first
            #expect(metadata?.key == "oldest_sequence")
            #expect(metadata?.value == String(old + 1))
            // Right before the oldest kept event nothing was lost.
            #expect(try await watch(baton, after: old).map(\.sequence) == [old + 1, old + 2])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aWatchFromZeroStartsAtTheOldestKeptEvent(engine: TestEngine) async throws {
        try await TestBaton.with(engine, retention: Self.eventsForAnHour) { baton in
            let old = try await seedThenPruneAllButTwoNewEvents(baton)

            #expect(try await watch(baton, after: 0).map(\.sequence) == [old + 1, old + 2])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func sequenceNumbersNeverRestartAfterEverythingOldIsPruned(engine: TestEngine) async throws {
        let clock = ManualClock()
        try await TestStorage.with(engine) { storage in
            let (chat, last) = try await TestBaton.reopen(storage, clock: clock, retention: Self.eventsForAnHour) {
                baton in
                let chat = try await baton.seedStory()
                let last = try await baton.handoff.lastEventSequence()
                clock.advance(seconds: Self.hour + 1)
                #expect(try await baton.handoff.sweep().prunedEventCount == Int(last) - 1)
                // The newest event stays however old it gets: it carries the sequence on.
                clock.advance(seconds: Self.hour + 1)
                #expect(try await baton.handoff.sweep().prunedEventCount == 0)
                #expect(try await baton.allEvents().map(\.sequence) == [last])
                return (chat, last)
            }
            try await TestBaton.reopen(storage, clock: clock, retention: Self.eventsForAnHour) { baton in
                try await post(baton, chat, count: 1)
                #expect(try await baton.allEvents().map(\.sequence) == [last, last + 1])
                #expect(try await watch(baton, after: 0).map(\.sequence) == [last, last + 1])
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aKeyPastItsRetentionIsForgottenAndOneWithinItStillAnswersRetries(engine: TestEngine) async throws {
        try await TestBaton.with(engine, retention: Retention(idempotentResponses: Self.hour)) { baton in
            let chat = try await baton.seedStory()
            let old = Make.transfer(chat.id, by: "ana", to: "ben", key: "old")
            let first: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", old)
            baton.clock.advance(seconds: Self.hour / 2)
            let recent = Make.transfer(chat.id, by: "ben", to: "ana", key: "recent")
            let second: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", recent)
            baton.clock.advance(seconds: Self.hour / 2 + 1)
            #expect(try await baton.handoff.sweep().forgottenResponseCount == 1)

            let retriedRecent: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", recent)
            #expect(retriedRecent == second)
            #expect(try await transfersCompleted(baton) == 2, "a remembered retry must not transfer again")

            let retriedOld: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", old)
            #expect(retriedOld.chat?.ownerRepID == "ben")
            #expect(retriedOld.chat?.version != first.chat?.version)
            #expect(try await transfersCompleted(baton) == 3, "a forgotten key's retry is performed anew")
        }
    }

    private func transfersCompleted(_ baton: TestBaton) async throws -> Int {
        try await baton.allEvents().filter { $0.kind == .transferCompleted }.count
    }

    @Test(arguments: TestEngine.allCases)
    func retentionZeroKeepsEverything(engine: TestEngine) async throws {
        try await TestBaton.with(engine, retention: .forever) { baton in
            let chat = try await baton.seedStory()
            let request = Make.transfer(chat.id, by: "ana", to: "ben", key: "kept")
            let first: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", request)
            let events = try await baton.allEvents()
            baton.clock.advance(seconds: 5 * 365 * 24 * Self.hour)

            let result = try await baton.handoff.sweep()
            #expect(result.prunedEventCount == 0 && result.forgottenResponseCount == 0)
            #expect(try await baton.allEvents() == events)
            let retry: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", request)
            #expect(retry == first)
        }
    }

    @Test(
        arguments: [
            ["--event-retention-days", "-1"], ["--event-retention-days", "100000"],
            ["--idempotency-retention-hours=-5"], ["--idempotency-retention-hours", "1000000"],
        ]
    )
    func batondRefusesANegativeOrAbsurdRetention(flag: [String]) throws {
        let directory = NSTemporaryDirectory() + "baton-retention-flags-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A database under a plain file cannot be opened: should the flag be accepted, batond
        // still exits at once, with another message, rather than serve.
        let blocker = "\(directory)/file"
        try Data().write(to: URL(fileURLWithPath: blocker))
        let result = try ChildProcess.run(
            try BuiltProducts.executable("batond"),
            ["--database", "\(blocker)/baton.sqlite", "--socket", "\(blocker)/s.sock"] + flag
        )
        let output = result.standardError
        #expect(result.exited(with: 64), "\(result.terminationStatus): \(output)")
        let name = flag[0].split(separator: "=")[0]
        #expect(output.contains("\(name) must be between 0 (keep forever) and"), "got: \(output)")
    }
}
