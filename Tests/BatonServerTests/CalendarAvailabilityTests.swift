import Baton
import BatonProtos
import BatonRPC
import Foundation
import Testing

/// QueryAvailability's rules at their boundaries: overrides, buffers, minimum notice, the
/// horizon, the range cap, and team queries naming each slot's rep.
@Suite struct CalendarAvailabilityTests {
    /// Monday 2026-06-01, 00:00 UTC.
    static let monday = instant("2026-06-01T00:00:00Z")

    @Test(arguments: TestEngine.allCases)
    func overridesReplaceTheWeek(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.monday.addingTimeInterval(-86400))) { baton in
            try await baton.addRep("ana", zone: "UTC")
            // Mondays 09:00-10:00, Tuesdays off; this Monday off, this Tuesday 14:00-15:00.
            try await baton.setSchedule(
                CalendarMake.schedule(
                    "ana",
                    zone: "UTC",
                    weekly: [1: [540..<600]],
                    overrides: ["2026-06-01": [], "2026-06-02": [840..<900]]
                )
            )
            let slots = try await baton.freeSlots(
                CalendarMake.availability(
                    reps: ["ana"],
                    from: Self.monday,
                    to: Self.monday.addingTimeInterval(14 * 86400)
                )
            )
            #expect(
                slots.map(\.start) == [
                    instant("2026-06-02T14:00:00Z"), instant("2026-06-02T14:30:00Z"),
                    instant("2026-06-08T09:00:00Z"), instant("2026-06-08T09:30:00Z"),
                ]
            )
        }
    }

    @Test(arguments: TestEngine.allCases)
    func minimumNoticeIsInclusiveToTheMinute(engine: TestEngine) async throws {
        let clock = ManualClock(instant("2026-06-01T10:00:00Z"))
        try await TestBaton.with(engine, clock: clock) { baton in
            try await baton.addRep("ana", zone: "UTC")
            try await baton.setSchedule(
                CalendarMake.schedule("ana", zone: "UTC", weekly: CalendarMake.everyDay([0..<1440]), notice: 60)
            )
            let query = CalendarMake.availability(
                reps: ["ana"],
                from: Self.monday,
                to: Self.monday.addingTimeInterval(86400),
                maxSlots: 1
            )
            #expect(try await baton.freeSlots(query).map(\.start) == [instant("2026-06-01T11:00:00Z")])
            clock.advance(seconds: 1)
            #expect(try await baton.freeSlots(query).map(\.start) == [instant("2026-06-01T11:30:00Z")])
            await expectError(.failedPrecondition, .slotUnavailable) {
                let _: Baton_V1_BookMeetingResponse = try await baton.call(
                    "Calendars/BookMeeting",
                    CalendarMake.book("ana", at: instant("2026-06-01T11:00:00Z"))
                )
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func buffersKeepTimeAroundMeetings(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.monday)) { baton in
            try await baton.addRep("ana", zone: "UTC")
            try await baton.setSchedule(
                CalendarMake.schedule(
                    "ana",
                    zone: "UTC",
                    weekly: CalendarMake.everyDay([720..<960]),
                    step: 15,
                    bufferBefore: 15,
                    bufferAfter: 30
                )
            )
            let _: Baton_V1_BookMeetingResponse = try await baton.call(
                "Calendars/BookMeeting",
                CalendarMake.book("ana", at: instant("2026-06-01T14:00:00Z"))
            )
            // The meeting blocks 13:45-15:00; a slot may end at 13:45 and start at 15:00.
            let slots = try await baton.freeSlots(
                CalendarMake.availability(
                    reps: ["ana"],
                    from: instant("2026-06-01T13:00:00Z"),
                    to: instant("2026-06-01T15:30:00Z")
                )
            )
            #expect(
                slots.map(\.start) == [
                    instant("2026-06-01T13:00:00Z"), instant("2026-06-01T13:15:00Z"), instant("2026-06-01T15:00:00Z"),
                ]
            )
            await expectError(.failedPrecondition, .slotUnavailable) {
                let _: Baton_V1_BookMeetingResponse = try await baton.call(
                    "Calendars/BookMeeting",
                    CalendarMake.book("ana", at: instant("2026-06-01T14:45:00Z"))
                )
            }
            let booked: Baton_V1_BookMeetingResponse = try await baton.call(
                "Calendars/BookMeeting",
                CalendarMake.book("ana", at: instant("2026-06-01T15:00:00Z"))
            )
            #expect(booked.meeting?.state == .booked)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func theHorizonEndsTheSlots(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.monday)) { baton in
            try await baton.addRep("ana", zone: "UTC")
            try await baton.setSchedule(
                CalendarMake.schedule(
                    "ana",
                    zone: "UTC",
                    weekly: CalendarMake.everyDay([0..<60]),
                    length: 60,
                    horizonDays: 2
                )
            )
            let slots = try await baton.freeSlots(
                CalendarMake.availability(
                    reps: ["ana"],
                    from: Self.monday,
                    to: Self.monday.addingTimeInterval(10 * 86400)
                )
            )
            #expect(slots.map(\.start) == (0...2).map { Self.monday.addingTimeInterval(Double($0) * 86400) })
        }
    }

    @Test(arguments: TestEngine.allCases)
    func rangesAreCappedAt31Days(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.monday)) { baton in
            try await baton.addRep("ana", zone: "UTC")
            let end = Self.monday.addingTimeInterval(31 * 86400)
            _ = try await baton.freeSlots(CalendarMake.availability(reps: ["ana"], from: Self.monday, to: end))
            let error = await expectError(.invalidArgument, .rangeTooLarge) {
                try await baton.freeSlots(
                    CalendarMake.availability(reps: ["ana"], from: Self.monday, to: end.addingTimeInterval(1))
                )
            }
            #expect(error?.detail(Baton_V1_BadRequest.self)?.fieldViolations.first?.field == "end_time")
            await expectError(.invalidArgument, .invalidField) {
                try await baton.freeSlots(CalendarMake.availability(reps: ["ana"], from: end, to: Self.monday))
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func teamSlotsNameTheirRep(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.monday)) { baton in
            for id in ["ana", "ben", "cara"] { try await baton.addRep(id, zone: "UTC") }
            try await baton.setSchedule(
                CalendarMake.schedule("ana", zone: "UTC", weekly: CalendarMake.everyDay([540..<600]))
            )
            try await baton.setSchedule(
                CalendarMake.schedule("ben", zone: "UTC", weekly: CalendarMake.everyDay([570..<630]))
            )
            let response: Baton_V1_QueryAvailabilityResponse = try await baton.call(
                "Calendars/QueryAvailability",
                CalendarMake.availability(team: "sales", from: Self.monday, to: Self.monday.addingTimeInterval(86400))
            )
            #expect(response.repIDs == ["ana", "ben", "cara"])
            #expect(
                response.slots.map { "\($0.repID)@\(Int($0.start.timeIntervalSince(Self.monday) / 60))" } == [
                    "ana@540", "ana@570", "ben@570", "ben@600",
                ]
            )
            await expectError(.notFound, .teamNotFound) {
                try await baton.freeSlots(
                    CalendarMake.availability(team: "nope", from: Self.monday, to: Self.monday.addingTimeInterval(60))
                )
            }
        }
    }
}
