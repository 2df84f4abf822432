import BatonProtos
import Foundation

extension Handoff {
    /// Calendars/BookMeeting. The free-time check and the insert share one write transaction,
    /// and the store runs one writer at a time, so of overlapping bookings exactly one wins.
    public func bookMeeting(
        _ request: Baton_V1_BookMeetingRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_BookMeetingResponse
    {
        let visitor = request.visitor ?? Baton_V1_Visitor()
        let booker = request.bookedBy ?? .system
        var validator = Validator()
        validator.id(request.repID, "rep_id")
        if let start = request.startTime {
            // The end is a Timestamp too (in the meeting, or a conflict's detail), so a start in
            // the last 480 minutes (the longest meeting) of 9999 is refused.
            if start.seconds > Google_Protobuf_Timestamp.validSeconds.upperBound - 480 * 60 {
                validator.fail("start_time", "start_time must leave the meeting time to end by 9999-12-31T23:59:59Z")
            }
        } else {
            validator.fail("start_time", "start_time is required")
        }
        validator.range(request.lengthMinutes, "length_minutes", 5...480, zeroAllowed: true)
        validator.text(visitor.id, "visitor.id", max: 128)
        validator.text(visitor.name, "visitor.name", max: 200)
        validator.text(visitor.email, "visitor.email", max: 254)
        // From a chat, the chat's visitor fills in what the request leaves out.
        if visitor.name.isEmpty && visitor.email.isEmpty && request.chatID.isEmpty {
            validator.fail("visitor", "visitor.name or visitor.email is required (or chat_id, to book for its visitor)")
        }
        validator.id(request.chatID, "chat_id", required: false)
        validator.actor(booker, "booked_by")
        validator.idempotencyKey(request.idempotencyKey)
        validator.text(request.notes, "notes", max: 2000)
        try validator.check()
        let actor = booker.kind == .unspecified ? Baton_V1_Actor.system : booker
        return try await write { transaction, now in
            try Idempotency.run(
                transaction,
                method: "BookMeeting",
                key: request.idempotencyKey,
                request: request,
                now: now
            ) {
                guard let rep = try transaction.rep(request.repID) else { throw BatonError.repNotFound(request.repID) }
                if actor.kind == .rep, try transaction.rep(actor.id) == nil { throw BatonError.repNotFound(actor.id) }
                var chat: Baton_V1_Chat? = nil
                var visitor = visitor
                if !request.chatID.isEmpty {
                    guard let found = try transaction.chat(request.chatID) else {
                        throw BatonError.chatNotFound(request.chatID)
                    }
                    chat = found
                    try Self.matchChatVisitor(&visitor, found)
                }
                let start = request.startTime!.date
                let stored = try transaction.schedule(repID: rep.id)
                let calendar = stored.map { RepCalendar($0, repTimeZone: rep.timeZone) }
                let length =
                    request.lengthMinutes == 0 ? calendar?.defaultLength ?? 1800 : Double(request.lengthMinutes) * 60
                let end = start.addingTimeInterval(length)
                let booked = try transaction.bookedIntervals(
                    repID: rep.id,
                    from: start.addingTimeInterval(-(calendar?.bufferAfter ?? 0)),
                    to: end.addingTimeInterval(calendar?.bufferBefore ?? 0)
                )
                guard let calendar, calendar.isFree(start: start, length: length, now: now, booked: booked) else {
                    throw try bookingConflict(rep, start: start, end: end, now: now, transaction)
                }
                let change = Change(transaction, now: now, actor: actor, caller: caller)
                var meeting = Baton_V1_Meeting()
                meeting.id = try transaction.nextMeetingID()
                meeting.repID = rep.id
                meeting.startTime = Google_Protobuf_Timestamp(start)
                meeting.endTime = Google_Protobuf_Timestamp(end)
                meeting.visitor = visitor
                meeting.chatID = request.chatID
                meeting.state = .booked
                meeting.notes = request.notes
                meeting.idempotencyKey = request.idempotencyKey
                meeting.createdBy = actor
                meeting.createdAt = change.timestamp
                try transaction.save(meeting)
                var bookedEvent = Baton_V1_MeetingBooked()
                bookedEvent.meeting = meeting
                try change.emit(.meetingBooked, chat: chat, reps: [rep.id], payload: .meetingBooked(bookedEvent))
                if var chat, chat.state == .active {
                    var entry = Baton_V1_TranscriptEntry()
                    entry.author = actor
                    entry.kind = .meetingBooked
                    entry.visibility = .everyone
                    entry.text =
                        "Meeting booked with \(rep.displayName) at \(Self.format(start, in: calendar.timeZone))"
                    entry.meetingID = meeting.id
                    _ = try change.append(entry, to: &chat)
                }
                var response = Baton_V1_BookMeetingResponse()
                response.meeting = meeting
                return response
            }
        }
    }

    /// A meeting booked from a chat is with that chat's visitor: what the request leaves out of
    /// the visitor (id, name, email) is taken from the chat, so the visitor can cancel it as
    /// themselves, and another visitor's id is refused rather than booked on someone else's behalf.
    private static func matchChatVisitor(_ visitor: inout Baton_V1_Visitor, _ chat: Baton_V1_Chat) throws(BatonError) {
        let chatVisitor = chat.visitor ?? Baton_V1_Visitor()
        var validator = Validator()
        if !visitor.id.isEmpty && !chatVisitor.id.isEmpty && visitor.id != chatVisitor.id {
            validator.fail("visitor.id", "visitor \(visitor.id) is not the visitor of chat \(chat.id) (\(chatVisitor.id))")
        }
        if visitor.id.isEmpty { visitor.id = chatVisitor.id }
        if visitor.name.isEmpty && visitor.email.isEmpty {
            visitor.name = chatVisitor.name
            visitor.email = chatVisitor.email
        }
        if visitor.name.isEmpty && visitor.email.isEmpty {
            validator.fail("visitor", "visitor.name or visitor.email is required: chat \(chat.id)'s visitor has neither")
        }
        try validator.check()
    }

    /// The SLOT_UNAVAILABLE failure, offering up to 5 free slots of the same length from the
    /// requested start on.
    private func bookingConflict(
        _ rep: Baton_V1_Rep,
        start: Date,
        end: Date,
        now: Date,
        _ reader: any StoreReader
    ) throws -> BatonError {
        var conflict = Baton_V1_BookingConflict()
        conflict.repID = rep.id
        conflict.startTime = Google_Protobuf_Timestamp(start)
        conflict.endTime = Google_Protobuf_Timestamp(end)
        let from = max(start, now)
        conflict.alternativeSlots = try freeSlots(
            of: [rep],
            in: from..<from.addingTimeInterval(Self.maxAvailabilityRange),
            lengthMinutes: UInt32(end.timeIntervalSince(start) / 60),
            now: now,
            limit: 5,
            reader
        )
        return BatonError(
            .failedPrecondition,
            .slotUnavailable,
            "\(rep.displayName) (\(rep.id)) is not free from \(start.formatted(.iso8601))"
                + " to \(end.formatted(.iso8601))",
            resource: .rep,
            id: rep.id,
            detail: .bookingConflict(conflict)
        )
    }

    /// Calendars/CancelMeeting.
    public func cancelMeeting(
        _ request: Baton_V1_CancelMeetingRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_CancelMeetingResponse
    {
        let canceller = request.cancelledBy ?? .system
        var validator = Validator()
        validator.id(request.meetingID, "meeting_id")
        validator.actor(canceller, "cancelled_by")
        validator.text(request.reason, "reason", max: 2000)
        try validator.check()
        let actor = canceller.kind == .unspecified ? Baton_V1_Actor.system : canceller
        return try await write { transaction, now in
            guard var meeting = try transaction.meeting(request.meetingID) else {
                throw BatonError(
                    .notFound,
                    .meetingNotFound,
                    "meeting \(request.meetingID) not found",
                    resource: .meeting,
                    id: request.meetingID
                )
            }
            var response = Baton_V1_CancelMeetingResponse()
            if meeting.state == .cancelled {
                response.meeting = meeting
                return response
            }
            try checkCanceller(actor, meeting, transaction)
            let change = Change(transaction, now: now, actor: actor, caller: caller)
            meeting.state = .cancelled
            meeting.cancelledBy = actor
            meeting.cancelledAt = change.timestamp
            meeting.cancelReason = request.reason
            try transaction.save(meeting)
            let chat = meeting.chatID.isEmpty ? nil : try transaction.chat(meeting.chatID)
            var cancelled = Baton_V1_MeetingCancelled()
            cancelled.meeting = meeting
            try change.emit(.meetingCancelled, chat: chat, reps: [meeting.repID], payload: .meetingCancelled(cancelled))
            if var chat, chat.state == .active {
                // The visitor booked in this chat: they learn of the cancellation in it too.
                let rep = try transaction.rep(meeting.repID)
                // The time as the booking entry gave it: in the rep's calendar zone.
                let zone =
                    try transaction.schedule(repID: meeting.repID).map {
                        RepCalendar($0, repTimeZone: rep?.timeZone ?? "").timeZone
                    } ?? TimeZone(identifier: rep?.timeZone ?? "") ?? .gmt
                var entry = Baton_V1_TranscriptEntry()
                entry.author = actor
                entry.kind = .meetingCancelled
                entry.visibility = .everyone
                entry.text = "Meeting with \(rep?.displayName ?? meeting.repID) at "
                    + "\(Self.format(meeting.startTime?.date ?? now, in: zone)) was cancelled"
                    + (request.reason.isEmpty ? "" : ": \(request.reason)")
                entry.meetingID = meeting.id
                _ = try change.append(entry, to: &chat)
            }
            response.meeting = meeting
            return response
        }
    }

    /// The meeting's rep, a manager of one of their teams, the meeting's visitor, or the system.
    private func checkCanceller(_ actor: Baton_V1_Actor, _ meeting: Baton_V1_Meeting, _ reader: any StoreReader) throws
    {
        switch actor.kind {
        case .rep:
            guard let rep = try reader.rep(actor.id) else { throw BatonError.repNotFound(actor.id) }
            let meetingTeams = try reader.rep(meeting.repID)?.teamIDs ?? []
            let manages = rep.role == .manager && rep.teamIDs.contains(where: meetingTeams.contains)
            if rep.id != meeting.repID && !manages {
                throw BatonError.notPermitted("rep \(rep.id) may not cancel meeting \(meeting.id)", rep: rep.id)
            }
        case .visitor:
            let visitorID = meeting.visitor?.id ?? ""
            if !actor.id.isEmpty && !visitorID.isEmpty && actor.id != visitorID {
                throw BatonError(
                    .permissionDenied,
                    .actorNotPermitted,
                    "visitor \(actor.id) is not this meeting's visitor"
                )
            }
        default:
            return
        }
    }

    /// Calendars/ListMeetings.
    public func listMeetings(
        _ request: Baton_V1_ListMeetingsRequest
    ) async throws(BatonError) -> Baton_V1_ListMeetingsResponse {
        var validator = Validator()
        if request.repID.isEmpty && request.teamID.isEmpty && request.chatID.isEmpty {
            validator.fail("rep_id", "give rep_id, team_id or chat_id")
        }
        validator.id(request.repID, "rep_id", required: false)
        validator.id(request.teamID, "team_id", required: false)
        validator.id(request.chatID, "chat_id", required: false)
        validator.known(request.state, "state", knownRange: 0...2)
        if let start = request.startTime, let end = request.endTime, end.date <= start.date {
            validator.fail("end_time", "end_time must be after start_time")
        }
        try validator.check()
        let meetings = try await read { reader in
            var repIDs: [String]? = nil
            if !request.repID.isEmpty {
                guard try reader.rep(request.repID) != nil else { throw BatonError.repNotFound(request.repID) }
                repIDs = [request.repID]
            }
            if !request.teamID.isEmpty {
                guard try reader.team(request.teamID) != nil else { throw BatonError.teamNotFound(request.teamID) }
                let members = try reader.reps().filter { $0.teamIDs.contains(request.teamID) }.map(\.id)
                repIDs = repIDs.map { $0.filter(members.contains) } ?? members
            }
            return try reader.meetings(
                repIDs: repIDs,
                chatID: request.chatID.isEmpty ? nil : request.chatID,
                from: request.startTime?.date,
                to: request.endTime?.date,
                state: request.state == .unspecified ? nil : request.state
            )
        }
        var response = Baton_V1_ListMeetingsResponse()
        let (page, next) = try Paging.page(meetings, request.page)
        response.meetings = page
        response.page = next
        return response
    }

    /// "2026-06-02 10:00 (Europe/London)": how a meeting's time reads in a transcript line.
    static func format(_ instant: Date, in zone: TimeZone) -> String {
        let local = instant.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: instant))
        let date = LocalDate(day: Int((local / 86400).rounded(.down)))
        let (year, month, day) = date.components
        let minutes = Int(local - Double(date.day) * 86400) / 60
        let text = String(format: "%04d-%02d-%02d %02d:%02d", year, month, day, minutes / 60, minutes % 60)
        return "\(text) (\(zone.identifier))"
    }
}
