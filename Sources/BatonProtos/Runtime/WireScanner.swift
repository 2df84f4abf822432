internal import CBatonProtobufC

/// Walks protobuf wire bytes against a descriptor without allocating.
///
/// Two jobs protobuf-c 1.4.1 does not do: bound the nesting depth of recursive messages before
/// protobuf-c recurses into them, and say which field is at fault when protobuf-c rejects input.
struct WireScanner {
    let maxDepth: Int

    func check(_ bytes: UnsafeRawBufferPointer, _ descriptor: ProtoMessageDescriptor) throws(ProtoCodecError) {
        try scan(bytes, descriptor, depth: 1)
    }

    private enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

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
        func fail(_ detail: String, field: String? = nil) -> ProtoCodecError {
            ProtoCodecError(.malformedWire, messageName: descriptor.fullName, fieldName: field, detail: detail)
        }
        while position < bytes.count {
            let tagStart = position
            guard let tag = readVarint(bytes, &position) else {
                throw fail("truncated or overlong tag at byte \(tagStart)")
            }
            let number = tag >> 3
            guard let wireType = WireType(rawValue: tag & 7) else {
                throw fail("invalid wire type \(tag & 7) at byte \(tagStart)")
            }
            guard number > 0, number <= 536_870_911 else {
                throw fail("invalid field number \(number) at byte \(tagStart)")
            }
            let index = descriptor.fieldIndex(number: UInt32(number))
            let field = index.map { ProtoFieldDescriptor(message: descriptor, index: $0) }
            let name = field?.name ?? "#\(number)"
            if let field, !accepts(field, wireType) {
                throw fail("wire type \(wireType.rawValue) does not fit a \(field.kind) field", field: name)
            }
            switch wireType {
            case .varint:
                guard readVarint(bytes, &position) != nil else { throw fail("truncated varint", field: name) }
            case .fixed64:
                guard bytes.count - position >= 8 else { throw fail("truncated 64-bit value", field: name) }
                position += 8
            case .fixed32:
                guard bytes.count - position >= 4 else { throw fail("truncated 32-bit value", field: name) }
                position += 4
            case .lengthDelimited:
                guard let length = readVarint(bytes, &position) else { throw fail("truncated length", field: name) }
                guard length <= UInt64(bytes.count - position) else {
                    throw fail("length \(length) runs past the end of the input", field: name)
                }
                let body = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(length))])
                position += Int(length)
                if let field, let nested = field.messageType {
                    try scan(body, nested, depth: depth + 1)
                } else if let field, field.isRepeated, field.kind != .string, field.kind != .bytes {
                    try checkPacked(body, field, fail: fail)
                }
            case .startGroup, .endGroup:
                throw fail("groups are not supported", field: name)
            }
        }
    }

    private func accepts(_ field: ProtoFieldDescriptor, _ wireType: WireType) -> Bool {
        let natural: WireType =
            switch field.kind {
            case .int32, .sint32, .int64, .sint64, .uint32, .uint64, .bool, .enumeration: .varint
            case .fixed64, .sfixed64, .double: .fixed64
            case .fixed32, .sfixed32, .float: .fixed32
            case .string, .bytes, .message: .lengthDelimited
            }
        return wireType == natural || (field.isRepeated && wireType == .lengthDelimited)
    }

    private func checkPacked(
        _ body: UnsafeRawBufferPointer,
        _ field: ProtoFieldDescriptor,
        fail: (String, String?) -> ProtoCodecError
    ) throws(ProtoCodecError) {
        switch field.kind {
        case .fixed64, .sfixed64, .double:
            if body.count % 8 != 0 { throw fail("packed 64-bit values are truncated", field.name) }
        case .fixed32, .sfixed32, .float:
            if body.count % 4 != 0 { throw fail("packed 32-bit values are truncated", field.name) }
        default:
            var position = 0
            while position < body.count {
                guard readVarint(body, &position) != nil else { throw fail("packed varints are truncated", field.name) }
            }
        }
    }

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
