import BatonProtos
import Foundation

extension Handoff {
    /// Calendars/ShowMeetingBooker.
    public func showMeetingBooker(
        _ request: Baton_V1_ShowMeetingBookerRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_ShowMeetingBookerResponse
    {
        var validator = Validator()
        validator.id(request.chatID, "chat_id")
        validator.id(request.actingRepID, "acting_rep_id")
        if request.repIDs.count > 20 { validator.fail("rep_ids", "at most 20 rep_ids") }
        for (index, id) in request.repIDs.enumerated() { validator.id(id, "rep_ids[\(index)]") }
        validator.id(request.teamID, "team_id", required: false)
        validator.range(request.lengthMinutes, "length_minutes", 5...480, zeroAllowed: true)
        validator.range(request.maxSlots, "max_slots", 1...50, zeroAllowed: true)
        validator.text(request.message, "message", max: 2000)
        validator.idempotencyKey(request.idempotencyKey)
        try validator.check()
        let limit = request.maxSlots == 0 ? 10 : Int(request.maxSlots)
        return try await write { transaction, now in
            let range = try availabilityRange(request.startTime, request.endTime, now: now)
            return try Idempotency.run(
                transaction,
                method: "ShowMeetingBooker",
                key: request.idempotencyKey,
                request: request,
                now: now
            ) {
                guard var chat = try transaction.chat(request.chatID) else {
                    throw BatonError.chatNotFound(request.chatID)
                }
                guard let actor = try transaction.rep(request.actingRepID) else {
                    throw BatonError.repNotFound(request.actingRepID)
                }
                try checkVersion(request.expectedVersion, chat)
                try checkActive(chat)
                guard mayManage(actor, chat) else {
                    throw BatonError.notPermitted(
                        "rep \(actor.id) is neither the owner of chat \(chat.id) nor a manager of its team",
                        rep: actor.id
                    )
                }
                let reps = try offeredReps(request, actor: actor, transaction)
                let length =
                    request.lengthMinutes != 0 ? request.lengthMinutes : try defaultLength(of: reps[0], transaction)
                let slots = try freeSlots(
                    of: reps,
                    in: range,
                    lengthMinutes: length,
                    now: now,
                    limit: limit,
                    transaction
                )
                guard !slots.isEmpty else {
                    throw BatonError(
                        .failedPrecondition,
                        .noFreeSlots,
                        "no offered rep has a free slot from \(range.lowerBound.formatted(.iso8601))"
                            + " to \(range.upperBound.formatted(.iso8601))"
                    )
                }
                let change = Change(transaction, now: now, actor: .rep(actor.id), caller: caller)
                let names = reps.map(\.displayName).joined(separator: ", ")
                let booker = try postBooker(
                    into: &chat,
                    reps: reps,
                    teamID: request.teamID,
                    lengthMinutes: length,
                    slots: slots,
                    text: request.message.isEmpty ? "Pick a time that suits you to meet \(names)." : request.message,
                    unavailableTargetID: "",
                    change: change,
                    transaction
                )
                let whose = reps.count == 1 && reps[0].id == actor.id ? "their calendar" : "the calendar of \(names)"
                var response = Baton_V1_ShowMeetingBookerResponse()
                response.bookerEntry = booker
                response.auditEntry = try change.audit(&chat, "\(actor.displayName) showed \(whose)")
                response.slots = slots
                response.chatVersion = chat.version
                return response
            }
        }
    }

    /// The reps a booker offers: those asked for and the team's members, each sharing a team
    /// with the actor, in the order asked; the actor alone when none are asked for.
    private func offeredReps(
        _ request: Baton_V1_ShowMeetingBookerRequest,
        actor: Baton_V1_Rep,
        _ reader: any StoreReader
    ) throws -> [Baton_V1_Rep] {
        var ids = request.repIDs
        if !request.teamID.isEmpty {
            guard try reader.team(request.teamID) != nil else { throw BatonError.teamNotFound(request.teamID) }
            guard actor.teamIDs.contains(request.teamID) else {
                throw BatonError.notPermitted("rep \(actor.id) is not on team \(request.teamID)", rep: actor.id)
            }
            ids += try reader.reps().filter { $0.teamIDs.contains(request.teamID) }.map(\.id)
        }
        if ids.isEmpty { return [actor] }
        var reps: [Baton_V1_Rep] = []
        for id in ids where !reps.contains(where: { $0.id == id }) {
            guard let rep = try reader.rep(id) else { throw BatonError.repNotFound(id) }
            guard rep.id == actor.id || rep.teamIDs.contains(where: actor.teamIDs.contains) else {
                throw BatonError.notPermitted("rep \(id) shares no team with rep \(actor.id)", rep: id)
            }
            reps.append(rep)
        }
        return reps
    }

    /// `rep`'s default meeting length in minutes (30 without a schedule).
    func defaultLength(of rep: Baton_V1_Rep, _ reader: any StoreReader) throws -> UInt32 {
        guard let schedule = try reader.schedule(repID: rep.id) else { return 30 }
        return UInt32(RepCalendar(schedule, repTimeZone: rep.timeZone).defaultLength / 60)
    }

    /// Posts a visitor-visible MEETING_BOOKER entry offering `slots` and emits
    /// MEETING_BOOKER_SHOWN; shared by ShowMeetingBooker and the transfer fallback.
    func postBooker(
        into chat: inout Baton_V1_Chat,
        reps: [Baton_V1_Rep],
        teamID: String,
        lengthMinutes: UInt32,
        slots: [Baton_V1_Slot],
        text: String,
        unavailableTargetID: String,
        change: Change,
        _ reader: any StoreReader
    ) throws -> Baton_V1_TranscriptEntry {
        var booker = Baton_V1_MeetingBooker()
        booker.lengthMinutes = lengthMinutes
        booker.teamID = teamID
        booker.slots = slots
        for rep in reps {
            var offered = Baton_V1_BookerRep()
            offered.repID = rep.id
            offered.displayName = rep.displayName
            offered.timeZone = try schedule(of: rep, reader).timeZone
            booker.reps.append(offered)
        }
        var entry = Baton_V1_TranscriptEntry()
        entry.author = change.actor
        entry.kind = .meetingBooker
        entry.visibility = .everyone
        entry.text = text
        entry.meetingBooker = booker
        let posted = try change.append(entry, to: &chat)
        var shown = Baton_V1_MeetingBookerShown()
        shown.bookerEntry = posted
        shown.chatVersion = chat.version
        shown.unavailableTargetRepID = unavailableTargetID
        try change.emit(
            .meetingBookerShown,
            chat: chat,
            reps: [chat.ownerRepID] + reps.map(\.id),
            payload: .meetingBookerShown(shown)
        )
        return posted
    }
}
