import Baton
import BatonProtos
import BatonRPC
import Foundation
import Testing

/// The guide's fallback in one call: a transfer to an unavailable colleague fails with their next
/// free slots and, when asked, posts a meeting booker the visitor books from.
@Suite struct CalendarTransferFallbackTests {
    /// Monday 2026-06-01, 08:00 UTC.
    static let now = instant("2026-06-01T08:00:00Z")

    func transfer(
        _ chat: Baton_V1_Chat,
        to target: String,
        _ action: Baton_V1_UnavailableAction,
        key: String = ""
    )
        -> Baton_V1_TransferRequest
    {
        var request = Make.transfer(chat.id, by: "ana", to: target, key: key)
        request.onUnavailable = action
        return request
    }

    @Test(arguments: TestEngine.allCases)
    func anUnavailableTargetIsOfferedThenBookedAndCancelled(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.now)) { baton in
            let chat = try await baton.seedStory()
            try await baton.setSchedule(
                CalendarMake.schedule("dan", zone: "America/New_York", weekly: CalendarMake.everyDay([540..<1020]))
            )
            let offered = await expectError(.failedPrecondition, .targetLoggedOut) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    transfer(chat, to: "dan", .offerSlots)
                )
            }
            let offer = try #require(offered?.detail(Baton_V1_TransferUnavailable.self))
            #expect(
                offer.nextFreeSlots.map(\.start)
                    == [13.0, 13.5, 14, 14.5, 15].map {
                        instant("2026-06-01T00:00:00Z").addingTimeInterval($0 * 3600)
                    }
            )
            #expect(offer.bookerEntry == nil && offer.chatVersion == chat.version)

            let request = transfer(chat, to: "dan", .offerSlotsAndPostBooker, key: "fallback-1")
            let posted = await expectError(.failedPrecondition, .targetLoggedOut) {
                let _: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", request)
            }
            let detail = try #require(posted?.detail(Baton_V1_TransferUnavailable.self))
            let booker = try #require(detail.bookerEntry)
            #expect(booker.kind == .meetingBooker && booker.meetingBooker?.slots == detail.nextFreeSlots)
            #expect(detail.chatVersion == chat.version + 1)
            let retried = await expectError(.failedPrecondition, .targetLoggedOut) {
                let _: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", request)
            }
            #expect(retried?.detail(Baton_V1_TransferUnavailable.self) == detail)
            let visitorView: Baton_V1_GetChatResponse = try await baton.call(
                "Chats/GetChat",
                Make.getChat(chat.id, visitorView: true)
            )
            #expect(visitorView.chat!.transcript.filter { $0.kind == .meetingBooker }.count == 1)
            #expect(visitorView.chat!.ownerRepID == "ana")
            let shown = try await baton.allEvents().filter { $0.kind == .meetingBookerShown }
            let targets = shown.map { event -> String in
                guard case .meetingBookerShown(let payload) = event.payload else { return "" }
                return payload.unavailableTargetRepID
            }
            #expect(targets == ["dan"])

            let booked: Baton_V1_BookMeetingResponse = try await baton.call(
                "Calendars/BookMeeting",
                CalendarMake.book("dan", at: detail.nextFreeSlots[2].start, chat: chat.id)
            )
            var byChat = Baton_V1_ListMeetingsRequest()
            byChat.chatID = chat.id
            let listed: Baton_V1_ListMeetingsResponse = try await baton.call("Calendars/ListMeetings", byChat)
            #expect(listed.meetings.map(\.id) == [booked.meeting!.id])
            var cancel = Baton_V1_CancelMeetingRequest()
            cancel.meetingID = booked.meeting!.id
            cancel.reason = "Sam cannot make it"
            let cancelled: Baton_V1_CancelMeetingResponse = try await baton.call("Calendars/CancelMeeting", cancel)
            #expect(cancelled.meeting?.state == .cancelled)
            // The visitor booked in the chat and learns of the cancellation there, once.
            let _: Baton_V1_CancelMeetingResponse = try await baton.call("Calendars/CancelMeeting", cancel)
            let afterCancel: Baton_V1_GetChatResponse = try await baton.call(
                "Chats/GetChat",
                Make.getChat(chat.id, visitorView: true)
            )
            let notices = afterCancel.chat!.transcript.filter { $0.kind == .meetingCancelled }
            #expect(notices.count == 1)
            #expect(notices.first?.meetingID == booked.meeting!.id)
            let bookedEntry = try #require(afterCancel.chat!.transcript.first { $0.kind == .meetingBooked })
            // Same wording of the time as the booking's entry, and the reason.
            let bookedTime = bookedEntry.text.replacingOccurrences(of: "Meeting booked with Dan Kim at ", with: "")
            #expect(notices.first?.text == "Meeting with Dan Kim at \(bookedTime) was cancelled: Sam cannot make it")
        }
    }

    @Test("a meeting booked from a chat is with the chat's visitor; another visitor's id is refused", arguments: TestEngine.allCases)
    func bookingFromAChatIsWithItsVisitor(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.now)) { baton in
            let chat = try await baton.seedStory()
            try await baton.setSchedule(
                CalendarMake.schedule("dan", zone: "UTC", weekly: CalendarMake.everyDay([540..<1020]))
            )
            let nine = instant("2026-06-01T09:00:00Z")
            var stranger = CalendarMake.book("dan", at: nine, chat: chat.id)
            stranger.visitor!.id = "visitor-someone-else"
            let refused = await expectError(.invalidArgument, .invalidField) {
                let _: Baton_V1_BookMeetingResponse = try await baton.call("Calendars/BookMeeting", stranger)
            }
            #expect(refused?.detail(Baton_V1_BadRequest.self)?.fieldViolations.first?.field == "visitor.id")

            let booked: Baton_V1_BookMeetingResponse = try await baton.call(
                "Calendars/BookMeeting",
                CalendarMake.book("dan", at: nine, chat: chat.id)
            )
            #expect(booked.meeting?.visitor?.id == chat.visitor?.id)
            #expect(booked.meeting?.visitor?.name == "Sam")

            // No visitor at all: the chat's.
            var bare = CalendarMake.book("dan", at: nine.addingTimeInterval(3600), chat: chat.id)
            bare.visitor = nil
            let fromChat: Baton_V1_BookMeetingResponse = try await baton.call("Calendars/BookMeeting", bare)
            #expect(fromChat.meeting?.visitor == chat.visitor)
            // Without a chat, a visitor is still required.
            var nobody = CalendarMake.book("dan", at: nine.addingTimeInterval(7200))
            nobody.visitor = nil
            await expectError(.invalidArgument, .invalidField) {
                let _: Baton_V1_BookMeetingResponse = try await baton.call("Calendars/BookMeeting", nobody)
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func noScheduleOrAnotherReasonOffersNothing(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.now)) { baton in
            let chat = try await baton.seedStory()
            let away = await expectError(.failedPrecondition, .targetNotAvailable) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    transfer(chat, to: "cara", .offerSlotsAndPostBooker)
                )
            }
            let detail = try #require(away?.detail(Baton_V1_TransferUnavailable.self))
            #expect(detail.nextFreeSlots.isEmpty && detail.bookerEntry == nil)
            await expectError(.failedPrecondition, .targetIsOwner) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    transfer(chat, to: "ana", .offerSlotsAndPostBooker)
                )
            }
            let after: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
            #expect(after.chat!.version == chat.version)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func transferTargetsShowTheNextFreeSlotOfThoseWhoCannotTakeTheChat(engine: TestEngine) async throws {
        try await TestBaton.with(engine, clock: ManualClock(Self.now)) { baton in
            let chat = try await baton.seedStory()
            for rep in ["ben", "dan"] {
                try await baton.setSchedule(
                    CalendarMake.schedule(rep, zone: "America/New_York", weekly: CalendarMake.everyDay([540..<1020]))
                )
            }
            var request = Baton_V1_ListTransferTargetsRequest()
            request.chatID = chat.id
            request.includeNextFreeSlot = true
            let targets: Baton_V1_ListTransferTargetsResponse = try await baton.call(
                "Chats/ListTransferTargets",
                request
            )
            let slots = Dictionary(uniqueKeysWithValues: targets.targets.map { ($0.rep!.id, $0.nextFreeSlot?.start) })
            // Ben can take the chat, Cara has no schedule: neither gets a slot.
            #expect(slots["dan"] == instant("2026-06-01T13:00:00Z"))
            #expect(slots["ben"] == .some(nil) && slots["cara"] == .some(nil))
        }
    }
}
