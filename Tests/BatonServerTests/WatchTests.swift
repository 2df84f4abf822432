import BatonProtos
import BatonRPC
import NIOCore
import Testing

/// Events/Watch: history then live, resumable without gaps or duplicates, filtered.
@Suite struct WatchTests {
    private func watch(
        _ baton: TestBaton,
        _ request: Baton_V1_WatchRequest
    ) async throws
        -> RPCResponseStream<Baton_V1_Event>
    {
        try await baton.client.serverStreaming("/baton.v1.Events/Watch", request, as: Baton_V1_Event.self)
    }

    @Test(arguments: TestEngine.allCases)
    func resumingFromASequenceWhileOthersWriteHasNoGapsOrDuplicates(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let before = try await baton.allEvents().count
            let messages = 40
            // Writers post while the watcher reads history and then live events.
            let writers = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<messages {
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
            var first = Baton_V1_WatchRequest()
            first.afterSequence = 3
            var seen: [UInt64] = []
            for try await event in try await watch(baton, first) {
                seen.append(event.sequence)
                if seen.count == 10 { break }
            }
            var resume = Baton_V1_WatchRequest()
            resume.afterSequence = seen.last!
            let total = UInt64(before + messages)
            for try await event in try await watch(baton, resume) {
                seen.append(event.sequence)
                if event.sequence == total { break }
            }
            try await writers.value
            #expect(seen == Array(4...total))
        }
    }

    @Test(arguments: TestEngine.allCases)
    func filtersAndCatchUpEndTheStreamWithTheMatchingEvents(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let _: Baton_V1_TransferChatResponse = try await baton.call(
                "Chats/TransferChat",
                Make.transfer(chat.id, by: "ana", to: "ben")
            )
            var request = Baton_V1_WatchRequest()
            request.stopWhenCaughtUp = true
            request.chatIDs = [chat.id]
            request.kinds = [.transferCompleted, .chatStarted]
            var kinds: [Baton_V1_EventKind] = []
            for try await event in try await watch(baton, request) { kinds.append(event.kind) }
            #expect(kinds == [.chatStarted, .transferCompleted])

            var byRep = Baton_V1_WatchRequest()
            byRep.stopWhenCaughtUp = true
            byRep.repIDs = ["cara"]
            var caraEvents: [Baton_V1_Event] = []
            for try await event in try await watch(baton, byRep) { caraEvents.append(event) }
            #expect(!caraEvents.isEmpty && caraEvents.allSatisfy { $0.repIDs.contains("cara") })
        }
    }

    @Test("a filtered watch's trailers say how far the server read, past the last matching event", arguments: TestEngine.allCases)
    func filteredWatchTrailersCarryTheResumePoint(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let _: Baton_V1_TransferChatResponse = try await baton.call(
                "Chats/TransferChat",
                Make.transfer(chat.id, by: "ana", to: "ben")
            )
            // Events the filter below skips, after the last one it matches.
            let _: Baton_V1_PostMessageResponse = try await baton.call(
                "Chats/PostMessage",
                Make.post(chat.id, rep: "ben", "hello")
            )
            let newest = try #require(try await baton.allEvents().last?.sequence)
            var request = Baton_V1_WatchRequest()
            request.stopWhenCaughtUp = true
            request.kinds = [.transferCompleted]
            let call = try await baton.client.makeCall(path: "/baton.v1.Events/Watch")
            try await call.send(ByteBuffer(bytes: try request.serializedBytes()))
            call.closeSend()
            var received: [UInt64] = []
            for try await bytes in call.responses {
                received.append(try Baton_V1_Event(serializedBytes: Array(buffer: bytes)).sequence)
            }
            #expect(received.count == 1 && received[0] < newest)
            let trailers = try await call.trailingMetadata()
            #expect(trailers[Baton_V1_WatchRequest.resumeAfterMetadataKey] == String(newest))
        }
    }

    @Test("only_new skips every stored event and streams what is committed afterwards", arguments: TestEngine.allCases)
    func onlyNewStartsAfterTheNewestEvent(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let newest = try #require(try await baton.allEvents().last?.sequence)

            var probe = Baton_V1_WatchRequest()
            probe.onlyNew = true
            probe.stopWhenCaughtUp = true
            let call = try await baton.client.makeCall(path: "/baton.v1.Events/Watch")
            try await call.send(ByteBuffer(bytes: try probe.serializedBytes()))
            call.closeSend()
            var stored = 0
            for try await _ in call.responses { stored += 1 }
            #expect(stored == 0)
            #expect(try await call.trailingMetadata()[Baton_V1_WatchRequest.resumeAfterMetadataKey] == String(newest))

            var live = Baton_V1_WatchRequest()
            live.onlyNew = true
            // Post until the watch sees something: when its call began is not observable, but
            // nothing stored before it may ever arrive.
            let poster = Task {
                for index in 0..<1000 where !Task.isCancelled {
                    let _: Baton_V1_PostMessageResponse = try await baton.call(
                        "Chats/PostMessage",
                        Make.post(chat.id, rep: "ana", "live \(index)")
                    )
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            defer { poster.cancel() }
            for try await event in try await watch(baton, live) {
                #expect(event.sequence > newest)
                #expect(event.kind == .messagePosted)
                break
            }

            var both = Baton_V1_WatchRequest()
            both.onlyNew = true
            both.afterSequence = 1
            let refused = await expectError(.invalidArgument, .invalidField) {
                for try await _ in try await watch(baton, both) {}
            }
            #expect(refused?.detail(Baton_V1_BadRequest.self)?.fieldViolations.first?.field == "after_sequence")
        }
    }

    @Test(arguments: TestEngine.allCases)
    func badResumePointsAndFiltersAreRefused(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            _ = try await baton.seedStory()
            var ahead = Baton_V1_WatchRequest()
            ahead.afterSequence = 10_000
            await expectError(.outOfRange, .sequenceNotReached) {
                for try await _ in try await watch(baton, ahead) {}
            }
            var badKind = Baton_V1_WatchRequest()
            badKind.kinds = [.unspecified]
            await expectError(.invalidArgument, .invalidField) {
                for try await _ in try await watch(baton, badKind) {}
            }
        }
    }
}
