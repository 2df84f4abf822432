import BatonProtos
import Foundation

extension Validator {
    /// A schedule as calendars.proto defines it: a known zone, weekdays and dates each at most
    /// once, sorted non-overlapping intervals, and settings within their ranges.
    mutating func schedule(_ schedule: Baton_V1_Schedule, _ field: String) {
        id(schedule.repID, "\(field).rep_id")
        if !schedule.timeZone.isEmpty && TimeZone(identifier: schedule.timeZone) == nil {
            fail(
                "\(field).time_zone",
                "\(schedule.timeZone) is not a known IANA time zone",
                reason: .invalidTimeZone
            )
        }
        var weekdays: Set<Int32> = []
        for (index, hours) in schedule.weeklyHours.enumerated() {
            let path = "\(field).weekly_hours[\(index)]"
            if !(1...7).contains(hours.weekday.rawValue) {
                fail("\(path).weekday", "weekday must be MONDAY to SUNDAY")
            } else if !weekdays.insert(hours.weekday.rawValue).inserted {
                fail("\(path).weekday", "\(hours.weekday) appears more than once")
            }
            intervals(hours.intervals, "\(path).intervals")
        }
        var dates: Set<LocalDate> = []
        for (index, override) in schedule.dateOverrides.enumerated() {
            let path = "\(field).date_overrides[\(index)]"
            if let date = LocalDate(iso: override.date) {
                if !dates.insert(date).inserted { fail("\(path).date", "\(override.date) appears more than once") }
            } else {
                fail("\(path).date", "date must be an existing date as YYYY-MM-DD, not \"\(override.date)\"")
            }
            if override.dayOff && !override.intervals.isEmpty {
                fail("\(path).intervals", "a day off has no intervals")
            } else if !override.dayOff && override.intervals.isEmpty {
                fail("\(path).intervals", "intervals are required unless day_off is set")
            }
            intervals(override.intervals, "\(path).intervals")
        }
        let settings = schedule.meetingSettings ?? Baton_V1_MeetingSettings()
        let path = "\(field).meeting_settings"
        range(settings.defaultLengthMinutes, "\(path).default_length_minutes", 5...480, zeroAllowed: true)
        range(settings.bufferBeforeMinutes, "\(path).buffer_before_minutes", 0...240)
        range(settings.bufferAfterMinutes, "\(path).buffer_after_minutes", 0...240)
        range(settings.minimumNoticeMinutes, "\(path).minimum_notice_minutes", 0...43200)
        range(settings.bookingHorizonDays, "\(path).booking_horizon_days", 1...365, zeroAllowed: true)
        range(settings.slotStepMinutes, "\(path).slot_step_minutes", 5...480, zeroAllowed: true)
    }

    /// Working intervals: each within the day and not inverted, sorted, not overlapping.
    private mutating func intervals(_ intervals: [Baton_V1_LocalInterval], _ field: String) {
        var previousEnd: UInt32? = nil
        for (index, interval) in intervals.enumerated() {
            let path = "\(field)[\(index)]"
            if interval.startMinute > 1439 {
                fail("\(path).start_minute", "start_minute \(interval.startMinute) is above 1439")
            } else if interval.endMinute > 1440 {
                fail("\(path).end_minute", "end_minute \(interval.endMinute) is above 1440")
            } else if interval.endMinute <= interval.startMinute {
                fail("\(path).end_minute", "end_minute \(interval.endMinute) is not after start_minute")
            } else if let previousEnd, interval.startMinute < previousEnd {
                fail("\(path).start_minute", "intervals must be sorted by start and must not overlap")
            }
            previousEnd = max(previousEnd ?? 0, interval.endMinute)
        }
    }

    /// A value within `allowed`, or 0 where 0 means "the default".
    mutating func range(_ value: UInt32, _ field: String, _ allowed: ClosedRange<UInt32>, zeroAllowed: Bool = false) {
        if !(zeroAllowed && value == 0) && !allowed.contains(value) {
            let name = field.split(separator: ".").last!
            fail(field, "\(name) \(value) is outside \(allowed.lowerBound) to \(allowed.upperBound)")
        }
    }
}
