import BatonProtos
import Foundation

extension Handoff {
    /// The longest range an availability query may cover (Calendly's cap).
    static let maxAvailabilityRange: TimeInterval = 31 * 86400

    /// Calendars/SetSchedule.
    public func setSchedule(
        _ request: Baton_V1_SetScheduleRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_SetScheduleResponse
    {
        var validator = Validator()
        if let schedule = request.schedule {
            validator.schedule(schedule, "schedule")
        } else {
            validator.fail("schedule", "schedule is required")
        }
        validator.id(request.actingRepID, "acting_rep_id", required: false)
        try validator.check()
        var requested = request.schedule!
        requested.dateOverrides.sort { $0.date < $1.date }
        let sorted = requested
        return try await write { transaction, now in
            var schedule = sorted
            guard let rep = try transaction.rep(schedule.repID) else { throw BatonError.repNotFound(schedule.repID) }
            if !request.actingRepID.isEmpty, try transaction.rep(request.actingRepID) == nil {
                throw BatonError.repNotFound(request.actingRepID)
            }
            let current = try transaction.schedule(repID: rep.id)?.version ?? 0
            try checkVersion(request.expectedVersion, .schedule, rep.id, current: current)
            let actor: Baton_V1_Actor = request.actingRepID.isEmpty ? .rep(rep.id) : .rep(request.actingRepID)
            let change = Change(transaction, now: now, actor: actor, caller: caller)
            schedule.version = current + 1
            schedule.updatedAt = change.timestamp
            try transaction.save(schedule)
            let stored = resolved(schedule, rep)
            var set = Baton_V1_ScheduleSet()
            set.schedule = stored
            try change.emit(.scheduleSet, reps: [rep.id], payload: .scheduleSet(set))
            var response = Baton_V1_SetScheduleResponse()
            response.schedule = stored
            return response
        }
    }

    /// Calendars/GetSchedule.
    public func getSchedule(
        _ request: Baton_V1_GetScheduleRequest
    ) async throws(BatonError) -> Baton_V1_GetScheduleResponse {
        var validator = Validator()
        validator.id(request.repID, "rep_id")
        try validator.check()
        return try await read { reader in
            guard let rep = try reader.rep(request.repID) else { throw BatonError.repNotFound(request.repID) }
            var response = Baton_V1_GetScheduleResponse()
            response.schedule = try schedule(of: rep, reader)
            return response
        }
    }

    /// Calendars/QueryAvailability.
    public func queryAvailability(
        _ request: Baton_V1_QueryAvailabilityRequest
    ) async throws(BatonError)
        -> Baton_V1_QueryAvailabilityResponse
    {
        var validator = Validator()
        if request.repIDs.isEmpty && request.teamID.isEmpty {
            validator.fail("rep_ids", "give rep_ids, team_id or both")
        }
        if request.repIDs.count > 100 { validator.fail("rep_ids", "at most 100 rep_ids") }
        for (index, id) in request.repIDs.enumerated() { validator.id(id, "rep_ids[\(index)]") }
        validator.id(request.teamID, "team_id", required: false)
        validator.range(request.lengthMinutes, "length_minutes", 5...480, zeroAllowed: true)
        try validator.check()
        let now = clock.now
        let range = try availabilityRange(request.startTime, request.endTime, now: now)
        let limit = request.maxSlots == 0 ? 10000 : Int(min(request.maxSlots, 10000))
        return try await read { reader in
            var repIDs = request.repIDs
            if !request.teamID.isEmpty {
                guard try reader.team(request.teamID) != nil else { throw BatonError.teamNotFound(request.teamID) }
                repIDs += try reader.reps().filter { $0.teamIDs.contains(request.teamID) }.map(\.id)
            }
            let ids = Set(repIDs).sorted()
            let reps = try reader.reps(ids: ids)
            if reps.count < ids.count, let missing = ids.first(where: { id in !reps.contains { $0.id == id } }) {
                throw BatonError.repNotFound(missing)
            }
            var response = Baton_V1_QueryAvailabilityResponse()
            response.repIDs = reps.map(\.id)
            response.slots = try freeSlots(
                of: reps,
                in: range,
                lengthMinutes: request.lengthMinutes,
                now: now,
                limit: limit,
                reader
            )
            return response
        }
    }

    /// The free slots of `reps` in `range`, ordered by start time, then rep id, at most `limit`.
    /// A rep without a schedule has none; length 0 takes each rep's default.
    func freeSlots(
        of reps: [Baton_V1_Rep],
        in range: Range<Date>,
        lengthMinutes: UInt32,
        now: Date,
        limit: Int,
        _ reader: any StoreReader
    ) throws -> [Baton_V1_Slot] {
        var found: [(start: Date, end: Date, repID: String)] = []
        for rep in reps {
            guard let schedule = try reader.schedule(repID: rep.id) else { continue }
            let calendar = RepCalendar(schedule, repTimeZone: rep.timeZone)
            let length = lengthMinutes == 0 ? calendar.defaultLength : Double(lengthMinutes) * 60
            // Meetings whose buffers reach into the range block slots in it too.
            let booked = try reader.bookedIntervals(
                repID: rep.id,
                from: range.lowerBound.addingTimeInterval(-calendar.bufferAfter),
                to: range.upperBound.addingTimeInterval(calendar.bufferBefore)
            )
            for start in calendar.freeSlots(
                from: range.lowerBound,
                to: range.upperBound,
                length: length,
                now: now,
                booked: booked,
                limit: limit
            ) {
                found.append((start, start.addingTimeInterval(length), rep.id))
            }
        }
        found.sort { ($0.start, $0.repID) < ($1.start, $1.repID) }
        return found.prefix(limit).map { slot in
            var result = Baton_V1_Slot()
            result.repID = slot.repID
            result.startTime = Google_Protobuf_Timestamp(slot.start)
            result.endTime = Google_Protobuf_Timestamp(slot.end)
            return result
        }
    }

    /// A request's [start, end): start defaults to now, end to start plus 7 days; inverted ranges
    /// and ranges above 31 days are refused naming `end_time`.
    func availabilityRange(
        _ start: Google_Protobuf_Timestamp?,
        _ end: Google_Protobuf_Timestamp?,
        now: Date
    ) throws(BatonError) -> Range<Date> {
        let from = start?.date ?? now
        let to = end?.date ?? from.addingTimeInterval(7 * 86400)
        var validator = Validator()
        if to <= from {
            validator.fail("end_time", "end_time must be after start_time")
        } else if to.timeIntervalSince(from) > Self.maxAvailabilityRange {
            var badRequest = Baton_V1_BadRequest()
            var violation = Baton_V1_FieldViolation()
            violation.field = "end_time"
            violation.message = "the range is longer than 31 days"
            violation.reason = .rangeTooLarge
            badRequest.fieldViolations = [violation]
            throw BatonError(
                .invalidArgument,
                .rangeTooLarge,
                "end_time: the range is longer than 31 days",
                detail: .badRequest(badRequest)
            )
        }
        try validator.check()
        return from..<to
    }

    /// `rep`'s stored schedule, or an empty one at version 0, with the zone filled in.
    func schedule(of rep: Baton_V1_Rep, _ reader: any StoreReader) throws -> Baton_V1_Schedule {
        var schedule = try reader.schedule(repID: rep.id) ?? Baton_V1_Schedule()
        schedule.repID = rep.id
        return resolved(schedule, rep)
    }

    /// `schedule` as responses show it: an empty zone means the rep's.
    private func resolved(_ schedule: Baton_V1_Schedule, _ rep: Baton_V1_Rep) -> Baton_V1_Schedule {
        var schedule = schedule
        if schedule.timeZone.isEmpty { schedule.timeZone = rep.timeZone }
        return schedule
    }
}
