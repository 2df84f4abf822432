/// A calendar date without a time zone, as a count of days since 1970-01-01 (proleptic
/// Gregorian), so schedules walk days with integer arithmetic instead of `Calendar` calls.
struct LocalDate: Hashable, Comparable {
    /// Days since 1970-01-01.
    var day: Int

    init(day: Int) { self.day = day }

    /// The date `year`-`month`-`day`, or nil when there is no such date.
    init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        self.day = era * 146097 + dayOfEra - 719468
        guard components == (year, month, day) else { return nil }
    }

    /// Parses ISO 8601 "YYYY-MM-DD"; nil for anything else or a date that does not exist.
    init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == 0x2d, bytes[7] == 0x2d else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// Year, month (1-12) and day of month (1-31).
    var components: (Int, Int, Int) {
        // Howard Hinnant's civil_from_days.
        let z = day + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfMonth)
    }

    /// ISO 8601 weekday: Monday 1 ... Sunday 7 (1970-01-01 was a Thursday).
    var isoWeekday: Int { ((day % 7 + 7) % 7 + 3) % 7 + 1 }

    static func < (left: LocalDate, right: LocalDate) -> Bool { left.day < right.day }
}
