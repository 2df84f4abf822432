import Baton
import BatonProtos
import BatonRPC
import NIOCore
import Testing

/// Events/Watch with filters over a long log: the store answers them, and what a watcher sees,
/// where it may resume and when it is told events expired is what an unfiltered reading
/// followed by filtering would give.
@Suite struct FilteredWatchTests {
    /// More than two of the store's filtered read spans, and many pages of 256.
    private static let logLength = 40_000

    /// Appends `count` events in one transaction, cycling through 7 chats, 5 reps, 3 teams and
    /// 4 kinds (rep and team lists of 0 to 2 ids); returns them as the log has them.
    private func appendEvents(_ baton: TestBaton, count: Int) async throws -> [Baton_V1_Event] {
        let time = Google_Protobuf_Timestamp(baton.clock.now)
        return try await baton.store.write { transaction in
            let kinds: [Baton_V1_EventKind] = [.messagePosted, .chatStarted, .transferCompleted, .repStatusChanged]
            // The store numbers events at commit; in one transaction they follow the last one.
            let last = try transaction.lastEventSequence()
            var appended: [Baton_V1_Event] = []
            for index in 0..<count {
                var event = Baton_V1_Event()
                event.kind = kinds[index % kinds.count]
                event.chatID = "chat-\(index % 7)"
                event.repIDs = (0..<(index % 3)).map { "rep-\((index + $0) % 5)" }
                event.teamIDs = index % 11 == 0 ? ["team-\(index % 3)"] : []
                event.time = time
                try transaction.append(event)
                event.sequence = last + UInt64(index) + 1
                appended.append(event)
            }
            return appended
        }
    }

    /// Watches with `request` until caught up: the events and the `resume-after-sequence` trailer.
    private func watchToEnd(
        _ baton: TestBaton,
        _ request: Baton_V1_WatchRequest
    ) async throws -> ([Baton_V1_Event], String?) {
        var request = request
        request.stopWhenCaughtUp = true
        let call = try await baton.client.makeCall(path: "/baton.v1.Events/Watch")
        try await call.send(ByteBuffer(bytes: try request.serializedBytes()))
        call.closeSend()
        var events: [Baton_V1_Event] = []
        for try await bytes in call.responses {
            events.append(try Baton_V1_Event(serializedBytes: Array(buffer: bytes)))
        }
        return (events, try await call.trailingMetadata()[Baton_V1_WatchRequest.resumeAfterMetadataKey])
    }

    /// Filters by each kind of value and combined, with their names.
    private static var filters: [(String, Baton_V1_WatchRequest)] {
        func request(_ apply: (inout Baton_V1_WatchRequest) -> Void) -> Baton_V1_WatchRequest {
            var request = Baton_V1_WatchRequest()
            apply(&request)
            return request
        }
        return [
            ("one chat", request { $0.chatIDs = ["chat-3"] }),
            ("two reps", request { $0.repIDs = ["rep-1", "rep-4"] }),
            ("a team", request { $0.teamIDs = ["team-2"] }),
            ("a kind", request { $0.kinds = [.transferCompleted] }),
            (
                "chats, a rep and kinds",
                request {
                    $0.chatIDs = ["chat-1", "chat-2"]
                    $0.repIDs = ["rep-0"]
                    $0.kinds = [.messagePosted, .chatStarted]
                }
            ),
            ("a rep that never appears", request { $0.repIDs = ["nobody"] }),
        ]
    }

    @Test("a filtered watch over a long log gets exactly the matching events, in order, and trailers at the newest event", arguments: TestEngine.allCases)
    func filteredWatchOverALongLog(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let log = try await appendEvents(baton, count: Self.logLength)
            let newest = String(log[log.count - 1].sequence)
            for (name, filter) in Self.filters {
                var request = filter
                let expected = log.filter { event in
                    (request.chatIDs.isEmpty || request.chatIDs.contains(event.chatID))
                        && (request.repIDs.isEmpty || event.repIDs.contains(where: request.repIDs.contains))
                        && (request.teamIDs.isEmpty || event.teamIDs.contains(where: request.teamIDs.contains))
                        && (request.kinds.isEmpty || request.kinds.contains(event.kind))
                }.map(\.sequence)
                let (events, trailer) = try await watchToEnd(baton, request)
                #expect(events.map(\.sequence) == expected, "\(name)")
                #expect(trailer == newest, "\(name)")

                // Resuming after any matching event gets the rest, nothing before it again.
                guard expected.count > 2 else { continue }
                request.afterSequence = expected[expected.count / 2]
                let (rest, restTrailer) = try await watchToEnd(baton, request)
                #expect(rest.map(\.sequence) == Array(expected[(expected.count / 2 + 1)...]), "\(name)")
                #expect(restTrailer == newest, "\(name)")
            }
        }
    }

    @Test("a filtered watch resuming before the oldest kept event is told the events expired, whatever they were", arguments: TestEngine.allCases)
    func filteredWatchResumingBeforeTheOldestKeptEventIsToldTheyExpired(engine: TestEngine) async throws {
        let hour: Double = 3600
        try await TestBaton.with(engine, retention: Retention(events: hour)) { baton in
            let pruned = try await appendEvents(baton, count: 20_000)
            baton.clock.advance(seconds: hour + 1)
            let kept = try await appendEvents(baton, count: 50)
            #expect(try await baton.handoff.sweep().prunedEventCount == pruned.count)
            let oldest = kept[0].sequence

            for (name, filter) in Self.filters {
                var request = filter
                request.afterSequence = oldest - 2
                let error = await expectError(.outOfRange, .eventsExpired) {
                    try await watchToEnd(baton, request)
                }
                #expect(error?.detail(Baton_V1_ErrorInfo.self)?.metadata.first?.value == String(oldest), "\(name)")

                // Right before the oldest kept event, and from 0 past a pruned prefix longer than
                // one read span, nothing was lost.
                for after in [oldest - 1, 0] {
                    request.afterSequence = after
                    let (events, trailer) = try await watchToEnd(baton, request)
                    #expect(events.allSatisfy { $0.sequence >= oldest }, "\(name)")
                    #expect(trailer == String(kept[kept.count - 1].sequence), "\(name)")
                }
            }
        }
    }
}
