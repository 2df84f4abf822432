import Baton
import BatonProtos
import BatonRPC
import Foundation
import Testing

/// BookMeeting, CancelMeeting and ListMeetings: atomic under racing bookers, idempotent retries,
/// cancelling frees the time, every change an event.
@Suite struct CalendarBookingTests {
    /// Monday 2026-06-01, 00:00 UTC.
    static let monday = instant("2026-06-01T00:00:00Z")
    static let ten = instant("2026-06-01T10:00:00Z")

    /// A UTC rep "ana" working 09:00-17:00 every day, clock at Monday 00:00.
    func withAna(_ engine: TestEngine, _ body: (TestBaton) async throws -> Void) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.monday)) { baton in
            try await baton.addRep("ana", zone: "UTC")
            try await baton.setSchedule(
                CalendarMake.schedule("ana", zone: "UTC", weekly: CalendarMake.everyDay([540..<1020]))
            )
            try await body(baton)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func fiftyRacingBookingsOfOneSlotBookOnce(engine: TestEngine) async throws {
        try await withAna(engine) { baton in
            let outcomes = try await withThrowingTaskGroup(of: Result<String, RPCError>.self) { group in
                for index in 0..<50 {
                    // Half ask for 10:00, half for 10:15: every pair overlaps.
                    let start = Self.ten.addingTimeInterval(index % 2 == 0 ? 0 : 900)
                    group.addTask {
                        do {
                            let response: Baton_V1_BookMeetingResponse = try await baton.call(
                                "Calendars/BookMeeting",
                                CalendarMake.book("ana", at: start, visitor: "Visitor\(index)")
                            )
                            return .success(response.meeting!.id)
                        } catch let error as RPCError {
                            return .failure(error)
                        }
                    }
                }
                var outcomes: [Result<String, RPCError>] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let winners = outcomes.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            for case .failure(let error) in outcomes {
                #expect(error.code == .failedPrecondition)
                #expect(error.detail(Baton_V1_ErrorInfo.self)?.reason == .slotUnavailable)
            }
            var list = Baton_V1_ListMeetingsRequest()
            list.repID = "ana"
            let listed: Baton_V1_ListMeetingsResponse = try await baton.call("Calendars/ListMeetings", list)
            #expect(listed.meetings.map(\.id) == winners)
            let booked = try await baton.allEvents().filter { $0.kind == .meetingBooked }
            #expect(booked.count == 1)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aRetryWithTheSameKeyReturnsTheSameMeeting(engine: TestEngine) async throws {
        try await withAna(engine) { baton in
            let request = CalendarMake.book("ana", at: Self.ten, key: "book-1")
            let first: Baton_V1_BookMeetingResponse = try await baton.call("Calendars/BookMeeting", request)
            let retry: Baton_V1_BookMeetingResponse = try await baton.call("Calendars/BookMeeting", request)
            #expect(retry.meeting == first.meeting)
            await expectError(.invalidArgument, .idempotencyKeyReused) {
                let _: Baton_V1_BookMeetingResponse = try await baton.call(
                    "Calendars/BookMeeting",
                    CalendarMake.book("ana", at: Self.ten.addingTimeInterval(3600), key: "book-1")
                )
            }
            #expect(try await baton.allEvents().filter { $0.kind == .meetingBooked }.count == 1)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func cancellingFreesTheTime(engine: TestEngine) async throws {
        try await withAna(engine) { baton in
            let booked: Baton_V1_BookMeetingResponse = try await baton.call(
                "Calendars/BookMeeting",
                CalendarMake.book("ana", at: Self.ten)
            )
            let query = CalendarMake.availability(reps: ["ana"], from: Self.ten, to: Self.ten.addingTimeInterval(1800))
            #expect(try await baton.freeSlots(query).isEmpty)
            await expectError(.failedPrecondition, .slotUnavailable) {
                let _: Baton_V1_BookMeetingResponse = try await baton.call(
                    "Calendars/BookMeeting",
                    CalendarMake.book("ana", at: Self.ten)
                )
            }
            var cancel = Baton_V1_CancelMeetingRequest()
            cancel.meetingID = booked.meeting!.id
            cancel.cancelledBy = Baton_V1_Actor()
            cancel.cancelledBy!.kind = .rep
            cancel.cancelledBy!.id = "ben"
            await expectError(.notFound, .repNotFound) {
                let _: Baton_V1_CancelMeetingResponse = try await baton.call("Calendars/CancelMeeting", cancel)
            }
            cancel.cancelledBy!.id = "ana"
            cancel.reason = "visitor asked"
            let cancelled: Baton_V1_CancelMeetingResponse = try await baton.call("Calendars/CancelMeeting", cancel)
            #expect(cancelled.meeting?.state == .cancelled)
            #expect(cancelled.meeting?.cancelReason == "visitor asked")
            let again: Baton_V1_CancelMeetingResponse = try await baton.call("Calendars/CancelMeeting", cancel)
            #expect(again.meeting == cancelled.meeting)
            #expect(try await baton.freeSlots(query).map(\.start) == [Self.ten])
            #expect(try await baton.allEvents().filter { $0.kind == .meetingCancelled }.count == 1)
            cancel.meetingID = "meeting-999"
            await expectError(.notFound, .meetingNotFound) {
                let _: Baton_V1_CancelMeetingResponse = try await baton.call("Calendars/CancelMeeting", cancel)
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func listingFiltersByRangeAndState(engine: TestEngine) async throws {
        try await withAna(engine) { baton in
            for hour in [9.0, 11, 13] {
                let _: Baton_V1_BookMeetingResponse = try await baton.call(
                    "Calendars/BookMeeting",
                    CalendarMake.book("ana", at: Self.monday.addingTimeInterval(hour * 3600))
                )
            }
            var list = Baton_V1_ListMeetingsRequest()
            list.repID = "ana"
            list.startTime = Google_Protobuf_Timestamp(Self.ten)
            list.endTime = Google_Protobuf_Timestamp(Self.ten.addingTimeInterval(4 * 3600))
            let listed: Baton_V1_ListMeetingsResponse = try await baton.call("Calendars/ListMeetings", list)
            #expect(
                listed.meetings.map { $0.startTime!.date }
                    == [11.0, 13].map { Self.monday.addingTimeInterval($0 * 3600) }
            )
            list.state = .cancelled
            let none: Baton_V1_ListMeetingsResponse = try await baton.call("Calendars/ListMeetings", list)
            #expect(none.meetings.isEmpty)
            await expectError(.invalidArgument, .invalidField) {
                let _: Baton_V1_ListMeetingsResponse = try await baton.call(
                    "Calendars/ListMeetings",
                    Baton_V1_ListMeetingsRequest()
                )
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aTakenOrClosedTimeOffersAlternatives(engine: TestEngine) async throws {
        try await withAna(engine) { baton in
            let _: Baton_V1_BookMeetingResponse = try await baton.call(
                "Calendars/BookMeeting",
                CalendarMake.book("ana", at: Self.ten)
            )
            let taken = await expectError(.failedPrecondition, .slotUnavailable) {
                let _: Baton_V1_BookMeetingResponse = try await baton.call(
                    "Calendars/BookMeeting",
                    CalendarMake.book("ana", at: Self.ten.addingTimeInterval(600))
                )
            }
            let conflict = try #require(taken?.detail(Baton_V1_BookingConflict.self))
            #expect(conflict.repID == "ana" && conflict.startTime?.date == Self.ten.addingTimeInterval(600))
            let alternatives = [10.5, 11, 11.5, 12, 12.5].map { Self.monday.addingTimeInterval($0 * 3600) }
            #expect(conflict.alternativeSlots.map(\.start) == alternatives)
            // 18:00 is after working hours: the alternatives are the next morning's.
            let closed = await expectError(.failedPrecondition, .slotUnavailable) {
                let _: Baton_V1_BookMeetingResponse = try await baton.call(
                    "Calendars/BookMeeting",
                    CalendarMake.book("ana", at: Self.monday.addingTimeInterval(18 * 3600))
                )
            }
            let next = try #require(closed?.detail(Baton_V1_BookingConflict.self)?.alternativeSlots.first)
            #expect(next.start == Self.monday.addingTimeInterval(33 * 3600))
        }
    }
}
