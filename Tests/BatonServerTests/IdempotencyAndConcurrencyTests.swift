import BatonProtos
import BatonRPC
import Testing

/// Retries never transfer twice, and racing transfers have exactly one winner per version.
@Suite struct IdempotencyAndConcurrencyTests {
    @Test(arguments: TestEngine.allCases)
    func aRetryWithTheSameKeyReturnsTheFirstResultAndTransfersOnce(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let request = Make.transfer(chat.id, by: "ana", to: "ben", note: "heads up", key: "retry-1")
            let first: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", request)
            let retry: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", request)
            #expect(retry == first)
            let events = try await baton.allEvents()
            #expect(events.filter { $0.kind == .transferCompleted }.count == 1)
            let current: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
            #expect(current.chat?.transcriptLength == first.chat?.transcriptLength)

            var reused = request
            reused.note = "a different note"
            await expectError(.invalidArgument, .idempotencyKeyReused) {
                let _: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", reused)
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aFailedCallIsNotRememberedSoItsRetryIsCheckedAfresh(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let request = Make.transfer(chat.id, by: "ana", to: "cara", key: "retry-2")
            await expectError(.failedPrecondition, .targetNotAvailable) {
                let _: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", request)
            }
            let _: Baton_V1_SetPresenceResponse = try await baton.call(
                "Reps/SetPresence",
                Make.presence("cara", .unspecified, .available)
            )
            let retried: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", request)
            #expect(retried.chat?.ownerRepID == "cara")
        }
    }

    @Test(arguments: TestEngine.allCases)
    func fiftyRacingTransfersHaveOneWinnerPerVersionAndAConsistentHistory(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let racers = (1...50).map { "racer-\($0)" }
            for racer in racers {
                let _: Baton_V1_UpsertRepResponse = try await baton.call("Reps/UpsertRep", Make.rep(racer, racer))
                let _: Baton_V1_SetPresenceResponse = try await baton.call(
                    "Reps/SetPresence",
                    Make.presence(racer, .loggedIn, .available)
                )
            }
            // Every racer keeps trying to hand the chat to itself (acting as the manager) at the
            // version it last read, until it wins once.
            let wins = try await withThrowingTaskGroup(of: (racer: String, version: UInt64, attempts: Int).self) {
                group in
                for racer in racers {
                    group.addTask {
                        var attempts = 0
                        while true {
                            attempts += 1
                            let current: Baton_V1_GetChatResponse = try await baton.call(
                                "Chats/GetChat",
                                Make.getChat(chat.id)
                            )
                            let version = current.chat!.version
                            do {
                                let _: Baton_V1_TransferChatResponse = try await baton.call(
                                    "Chats/TransferChat",
                                    Make.transfer(chat.id, by: "maya", to: racer, expectedVersion: version)
                                )
                                return (racer, version, attempts)
                            } catch let error as RPCError where error.code == .aborted {
                                #expect(error.detail(Baton_V1_VersionConflict.self)?.expectedVersion == version)
                            }
                        }
                    }
                }
                var wins: [(racer: String, version: UInt64, attempts: Int)] = []
                for try await win in group { wins.append(win) }
                return wins
            }
            #expect(wins.count == 50)
            #expect(Set(wins.map(\.version)).count == 50, "two transfers won at the same version")
            #expect(wins.contains { $0.attempts > 1 }, "the racers never actually raced")

            let completed = try await baton.allEvents().compactMap { event -> Baton_V1_TransferCompleted? in
                if case .transferCompleted(let payload) = event.payload { return payload }
                return nil
            }
            #expect(completed.count == 50)
            #expect(completed.first?.fromRepID == "ana")
            for (previous, next) in zip(completed, completed.dropFirst()) {
                #expect(next.fromRepID == previous.toRepID)
                #expect(next.chatVersion > previous.chatVersion)
            }
            let final: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
            #expect(final.chat?.ownerRepID == completed.last?.toRepID)
            #expect(Set(completed.map(\.toRepID)) == Set(racers))
        }
    }
}
