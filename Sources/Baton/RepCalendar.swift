import BatonProtos
import Foundation

/// One rep's schedule resolved for computing free time: the zone, the working minutes of each
/// weekday and overridden date, and the meeting settings with their defaults applied, in
/// seconds. Turns local wall-clock intervals into instants, correct across daylight-saving
/// changes.
struct RepCalendar {
    let repID: String
    let timeZone: TimeZone
    /// Working intervals in minutes since local midnight, by ISO weekday (index 1...7).
    private let weekly: [[Range<Int>]]
    /// Dates whose intervals replace the week's; empty for a day off.
    private let overrides: [LocalDate: [Range<Int>]]
    let defaultLength: TimeInterval
    let bufferBefore: TimeInterval
    let bufferAfter: TimeInterval
    let minimumNotice: TimeInterval
    let horizon: TimeInterval
    /// The slot step, nil meaning the meeting length.
    private let step: TimeInterval?

    /// `schedule` in `timeZone` (the schedule's own zone, or the rep's when it has none). Zones
    /// are validated when stored, so an unknown one here can only come from an older server: it
    /// reads as UTC rather than failing every query.
    init(_ schedule: Baton_V1_Schedule, repTimeZone: String) {
        repID = schedule.repID
        let zoneName = schedule.timeZone.isEmpty ? repTimeZone : schedule.timeZone
        timeZone = TimeZone(identifier: zoneName) ?? TimeZone(secondsFromGMT: 0)!
        var weekly = [[Range<Int>]](repeating: [], count: 8)
        for hours in schedule.weeklyHours where (1...7).contains(hours.weekday.rawValue) {
            weekly[Int(hours.weekday.rawValue)] = hours.intervals.map(Self.minutes)
        }
        self.weekly = weekly
        var overrides: [LocalDate: [Range<Int>]] = [:]
        for override in schedule.dateOverrides {
            guard let date = LocalDate(iso: override.date) else { continue }
            overrides[date] = override.dayOff ? [] : override.intervals.map(Self.minutes)
        }
        self.overrides = overrides
        let settings = schedule.meetingSettings ?? Baton_V1_MeetingSettings()
        defaultLength = Double(settings.defaultLengthMinutes == 0 ? 30 : settings.defaultLengthMinutes) * 60
        bufferBefore = Double(settings.bufferBeforeMinutes) * 60
        bufferAfter = Double(settings.bufferAfterMinutes) * 60
        minimumNotice = Double(settings.minimumNoticeMinutes) * 60
        horizon = Double(settings.bookingHorizonDays == 0 ? 60 : settings.bookingHorizonDays) * 86400
        step = settings.slotStepMinutes == 0 ? nil : Double(settings.slotStepMinutes) * 60
    }

    private static func minutes(_ interval: Baton_V1_LocalInterval) -> Range<Int> {
        Int(interval.startMinute)..<max(Int(interval.startMinute), Int(interval.endMinute))
    }

    /// The working spans, as instants, of every local date that can overlap [from, to), in order
    /// and disjoint. A span runs from the first instant its start occurs (the end of a skipped
    /// hour when the start falls in one) to the last instant its end occurs, so in a repeated
    /// hour an interval can end after the next one starts (01:30 is both 05:30Z and 06:30Z in New
    /// York on a fall-back day; midnight repeats in Havana): such spans are joined, or the time
    /// they share would be offered twice.
    func workingSpans(from: Date, to: Date) -> [Range<Date>] {
        // A local date spans at most 26 hours of instants, so one date either side is enough.
        let first = localDate(of: from).day - 1
        let last = localDate(of: to).day + 1
        var spans: [Range<Date>] = []
        for day in first...last {
            let date = LocalDate(day: day)
            for minutes in overrides[date] ?? weekly[date.isoWeekday] {
                let start = instants(date, minute: minutes.lowerBound).first
                let end = instants(date, minute: minutes.upperBound).last
                if start < end && start < to && end > from { spans.append(start..<end) }
            }
        }
        return Self.union(spans, joiningTouching: false)
    }

    /// The free slot starts for meetings of `length` within [from, to), at most `limit`, given
    /// the rep's booked meetings (sorted by start) and the current time.
    func freeSlots(
        from: Date,
        to: Date,
        length: TimeInterval,
        now: Date,
        booked: [Range<Date>],
        limit: Int
    ) -> [Date] {
        let earliest = max(from, now.addingTimeInterval(minimumNotice))
        let latestStart = now.addingTimeInterval(horizon)
        let blocks = busyBlocks(booked)
        let step = self.step ?? length
        var slots: [Date] = []
        // Spans and blocks are both in order, so one pointer walks the blocks for all spans.
        var blockIndex = 0
        for span in workingSpans(from: from, to: to) {
            let end = min(span.upperBound, to)
            var start = span.lowerBound
            if start < earliest {
                start += (earliest.timeIntervalSince(start) / step).rounded(.up) * step
            }
            while start.addingTimeInterval(length) <= end && start <= latestStart && slots.count < limit {
                while blockIndex < blocks.count && blocks[blockIndex].upperBound <= start { blockIndex += 1 }
                if blockIndex < blocks.count && blocks[blockIndex].lowerBound < start.addingTimeInterval(length) {
                    // Skip to the first step at or after the end of the block in the way.
                    start += (blocks[blockIndex].upperBound.timeIntervalSince(start) / step).rounded(.up) * step
                    continue
                }
                slots.append(start)
                start += step
            }
        }
        return slots
    }

    /// Whether a meeting of `length` at `start` is free as `freeSlots` defines it, except that it
    /// need not be aligned to the step: inside one working span, outside every busy block,
    /// within the notice and the horizon.
    func isFree(start: Date, length: TimeInterval, now: Date, booked: [Range<Date>]) -> Bool {
        let end = start.addingTimeInterval(length)
        guard start >= now.addingTimeInterval(minimumNotice), start <= now.addingTimeInterval(horizon) else {
            return false
        }
        guard workingSpans(from: start, to: end).contains(where: { $0.lowerBound <= start && end <= $0.upperBound })
        else { return false }
        return !busyBlocks(booked).contains { $0.lowerBound < end && $0.upperBound > start }
    }

    /// Booked meetings widened by the buffers and merged, so one pass can test slots against them.
    func busyBlocks(_ booked: [Range<Date>]) -> [Range<Date>] {
        let widened = booked.map { meeting in
            meeting.lowerBound.addingTimeInterval(-bufferBefore)..<meeting.upperBound.addingTimeInterval(bufferAfter)
        }
        return Self.union(widened, joiningTouching: true)
    }

    /// `ranges` in order, those that overlap joined into one, and those that touch too when
    /// `joiningTouching`.
    private static func union(_ ranges: [Range<Date>], joiningTouching: Bool) -> [Range<Date>] {
        var joined: [Range<Date>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = joined.last,
                range.lowerBound < last.upperBound || (joiningTouching && range.lowerBound == last.upperBound)
            {
                joined[joined.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                joined.append(range)
            }
        }
        return joined
    }

    /// The local date of `instant` in the rep's zone.
    func localDate(of instant: Date) -> LocalDate {
        let local = instant.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: instant))
        return LocalDate(day: Int((local / 86400).rounded(.down)))
    }

    /// The instants at which the wall clock shows `minute` (0...1440) of `date`: one normally,
    /// two in a repeated hour (first and last), and, in a skipped hour, the first instant after
    /// it for both.
    func instants(_ date: LocalDate, minute: Int) -> (first: Date, last: Date) {
        let wallClock = Double(date.day * 86400 + minute * 60)
        // An offset in force around that wall-clock time is the one a day before or after it.
        let before = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: wallClock - 86400))
        let after = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: wallClock + 86400))
        let valid = Set([before, after]).map { Date(timeIntervalSince1970: wallClock - Double($0)) }
            .filter { Double(timeZone.secondsFromGMT(for: $0)) == wallClock - $0.timeIntervalSince1970 }
            .sorted()
        if let first = valid.first, let last = valid.last { return (first, last) }
        // Skipped: the clock jumped from `before` to `after` between these two instants; find
        // the jump to the minute.
        var low = wallClock - Double(after)
        var high = wallClock - Double(before)
        while high - low > 60 {
            let middle = ((low + high) / 120).rounded(.down) * 60
            if timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: middle)) == after {
                high = middle
            } else {
                low = middle
            }
        }
        let jump = Date(timeIntervalSince1970: high)
        return (jump, jump)
    }
}
