/// A strict RFC 8259 parser: one value, no comments, no trailing commas, no leading zeros, only
/// UTF-8, and no nesting deeper than a limit, so hostile input cannot exhaust the stack.
///
/// Foundation's `JSONSerialization` is not used because it reads numbers as `Double` (losing
/// 64-bit integers) and, on Linux, does not keep booleans and numbers reliably apart.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private let messageName: String
    private var position = 0

    private init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, messageName: String) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.messageName = messageName
    }

    /// Parses `utf8` as exactly one JSON value. Objects and arrays each count as one level of
    /// nesting, the outermost being level 1; errors name `messageName`, the message being decoded.
    static func parse(
        _ utf8: UnsafeBufferPointer<UInt8>,
        maxDepth: Int,
        messageName: String
    ) throws(ProtoCodecError) -> JSONValue {
        var parser = JSONParser(bytes: utf8, maxDepth: maxDepth, messageName: messageName)
        // RFC 8259 lets parsers ignore a byte order mark; some Windows tools write one.
        if utf8.starts(with: [0xEF, 0xBB, 0xBF]) { parser.position = 3 }
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == utf8.count else {
            throw parser.syntaxError("unexpected \(parser.describeCurrentByte()) after the JSON value")
        }
        return value
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws(ProtoCodecError) -> JSONValue {
        guard position < bytes.count else { throw syntaxError("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw syntaxError("unexpected \(describeCurrentByte()), expected a value")
        }
    }

    private mutating func parseObject(depth: Int) throws(ProtoCodecError) -> JSONValue {
        try checkDepth(depth)
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if try consume(UInt8(ascii: "}")) { return .object(members) }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw syntaxError("expected a member name in double quotes, found \(describeCurrentByte())")
            }
            let key = try parseString()
            skipWhitespace()
            guard try consume(UInt8(ascii: ":")) else {
                throw syntaxError("expected ':' after a member name, found \(describeCurrentByte())")
            }
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            if try consume(UInt8(ascii: "}")) { return .object(members) }
            guard try consume(UInt8(ascii: ",")) else {
                throw syntaxError("expected ',' or '}' in an object, found \(describeCurrentByte())")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(ProtoCodecError) -> JSONValue {
        try checkDepth(depth)
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if try consume(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if try consume(UInt8(ascii: "]")) { return .array(elements) }
            guard try consume(UInt8(ascii: ",")) else {
                throw syntaxError("expected ',' or ']' in an array, found \(describeCurrentByte())")
            }
        }
    }

    private mutating func parseNumber() throws(ProtoCodecError) -> String {
        switch JSONNumber.scan(bytes, from: position) {
        case .success(let length):
            defer { position += length }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<position + length]), as: UTF8.self)
        case .failure(let reason):
            throw syntaxError("invalid number: \(reason.reason)")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(ProtoCodecError) {
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard bytes[position...].starts(with: expected) else {
            throw syntaxError("unexpected \(describeCurrentByte()), expected a value")
        }
        position += expected.count
    }

    // MARK: Strings

    private mutating func parseString() throws(ProtoCodecError) -> String {
        let start = position
        position += 1
        var unescaped: [UInt8] = []
        var runStart = position
        while true {
            guard position < bytes.count else {
                throw syntaxError("unterminated string", at: start)
            }
            switch bytes[position] {
            case UInt8(ascii: "\""):
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<position])
                position += 1
                if unescaped.isEmpty {
                    return try validatedString(run, start: start)
                }
                unescaped.append(contentsOf: run)
                return try validatedString(unescaped, start: start)
            case UInt8(ascii: "\\"):
                unescaped.append(contentsOf: bytes[runStart..<position])
                try parseEscape(into: &unescaped)
                runStart = position
            case 0..<0x20:
                throw syntaxError("a control character must be escaped inside a string")
            default:
                position += 1
            }
        }
    }

    private func validatedString(_ utf8: some Collection<UInt8>, start: Int) throws(ProtoCodecError) -> String {
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw ProtoCodecError(
                .invalidUTF8,
                messageName: messageName,
                detail: "the JSON string starting at offset \(start) is not valid UTF-8"
            )
        }
        return string
    }

    /// Reads the escape at `position` (a backslash) and appends its UTF-8.
    private mutating func parseEscape(into utf8: inout [UInt8]) throws(ProtoCodecError) {
        let start = position
        position += 1
        guard position < bytes.count else { throw syntaxError("unexpected end of input in an escape", at: start) }
        let letter = bytes[position]
        position += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(letter)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let scalar = try parseUnicodeEscape(start: start)
            utf8.append(contentsOf: UTF8.encode(scalar)!)
        default:
            throw syntaxError("invalid escape '\\\(Character(Unicode.Scalar(letter)))'", at: start)
        }
    }

    /// Reads the hex digits of a `\u` escape, and of the low half that must follow a high
    /// surrogate; a surrogate without its partner is not a character and is rejected.
    private mutating func parseUnicodeEscape(start: Int) throws(ProtoCodecError) -> Unicode.Scalar {
        let unit = try parseHex4(escapeStart: start)
        switch unit {
        case 0xD800...0xDBFF:
            let lowStart = position
            guard bytes[position...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                throw syntaxError("a high surrogate \\u escape must be followed by a low surrogate", at: start)
            }
            position += 2
            let low = try parseHex4(escapeStart: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw syntaxError("a high surrogate \\u escape must be followed by a low surrogate", at: start)
            }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
        case 0xDC00...0xDFFF:
            throw syntaxError("a low surrogate \\u escape must follow a high surrogate", at: start)
        default:
            return Unicode.Scalar(unit)!
        }
    }

    private mutating func parseHex4(escapeStart: Int) throws(ProtoCodecError) -> UInt32 {
        guard position + 4 <= bytes.count else {
            throw syntaxError("a \\u escape needs four hex digits", at: escapeStart)
        }
        var value: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw syntaxError("a \\u escape needs four hex digits", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }

    // MARK: Helpers

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): position += 1
            default: return
            }
        }
    }

    /// Steps over `byte` if it is next.
    private mutating func consume(_ byte: UInt8) throws(ProtoCodecError) -> Bool {
        guard position < bytes.count else { throw syntaxError("unexpected end of input") }
        guard bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private func checkDepth(_ depth: Int) throws(ProtoCodecError) {
        guard depth <= maxDepth else {
            throw ProtoCodecError(
                .nestingTooDeep,
                messageName: messageName,
                detail: "JSON objects and arrays are nested more than \(maxDepth) deep at offset \(position)"
            )
        }
    }

    private func describeCurrentByte() -> String {
        guard position < bytes.count else { return "end of input" }
        let byte = bytes[position]
        if (0x21..<0x7F).contains(byte) { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    private func syntaxError(_ detail: String, at offset: Int? = nil) -> ProtoCodecError {
        ProtoCodecError(.invalidJSON, messageName: messageName, detail: "\(detail) at offset \(offset ?? position)")
    }
}
