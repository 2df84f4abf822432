import BatonProtos
import BatonRPC
import Foundation
import Testing

/// Values the binary encoding can carry but no Baton type holds — sequence numbers above what
/// SQLite stores, Timestamps outside proto3's range — are refused with INVALID_ARGUMENT naming
/// the field, through the real server, and the server goes on answering. Before, each of these
/// ended batond with a trap.
@Suite struct HostileInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        /// What the status message names: the field, in its message.
        let field: String
        /// The BadRequest violation, for what the domain refuses; the codec's refusals have none.
        let violation: String?
        let send: Send
    }

    @Test(arguments: TestEngine.allCases, sequenceCases + timestampCases + [meetingEndingAfter9999])
    func hostileValuesAreInvalidArgumentsNamingTheField(engine: TestEngine, _ hostile: Case) async throws {
        try await TestBaton.with(engine) { baton in
            do {
                try await hostile.send(baton)
                Issue.record("accepted")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument, "\(error)")
                #expect(error.message.contains(hostile.field), "\(error)")
                if let violation = hostile.violation {
                    let fields = error.detail(Baton_V1_BadRequest.self)?.fieldViolations.map(\.field)
                    #expect(fields == [violation], "\(error)")
                }
            }
            let _: Baton_V1_UpsertTeamResponse = try await baton.call("Reps/UpsertTeam", Make.team("sales"))
        }
    }

    static let sequenceCases: [Case] = [UInt64(Int64.max) + 1, .max].map { sequence in
        var request = Make.getChat("chat-1")
        request.afterSequence = sequence
        return Case(
            testDescription: "GetChat after_sequence \(sequence)",
            field: "after_sequence",
            violation: "after_sequence",
            send: unary("Chats/GetChat", request, Baton_V1_GetChatResponse.self)
        )
    }

    static let hostileTimestamps: [(name: String, seconds: Int64, nanos: Int32)] = [
        ("seconds 1e14", 100_000_000_000_000, 0),
        ("seconds Int64.max", .max, 0),
        ("seconds Int64.min", .min, 0),
        ("a second before 0001-01-01", -62_135_596_801, 0),
        ("a second after 9999-12-31T23:59:59", 253_402_300_800, 0),
        ("nanos -1", 1_780_000_000, -1),
        ("nanos 1e9", 1_780_000_000, 1_000_000_000),
    ]

    typealias Send = @Sendable (TestBaton) async throws -> Void

    /// A request for each Timestamp field a request can carry, that field set to `time`, with
    /// the field as the status names it.
    static func requests(with time: Google_Protobuf_Timestamp) -> [(field: String, send: Send)] {
        let later = Google_Protobuf_Timestamp(Date(timeIntervalSince1970: 1_790_000_000))
        var query = Baton_V1_QueryAvailabilityRequest()
        query.repIDs = ["ana"]
        var list = Baton_V1_ListMeetingsRequest()
        list.repID = "ana"
        var booker = Baton_V1_ShowMeetingBookerRequest()
        booker.chatID = "chat-1"
        booker.actingRepID = "ana"
        let book = CalendarMake.book("ana", at: Date(timeIntervalSince1970: 1_780_000_000))
        var schedule = CalendarMake.schedule("ana", zone: "Europe/London", weekly: CalendarMake.everyDay([540..<1020]))
        var rep = Make.rep("ana", "Ana")
        var team = Make.team("sales")
        var result: [(field: String, send: Send)] = []
        func add<Request: ProtoMessage, Response: ProtoMessage>(
            _ field: String,
            _ method: String,
            _ request: Request,
            _ response: Response.Type
        ) {
            result.append((field, unary(method, request, response)))
        }
        for (field, start, end) in [("start_time", time, later), ("end_time", Google_Protobuf_Timestamp(), time)] {
            (query.startTime, query.endTime) = (start, end)
            add(
                "QueryAvailabilityRequest.\(field)",
                "Calendars/QueryAvailability",
                query,
                Baton_V1_QueryAvailabilityResponse.self
            )
            (list.startTime, list.endTime) = (start, end)
            add("ListMeetingsRequest.\(field)", "Calendars/ListMeetings", list, Baton_V1_ListMeetingsResponse.self)
            (booker.startTime, booker.endTime) = (start, end)
            add(
                "ShowMeetingBookerRequest.\(field)",
                "Calendars/ShowMeetingBooker",
                booker,
                Baton_V1_ShowMeetingBookerResponse.self
            )
        }
        var booking = book
        booking.startTime = time
        add("BookMeetingRequest.start_time", "Calendars/BookMeeting", booking, Baton_V1_BookMeetingResponse.self)
        schedule.schedule?.updatedAt = time
        add("Schedule.updated_at", "Calendars/SetSchedule", schedule, Baton_V1_SetScheduleResponse.self)
        rep.rep?.leaseExpiresAt = time
        add("Rep.lease_expires_at", "Reps/UpsertRep", rep, Baton_V1_UpsertRepResponse.self)
        team.team?.createdAt = time
        add("Team.created_at", "Reps/UpsertTeam", team, Baton_V1_UpsertTeamResponse.self)
        return result
    }

    static let timestampCases: [Case] = hostileTimestamps.flatMap { hostile in
        var time = Google_Protobuf_Timestamp()
        time.seconds = hostile.seconds
        time.nanos = hostile.nanos
        return requests(with: time).map { field, send in
            Case(testDescription: "\(field): \(hostile.name)", field: field, violation: nil, send: send)
        }
    }

    /// A start inside the range whose meeting would end past it: the meeting (or the conflict's
    /// detail) would carry a Timestamp no client can decode.
    static let meetingEndingAfter9999: Case = {
        var request = CalendarMake.book("ana", at: Date(timeIntervalSince1970: 0), length: 60)
        request.startTime?.seconds = 253_402_300_799 - 1800
        return Case(
            testDescription: "BookMeeting start_time 30 minutes before the end of 9999",
            field: "start_time",
            violation: "start_time",
            send: unary("Calendars/BookMeeting", request, Baton_V1_BookMeetingResponse.self)
        )
    }()

    static func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: String,
        _ request: Request,
        _ response: Response.Type
    ) -> Send {
        { baton in
            let _: Response = try await baton.call(method, request)
        }
    }
}
