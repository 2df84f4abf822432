import Baton
import BatonProtos
import Foundation
import Testing

/// Free slots across daylight-saving changes and odd offsets: a schedule working 00:00-06:00
/// local on the change's Sunday yields one slot per 30 real minutes of that span, none in a
/// skipped hour, none twice and none lost in a repeated one.
@Suite struct CalendarDSTTests {
    struct Case: Sendable, CustomStringConvertible {
        let zone: String
        /// The local date of the change (a Sunday).
        let date: String
        /// The instants local 00:00 and 06:00 fall on that date.
        let spanStart: String
        let spanEnd: String
        /// Local minutes of the day in which no slot may start (a skipped span), if any.
        let skipped: Range<Int>?
        var description: String { "\(zone) \(date)" }
    }

    static let cases: [Case] = [
        Case(
            zone: "America/New_York",
            date: "2026-03-08",
            spanStart: "2026-03-08T05:00:00Z",
            spanEnd: "2026-03-08T10:00:00Z",
            skipped: 120..<180
        ),
        Case(
            zone: "America/New_York",
            date: "2026-11-01",
            spanStart: "2026-11-01T04:00:00Z",
            spanEnd: "2026-11-01T11:00:00Z",
            skipped: nil
        ),
        Case(
            zone: "Europe/London",
            date: "2026-03-29",
            spanStart: "2026-03-29T00:00:00Z",
            spanEnd: "2026-03-29T05:00:00Z",
            skipped: 60..<120
        ),
        Case(
            zone: "Europe/London",
            date: "2026-10-25",
            spanStart: "2026-10-24T23:00:00Z",
            spanEnd: "2026-10-25T06:00:00Z",
            skipped: nil
        ),
        // Lord Howe moves its clocks by 30 minutes: back at 02:00 in April, on at 02:00 in October.
        Case(
            zone: "Australia/Lord_Howe",
            date: "2026-04-05",
            spanStart: "2026-04-04T13:00:00Z",
            spanEnd: "2026-04-04T19:30:00Z",
            skipped: nil
        ),
        Case(
            zone: "Australia/Lord_Howe",
            date: "2026-10-04",
            spanStart: "2026-10-03T13:30:00Z",
            spanEnd: "2026-10-03T19:00:00Z",
            skipped: 120..<150
        ),
        Case(
            zone: "Asia/Kolkata",
            date: "2026-03-08",
            spanStart: "2026-03-07T18:30:00Z",
            spanEnd: "2026-03-08T00:30:00Z",
            skipped: nil
        ),
        Case(
            zone: "Asia/Kathmandu",
            date: "2026-03-08",
            spanStart: "2026-03-07T18:15:00Z",
            spanEnd: "2026-03-08T00:15:00Z",
            skipped: nil
        ),
    ]

    @Test(arguments: TestEngine.allCases, cases)
    func slotsCoverTheRealSpanOnce(engine: TestEngine, _ dstCase: Case) async throws {
        try await TestBaton.with(engine, clock: ManualClock(instant("2026-01-01T00:00:00Z"))) { baton in
            try await baton.addRep("ana", zone: dstCase.zone)
            // Sunday only, with an override making that date the same, so weekly and override
            // paths both walk the change.
            try await baton.setSchedule(
                CalendarMake.schedule(
                    "ana",
                    zone: dstCase.zone,
                    weekly: [7: [0..<360]],
                    overrides: [dstCase.date: [0..<360]]
                )
            )
            let from = instant(dstCase.spanStart).addingTimeInterval(-86400)
            let slots = try await baton.freeSlots(
                CalendarMake.availability(reps: ["ana"], from: from, to: from.addingTimeInterval(3 * 86400))
            )
            let start = instant(dstCase.spanStart)
            let count = Int(instant(dstCase.spanEnd).timeIntervalSince(start) / 1800)
            let expected = (0..<count).map { start.addingTimeInterval(Double($0) * 1800) }
            #expect(slots.map(\.start) == expected)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: dstCase.zone)!
            if let skipped = dstCase.skipped {
                for slot in slots {
                    let local = calendar.dateComponents([.hour, .minute], from: slot.start)
                    #expect(
                        !skipped.contains(local.hour! * 60 + local.minute!),
                        "slot in the skipped span: \(slot.start)"
                    )
                }
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func anIntervalInsideASkippedHourHasNoSlots(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(instant("2026-01-01T00:00:00Z"))) { baton in
            try await baton.addRep("ana")
            try await baton.setSchedule(
                CalendarMake.schedule(
                    "ana",
                    zone: "America/New_York",
                    weekly: [:],
                    overrides: ["2026-03-08": [120..<180]]
                )
            )
            let slots = try await baton.freeSlots(
                CalendarMake.availability(
                    reps: ["ana"],
                    from: instant("2026-03-07T00:00:00Z"),
                    to: instant("2026-03-10T00:00:00Z")
                )
            )
            #expect(slots.isEmpty)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aRepeatedHourGivesBothHoursOfSlots(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(instant("2026-01-01T00:00:00Z"))) { baton in
            try await baton.addRep("ana")
            try await baton.setSchedule(
                CalendarMake.schedule(
                    "ana",
                    zone: "America/New_York",
                    weekly: [:],
                    overrides: ["2026-11-01": [60..<120]],
                    length: 60
                )
            )
            let slots = try await baton.freeSlots(
                CalendarMake.availability(
                    reps: ["ana"],
                    from: instant("2026-10-31T00:00:00Z"),
                    to: instant("2026-11-03T00:00:00Z")
                )
            )
            // 01:00 EDT and 01:00 EST: the local hour 01:00-02:00 happens twice.
            #expect(slots.map(\.start) == [instant("2026-11-01T05:00:00Z"), instant("2026-11-01T06:00:00Z")])
        }
    }

    /// Two intervals of a day (or of two days, across midnight) that touch or nearly touch where
    /// the clock changes: in a repeated hour the first one's end occurs after the second one's
    /// start, in a skipped hour both boundaries fall on the jump. Either way the working time is
    /// one stretch of real time, with one slot per 30 minutes of it, each once.
    struct JoinCase: Sendable, CustomStringConvertible {
        let name: String
        let zone: String
        /// Working intervals in local minutes, by date (date overrides; no weekly hours).
        let days: [String: [Range<UInt32>]]
        /// The real stretch they cover.
        let spanStart: String
        let spanEnd: String
        var description: String { "\(zone): \(name)" }
    }

    static let joinCases: [JoinCase] = [
        JoinCase(
            name: "00:00-01:30 and 01:30-03:00 on the fall-back day",
            zone: "America/New_York",
            days: ["2027-11-07": [0..<90, 90..<180]],
            spanStart: "2027-11-07T04:00:00Z",
            spanEnd: "2027-11-07T08:00:00Z"
        ),
        JoinCase(
            name: "00:00-01:15 and 01:45-03:00 on the fall-back day",
            zone: "America/New_York",
            days: ["2027-11-07": [0..<75, 105..<180]],
            spanStart: "2027-11-07T04:00:00Z",
            spanEnd: "2027-11-07T08:00:00Z"
        ),
        // Cuba changes its clocks at midnight: 00:00-01:00 happens twice on 2026-11-01.
        JoinCase(
            name: "22:00-24:00 and the next day's 00:00-02:00 when midnight repeats",
            zone: "America/Havana",
            days: ["2026-10-31": [1320..<1440], "2026-11-01": [0..<120]],
            spanStart: "2026-11-01T02:00:00Z",
            spanEnd: "2026-11-01T07:00:00Z"
        ),
        JoinCase(
            name: "00:00-01:45 and 01:45-03:00 in the repeated half hour",
            zone: "Australia/Lord_Howe",
            days: ["2026-04-05": [0..<105, 105..<180]],
            spanStart: "2026-04-04T13:00:00Z",
            spanEnd: "2026-04-04T16:30:00Z"
        ),
        JoinCase(
            name: "00:00-01:20 and 01:40-03:00 on the fall-back day",
            zone: "Europe/London",
            days: ["2026-10-25": [0..<80, 100..<180]],
            spanStart: "2026-10-24T23:00:00Z",
            spanEnd: "2026-10-25T03:00:00Z"
        ),
        JoinCase(
            name: "00:00-02:30 and 02:30-05:00 on the spring-forward day",
            zone: "America/New_York",
            days: ["2027-03-14": [0..<150, 150..<300]],
            spanStart: "2027-03-14T05:00:00Z",
            spanEnd: "2027-03-14T09:00:00Z"
        ),
        JoinCase(
            name: "00:00-02:15 and 02:45-05:00, both boundaries skipped",
            zone: "America/New_York",
            days: ["2027-03-14": [0..<135, 165..<300]],
            spanStart: "2027-03-14T05:00:00Z",
            spanEnd: "2027-03-14T09:00:00Z"
        ),
        JoinCase(
            name: "22:00-24:00 and the next day's 00:00-02:00 when midnight is skipped",
            zone: "America/Havana",
            days: ["2026-03-07": [1320..<1440], "2026-03-08": [0..<120]],
            spanStart: "2026-03-08T03:00:00Z",
            spanEnd: "2026-03-08T06:00:00Z"
        ),
        JoinCase(
            name: "00:00-02:15 and 02:15-04:00 in the skipped half hour",
            zone: "Australia/Lord_Howe",
            days: ["2026-10-04": [0..<135, 135..<240]],
            spanStart: "2026-10-03T13:30:00Z",
            spanEnd: "2026-10-03T17:00:00Z"
        ),
        JoinCase(
            name: "00:00-01:30 and 01:30-03:00 on the spring-forward day",
            zone: "Europe/London",
            days: ["2026-03-29": [0..<90, 90..<180]],
            spanStart: "2026-03-29T00:00:00Z",
            spanEnd: "2026-03-29T02:00:00Z"
        ),
    ]

    @Test(arguments: TestEngine.allCases, joinCases)
    func intervalsMeetingAtAClockChangeGiveEachSlotOnce(engine: TestEngine, _ joinCase: JoinCase) async throws {
        let start = instant(joinCase.spanStart)
        try await TestBaton.with(engine, clock: ManualClock(start.addingTimeInterval(-30 * 86400))) { baton in
            try await baton.addRep("ana", zone: joinCase.zone)
            try await baton.setSchedule(
                CalendarMake.schedule("ana", zone: joinCase.zone, weekly: [:], overrides: joinCase.days)
            )
            let from = start.addingTimeInterval(-86400)
            let slots = try await baton.freeSlots(
                CalendarMake.availability(reps: ["ana"], from: from, to: from.addingTimeInterval(3 * 86400))
            )
            let count = Int(instant(joinCase.spanEnd).timeIntervalSince(start) / 1800)
            #expect(slots.map(\.start) == (0..<count).map { start.addingTimeInterval(Double($0) * 1800) })
        }
    }

    /// The slot both intervals used to offer, once booked, is offered by neither.
    @Test(arguments: TestEngine.allCases)
    func aBookedSlotInARepeatedHourIsNoLongerOffered(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(instant("2027-10-01T00:00:00Z"))) { baton in
            try await baton.addRep("ana")
            try await baton.setSchedule(
                CalendarMake.schedule(
                    "ana",
                    zone: "America/New_York",
                    weekly: [:],
                    overrides: ["2027-11-07": [0..<90, 90..<180]]
                )
            )
            let query = CalendarMake.availability(
                reps: ["ana"],
                from: instant("2027-11-06T00:00:00Z"),
                to: instant("2027-11-09T00:00:00Z")
            )
            // 01:30 EDT, which ends the first interval's first hour and starts the second.
            let booked = instant("2027-11-07T05:30:00Z")
            let _: Baton_V1_BookMeetingResponse = try await baton.call(
                "Calendars/BookMeeting",
                CalendarMake.book("ana", at: booked)
            )
            let slots = try await baton.freeSlots(query).map(\.start)
            let start = instant("2027-11-07T04:00:00Z")
            #expect(slots == (0..<8).map { start.addingTimeInterval(Double($0) * 1800) }.filter { $0 != booked })
            for slot in slots {
                let _: Baton_V1_BookMeetingResponse = try await baton.call(
                    "Calendars/BookMeeting",
                    CalendarMake.book("ana", at: slot)
                )
            }
            #expect(try await baton.freeSlots(query).isEmpty)
        }
    }
}
