internal import CBatonProtobufC

#if canImport(Glibc)
import Glibc
#endif

/// Checks protobuf wire bytes against a descriptor before protobuf-c unpacks them, without
/// allocating.
///
/// protobuf-c 1.4.1 recurses without a depth limit and accepts any wire type for a bool, so the
/// bytes of every type that can nest without bound or holds a bool are walked first
/// (`ProtoMessageDescriptor.needsWireWalk`); the walk also rejects field numbers above 2^29-1
/// and names the field at fault. (Strings cut at a U+0000 are caught after unpacking, from the
/// sizes the arena records.)
struct WireScanner {
    let maxDepth: Int

    func check(_ bytes: UnsafeRawBufferPointer, _ descriptor: ProtoMessageDescriptor) throws(ProtoCodecError) {
        try scan(bytes, descriptor, depth: 1)
    }

    private static let varint: UInt64 = 0
    private static let fixed64: UInt64 = 1
    private static let lengthDelimited: UInt64 = 2
    private static let fixed32: UInt64 = 5

    private func scan(
        _ bytes: UnsafeRawBufferPointer,
        _ descriptor: ProtoMessageDescriptor,
        depth: Int
    ) throws(ProtoCodecError) {
        if depth > maxDepth {
            throw ProtoCodecError(
                .nestingTooDeep,
                messageName: descriptor.fullName,
                detail: "messages are nested more than \(maxDepth) deep"
            )
        }
        var position = 0
        while position < bytes.count {
            let tagStart = position
            guard let tag = readVarint(bytes, &position) else {
                throw malformed(descriptor, nil, "truncated or overlong tag at byte \(tagStart)")
            }
            let number = tag >> 3
            let wireType = tag & 7
            guard number > 0, number <= 536_870_911 else {
                throw malformed(descriptor, nil, "invalid field number \(number) at byte \(tagStart)")
            }
            let field = Self.field(number: UInt32(number), in: descriptor)
            // Built only for an error message: a String per field would cost on every decode.
            var name: String { field.map { String(cString: $0.pointee.name) } ?? "#\(number)" }
            if let field, !accepts(field, wireType) {
                throw malformed(descriptor, name, "wire type \(wireType) does not fit a \(Self.typeName(field.pointee.type)) field")
            }
            switch wireType {
            case Self.varint:
                guard readVarint(bytes, &position) != nil else { throw malformed(descriptor, name, "truncated varint") }
            case Self.fixed64:
                guard bytes.count - position >= 8 else { throw malformed(descriptor, name, "truncated 64-bit value") }
                position += 8
            case Self.fixed32:
                guard bytes.count - position >= 4 else { throw malformed(descriptor, name, "truncated 32-bit value") }
                position += 4
            case Self.lengthDelimited:
                guard let length = readVarint(bytes, &position) else {
                    throw malformed(descriptor, name, "truncated length")
                }
                guard length <= UInt64(bytes.count - position) else {
                    throw malformed(descriptor, name, "length \(length) runs past the end of the input")
                }
                let body = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(length))])
                position += Int(length)
                if let field { try checkLengthDelimited(body, field, descriptor, depth: depth) }
            case 3, 4:
                throw malformed(descriptor, name, "groups are not supported")
            default:
                throw malformed(descriptor, name, "invalid wire type \(wireType) at byte \(tagStart)")
            }
        }
    }

    /// The field with `number`: by position when numbers run 1, 2, 3... as they usually do, else
    /// by protobuf-c's lookup. Nil for a field this schema does not know.
    @inline(__always)
    private static func field(number: UInt32, in descriptor: ProtoMessageDescriptor) -> UnsafePointer<ProtobufCFieldDescriptor>? {
        let message = descriptor.pointer
        let count = Int(message.pointee.n_fields)
        guard count > 0, let fields = message.pointee.fields else { return nil }
        if number >= 1, Int(number) <= count, fields[Int(number) - 1].id == number {
            return fields + Int(number) - 1
        }
        return protobuf_c_message_descriptor_get_field(message, number)
    }

    private func checkLengthDelimited(
        _ body: UnsafeRawBufferPointer,
        _ field: UnsafePointer<ProtobufCFieldDescriptor>,
        _ descriptor: ProtoMessageDescriptor,
        depth: Int
    ) throws(ProtoCodecError) {
        var name: String { String(cString: field.pointee.name) }
        switch field.pointee.type {
        case PROTOBUF_C_TYPE_MESSAGE:
            let nested = field.pointee.descriptor!.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
            try scan(body, ProtoMessageDescriptor(nested), depth: depth + 1)
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES:
            break
        default:
            try checkPacked(body, field, descriptor)
        }
    }

    /// Proto3 parsers take repeated scalars both packed (length-delimited) and one by one.
    @inline(__always)
    private func accepts(_ field: UnsafePointer<ProtobufCFieldDescriptor>, _ wireType: UInt64) -> Bool {
        if wireType == Self.naturalWireType(field.pointee.type) { return true }
        return field.pointee.label == PROTOBUF_C_LABEL_REPEATED && wireType == Self.lengthDelimited
    }

    private static func naturalWireType(_ type: ProtobufCType) -> UInt64 {
        switch type {
        case PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_DOUBLE: fixed64
        case PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FLOAT: fixed32
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES, PROTOBUF_C_TYPE_MESSAGE: lengthDelimited
        default: varint
        }
    }

    private func checkPacked(
        _ body: UnsafeRawBufferPointer,
        _ field: UnsafePointer<ProtobufCFieldDescriptor>,
        _ descriptor: ProtoMessageDescriptor
    ) throws(ProtoCodecError) {
        var name: String { String(cString: field.pointee.name) }
        switch Self.naturalWireType(field.pointee.type) {
        case Self.fixed64:
            if body.count % 8 != 0 { throw malformed(descriptor, name, "packed 64-bit values are truncated") }
        case Self.fixed32:
            if body.count % 4 != 0 { throw malformed(descriptor, name, "packed 32-bit values are truncated") }
        default:
            var position = 0
            while position < body.count {
                guard readVarint(body, &position) != nil else {
                    throw malformed(descriptor, name, "packed varints are truncated")
                }
            }
        }
    }

    private func malformed(_ descriptor: ProtoMessageDescriptor, _ field: String?, _ detail: String) -> ProtoCodecError {
        ProtoCodecError(.malformedWire, messageName: descriptor.fullName, fieldName: field, detail: detail)
    }

    private static func typeName(_ type: ProtobufCType) -> String {
        switch type {
        case PROTOBUF_C_TYPE_MESSAGE: "message"
        case PROTOBUF_C_TYPE_STRING: "string"
        case PROTOBUF_C_TYPE_BYTES: "bytes"
        case PROTOBUF_C_TYPE_BOOL: "bool"
        case PROTOBUF_C_TYPE_ENUM: "enum"
        case PROTOBUF_C_TYPE_FLOAT: "float"
        case PROTOBUF_C_TYPE_DOUBLE: "double"
        default: "integer"
        }
    }

    @inline(__always)
    private func readVarint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count && shift < 70 {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }
}
