import Baton
import BatonPostgres
import BatonProtos
import BatonTestSupport
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The PostgreSQL engine against a real server: the staged replay, the locks that make racing
/// writers take turns, event sequences in commit order, conflicts retried, outages, and
/// LISTEN waking a second store (a second host).
@Suite(.serialized) struct PostgresStoreTests {
    /// Monday 2026-06-01, 00:00 UTC.
    static let monday = Date(timeIntervalSince1970: 1_780_272_000)

    @Test func bodyReadsItsOwnWritesBeforeCommit() async throws {
        try await Self.withDatabase { database in
            try await TestEngine.with(database.url) { engine in
                try await engine.handoff.addAvailableReps([("ana", 0)])
                let seen = try await engine.store.write { transaction in
                    var chat = Baton_V1_Chat()
                    chat.id = try transaction.nextID(.chat)
                    chat.ownerRepID = "ana"
                    chat.teamID = "sales"
                    chat.state = .active
                    chat.version = 1
                    try transaction.save(chat)
                    var entry = Baton_V1_TranscriptEntry()
                    entry.sequence = 1
                    entry.text = "hello"
                    entry.visibility = .everyone
                    try transaction.append(entry, chatID: chat.id)
                    try transaction.remember(
                        RememberedResponse(fingerprint: [1], response: [2]),
                        method: "Test",
                        key: "k",
                        at: Self.monday
                    )
                    var rep = try #require(try transaction.rep("ana"))
                    rep.displayName = "Ana Renamed"
                    try transaction.save(rep)
                    return (
                        chatVersion: try transaction.chat(chat.id)?.version,
                        entries: try transaction.entries(chatID: chat.id, after: 0, limit: nil, everyoneOnly: true)
                            .map(\.text),
                        activeChats: try transaction.activeChatCount(repID: "ana"),
                        counts: try transaction.activeChatCounts(repIDs: ["ana"]),
                        remembered: try transaction.rememberedResponse(method: "Test", key: "k")?.response,
                        name: try transaction.rep("ana")?.displayName,
                        listedNames: try transaction.reps().map(\.displayName)
                    )
                }
                #expect(seen.chatVersion == 1)
                #expect(seen.entries == ["hello"])
                #expect(seen.activeChats == 1)
                #expect(seen.counts == ["ana": 1])
                #expect(seen.remembered == [2])
                #expect(seen.name == "Ana Renamed")
                #expect(seen.listedNames == ["Ana Renamed"])
                let stored = try await engine.store.read { reader in try reader.activeChatCount(repID: "ana") }
                #expect(stored == 1)
            }
        }
    }

    @Test func aBodyThatThrowsLeavesNothingBehind() async throws {
        try await Self.withDatabase { database in
            try await TestEngine.with(database.url) { engine in
                try await engine.handoff.addAvailableReps([("ana", 0)])
                let before = try await engine.handoff.lastEventSequence()
                await #expect(throws: BatonError.self) {
                    try await engine.store.write { transaction in
                        var rep = try #require(try transaction.rep("ana"))
                        rep.displayName = "Never Saved"
                        try transaction.save(rep)
                        try transaction.append(Baton_V1_Event())
                        // A read after the write sends the write to the server before the refusal.
                        _ = try transaction.activeChatCount(repID: "ana")
                        throw BatonError(.notFound, .repNotFound, "no rep nobody")
                    }
                }
                let name = try await engine.store.read { reader in try reader.rep("ana")?.displayName }
                #expect(name == "Ana")
                #expect(try await engine.handoff.lastEventSequence() == before)
            }
        }
    }

    @Test func racingWritersGetSequencesInCommitOrderWithoutGaps() async throws {
        try await Self.withDatabase { database in
            try await TestEngine.with(database.url) { first in
                try await TestEngine.with(database.url) { second in
                    let writers = 40
                    let watchers = [first, second].map { engine in
                        Task { try await Self.watch(engine.handoff, engine.signal, until: 2 * writers) }
                    }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<writers {
                            let store = index % 2 == 0 ? first.store : second.store
                            group.addTask {
                                try await store.write { transaction in
                                    for part in 0..<2 {
                                        var event = Baton_V1_Event()
                                        event.kind = .messagePosted
                                        event.requestID = "writer-\(index)-\(part)"
                                        event.repIDs = ["rep-\(index % 3)"]
                                        try transaction.append(event)
                                    }
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    for watcher in watchers {
                        let events = try await watcher.value
                        #expect(events.map(\.sequence) == Array(1...UInt64(2 * writers)))
                        // A transaction's events are consecutive: nothing committed between them.
                        for pair in stride(from: 0, to: events.count, by: 2) {
                            #expect(events[pair].requestID.dropLast() == events[pair + 1].requestID.dropLast())
                        }
                    }
                    let filter = try EventFilter(Self.watchRequest(rep: "rep-1"))
                    let byRep = try await first.store.read { reader in
                        try reader.events(after: 0, through: 1_000, matching: filter, limit: 1_000)
                    }
                    #expect(byRep.count == 2 * (writers / 3 + (writers % 3 > 1 ? 1 : 0)))
                }
            }
        }
    }

    @Test func ofTwentyOffersToARepWithCapacityOneExactlyOneLands() async throws {
        try await Self.withDatabase { database in
            try await TestEngine.with(database.url) { engine in
                try await engine.handoff.addAvailableReps([("ana", 0), ("ben", 1)])
                var chats: [String] = []
                for _ in 0..<20 {
                    chats.append(try await engine.handoff.startChat(Make.startChat(owner: "ana"), caller: .server).chat!.id)
                }
                let outcomes = await Self.race(chats) { chat in
                    _ = try await engine.handoff.transferChat(Make.transfer(chat, by: "ana", to: "ben"), caller: .server)
                }
                #expect(outcomes.successes == 1)
                #expect(outcomes.failures.allSatisfy { $0.info.reason == .targetAtCapacity })
                let ben = try await engine.handoff.getRep(Self.getRep("ben")).rep
                #expect(ben?.activeChatCount == 1)
            }
        }
    }

    @Test func ofOverlappingBookingsExactlyOneHoldsTheSlot() async throws {
        try await Self.withDatabase { database in
            try await TestEngine.with(database.url, clock: ManualClock(Self.monday)) { engine in
                try await engine.handoff.addAvailableReps([("ana", 0)])
                _ = try await engine.handoff.setSchedule(Make.schedule("ana"), caller: .server)
                let ten = Self.monday.addingTimeInterval(10 * 3600)
                let outcomes = await Self.race(Array(0..<20)) { index in
                    // Half ask for 10:00, half for 10:15: every pair overlaps.
                    let start = ten.addingTimeInterval(index % 2 == 0 ? 0 : 900)
                    _ = try await engine.handoff.bookMeeting(
                        Make.book("ana", at: start, visitor: "Visitor\(index)"),
                        caller: .server
                    )
                }
                #expect(outcomes.successes == 1)
                #expect(outcomes.failures.allSatisfy { $0.info.reason == .slotUnavailable })
                let booked = try await engine.handoff.events(after: 0, limit: 1_000).filter { $0.kind == .meetingBooked }
                #expect(booked.count == 1)
            }
        }
    }

    @Test func ofRacingTransfersOfOneChatExactlyOneWins() async throws {
        try await Self.withDatabase { database in
            try await TestEngine.with(database.url) { engine in
                let targets = (0..<20).map { "rep-\($0)" }
                try await engine.handoff.addAvailableReps([("ana", 0)] + targets.map { ($0, 0) })
                let chat = try await engine.handoff.startChat(Make.startChat(owner: "ana"), caller: .server).chat!
                let outcomes = await Self.race(targets) { target in
                    _ = try await engine.handoff.transferChat(
                        Make.transfer(chat.id, by: "ana", to: target, expectedVersion: chat.version),
                        caller: .server
                    )
                }
                #expect(outcomes.successes == 1)
                #expect(outcomes.failures.allSatisfy { $0.info.reason == .versionConflict })
                let completed = try await engine.handoff.events(after: 0, limit: 1_000)
                    .filter { $0.kind == .transferCompleted }
                #expect(completed.count == 1)
            }
        }
    }

    @Test func racingRetriesWithOneIdempotencyKeyRunOnceAndAnswerAlike() async throws {
        try await Self.withDatabase { database in
            try await TestEngine.with(database.url) { first in
                try await TestEngine.with(database.url) { second in
                    try await first.handoff.addAvailableReps([("ana", 0), ("ben", 0)])
                    let chat = try await first.handoff.startChat(Make.startChat(owner: "ana"), caller: .server).chat!
                    let request = Make.transfer(chat.id, by: "ana", to: "ben", key: "transfer-once")
                    let responses = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                        for index in 0..<20 {
                            let handoff = index % 2 == 0 ? first.handoff : second.handoff
                            group.addTask {
                                try await handoff.transferChat(request, caller: .server).serializedBytes()
                            }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                    #expect(Set(responses).count == 1)
                    let completed = try await first.handoff.events(after: 0, limit: 1_000)
                        .filter { $0.kind == .transferCompleted }
                    #expect(completed.count == 1)
                }
            }
        }
    }

    @Test func aWriteChosenAsADeadlockVictimIsRunAgain() async throws {
        try await Self.withDatabase { database in
            try await TestEngine.with(database.url) { engine in
                try await engine.handoff.addAvailableReps([("ana", 0)])
                let one = try await engine.handoff.startChat(Make.startChat(owner: "ana"), caller: .server).chat!.id
                let two = try await engine.handoff.startChat(Make.startChat(owner: "ana"), caller: .server).chat!.id
                let other = try await Self.connect(database)
                let watcher = try await Self.connect(database)
                // The other session waits long before checking for deadlocks, so the store's
                // transaction is the one the server aborts.
                try await other.query("SET deadlock_timeout = '30s'", logger: Self.logger)
                try await other.query("BEGIN", logger: Self.logger)
                try await other.query("SELECT 1 FROM chats WHERE id = \(two) FOR UPDATE", logger: Self.logger)
                let write = Task {
                    try await engine.store.write { transaction in
                        // Locks `one`, then waits for `two`, which the other session holds.
                        var first = try #require(try transaction.chat(one))
                        var second = try #require(try transaction.chat(two))
                        first.version += 10
                        second.version += 10
                        try transaction.save(first)
                        try transaction.save(second)
                    }
                }
                try await Self.waitForALockWait(watcher)
                // Closes the cycle: the store's transaction is aborted (40P01), the other
                // session gets `one`, commits, and the store's retry then takes both.
                try await other.query("SELECT 1 FROM chats WHERE id = \(one) FOR UPDATE", logger: Self.logger)
                try await other.query("COMMIT", logger: Self.logger)
                try await write.value
                let versions = try await engine.store.read { reader in
                    [try reader.chat(one)?.version, try reader.chat(two)?.version]
                }
                #expect(versions == [12, 12])
                try await other.close()
                try await watcher.close()
            }
        }
    }

    @Test func aStoppedServerMeansUnavailableAndTheStoreRecoversByItself() async throws {
        try await PostgresCluster.withPrivate { cluster in
            let database = try await cluster.makeDatabase()
            try await TestEngine.with(database.url) { engine in
                try await engine.handoff.addAvailableReps([("ana", 0)])
                try await cluster.stop()
                await engine.waitUntil(available: false)
                let refused = await #expect(throws: BatonError.self) {
                    _ = try await engine.handoff.startChat(Make.startChat(owner: "ana"), caller: .server)
                }
                #expect(refused?.code == .unavailable)
                let refusedRead = await #expect(throws: BatonError.self) {
                    _ = try await engine.handoff.lastEventSequence()
                }
                #expect(refusedRead?.code == .unavailable)
                try await cluster.start()
                await engine.waitUntil(available: true)
                let chat = try await engine.handoff.startChat(Make.startChat(owner: "ana"), caller: .server).chat
                #expect(chat?.ownerRepID == "ana")
            }
        }
    }

    @Test(.disabled("issue 11, open: a write racing a PostgreSQL restart can hang (same bug as the multi-host restart test)"))
    func writesRacingARestartEitherFailUnavailableOrCommitAndAllFinish() async throws {
        try await PostgresCluster.withPrivate { cluster in
            let database = try await cluster.makeDatabase()
            try await TestEngine.with(database.url) { engine in
                try await engine.handoff.addAvailableReps([("ana", 0), ("ben", 0)])
                var chats: [String] = []
                for _ in 0..<4 {
                    chats.append(try await engine.handoff.startChat(Make.startChat(owner: "ana"), caller: .server).chat!.id)
                }
                let load = Task {
                    try await withThrowingTaskGroup(of: Int.self) { group in
                        for chat in chats {
                            group.addTask {
                                var acknowledged = 0
                                for step in 0..<20 {
                                    let (from, to) = step % 2 == 0 ? ("ana", "ben") : ("ben", "ana")
                                    let request = Make.transfer(chat, by: from, to: to, key: "\(chat)-\(step)")
                                    while true {
                                        do {
                                            _ = try await engine.handoff.transferChat(request, caller: .server)
                                            acknowledged += 1
                                            break
                                        } catch let error as BatonError where error.code == .unavailable {
                                            try await Task.sleep(for: .milliseconds(50))
                                        }
                                    }
                                }
                                return acknowledged
                            }
                        }
                        return try await group.reduce(0, +)
                    }
                }
                try await cluster.stop()
                await engine.waitUntil(available: false)
                try await cluster.start()
                #expect(try await load.value == 80)
                let completed = try await engine.handoff.events(after: 0, limit: 10_000)
                    .filter { $0.kind == .transferCompleted }
                #expect(completed.count == 80)
            }
        }
    }

    @Test func aCommitOnOneStoreWakesTheWatchersOfAnother() async throws {
        try await Self.withDatabase { database in
            try await TestEngine.with(database.url) { hostA in
                try await TestEngine.with(database.url) { hostB in
                    // Subscribed after host B announced its connection, so the only wake it can
                    // get is host A's commit, through LISTEN: host A's own signal is another one.
                    let wakes = hostB.signal.subscribe()
                    try await hostA.store.write { transaction in
                        var event = Baton_V1_Event()
                        event.kind = .chatStarted
                        event.requestID = "from-host-a"
                        try transaction.append(event)
                    }
                    let woken = try await withThrowingTaskGroup(of: Bool.self) { group in
                        group.addTask {
                            var iterator = wakes.makeAsyncIterator()
                            return await iterator.next() != nil
                        }
                        group.addTask {
                            // Only so that a broken LISTEN fails the test instead of hanging it.
                            try await Task.sleep(for: .seconds(30))
                            return false
                        }
                        let first = try await group.next() ?? false
                        group.cancelAll()
                        return first
                    }
                    #expect(woken)
                    let events = try await hostB.handoff.events(after: 0, limit: 10)
                    #expect(events.map(\.requestID) == ["from-host-a"])
                    #expect(events.map(\.sequence) == [1])
                }
            }
        }
    }

    @Test func aSchemaNewerThanThisBuildIsRefusedNamingBothVersions() async throws {
        try await Self.withDatabase { database in
            _ = try await database.psql("CREATE TABLE schema_migrations (version int4 PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO schema_migrations (version) VALUES (99)")
            let store = try PostgresStore(url: database.url, signal: EventSignal(), logger: Self.logger)
            let refusal = await #expect(throws: PostgresSchemaTooNew.self) { try await store.migrate() }
            #expect(refusal?.description.contains("version 99") == true)
            #expect(refusal?.description.contains("(1)") == true)
        }
    }

    @Test func runningOnASchemaNewerThanThisBuildEndsWithTheRefusal() async throws {
        try await Self.withDatabase { database in
            _ = try await database.psql("CREATE TABLE schema_migrations (version int4 PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO schema_migrations (version) VALUES (99)")
            let store = try PostgresStore(url: database.url, signal: EventSignal(), logger: Self.logger)
            await #expect(throws: PostgresSchemaTooNew.self) { try await store.run() }
        }
    }

    @Test func storesMigratingTogetherAllSucceed() async throws {
        try await Self.withDatabase { database in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await PostgresStore(url: database.url, signal: EventSignal(), logger: Self.logger).migrate()
                    }
                }
                try await group.waitForAll()
            }
            let last = try await TestEngine.with(database.url) { engine in try await engine.handoff.lastEventSequence() }
            #expect(last == 0)
        }
    }

    // MARK: Helpers

    static let logger = Logger(label: "baton-postgres-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// What racing calls ended with.
    struct Outcomes {
        var successes = 0
        var failures: [BatonError] = []
    }

    /// Runs `call` for every input at once.
    static func race<Input: Sendable>(
        _ inputs: [Input],
        _ call: @escaping @Sendable (Input) async throws -> Void
    ) async -> Outcomes {
        await withTaskGroup(of: BatonError?.self) { group in
            for input in inputs {
                group.addTask {
                    do {
                        try await call(input)
                        return nil
                    } catch let error as BatonError {
                        return error
                    } catch {
                        return BatonError(.internal, .unspecified, "\(error)")
                    }
                }
            }
            var outcomes = Outcomes()
            for await failure in group {
                if let failure { outcomes.failures.append(failure) } else { outcomes.successes += 1 }
            }
            return outcomes
        }
    }

    /// Follows the log as a watcher does, woken by `signal`, until it holds `count` events.
    static func watch(_ handoff: Handoff, _ signal: EventSignal, until count: Int) async throws -> [Baton_V1_Event] {
        var events: [Baton_V1_Event] = []
        var wakes = signal.subscribe().makeAsyncIterator()
        while true {
            events += try await handoff.events(after: events.last?.sequence ?? 0, limit: 1_000)
            if events.count >= count { return events }
            guard await wakes.next() != nil else { return events }
        }
    }

    static func watchRequest(rep: String) -> Baton_V1_WatchRequest {
        var request = Baton_V1_WatchRequest()
        request.repIDs = [rep]
        return request
    }

    static func getRep(_ id: String) -> Baton_V1_GetRepRequest {
        var request = Baton_V1_GetRepRequest()
        request.repID = id
        return request
    }

    /// Runs `body` with a fresh database on the cluster the tests share.
    static func withDatabase<T>(_ body: (BatonTestSupport.PostgresDatabase) async throws -> T) async throws -> T {
        try await body(try await PostgresCluster.shared().makeDatabase())
    }

    static func connect(_ database: BatonTestSupport.PostgresDatabase) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: .init(
                unixSocketPath: "\(database.cluster.folder)/.s.PGSQL.5432",
                username: "postgres",
                password: nil,
                database: database.name
            ),
            id: 1,
            logger: logger
        )
    }

    /// Returns once some session of the cluster waits for a row lock.
    static func waitForALockWait(_ connection: PostgresConnection) async throws {
        while true {
            let rows = try await connection.query(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                logger: logger
            ).collect()
            if try rows.first?.decode(Int64.self) ?? 0 > 0 { return }
            // Polling: the server has no event for another session starting to wait.
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
