import BatonProtos

/// Protobuf text format for any message of the schema, built from its descriptor alone, so a
/// message added to `Protos/` is compared with protoc without new test code.
enum TextFormatSample {
    /// Every field set, to the values codecs get wrong: integer extremes, float extremes and
    /// signed zero, Unicode and escapes, bytes 0x00 and 0xff, the last enum value, unknown enum
    /// numbers, several elements in every repeated field, nested messages to `recursionLimit`
    /// levels of a type that contains itself.
    ///
    /// Of the oneof members, `seed` picks the one that is set; protobuf-c's descriptor does not
    /// say which oneof a member belongs to, and every message of the schema has at most one.
    /// Nested messages get seeds derived from `seed`, so different seeds exercise different
    /// members at every level.
    static func edge(_ descriptor: ProtoMessageDescriptor, seed: Int = 0) -> String {
        var lines: [String] = []
        appendFields(of: descriptor, seed: seed, path: [descriptor.fullName], indent: "", to: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    /// How many samples cover every oneof member of `descriptor` at the top level.
    static func seedCount(_ descriptor: ProtoMessageDescriptor) -> Int {
        max(1, descriptor.fields.filter(\.isOneofMember).count)
    }

    /// How many levels of one message type a sample holds, for types that contain themselves.
    static let recursionLimit = 3

    // MARK: Messages

    private static func appendFields(
        of descriptor: ProtoMessageDescriptor,
        seed: Int,
        path: [String],
        indent: String,
        to lines: inout [String]
    ) {
        if descriptor.fullName == "google.protobuf.Timestamp" {
            let (seconds, nanos) = timestamps[seed % timestamps.count]
            lines.append("\(indent)seconds: \(seconds)")
            lines.append("\(indent)nanos: \(nanos)")
            return
        }
        let oneofMembers = descriptor.fields.filter(\.isOneofMember)
        let chosenMember = oneofMembers.isEmpty ? nil : oneofMembers[seed % oneofMembers.count].number
        for field in descriptor.fields where !field.isOneofMember || field.number == chosenMember {
            let fieldSeed = seed &+ field.number
            if let nested = field.messageType {
                guard path.filter({ $0 == nested.fullName }).count < recursionLimit else { continue }
                let elementSeeds = field.isRepeated ? [fieldSeed, fieldSeed &+ 1] : [fieldSeed]
                for elementSeed in elementSeeds {
                    lines.append("\(indent)\(field.name) {")
                    appendFields(
                        of: nested,
                        seed: elementSeed,
                        path: path + [nested.fullName],
                        indent: indent + "  ",
                        to: &lines
                    )
                    lines.append("\(indent)}")
                }
            } else if field.isRepeated {
                lines.append("\(indent)\(field.name): [\(repeatedValues(field).joined(separator: ", "))]")
            } else {
                lines.append("\(indent)\(field.name): \(singularValue(field, seed: fieldSeed))")
            }
        }
    }

    // MARK: Scalars

    private static func singularValue(_ field: ProtoFieldDescriptor, seed: Int) -> String {
        switch field.kind {
        case .string: quoted(Array(strings[seed % strings.count].utf8), escapingNonASCII: false)
        case .bytes: quoted(bytes[0], escapingNonASCII: true)
        case .bool: "true"
        case .enumeration: field.enumType?.values.last?.name ?? "0"
        default:
            // proto3 does not write zero, so a singular field gets a value that is never zero.
            numbers(field.kind).singular[seed % numbers(field.kind).singular.count]
        }
    }

    private static func repeatedValues(_ field: ProtoFieldDescriptor) -> [String] {
        switch field.kind {
        case .string: (strings + [""]).map { quoted(Array($0.utf8), escapingNonASCII: false) }
        case .bytes: bytes.map { quoted($0, escapingNonASCII: true) }
        case .bool: ["true", "false", "true"]
        case .enumeration:
            // Every known value, last first, then numbers the enum does not define: proto3 enums
            // are open, and a peer with a newer schema sends such numbers.
            (field.enumType?.values.reversed().map(\.name) ?? []) + unknownEnumNumbers(field).map(String.init)
        default: numbers(field.kind).all
        }
    }

    private static func unknownEnumNumbers(_ field: ProtoFieldDescriptor) -> [Int32] {
        let known = Set(field.enumType?.values.map(\.number) ?? [])
        return [99, -7, 123_456].filter { !known.contains($0) }
    }

    private struct Numbers {
        let singular: [String]
        let extra: [String]
        var all: [String] { singular + extra }
    }

    private static func numbers(_ kind: ProtoFieldDescriptor.Kind) -> Numbers {
        switch kind {
        case .int32, .sint32, .sfixed32:
            Numbers(singular: ["-2147483648", "2147483647"], extra: ["-1", "0", "1"])
        case .int64, .sint64, .sfixed64:
            Numbers(singular: ["-9223372036854775808", "9223372036854775807"], extra: ["-1", "0", "1"])
        case .uint32, .fixed32:
            Numbers(singular: ["4294967295", "2147483648"], extra: ["0", "1", "127", "128"])
        case .uint64, .fixed64:
            Numbers(singular: ["18446744073709551615", "9223372036854775808"], extra: ["0", "1", "4294967296"])
        case .float:
            Numbers(
                // -0 only in repeated fields: protobuf-c writes no zero in a singular proto3 field,
                // -0 included (see negativeZeroInASingularFieldReadsBackAsZero).
                singular: ["3.40282347e+38", "-1.17549435e-38", "1.40129846e-45", "-inf"],
                extra: ["inf", "0", "-0", "0.1", "-123.456"]
            )
        case .double:
            Numbers(
                singular: [
                    "1.7976931348623157e+308", "-2.2250738585072014e-308", "4.9406564584124654e-324", "-inf",
                ],
                extra: ["inf", "0", "-0", "0.1", "-123456.789e-3"]
            )
        case .bool, .string, .bytes, .enumeration, .message:
            preconditionFailure("\(kind) is not numeric")
        }
    }

    /// Strings a codec can get wrong: accents in composed and decomposed form, CJK, emoji (with
    /// joiners and flags), the highest code point, control characters and text-format escapes.
    static let strings = [
        "Zoë’s façade — naïve “quotes” «guillemets»",
        "日本語のテキスト 中文 한국어",
        "emoji 🎉 👩‍👩‍👧‍👦 🇫🇷 ✅",
        "combining e\u{301} a\u{308} o\u{328}\u{301} and \u{200D} zero-width joiner",
        "escapes \" ' \\ \n \t \r end",
        "control \u{1} \u{1F} \u{7F} and \u{FFFD} \u{10FFFF}",
    ]

    /// Bytes including NUL, 0xff, text-format specials and every byte value.
    static let bytes: [[UInt8]] = [
        [0x00, 0xff, 0x80, 0x7f, 0x0a, 0x22, 0x5c, 0x27, 0x00],
        [],
        [0x00],
        Array(0...255),
    ]

    /// Valid `google.protobuf.Timestamp`s (seconds, nanos): the last and first instants RFC 3339
    /// can write, the epoch's first nanosecond, and an ordinary time.
    static let timestamps: [(Int64, Int32)] = [
        (253_402_300_799, 999_999_999),
        (-62_135_596_800, 0),
        (0, 1),
        (1_700_000_000, 123_456_789),
    ]

    // MARK: Escaping

    /// A double-quoted text-format literal. Quotes, backslashes and control bytes are always
    /// escaped; other bytes from 0x80 up are escaped only for bytes fields, so strings also test
    /// raw UTF-8 in protoc's input.
    private static func quoted(_ value: [UInt8], escapingNonASCII: Bool) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in value {
            switch byte {
            case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
            case UInt8(ascii: "\n"): out += Array(#"\n"#.utf8)
            case UInt8(ascii: "\t"): out += Array(#"\t"#.utf8)
            case 0x20..<0x7f: out.append(byte)
            case 0x80... where !escapingNonASCII: out.append(byte)
            default: out += Array(("\\" + octal(byte)).utf8)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 8)
        return String(repeating: "0", count: 3 - digits.count) + digits
    }
}
