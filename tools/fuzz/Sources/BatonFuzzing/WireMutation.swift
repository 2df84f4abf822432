/// Mutations that understand the protobuf wire format: they set a field, at any depth, to a value
/// at the edge of an integer width or a step away from its value, add such a field, or move every
/// Timestamp by the same amount. libFuzzer's byte-level mutations rarely
/// write a well-formed ten-byte varint in the right place, and out-of-range integers, sequence
/// numbers and Timestamps are what a hostile client sends first.
public enum WireMutation {
    /// Values at the edges of int32, uint32, int64, uint64 (as varints, so negative numbers wrap),
    /// and of the Timestamp range.
    static let edgeValues: [UInt64] = [
        0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 1 << 53, 0x7fff_ffff_ffff_ffff,
        0x8000_0000_0000_0000, .max, UInt64(bitPattern: -(1 << 31)), 253_402_300_799, 253_402_300_800,
        UInt64(bitPattern: -62_135_596_800), UInt64(bitPattern: -62_135_596_801), 100_000_000_000_000,
        999_999_999, 1_000_000_000,
    ]

    /// `message` with one to three fields changed or added, or nil when it is not a well-formed
    /// message.
    public static func mutate(_ message: [UInt8], using random: inout some RandomNumberGenerator) -> [UInt8]? {
        guard var fields = WireField.parse(message[...]) else { return nil }
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            if Int.random(in: 0..<4, using: &random) == 0 {
                shiftNestedFirstFields(&fields, by: edgeValues.randomElement(using: &random)!)
            } else {
                mutate(&fields, depth: 0, using: &random)
            }
        }
        return WireField.serialize(fields)
    }

    /// Adds `offset` to field 1 of every nested message: moves every Timestamp of a request by
    /// the same amount, so that a range stays a range (end after start, within limits) while
    /// both ends reach values no valid request has.
    private static func shiftNestedFirstFields(_ fields: inout [WireField], by offset: UInt64) {
        for index in fields.indices {
            guard case .bytes(let bytes) = fields[index].value, var nested = WireField.parse(bytes[...]),
                let first = nested.firstIndex(where: { $0.number == 1 }), case .varint(let value) = nested[first].value
            else { continue }
            nested[first].value = .varint(value &+ offset)
            fields[index].value = .bytes(WireField.serialize(nested))
        }
    }

    private static func mutate(_ fields: inout [WireField], depth: Int, using random: inout some RandomNumberGenerator) {
        if fields.isEmpty || Int.random(in: 0..<8, using: &random) == 0 {
            let number = UInt64.random(in: 1...16, using: &random)
            let edge = edgeValues.randomElement(using: &random)!
            // A nested message with an edge value in field 1 is how a Timestamp's seconds arrive.
            let value: WireField.Value =
                Bool.random(using: &random) ? .varint(edge) : .bytes(WireField.serialize([WireField(number: 1, value: .varint(edge))]))
            fields.insert(WireField(number: number, value: value), at: Int.random(in: 0...fields.count, using: &random))
            return
        }
        let index = Int.random(in: 0..<fields.count, using: &random)
        switch fields[index].value {
        case .varint(let value):
            // An edge value, or a small step from the current one (a count one past a limit).
            fields[index].value =
                Bool.random(using: &random)
                ? .varint(edgeValues.randomElement(using: &random)!)
                : .varint(value &+ UInt64(bitPattern: Int64.random(in: -(1 << 17)...(1 << 17), using: &random)))
        case .fixed64:
            fields[index].value = .fixed64(edgeValues.randomElement(using: &random)!)
        case .fixed32:
            fields[index].value = .fixed32(UInt32(truncatingIfNeeded: edgeValues.randomElement(using: &random)!))
        case .bytes(let bytes):
            guard depth < 8, var nested = WireField.parse(bytes[...]), !nested.isEmpty else { return }
            mutate(&nested, depth: depth + 1, using: &random)
            fields[index].value = .bytes(WireField.serialize(nested))
        }
    }
}

/// One field of a message on the wire (groups, which Baton's schema does not use, are not parsed).
struct WireField {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
    }

    var number: UInt64
    var value: Value

    static func parse(_ bytes: ArraySlice<UInt8>) -> [WireField]? {
        var fields: [WireField] = []
        var rest = bytes
        while !rest.isEmpty {
            guard let key = readVarint(&rest), key >> 3 > 0 else { return nil }
            switch key & 7 {
            case 0:
                guard let value = readVarint(&rest) else { return nil }
                fields.append(WireField(number: key >> 3, value: .varint(value)))
            case 1:
                guard rest.count >= 8 else { return nil }
                let value = rest.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                rest = rest.dropFirst(8)
                fields.append(WireField(number: key >> 3, value: .fixed64(value)))
            case 2:
                guard let length = readVarint(&rest), length <= rest.count else { return nil }
                fields.append(WireField(number: key >> 3, value: .bytes(Array(rest.prefix(Int(length))))))
                rest = rest.dropFirst(Int(length))
            case 5:
                guard rest.count >= 4 else { return nil }
                let value = rest.prefix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                rest = rest.dropFirst(4)
                fields.append(WireField(number: key >> 3, value: .fixed32(value)))
            default:
                return nil
            }
        }
        return fields
    }

    static func serialize(_ fields: [WireField]) -> [UInt8] {
        var out: [UInt8] = []
        for field in fields {
            switch field.value {
            case .varint(let value):
                writeVarint(field.number << 3, to: &out)
                writeVarint(value, to: &out)
            case .fixed64(let value):
                writeVarint(field.number << 3 | 1, to: &out)
                out += (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
            case .bytes(let bytes):
                writeVarint(field.number << 3 | 2, to: &out)
                writeVarint(UInt64(bytes.count), to: &out)
                out += bytes
            case .fixed32(let value):
                writeVarint(field.number << 3 | 5, to: &out)
                out += (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
            }
        }
        return out
    }

    private static func readVarint(_ bytes: inout ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard let byte = bytes.popFirst() else { return nil }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }

    private static func writeVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }
}
