import BatonProtos
import Foundation

/// Calendar request builders and time helpers for the calendar tests.
enum CalendarMake {
    /// A schedule for `rep` in `zone`: `weekly` maps ISO weekdays (1 Monday ... 7 Sunday) to
    /// intervals in minutes; `overrides` maps "YYYY-MM-DD" to intervals (empty: a day off).
    static func schedule(
        _ rep: String,
        zone: String,
        weekly: [Int: [Range<UInt32>]],
        overrides: [String: [Range<UInt32>]] = [:],
        length: UInt32 = 30,
        step: UInt32 = 0,
        bufferBefore: UInt32 = 0,
        bufferAfter: UInt32 = 0,
        notice: UInt32 = 0,
        horizonDays: UInt32 = 365
    ) -> Baton_V1_SetScheduleRequest {
        var schedule = Baton_V1_Schedule()
        schedule.repID = rep
        schedule.timeZone = zone
        for (weekday, intervals) in weekly.sorted(by: { $0.key < $1.key }) {
            var hours = Baton_V1_WeekdayHours()
            hours.weekday = Baton_V1_Weekday(rawValue: Int32(weekday))
            hours.intervals = intervals.map(interval)
            schedule.weeklyHours.append(hours)
        }
        for (date, intervals) in overrides.sorted(by: { $0.key < $1.key }) {
            var override = Baton_V1_DateOverride()
            override.date = date
            override.dayOff = intervals.isEmpty
            override.intervals = intervals.map(interval)
            schedule.dateOverrides.append(override)
        }
        var settings = Baton_V1_MeetingSettings()
        settings.defaultLengthMinutes = length
        settings.slotStepMinutes = step
        settings.bufferBeforeMinutes = bufferBefore
        settings.bufferAfterMinutes = bufferAfter
        settings.minimumNoticeMinutes = notice
        settings.bookingHorizonDays = horizonDays
        schedule.meetingSettings = settings
        var request = Baton_V1_SetScheduleRequest()
        request.schedule = schedule
        return request
    }

    /// Every day of the week, the same intervals.
    static func everyDay(_ intervals: [Range<UInt32>]) -> [Int: [Range<UInt32>]] {
        Dictionary(uniqueKeysWithValues: (1...7).map { ($0, intervals) })
    }

    static func interval(_ minutes: Range<UInt32>) -> Baton_V1_LocalInterval {
        var interval = Baton_V1_LocalInterval()
        interval.startMinute = minutes.lowerBound
        interval.endMinute = minutes.upperBound
        return interval
    }

    static func availability(
        reps: [String] = [],
        team: String = "",
        from: Date,
        to: Date,
        length: UInt32 = 0,
        maxSlots: UInt32 = 0
    ) -> Baton_V1_QueryAvailabilityRequest {
        var request = Baton_V1_QueryAvailabilityRequest()
        request.repIDs = reps
        request.teamID = team
        request.startTime = Google_Protobuf_Timestamp(from)
        request.endTime = Google_Protobuf_Timestamp(to)
        request.lengthMinutes = length
        request.maxSlots = maxSlots
        return request
    }

    static func book(
        _ rep: String,
        at start: Date,
        length: UInt32 = 0,
        visitor: String = "Sam",
        chat: String = "",
        key: String = ""
    ) -> Baton_V1_BookMeetingRequest {
        var request = Baton_V1_BookMeetingRequest()
        request.repID = rep
        request.startTime = Google_Protobuf_Timestamp(start)
        request.lengthMinutes = length
        var person = Baton_V1_Visitor()
        person.name = visitor
        person.email = "\(visitor.lowercased())@example.org"
        request.visitor = person
        request.chatID = chat
        request.idempotencyKey = key
        return request
    }
}

/// The instant written as ISO 8601 with a zone designator, e.g. "2026-03-08T05:00:00Z".
func instant(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    return formatter.date(from: text)!
}

extension TestBaton {
    /// A rep in team "sales" (created when missing) with `zone` as their time zone.
    func addRep(_ id: String, zone: String = "America/New_York", role: Baton_V1_RepRole = .rep) async throws {
        let _: Baton_V1_UpsertTeamResponse = try await call("Reps/UpsertTeam", Make.team("sales"))
        var request = Make.rep(id, id.capitalized, role: role)
        request.rep!.timeZone = zone
        let _: Baton_V1_UpsertRepResponse = try await call("Reps/UpsertRep", request)
    }

    /// Sets a schedule and returns it as stored.
    @discardableResult
    func setSchedule(_ request: Baton_V1_SetScheduleRequest) async throws -> Baton_V1_Schedule {
        let response: Baton_V1_SetScheduleResponse = try await call("Calendars/SetSchedule", request)
        return response.schedule!
    }

    /// The free slot starts `QueryAvailability` returns.
    func freeSlots(_ request: Baton_V1_QueryAvailabilityRequest) async throws -> [Baton_V1_Slot] {
        let response: Baton_V1_QueryAvailabilityResponse = try await call("Calendars/QueryAvailability", request)
        return response.slots
    }
}

extension Baton_V1_Slot {
    var start: Date { startTime!.date }
}
