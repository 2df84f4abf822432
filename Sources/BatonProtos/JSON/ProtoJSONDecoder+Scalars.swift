/// The proto3 JSON forms of each scalar type, read from one JSON value. Errors name the message;
/// the callers add the field path.
extension ProtoJSONDecoder {
    /// An integer field: a JSON number or a string holding one, integral and in range. 64-bit
    /// values usually arrive as strings, since JSON numbers lose precision past 2^53 in many readers.
    func integer<T: FixedWidthInteger>(
        _ value: JSONValue,
        _ type: T.Type,
        _ field: ProtoJSONMessageLayout.Field,
        _ layout: ProtoJSONMessageLayout
    ) throws(ProtoCodecError) -> T {
        let number: JSONNumber
        switch value {
        case .number(let text):
            number = JSONNumber(parsed: text)
        case .string(let text):
            guard let parsed = JSONNumber(validating: text) else {
                throw invalid(layout, "expected an integer, got \(Self.excerpt(value))")
            }
            number = parsed
        default:
            throw invalid(layout, "expected an integer (a number or a numeric string), got \(value.kindDescription)")
        }
        switch number.integer(as: T.self) {
        case .success(let integer):
            return integer
        case .failure(.fractional):
            throw invalid(layout, "expected an integer, got \(Self.excerpt(value)), which has a fraction")
        case .failure(.outOfRange):
            let kind = field.kind == .enumeration ? "int32" : "\(field.kind)"
            throw invalid(layout, "\(Self.excerpt(value)) is out of range for \(kind) (\(T.min) to \(T.max))")
        }
    }

    /// A float or double field: a JSON number, a string holding one, or "NaN", "Infinity" or
    /// "-Infinity". Finite numbers too large for the type are rejected rather than made infinite.
    func floatingPoint<T: BinaryFloatingPoint & LosslessStringConvertible>(
        _ value: JSONValue,
        _ type: T.Type,
        _ layout: ProtoJSONMessageLayout
    ) throws(ProtoCodecError) -> T {
        let text: String
        switch value {
        case .number(let number):
            text = number
        case .string("NaN"):
            return .nan
        case .string("Infinity"):
            return .infinity
        case .string("-Infinity"):
            return -.infinity
        case .string(let string):
            guard let number = JSONNumber(validating: string) else {
                throw invalid(
                    layout,
                    "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", got \(Self.excerpt(value))"
                )
            }
            text = number.text
        default:
            throw invalid(layout, "expected a number, got \(value.kindDescription)")
        }
        guard let result = T(text), result.isFinite else {
            throw invalid(
                layout,
                "\(Self.excerpt(value)) is out of range for \(T.self == Float.self ? "float" : "double")"
            )
        }
        return result
    }

    func bool(_ value: JSONValue, _ layout: ProtoJSONMessageLayout) throws(ProtoCodecError) -> Bool {
        guard case .bool(let bool) = value else {
            throw invalid(layout, "expected true or false, got \(value.kindDescription)")
        }
        return bool
    }

    func string(_ value: JSONValue, _ layout: ProtoJSONMessageLayout) throws(ProtoCodecError) -> String {
        guard case .string(let string) = value else {
            throw invalid(layout, "expected a string, got \(value.kindDescription)")
        }
        return string
    }

    /// A bytes field: base64 in the standard or URL-safe alphabet, padded or not.
    func bytes(_ value: JSONValue, _ layout: ProtoJSONMessageLayout) throws(ProtoCodecError) -> [UInt8] {
        guard case .string(let text) = value else {
            throw invalid(layout, "expected a base64 string, got \(value.kindDescription)")
        }
        guard let bytes = Base64.decode(text) else {
            throw invalid(layout, "\(Self.excerpt(value)) is not valid base64")
        }
        return bytes
    }

    /// An enum field: a value name of the enum, or its number (numbers this schema does not know
    /// are kept, as proto3 enums are open). Nil for an unknown name under `ignoreUnknownFields`.
    func enumNumber(
        _ value: JSONValue,
        _ field: ProtoJSONMessageLayout.Field,
        _ layout: ProtoJSONMessageLayout
    ) throws(ProtoCodecError) -> Int32? {
        let enumType = field.enumType!
        switch value {
        case .string(let name):
            // A NUL would end the name early on its way to C and match a shorter name.
            if !name.utf8.contains(0), let number = enumType.number(of: name) { return number }
            if options.ignoreUnknownFields { return nil }
            throw invalid(layout, "\(Self.excerpt(value)) is not a value of \(enumType.fullName)")
        case .number:
            return try integer(value, Int32.self, field, layout)
        default:
            throw invalid(
                layout,
                "expected a value name of \(enumType.fullName) or its number, got \(value.kindDescription)"
            )
        }
    }
}
