import Baton
import BatonProtos
import BatonRPC
import Foundation
import Testing

/// ShowMeetingBooker: the visitor sees the offered slots as a structured booker, reps see who
/// showed it, and a slot picked from it books a meeting linked to the chat.
@Suite struct CalendarBookerTests {
    /// Monday 2026-06-01, 08:00 UTC.
    static let now = instant("2026-06-01T08:00:00Z")

    @Test(arguments: TestEngine.allCases)
    func aBookerOffersAColleaguesSlotsAndBooksOne(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.now)) { baton in
            let chat = try await baton.seedStory()
            try await baton.setSchedule(
                CalendarMake.schedule("ben", zone: "America/New_York", weekly: CalendarMake.everyDay([540..<1020]))
            )
            var request = Baton_V1_ShowMeetingBookerRequest()
            request.chatID = chat.id
            request.actingRepID = "ana"
            request.repIDs = ["ben"]
            request.maxSlots = 3
            request.idempotencyKey = "booker-1"
            let shown: Baton_V1_ShowMeetingBookerResponse = try await baton.call("Calendars/ShowMeetingBooker", request)
            // 09:00 in New York is 13:00 UTC.
            #expect(
                shown.slots.map(\.start)
                    == [13.0, 13.5, 14].map { instant("2026-06-01T00:00:00Z").addingTimeInterval($0 * 3600) }
            )
            #expect(shown.slots.allSatisfy { $0.repID == "ben" })
            let booker = try #require(shown.bookerEntry)
            #expect(booker.kind == .meetingBooker && booker.visibility == .everyone)
            #expect(booker.meetingBooker?.slots == shown.slots)
            #expect(booker.meetingBooker?.reps.map(\.timeZone) == ["America/New_York"])
            #expect(shown.auditEntry?.visibility == .repsOnly)
            #expect(shown.auditEntry?.text == "Ana Silva showed the calendar of Ben Ortiz")
            let retry: Baton_V1_ShowMeetingBookerResponse = try await baton.call("Calendars/ShowMeetingBooker", request)
            #expect(retry == shown)

            let visitorView: Baton_V1_GetChatResponse = try await baton.call(
                "Chats/GetChat",
                Make.getChat(chat.id, visitorView: true)
            )
            #expect(visitorView.chat!.transcript.map(\.kind) == [.message, .meetingBooker])

            var pick = CalendarMake.book(
                "ben",
                at: shown.slots[1].start,
                length: booker.meetingBooker!.lengthMinutes,
                chat: chat.id
            )
            pick.bookedBy = Baton_V1_Actor()
            pick.bookedBy!.kind = .visitor
            pick.bookedBy!.id = "visitor-1"
            let booked: Baton_V1_BookMeetingResponse = try await baton.call("Calendars/BookMeeting", pick)
            #expect(booked.meeting?.chatID == chat.id)
            let after: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
            let confirmation = try #require(after.chat!.transcript.last)
            #expect(confirmation.kind == .meetingBooked && confirmation.meetingID == booked.meeting!.id)
            let kinds = try await baton.allEvents().map(\.kind)
            #expect(kinds.contains(.meetingBookerShown) && kinds.contains(.meetingBooked))
        }
    }

    @Test(arguments: TestEngine.allCases)
    func noFreeTimeMeansNoBooker(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.now)) { baton in
            let chat = try await baton.seedStory()
            var request = Baton_V1_ShowMeetingBookerRequest()
            request.chatID = chat.id
            request.actingRepID = "ana"
            request.repIDs = ["cara"]
            await expectError(.failedPrecondition, .noFreeSlots) {
                let _: Baton_V1_ShowMeetingBookerResponse = try await baton.call("Calendars/ShowMeetingBooker", request)
            }
            request.actingRepID = "ben"
            await expectError(.permissionDenied, .actorNotPermitted) {
                let _: Baton_V1_ShowMeetingBookerResponse = try await baton.call("Calendars/ShowMeetingBooker", request)
            }
            let unchanged: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
            #expect(unchanged.chat!.version == chat.version)
        }
    }
}
