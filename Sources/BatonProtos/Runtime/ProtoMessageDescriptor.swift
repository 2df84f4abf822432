internal import CBatonProtobufC
internal import CBatonProtos

/// protobuf-c's runtime descriptor of one message type: its fields' names, numbers, types and
/// where each lives in the C struct.
///
/// The C pointer stays inside this module; above it, descriptors are plain values.
public struct ProtoMessageDescriptor: @unchecked Sendable, Hashable {
    // Immutable static data emitted by protoc-c, hence `@unchecked Sendable`.
    let raw: UnsafeRawPointer

    init(_ pointer: UnsafePointer<ProtobufCMessageDescriptor>) {
        self.raw = UnsafeRawPointer(pointer)
    }

    var pointer: UnsafePointer<ProtobufCMessageDescriptor> {
        raw.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
    }

    /// Looks up a message of Baton's schema by full name; generated code only asks for names
    /// that exist.
    public init(named fullName: String) {
        guard let descriptor = DescriptorRegistry.shared.messages[fullName] else {
            preconditionFailure("\(fullName) is not in the generated descriptor index")
        }
        self = descriptor
    }

    /// Looks up a message of Baton's schema by full name, or nil.
    public static func lookup(_ fullName: String) -> ProtoMessageDescriptor? {
        DescriptorRegistry.shared.messages[fullName]
    }

    /// The full name, e.g. `baton.v1.Chat`.
    public var fullName: String { String(cString: pointer.pointee.name) }

    /// The fields in field-number order.
    public var fields: [ProtoFieldDescriptor] {
        (0..<Int(pointer.pointee.n_fields)).map { ProtoFieldDescriptor(message: self, index: $0) }
    }

    var fieldCount: Int { Int(pointer.pointee.n_fields) }

    /// True when protobuf-c's own checks fall short for this type, so its bytes are walked
    /// before unpacking (`WireScanner`): it can nest without a bound the schema sets (a cycle),
    /// or it holds a bool (protobuf-c takes a bool in any wire type).
    var needsWireWalk: Bool { DescriptorRegistry.shared.walked.contains(self) }

    func field(at index: Int) -> ProtobufCFieldDescriptor { pointer.pointee.fields[index] }

    /// The index of the field with this number, or nil.
    func fieldIndex(number: UInt32) -> Int? {
        guard let field = protobuf_c_message_descriptor_get_field(pointer, number) else { return nil }
        return pointer.pointee.fields.distance(to: field)
    }
}

/// One field of a message, as the JSON mapping, reflection and the CLI see it.
public struct ProtoFieldDescriptor: Sendable, Hashable {
    /// The kinds of field protobuf-c knows.
    public enum Kind: Sendable, Hashable {
        case int32, sint32, sfixed32, int64, sint64, sfixed64, uint32, fixed32, uint64, fixed64, float, double,
            bool, string, bytes, enumeration, message
    }

    let message: ProtoMessageDescriptor
    let index: Int

    private var c: ProtobufCFieldDescriptor { message.field(at: index) }

    /// The proto name, e.g. `owner_rep_id`.
    public var name: String { String(cString: c.name) }
    /// The proto3 JSON name, e.g. `ownerRepId`.
    public var jsonName: String { ProtoFieldDescriptor.jsonName(for: name) }
    /// The field number.
    public var number: Int { Int(c.id) }
    /// True for `repeated` fields.
    public var isRepeated: Bool { c.label == PROTOBUF_C_LABEL_REPEATED }
    /// True for members of a oneof.
    public var isOneofMember: Bool { c.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0 }
    /// The field's type.
    public var kind: Kind {
        switch c.type {
        case PROTOBUF_C_TYPE_INT32: .int32
        case PROTOBUF_C_TYPE_SINT32: .sint32
        case PROTOBUF_C_TYPE_SFIXED32: .sfixed32
        case PROTOBUF_C_TYPE_INT64: .int64
        case PROTOBUF_C_TYPE_SINT64: .sint64
        case PROTOBUF_C_TYPE_SFIXED64: .sfixed64
        case PROTOBUF_C_TYPE_UINT32: .uint32
        case PROTOBUF_C_TYPE_FIXED32: .fixed32
        case PROTOBUF_C_TYPE_UINT64: .uint64
        case PROTOBUF_C_TYPE_FIXED64: .fixed64
        case PROTOBUF_C_TYPE_FLOAT: .float
        case PROTOBUF_C_TYPE_DOUBLE: .double
        case PROTOBUF_C_TYPE_BOOL: .bool
        case PROTOBUF_C_TYPE_STRING: .string
        case PROTOBUF_C_TYPE_BYTES: .bytes
        case PROTOBUF_C_TYPE_ENUM: .enumeration
        default: .message
        }
    }
    /// The message type of a message field.
    public var messageType: ProtoMessageDescriptor? {
        guard kind == .message, let d = c.descriptor else { return nil }
        return ProtoMessageDescriptor(d.assumingMemoryBound(to: ProtobufCMessageDescriptor.self))
    }
    /// The enum type of an enum field.
    public var enumType: ProtoEnumDescriptor? {
        guard kind == .enumeration, let d = c.descriptor else { return nil }
        return ProtoEnumDescriptor(d.assumingMemoryBound(to: ProtobufCEnumDescriptor.self))
    }

    /// The proto3 JSON name of a field: underscores dropped, the letter after each upper-cased.
    public static func jsonName(for name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_" {
                upperNext = true
            } else {
                result += upperNext ? character.uppercased() : String(character)
                upperNext = false
            }
        }
        return result
    }
}

/// protobuf-c's runtime descriptor of an enum: its values' names and numbers.
public struct ProtoEnumDescriptor: @unchecked Sendable, Hashable {
    let raw: UnsafeRawPointer

    init(_ pointer: UnsafePointer<ProtobufCEnumDescriptor>) {
        self.raw = UnsafeRawPointer(pointer)
    }

    private var pointer: UnsafePointer<ProtobufCEnumDescriptor> {
        raw.assumingMemoryBound(to: ProtobufCEnumDescriptor.self)
    }

    /// Looks up an enum of Baton's schema by full name, or nil.
    public static func lookup(_ fullName: String) -> ProtoEnumDescriptor? {
        DescriptorRegistry.shared.enums[fullName]
    }

    /// The full name, e.g. `baton.v1.ChatState`.
    public var fullName: String { String(cString: pointer.pointee.name) }

    /// The values in declaration order as (proto name, number).
    public var values: [(name: String, number: Int32)] {
        (0..<Int(pointer.pointee.n_values)).map {
            let value = pointer.pointee.values[$0]
            return (String(cString: value.name), value.value)
        }
    }

    /// The proto name of a number, or nil for a number this schema does not know.
    public func name(of number: Int32) -> String? {
        protobuf_c_enum_descriptor_get_value(pointer, number).map { String(cString: $0.pointee.name) }
    }

    /// The number of a proto value name, or nil.
    public func number(of name: String) -> Int32? {
        protobuf_c_enum_descriptor_get_value_by_name(pointer, name).map { $0.pointee.value }
    }
}

/// Every descriptor of the generated index, by full name, read once from C.
struct DescriptorRegistry: @unchecked Sendable {
    // Built once from immutable static data and never mutated, hence `@unchecked Sendable`.
    static let shared = DescriptorRegistry()

    let messages: [String: ProtoMessageDescriptor]
    let enums: [String: ProtoEnumDescriptor]
    let walked: Set<ProtoMessageDescriptor>

    private init() {
        var count = 0
        let messageTable = cbaton_message_descriptors(&count)!
        var messages: [String: ProtoMessageDescriptor] = [:]
        for i in 0..<count {
            let descriptor = ProtoMessageDescriptor(messageTable[i]!)
            messages[descriptor.fullName] = descriptor
        }
        let enumTable = cbaton_enum_descriptors(&count)!
        var enums: [String: ProtoEnumDescriptor] = [:]
        for i in 0..<count {
            let descriptor = ProtoEnumDescriptor(enumTable[i]!)
            enums[descriptor.fullName] = descriptor
        }
        self.messages = messages
        self.enums = enums
        self.walked = Self.typesNeedingWireWalk(Array(messages.values))
    }

    private static func typesNeedingWireWalk(_ messages: [ProtoMessageDescriptor]) -> Set<ProtoMessageDescriptor> {
        func children(_ message: ProtoMessageDescriptor) -> [ProtoMessageDescriptor] {
            message.fields.compactMap(\.messageType)
        }
        func reachable(from roots: [ProtoMessageDescriptor]) -> Set<ProtoMessageDescriptor> {
            var seen = Set<ProtoMessageDescriptor>()
            var stack = roots
            while let next = stack.popLast() {
                if seen.insert(next).inserted { stack += children(next) }
            }
            return seen
        }
        let risky = Set(messages.filter { message in
            message.fields.contains { $0.kind == .bool } || reachable(from: children(message)).contains(message)
        })
        return Set(messages.filter { !reachable(from: [$0]).isDisjoint(with: risky) })
    }

    /// protoc's FileDescriptorSet for the whole schema, with imports and comments.
    static var fileDescriptorSet: [UInt8] {
        var length = 0
        let bytes = cbaton_file_descriptor_set(&length)!
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }
}
