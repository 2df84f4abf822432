import Baton
import BatonProtos
import BatonRPC
import Foundation
import Testing

/// SetSchedule and GetSchedule: round trip, versions, and invalid schedules refused naming the field.
@Suite struct CalendarScheduleTests {
    @Test(arguments: TestEngine.allCases)
    func aScheduleRoundTripsWithItsVersion(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            try await baton.addRep("ana", zone: "Europe/London")
            let empty: Baton_V1_GetScheduleResponse = try await baton.call(
                "Calendars/GetSchedule",
                {
                    var request = Baton_V1_GetScheduleRequest()
                    request.repID = "ana"
                    return request
                }()
            )
            #expect(empty.schedule?.version == 0)
            #expect(empty.schedule?.timeZone == "Europe/London")
            let stored = try await baton.setSchedule(
                CalendarMake.schedule("ana", zone: "", weekly: [1: [540..<720, 780..<1050]])
            )
            #expect(stored.version == 1)
            #expect(stored.timeZone == "Europe/London")
            var stale = CalendarMake.schedule("ana", zone: "Asia/Kolkata", weekly: [:])
            stale.expectedVersion = Baton_V1_ExpectedVersion()
            stale.expectedVersion!.value = 0
            await expectError(.aborted, .versionConflict) { try await baton.setSchedule(stale) }
            stale.expectedVersion!.value = 1
            #expect(try await baton.setSchedule(stale).version == 2)
            let events = try await baton.allEvents().filter { $0.kind == .scheduleSet }
            #expect(events.count == 2)
        }
    }

    static let invalid: [(String, Baton_V1_ErrorReason, Baton_V1_SetScheduleRequest)] = [
        ("schedule.time_zone", .invalidTimeZone, CalendarMake.schedule("ana", zone: "Mars/Olympus", weekly: [:])),
        (
            "schedule.weekly_hours[0].intervals[0].end_minute", .invalidField,
            {
                // Inverted: 10:00 to 09:00.
                var request = CalendarMake.schedule("ana", zone: "UTC", weekly: [1: [600..<601]])
                request.schedule!.weeklyHours[0].intervals[0].endMinute = 540
                return request
            }()
        ),
        (
            "schedule.weekly_hours[0].intervals[1].start_minute", .invalidField,
            CalendarMake.schedule("ana", zone: "UTC", weekly: [1: [540..<720, 700..<800]])
        ),
        (
            "schedule.date_overrides[0].date", .invalidField,
            CalendarMake.schedule("ana", zone: "UTC", weekly: [:], overrides: ["2026-02-30": []])
        ),
        (
            "schedule.meeting_settings.default_length_minutes", .invalidField,
            CalendarMake.schedule("ana", zone: "UTC", weekly: [:], length: 481)
        ),
        (
            "schedule.meeting_settings.buffer_before_minutes", .invalidField,
            CalendarMake.schedule("ana", zone: "UTC", weekly: [:], bufferBefore: 241)
        ),
    ]

    @Test(arguments: TestEngine.allCases, 0..<invalid.count)
    func invalidSchedulesNameTheField(engine: TestEngine, _ index: Int) async throws {
        let (field, reason, request) = Self.invalid[index]
        try await TestBaton.with(engine) { baton in
            try await baton.addRep("ana", zone: "UTC")
            let error = await expectError(.invalidArgument, reason) { try await baton.setSchedule(request) }
            #expect(error?.detail(Baton_V1_BadRequest.self)?.fieldViolations.first?.field == field)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func anUnknownRepIsNotFound(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            _ = await expectError(.notFound, .repNotFound) {
                try await baton.setSchedule(CalendarMake.schedule("nobody", zone: "UTC", weekly: [:]))
            }
        }
    }
}
