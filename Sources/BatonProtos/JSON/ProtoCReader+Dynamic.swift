internal import CBatonProtobufC

/// Reads fields by what the descriptor says at run time rather than by generated types, for the
/// JSON mapping.
extension ProtoCReader {
    /// The struct of the message field at `index`, nil when absent.
    func nestedReader(_ index: Int) -> ProtoCReader? {
        load(index, as: UnsafeRawPointer?.self).map { nested($0, index) }
    }

    /// The structs of the repeated message field at `index`.
    func nestedReaders(_ index: Int) -> [ProtoCReader] {
        (repeatedScalar(index) as [UnsafeRawPointer?]).compactMap { $0.map { nested($0, index) } }
    }

    /// Element `element` of the repeated string field at `index`, validated as UTF-8.
    func string(_ index: Int, element: Int) throws(ProtoCodecError) -> String {
        guard
            let pointer = array(index)?.load(
                fromByteOffset: element * MemoryLayout<UnsafeRawPointer>.stride,
                as: UnsafePointer<CChar>?.self
            )
        else {
            return ""
        }
        return try decodeString(pointer, index)
    }

    /// True when the singular field at `index` differs from its zero default, which is when
    /// proto3 JSON writes a field without presence. Bits are compared, so -0.0 counts as set, as
    /// in protobuf's own implementations.
    func holdsNonDefault(_ index: Int) -> Bool {
        switch field(index).type {
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_UINT64,
            PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_DOUBLE:
            load(index, as: UInt64.self) != 0
        case PROTOBUF_C_TYPE_STRING:
            load(index, as: UnsafePointer<CChar>?.self).map { string in
                // An empty-looking string whose recorded size says otherwise hides a U+0000:
                // count it as set, so reading it reports the problem instead of dropping it.
                string.pointee != 0
                    || (UnsafeRawPointer(string) != field(index).default_value
                        && ArenaAllocator.recordedSize(of: UnsafeRawPointer(string)) > 1)
            } ?? false
        case PROTOBUF_C_TYPE_BYTES:
            load(index, as: ProtobufCBinaryData.self).len != 0
        case PROTOBUF_C_TYPE_MESSAGE:
            load(index, as: UnsafeRawPointer?.self) != nil
        default:  // the 32-bit kinds: ints, float, bool (an int in C) and enums
            load(index, as: UInt32.self) != 0
        }
    }
}
