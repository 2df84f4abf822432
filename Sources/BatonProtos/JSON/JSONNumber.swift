/// The text of a JSON number and its exact conversions to protobuf's numeric types.
///
/// Integers are read from the decimal text rather than through `Double`, so 64-bit values keep
/// every digit and `1e3` or `1.0` are accepted as the integers they denote while `1.5` is not.
struct JSONNumber {
    /// Why a number does not fit an integer field.
    enum IntegerFailure: Error {
        case fractional
        case outOfRange
    }

    /// Where text stops matching the number grammar.
    struct SyntaxError: Error {
        let reason: String
    }

    let text: String

    /// Wraps text the parser has already matched against the number grammar.
    init(parsed text: String) {
        self.text = text
    }

    /// Wraps text that has yet to be checked, such as a number quoted in a JSON string; nil when
    /// it is not exactly one JSON number.
    init?(validating text: String) {
        var text = text
        let matches = text.withUTF8 { utf8 in
            if case .success(utf8.count) = Self.scan(utf8, from: 0) { return true }
            return false
        }
        guard matches else { return nil }
        self.text = text
    }

    /// Matches RFC 8259's number grammar at `start`: the length of the match, or what is wrong.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Result<Int, SyntaxError> {
        var i = start
        func isDigit(_ at: Int) -> Bool {
            at < bytes.count && bytes[at] >= UInt8(ascii: "0") && bytes[at] <= UInt8(ascii: "9")
        }
        func digits() -> Bool {
            guard isDigit(i) else { return false }
            while isDigit(i) { i += 1 }
            return true
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { return .failure(SyntaxError(reason: "expected a digit")) }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { return .failure(SyntaxError(reason: "a number cannot have a leading zero")) }
        } else {
            _ = digits()
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() else { return .failure(SyntaxError(reason: "expected a digit after the decimal point")) }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() else { return .failure(SyntaxError(reason: "expected a digit in the exponent")) }
        }
        return .success(i - start)
    }

    /// The number as an integer of type `T`, exactly.
    func integer<T: FixedWidthInteger>(as type: T.Type = T.self) -> Result<T, IntegerFailure> {
        let (negative, magnitude): (Bool, UInt64)
        switch decimal() {
        case .success(let value): (negative, magnitude) = value
        case .failure(let failure): return .failure(failure)
        }
        if negative && magnitude != 0 {
            guard T.isSigned, magnitude - 1 <= UInt64(T.max) else { return .failure(.outOfRange) }
            // Two's complement of the magnitude, which reaches T.min where negating T cannot.
            return .success(T(truncatingIfNeeded: 0 &- magnitude))
        }
        guard let value = T(exactly: magnitude) else { return .failure(.outOfRange) }
        return .success(value)
    }

    /// Sign and magnitude of an integral number of at most 64 bits.
    private func decimal() -> Result<(negative: Bool, magnitude: UInt64), IntegerFailure> {
        var significant: [UInt8] = []
        var exponent = 0
        var negative = false
        var part = 0  // 0: integer digits, 1: fraction digits, 2: exponent
        var exponentValue = 0
        var exponentNegative = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-") where part == 0: negative = true
            case UInt8(ascii: "-"): exponentNegative = true
            case UInt8(ascii: "."): part = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): part = 2
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = Int(byte - UInt8(ascii: "0"))
                if part == 2 {
                    // Past a million the answer no longer changes; stop before Int overflows.
                    exponentValue = min(exponentValue * 10 + digit, 1_000_000)
                } else {
                    if part == 1 { exponent -= 1 }
                    if digit != 0 || !significant.isEmpty { significant.append(UInt8(digit)) }
                }
            default: break
            }
        }
        exponent += exponentNegative ? -exponentValue : exponentValue
        guard !significant.isEmpty else { return .success((negative, 0)) }
        while significant.last == 0 {
            significant.removeLast()
            exponent += 1
        }
        guard exponent >= 0 else { return .failure(.fractional) }
        // UInt64.max has 20 digits.
        guard significant.count + exponent <= 20 else { return .failure(.outOfRange) }
        var magnitude: UInt64 = 0
        for digit in significant + [UInt8](repeating: 0, count: exponent) {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return .failure(.outOfRange) }
            magnitude = sum
        }
        return .success((negative, magnitude))
    }
}
