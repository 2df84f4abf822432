import Baton
import BatonPostgres
import BatonProtos
import BatonTestSupport
import Foundation
import Logging

/// A running `PostgresStore` on a test cluster, the domain over it, and what it says about its
/// availability: one batond's worth of the engine, without the sockets. Its availability is
/// followed by the test's own task only (`waitUntil`); the rest is Sendable.
final class TestEngine: @unchecked Sendable {
    let store: PostgresStore
    let handoff: Handoff
    let signal: EventSignal
    private var availability: AsyncStream<Bool>.Iterator

    private init(store: PostgresStore, handoff: Handoff, signal: EventSignal) {
        self.store = store
        self.handoff = handoff
        self.signal = signal
        availability = store.availability.makeAsyncIterator()
    }

    /// Runs `body` with a store on the database at `url`, migrated and serving; then stops the store.
    static func with<T>(
        _ url: String,
        clock: ManualClock = ManualClock(),
        _ body: (TestEngine) async throws -> T
    ) async throws -> T {
        await turns.acquire()
        do {
            let result = try await run(url, clock: clock, body)
            await turns.release()
            return result
        } catch {
            await turns.release()
            throw error
        }
    }

    /// Stores take turns (see `ConcurrencyLimit`).
    private static let turns = ConcurrencyLimit(8)

    private static func run<T>(
        _ url: String,
        clock: ManualClock,
        _ body: (TestEngine) async throws -> T
    ) async throws -> T {
        let signal = EventSignal()
        let store = try PostgresStore(
            url: url,
            signal: signal,
            logger: Logger(label: "baton-postgres-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let engine = TestEngine(store: store, handoff: Handoff(store: store, clock: clock, signal: signal), signal: signal)
        let running = Task { try await store.run() }
        let result: Result<T, any Error>
        do {
            await engine.waitUntil(available: true)
            result = .success(try await body(engine))
        } catch {
            result = .failure(error)
        }
        running.cancel()
        _ = await running.result
        return try result.get()
    }

    /// Waits until the store reports `available`.
    func waitUntil(available: Bool) async {
        while let reported = await availability.next(), reported != available {}
    }
}

/// Request builders for the engine's tests.
enum Make {
    static func team(_ id: String) -> Baton_V1_UpsertTeamRequest {
        var request = Baton_V1_UpsertTeamRequest()
        var team = Baton_V1_Team()
        team.id = id
        team.name = id.capitalized
        request.team = team
        return request
    }

    static func rep(_ id: String, capacity: UInt32 = 0) -> Baton_V1_UpsertRepRequest {
        var request = Baton_V1_UpsertRepRequest()
        var rep = Baton_V1_Rep()
        rep.id = id
        rep.displayName = id.capitalized
        rep.teamIDs = ["sales"]
        rep.timeZone = "UTC"
        rep.maxActiveChats = capacity
        request.rep = rep
        return request
    }

    static func available(_ id: String) -> Baton_V1_SetPresenceRequest {
        var request = Baton_V1_SetPresenceRequest()
        request.repID = id
        request.presence = .loggedIn
        request.status = .available
        return request
    }

    static func startChat(owner: String) -> Baton_V1_StartChatRequest {
        var request = Baton_V1_StartChatRequest()
        var visitor = Baton_V1_Visitor()
        visitor.id = "visitor-1"
        visitor.name = "Sam"
        request.visitor = visitor
        request.ownerRepID = owner
        request.firstMessage = "Hi, do you support SSO?"
        return request
    }

    static func transfer(
        _ chatID: String,
        by actor: String,
        to target: String,
        key: String = "",
        expectedVersion: UInt64? = nil
    ) -> Baton_V1_TransferRequest {
        var request = Baton_V1_TransferRequest()
        request.chatID = chatID
        request.actingRepID = actor
        request.targetRepID = target
        request.mode = .direct
        request.idempotencyKey = key
        if let expectedVersion {
            var expected = Baton_V1_ExpectedVersion()
            expected.value = expectedVersion
            request.expectedVersion = expected
        }
        return request
    }

    static func schedule(_ rep: String) -> Baton_V1_SetScheduleRequest {
        var schedule = Baton_V1_Schedule()
        schedule.repID = rep
        schedule.timeZone = "UTC"
        for weekday in 1...7 {
            var hours = Baton_V1_WeekdayHours()
            hours.weekday = Baton_V1_Weekday(rawValue: Int32(weekday))
            var interval = Baton_V1_LocalInterval()
            interval.startMinute = 540
            interval.endMinute = 1020
            hours.intervals = [interval]
            schedule.weeklyHours.append(hours)
        }
        var settings = Baton_V1_MeetingSettings()
        settings.defaultLengthMinutes = 30
        settings.bookingHorizonDays = 365
        schedule.meetingSettings = settings
        var request = Baton_V1_SetScheduleRequest()
        request.schedule = schedule
        return request
    }

    static func book(_ rep: String, at start: Date, visitor: String) -> Baton_V1_BookMeetingRequest {
        var request = Baton_V1_BookMeetingRequest()
        request.repID = rep
        request.startTime = Google_Protobuf_Timestamp(start)
        var person = Baton_V1_Visitor()
        person.name = visitor
        person.email = "\(visitor.lowercased())@example.org"
        request.visitor = person
        return request
    }
}

extension Handoff {
    /// Team "sales" with the reps `ids` (capacities as given), each logged in and available.
    func addAvailableReps(_ reps: [(id: String, capacity: UInt32)]) async throws {
        _ = try await upsertTeam(Make.team("sales"), caller: .server)
        for rep in reps {
            _ = try await upsertRep(Make.rep(rep.id, capacity: rep.capacity), caller: .server)
            _ = try await setPresence(Make.available(rep.id), caller: .server)
        }
    }
}
