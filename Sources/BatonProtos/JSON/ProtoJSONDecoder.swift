/// Fills protobuf-c structs from parsed JSON, field by field as the descriptors say, so every
/// message of the schema is covered without code of its own.
final class ProtoJSONDecoder {
    let options: ProtoJSONDecodingOptions
    private let rootName: String
    /// Bytes of C structs, arrays and strings built so far, held to `options.limits.allocationBudget`.
    private var allocated = 0

    private init(options: ProtoJSONDecodingOptions, rootName: String) {
        self.options = options
        self.rootName = rootName
    }

    /// Parses `utf8` and builds the struct of `descriptor` in `arena`.
    static func decode(
        _ utf8: UnsafeBufferPointer<UInt8>,
        as descriptor: ProtoMessageDescriptor,
        options: ProtoJSONDecodingOptions,
        arena: Arena
    ) throws(ProtoCodecError) -> ProtoCWriter {
        let layout = ProtoJSONMessageLayout.of(descriptor)
        let json = try JSONParser.parse(utf8, maxDepth: options.limits.maxDepth, messageName: layout.fullName)
        let decoder = ProtoJSONDecoder(options: options, rootName: layout.fullName)
        try decoder.reserve(layout.structSize)
        let writer = ProtoCWriter(descriptor: descriptor, arena: arena.allocator)
        switch json {
        case .string(let text) where layout.isTimestamp:
            try decoder.fillTimestamp(writer, layout, from: text, reportingAs: layout.fullName)
        case .object(let members) where !layout.isTimestamp:
            try decoder.fillMessage(writer, layout, from: members)
        default:
            let expected = layout.isTimestamp ? "an RFC 3339 string" : "an object"
            throw ProtoCodecError(
                .invalidJSON,
                messageName: layout.fullName,
                detail: "the JSON of \(layout.fullName) must be \(expected), not \(json.kindDescription)"
            )
        }
        return writer
    }

    // MARK: Messages

    private func fillMessage(
        _ writer: ProtoCWriter,
        _ layout: ProtoJSONMessageLayout,
        from members: [(key: String, value: JSONValue)]
    ) throws(ProtoCodecError) {
        var seen = [String?](repeating: nil, count: layout.fields.count)
        var oneofsSet: [(oneof: UInt32, member: String)] = []
        for (key, value) in members {
            guard let field = layout.field(named: key) else {
                if options.ignoreUnknownFields { continue }
                throw ProtoCodecError(
                    .unknownField,
                    messageName: layout.fullName,
                    fieldName: key,
                    detail: "\(layout.fullName) has no field named \"\(key)\""
                )
            }
            if let earlier = seen[field.index] {
                let spelling = earlier == key ? "twice" : "twice, as \"\(earlier)\" and \"\(key)\""
                throw invalid(layout, "the field appears \(spelling)").inField(field.name)
            }
            seen[field.index] = key
            // null means "absent" for every field type Baton uses.
            if case .null = value { continue }
            if let oneof = field.oneof {
                if let other = oneofsSet.first(where: { $0.oneof == oneof }) {
                    throw invalid(layout, "\"\(other.member)\" is already set and belongs to the same oneof")
                        .inField(field.name)
                }
                oneofsSet.append((oneof, field.name))
            }
            do {
                if field.isRepeated {
                    try setRepeated(field, in: writer, layout, from: value)
                } else {
                    try setSingular(field, in: writer, layout, from: value)
                }
            } catch {
                throw error.inField(field.name)
            }
        }
    }

    private func fillTimestamp(
        _ writer: ProtoCWriter,
        _ layout: ProtoJSONMessageLayout,
        from text: String,
        reportingAs messageName: String
    ) throws(ProtoCodecError) {
        switch RFC3339Timestamp.parse(text) {
        case .success(let (seconds, nanos)):
            writer.setScalar(layout.field(number: 1)!.index, seconds)
            writer.setScalar(layout.field(number: 2)!.index, nanos)
        case .failure(let reason):
            throw ProtoCodecError(
                .invalidFieldValue,
                messageName: messageName,
                detail: "\(Self.excerpt(.string(text))) is not a timestamp: \(reason)"
            )
        }
    }

    /// A struct for the message field `field`, filled from `value`.
    private func nestedMessage(
        _ field: ProtoJSONMessageLayout.Field,
        in writer: ProtoCWriter,
        _ layout: ProtoJSONMessageLayout,
        from value: JSONValue
    ) throws(ProtoCodecError) -> ProtoCWriter {
        let nestedLayout = ProtoJSONMessageLayout.of(field.messageType!)
        try reserve(nestedLayout.structSize)
        let nested = writer.nested(field.index)
        switch value {
        case .string(let text) where nestedLayout.isTimestamp:
            try fillTimestamp(nested, nestedLayout, from: text, reportingAs: layout.fullName)
        case .object(let members) where !nestedLayout.isTimestamp:
            try fillMessage(nested, nestedLayout, from: members)
        default:
            let expected = nestedLayout.isTimestamp ? "an RFC 3339 timestamp string" : "an object"
            throw invalid(layout, "expected \(expected) for \(nestedLayout.fullName), got \(value.kindDescription)")
        }
        return nested
    }

    // MARK: Fields

    private func setSingular(
        _ field: ProtoJSONMessageLayout.Field,
        in writer: ProtoCWriter,
        _ layout: ProtoJSONMessageLayout,
        from value: JSONValue
    ) throws(ProtoCodecError) {
        let index = field.index
        switch field.kind {
        case .int32, .sint32, .sfixed32: writer.setScalar(index, try integer(value, Int32.self, field, layout))
        case .int64, .sint64, .sfixed64: writer.setScalar(index, try integer(value, Int64.self, field, layout))
        case .uint32, .fixed32: writer.setScalar(index, try integer(value, UInt32.self, field, layout))
        case .uint64, .fixed64: writer.setScalar(index, try integer(value, UInt64.self, field, layout))
        case .float: writer.setScalar(index, try floatingPoint(value, Float.self, layout))
        case .double: writer.setScalar(index, try floatingPoint(value, Double.self, layout))
        case .bool: writer.setBool(index, try bool(value, layout))
        case .enumeration:
            // An unknown name skipped under ignoreUnknownFields leaves the field unset.
            guard let number = try enumNumber(value, field, layout) else { return }
            writer.setScalar(index, number)
        case .string:
            let string = try string(value, layout)
            try reserve(string.utf8.count + 1)
            do {
                try writer.setString(index, string)
            } catch {
                throw error.withoutFieldName()
            }
        case .bytes:
            let bytes = try bytes(value, layout)
            try reserve(bytes.count)
            writer.setBytes(index, bytes)
        case .message:
            writer.setNested(index, try nestedMessage(field, in: writer, layout, from: value))
        }
        if field.oneof != nil { writer.setOneofCase(index) }
    }

    private func setRepeated(
        _ field: ProtoJSONMessageLayout.Field,
        in writer: ProtoCWriter,
        _ layout: ProtoJSONMessageLayout,
        from value: JSONValue
    ) throws(ProtoCodecError) {
        guard case .array(let values) = value else {
            throw invalid(layout, "expected an array for a repeated field, got \(value.kindDescription)")
        }
        let index = field.index
        switch field.kind {
        case .int32, .sint32, .sfixed32: writer.setRepeatedScalar(index, try integers(values, field, layout) as [Int32])
        case .int64, .sint64, .sfixed64: writer.setRepeatedScalar(index, try integers(values, field, layout) as [Int64])
        case .uint32, .fixed32: writer.setRepeatedScalar(index, try integers(values, field, layout) as [UInt32])
        case .uint64, .fixed64: writer.setRepeatedScalar(index, try integers(values, field, layout) as [UInt64])
        case .float: writer.setRepeatedScalar(index, try floatingPoints(values, layout) as [Float])
        case .double: writer.setRepeatedScalar(index, try floatingPoints(values, layout) as [Double])
        case .bool:
            writer.setRepeatedBool(
                index,
                try elements(values, layout) { element throws(ProtoCodecError) in try bool(element, layout) }
            )
        case .enumeration:
            let numbers = try elements(values, layout) { element throws(ProtoCodecError) in
                try enumNumber(element, field, layout)
            }
            writer.setRepeatedScalar(index, numbers.compactMap { $0 })
        case .string:
            let strings = try elements(values, layout) { element throws(ProtoCodecError) in try string(element, layout)
            }
            try reserve(strings.reduce(0) { $0 + $1.utf8.count + 1 })
            try writer.setStrings(index, strings)
        case .bytes:
            let blobs = try elements(values, layout) { element throws(ProtoCodecError) in try bytes(element, layout) }
            try reserve(blobs.reduce(0) { $0 + $1.count })
            writer.setRepeatedBytes(index, blobs)
        case .message:
            let nested = try elements(values, layout) { element throws(ProtoCodecError) in
                try nestedMessage(field, in: writer, layout, from: element)
            }
            writer.setNestedArray(index, nested)
        }
    }

    /// Converts each element, naming the failing one's position in errors; JSON null is not an
    /// element value.
    private func elements<T>(
        _ values: [JSONValue],
        _ layout: ProtoJSONMessageLayout,
        _ convert: (JSONValue) throws(ProtoCodecError) -> T
    ) throws(ProtoCodecError) -> [T] {
        try reserve(values.count * max(MemoryLayout<T>.stride, MemoryLayout<Int32>.stride))
        var result: [T] = []
        result.reserveCapacity(values.count)
        for (position, value) in values.enumerated() {
            do throws(ProtoCodecError) {
                if case .null = value { throw invalid(layout, "null is not allowed inside a repeated field") }
                result.append(try convert(value))
            } catch {
                throw error.atElement(position)
            }
        }
        return result
    }

    private func integers<T: FixedWidthInteger>(
        _ values: [JSONValue],
        _ field: ProtoJSONMessageLayout.Field,
        _ layout: ProtoJSONMessageLayout
    ) throws(ProtoCodecError) -> [T] {
        try elements(values, layout) { value throws(ProtoCodecError) in try integer(value, T.self, field, layout) }
    }

    private func floatingPoints<T: BinaryFloatingPoint & LosslessStringConvertible>(
        _ values: [JSONValue],
        _ layout: ProtoJSONMessageLayout
    ) throws(ProtoCodecError) -> [T] {
        try elements(values, layout) { value throws(ProtoCodecError) in try floatingPoint(value, T.self, layout) }
    }

    // MARK: Limits and errors

    private func reserve(_ byteCount: Int) throws(ProtoCodecError) {
        allocated += byteCount
        guard allocated <= options.limits.allocationBudget else {
            throw ProtoCodecError(
                .allocationBudgetExceeded,
                messageName: rootName,
                detail: "the JSON needs more than \(options.limits.allocationBudget) bytes of memory"
            )
        }
    }

    func invalid(_ layout: ProtoJSONMessageLayout, _ detail: String) -> ProtoCodecError {
        ProtoCodecError(.invalidFieldValue, messageName: layout.fullName, detail: detail)
    }

    /// A short rendering of a JSON value for error messages; long strings are cut.
    static func excerpt(_ value: JSONValue) -> String {
        switch value {
        case .number(let text): text.count > 40 ? text.prefix(40) + "..." : text
        case .string(let text): "\"" + (text.count > 40 ? text.prefix(40) + "..." : text) + "\""
        default: value.kindDescription
        }
    }
}
