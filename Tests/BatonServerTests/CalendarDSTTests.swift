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

    @Test(arguments: cases)
    func slotsCoverTheRealSpanOnce(_ dstCase: Case) async throws {
        try await TestBaton.with(clock: ManualClock(instant("2026-01-01T00:00:00Z"))) { baton in
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

    @Test func anIntervalInsideASkippedHourHasNoSlots() async throws {
        try await TestBaton.with(clock: ManualClock(instant("2026-01-01T00:00:00Z"))) { baton in
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

    @Test func aRepeatedHourGivesBothHoursOfSlots() async throws {
        try await TestBaton.with(clock: ManualClock(instant("2026-01-01T00:00:00Z"))) { baton in
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
}
