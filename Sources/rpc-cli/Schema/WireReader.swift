/// Reads protobuf's wire format one field at a time, for the few descriptor.proto messages
/// `DescriptorSet` decodes.
///
/// The bytes come from a server, so every length and varint is checked against what is left
/// and a bad one is a `MalformedDescriptorSet` error, never a trap.
struct WireReader {
    /// One field as it appears on the wire; what it means depends on the message it is in.
    struct Field {
        enum Value {
            case varint(UInt64)
            case lengthDelimited(ArraySlice<UInt8>)
            case fixed
        }

        let number: Int
        let value: Value

        /// The value of an `int32`, `enum` or `bool` field, or nil when the wire type is not a varint.
        var varint: UInt64? {
            if case .varint(let value) = value { value } else { nil }
        }

        /// The payload of a `string`, `bytes` or message field.
        func payload() throws(MalformedDescriptorSet) -> ArraySlice<UInt8> {
            guard case .lengthDelimited(let bytes) = value else {
                throw MalformedDescriptorSet("field \(number) should be length-delimited")
            }
            return bytes
        }

        /// The value of a `string` field; not UTF-8 is an error.
        func string() throws(MalformedDescriptorSet) -> String {
            let bytes = try payload()
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw MalformedDescriptorSet("field \(number) is not UTF-8 text")
            }
            return text
        }

        /// The value of an `int32` field: negative numbers come as ten-byte varints.
        func int32() throws(MalformedDescriptorSet) -> Int32 {
            guard let varint else { throw MalformedDescriptorSet("field \(number) should be a varint") }
            return Int32(truncatingIfNeeded: varint)
        }

        /// The values of a `repeated int32` field, packed or not.
        func int32s() throws(MalformedDescriptorSet) -> [Int32] {
            if varint != nil { return [try int32()] }
            var reader = WireReader(try payload())
            var values: [Int32] = []
            while !reader.isAtEnd { values.append(Int32(truncatingIfNeeded: try reader.readVarint())) }
            return values
        }
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    var isAtEnd: Bool { position >= bytes.endIndex }

    /// The next field, or nil at the end of the message.
    mutating func nextField() throws(MalformedDescriptorSet) -> Field? {
        guard !isAtEnd else { return nil }
        let key = try readVarint()
        let number = Int(truncatingIfNeeded: key >> 3)
        guard number > 0, number <= 536_870_911 else { throw MalformedDescriptorSet("field number \(number)") }
        switch key & 7 {
        case 0:
            return Field(number: number, value: .varint(try readVarint()))
        case 1:
            try skip(8, field: number)
            return Field(number: number, value: .fixed)
        case 2:
            let length = try readVarint()
            guard length <= UInt64(bytes.endIndex - position) else {
                throw MalformedDescriptorSet("field \(number) is longer (\(length) bytes) than what is left")
            }
            let start = position
            position += Int(length)
            return Field(number: number, value: .lengthDelimited(bytes[start..<position]))
        case 5:
            try skip(4, field: number)
            return Field(number: number, value: .fixed)
        default:
            // Groups (3, 4) are not used by descriptor.proto; 6 and 7 are not wire types at all.
            throw MalformedDescriptorSet("field \(number) has wire type \(key & 7)")
        }
    }

    private mutating func skip(_ count: Int, field number: Int) throws(MalformedDescriptorSet) {
        guard bytes.endIndex - position >= count else {
            throw MalformedDescriptorSet("field \(number) is cut off")
        }
        position += count
    }

    private mutating func readVarint() throws(MalformedDescriptorSet) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard !isAtEnd else { throw MalformedDescriptorSet("a varint is cut off") }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7f) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw MalformedDescriptorSet("a varint is longer than ten bytes")
    }
}

/// Bytes that are not a FileDescriptorSet `rpc-cli` can read.
struct MalformedDescriptorSet: Error, CustomStringConvertible {
    let reason: String

    init(_ reason: String) { self.reason = reason }

    var description: String { "malformed FileDescriptorSet: \(reason)" }
}
