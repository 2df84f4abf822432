/// Writes a protobuf-c struct as proto3 JSON, field by field as the descriptors say, so every
/// message of the schema is covered without code of its own.
struct ProtoJSONEncoder {
    private let options: ProtoJSONEncodingOptions
    private var writer: JSONWriter

    private init(options: ProtoJSONEncodingOptions) {
        self.options = options
        self.writer = JSONWriter(prettyPrinted: options.prettyPrinted)
    }

    /// The JSON text of the message `reader` reads.
    static func encode(_ reader: ProtoCReader, options: ProtoJSONEncodingOptions) throws(ProtoCodecError) -> String {
        var encoder = ProtoJSONEncoder(options: options)
        try encoder.writeMessage(reader, ProtoJSONMessageLayout.of(reader.descriptor))
        return encoder.writer.text
    }

    private mutating func writeMessage(_ reader: ProtoCReader, _ layout: ProtoJSONMessageLayout) throws(ProtoCodecError)
    {
        if layout.isTimestamp { return try writeTimestamp(reader, layout) }
        writer.beginObject()
        for field in layout.fields {
            do {
                try writeField(field, of: reader)
            } catch {
                throw error.inField(field.name)
            }
        }
        writer.endObject()
    }

    private mutating func writeField(
        _ field: ProtoJSONMessageLayout.Field,
        of reader: ProtoCReader
    ) throws(ProtoCodecError) {
        let key = options.useProtoNames ? field.name : field.jsonName
        if field.isRepeated {
            guard reader.count(field.index) > 0 || options.emitDefaultValues else { return }
            writer.key(key)
            writer.beginArray()
            try writeElements(field, of: reader)
            writer.endArray()
        } else if isWritten(field, of: reader) {
            writer.key(key)
            try writeSingular(field, of: reader)
        }
    }

    /// Proto3's rule for a singular field: a oneof member when it is the one set, even at its
    /// default (which member is set is information); a message when present; any other field
    /// when it differs from its default, or always under `emitDefaultValues`.
    private func isWritten(_ field: ProtoJSONMessageLayout.Field, of reader: ProtoCReader) -> Bool {
        if field.oneof != nil && reader.oneofCase(field.index) != field.number { return false }
        if field.kind == .message || (field.oneof == nil && !options.emitDefaultValues) {
            return reader.holdsNonDefault(field.index)
        }
        return true
    }

    private mutating func writeSingular(
        _ field: ProtoJSONMessageLayout.Field,
        of reader: ProtoCReader
    ) throws(ProtoCodecError) {
        let index = field.index
        switch field.kind {
        case .int32, .sint32, .sfixed32: writer.raw(String(reader.scalar(index) as Int32))
        case .uint32, .fixed32: writer.raw(String(reader.scalar(index) as UInt32))
        case .int64, .sint64, .sfixed64: writer.string(String(reader.scalar(index) as Int64))
        case .uint64, .fixed64: writer.string(String(reader.scalar(index) as UInt64))
        case .float: writeFloatingPoint(reader.scalar(index) as Float)
        case .double: writeFloatingPoint(reader.scalar(index) as Double)
        case .bool: writer.raw(reader.bool(index) ? "true" : "false")
        case .enumeration: writeEnum(reader.scalar(index), field.enumType!)
        case .string:
            do {
                writer.string(try reader.string(index))
            } catch {
                throw error.withoutFieldName()
            }
        case .bytes: writer.string(Base64.encode(reader.bytes(index)))
        case .message:
            let nested = reader.nestedReader(index)!  // isWritten checked it is present
            try writeMessage(nested, ProtoJSONMessageLayout.of(nested.descriptor))
        }
    }

    private mutating func writeElements(
        _ field: ProtoJSONMessageLayout.Field,
        of reader: ProtoCReader
    ) throws(ProtoCodecError) {
        let index = field.index
        switch field.kind {
        case .int32, .sint32, .sfixed32:
            for value in reader.repeatedScalar(index) as [Int32] { writer.raw(String(value)) }
        case .uint32, .fixed32: for value in reader.repeatedScalar(index) as [UInt32] { writer.raw(String(value)) }
        case .int64, .sint64, .sfixed64:
            for value in reader.repeatedScalar(index) as [Int64] { writer.string(String(value)) }
        case .uint64, .fixed64: for value in reader.repeatedScalar(index) as [UInt64] { writer.string(String(value)) }
        case .float: for value in reader.repeatedScalar(index) as [Float] { writeFloatingPoint(value) }
        case .double: for value in reader.repeatedScalar(index) as [Double] { writeFloatingPoint(value) }
        case .bool: for value in reader.repeatedBool(index) { writer.raw(value ? "true" : "false") }
        case .enumeration: for value in reader.repeatedScalar(index) as [Int32] { writeEnum(value, field.enumType!) }
        case .string:
            for position in 0..<reader.count(index) {
                do {
                    writer.string(try reader.string(index, element: position))
                } catch {
                    throw error.withoutFieldName().atElement(position)
                }
            }
        case .bytes: for value in reader.repeatedBytes(index) { writer.string(Base64.encode(value)) }
        case .message:
            for (position, nested) in reader.nestedReaders(index).enumerated() {
                do {
                    try writeMessage(nested, ProtoJSONMessageLayout.of(nested.descriptor))
                } catch {
                    throw error.atElement(position)
                }
            }
        }
    }

    /// Shortest text that reads back to the same value; "NaN" and the infinities as strings,
    /// since JSON numbers cannot spell them.
    private mutating func writeFloatingPoint<T: BinaryFloatingPoint & CustomStringConvertible>(_ value: T) {
        if value.isNaN {
            writer.string("NaN")
        } else if value.isInfinite {
            writer.string(value < 0 ? "-Infinity" : "Infinity")
        } else {
            let text = value.description
            writer.raw(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
        }
    }

    /// The value's name, or its number when this schema does not know it.
    private mutating func writeEnum(_ number: Int32, _ enumType: ProtoEnumDescriptor) {
        if let name = enumType.name(of: number) {
            writer.string(name)
        } else {
            writer.raw(String(number))
        }
    }

    private mutating func writeTimestamp(
        _ reader: ProtoCReader,
        _ layout: ProtoJSONMessageLayout
    ) throws(ProtoCodecError) {
        let seconds: Int64 = reader.scalar(layout.field(number: 1)!.index)
        let nanos: Int32 = reader.scalar(layout.field(number: 2)!.index)
        guard let text = RFC3339Timestamp.format(seconds: seconds, nanos: nanos) else {
            throw ProtoCodecError(
                .invalidFieldValue,
                messageName: layout.fullName,
                detail: "seconds \(seconds) and nanos \(nanos) are not a timestamp from 0001-01-01T00:00:00Z to "
                    + "9999-12-31T23:59:59.999999999Z"
            )
        }
        writer.string(text)
    }
}
