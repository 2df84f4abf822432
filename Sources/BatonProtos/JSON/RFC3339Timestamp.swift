/// `google.protobuf.Timestamp` as proto3 JSON writes it: an RFC 3339 string such as
/// `1972-01-01T10:00:20.021Z`, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
///
/// Calendar arithmetic is Howard Hinnant's days-from-civil algorithm on the proleptic Gregorian
/// calendar, not Foundation's date formatters, which are slow and depend on locale settings.
enum RFC3339Timestamp {
    /// The UTC text of a timestamp with 0, 3, 6 or 9 fractional digits, or nil when it is outside
    /// the range above or its nanos are not in 0..<1_000_000_000.
    static func format(seconds: Int64, nanos: Int32) -> String? {
        guard Google_Protobuf_Timestamp.validSeconds.contains(seconds),
            Google_Protobuf_Timestamp.validNanos.contains(nanos)
        else { return nil }
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        var text = "\(digits(year, 4))-\(digits(month, 2))-\(digits(day, 2))"
        text += "T\(digits(secondOfDay / 3600, 2)):\(digits(secondOfDay / 60 % 60, 2)):\(digits(secondOfDay % 60, 2))"
        if nanos != 0 {
            let fraction = digits(Int(nanos), 9)
            let kept = nanos % 1_000_000 == 0 ? 3 : nanos % 1000 == 0 ? 6 : 9
            text += "." + fraction.prefix(kept)
        }
        return text + "Z"
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with up to nine fractional digits.
    static func parse(_ text: String) -> Result<(seconds: Int64, nanos: Int32), ParseError> {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.skip("-"),
            let month = scanner.number(digits: 2), scanner.skip("-"),
            let day = scanner.number(digits: 2), scanner.skip("T") || scanner.skip("t"),
            let hour = scanner.number(digits: 2), scanner.skip(":"),
            let minute = scanner.number(digits: 2), scanner.skip(":"),
            let second = scanner.number(digits: 2)
        else { return .failure(.syntax) }
        var nanos = 0
        if scanner.skip(".") {
            let fraction = scanner.digitRun()
            guard (1...9).contains(fraction.count) else { return .failure(.syntax) }
            nanos = fraction.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            for _ in fraction.count..<9 { nanos *= 10 }
        }
        var offsetSeconds = 0
        if !(scanner.skip("Z") || scanner.skip("z")) {
            let sign = scanner.skip("+") ? 1 : scanner.skip("-") ? -1 : 0
            guard sign != 0, let offsetHour = scanner.number(digits: 2), scanner.skip(":"),
                let offsetMinute = scanner.number(digits: 2), offsetHour < 24, offsetMinute < 60
            else { return .failure(.syntax) }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        }
        guard scanner.atEnd else { return .failure(.syntax) }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24,
            minute < 60, second < 60
        else { return .failure(.invalidDate) }
        let seconds =
            Int64(days(fromCivil: year, month, day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
            - Int64(offsetSeconds)
        guard Google_Protobuf_Timestamp.validSeconds.contains(seconds) else { return .failure(.outOfRange) }
        return .success((seconds, Int32(nanos)))
    }

    /// Why a string is not a timestamp.
    enum ParseError: Error, CustomStringConvertible {
        case syntax
        case invalidDate
        case outOfRange

        var description: String {
            switch self {
            case .syntax: "expected an RFC 3339 timestamp such as 1972-01-01T10:00:20.021Z"
            case .invalidDate: "the date or time of day does not exist"
            case .outOfRange: "timestamps must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z"
            }
        }
    }

    // MARK: Calendar

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    private static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date `days` after 1970-01-01.
    private static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Steps through the ASCII of a timestamp.
    private struct Scanner {
        private let bytes: [UInt8]
        private var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        /// Exactly `digits` decimal digits.
        mutating func number(digits: Int) -> Int? {
            guard position + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<position + digits] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            position += digits
            return value
        }

        mutating func digitRun() -> ArraySlice<UInt8> {
            let start = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                position += 1
            }
            return bytes[start..<position]
        }
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so times before 1970 fall on the right day.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor < 0 ? quotient - 1 : quotient
    }
}
