/// The parts of a protoc FileDescriptorSet the generator needs, as plain Swift values.
struct SchemaFile {
    var name: String
    var package: String
    var dependencies: [String]
    var messages: [SchemaMessage]
    var enums: [SchemaEnum]
    var services: [SchemaService]
}

final class SchemaMessage {
    let fullName: String
    let name: String
    let comment: String
    /// Fields sorted by number: the order of protobuf-c's `fields` array, which generated code
    /// indexes into.
    var fields: [SchemaField] = []
    var oneofs: [SchemaOneof] = []
    var nestedMessages: [SchemaMessage] = []
    var nestedEnums: [SchemaEnum] = []
    /// The Swift type name, e.g. `Baton_V1_Chat` or `Baton_V1_Chat.Nested`.
    var swiftName: String = ""

    init(fullName: String, name: String, comment: String) {
        self.fullName = fullName
        self.name = name
        self.comment = comment
    }
}

enum FieldType: String {
    case double, float, int64, uint64, int32, fixed64, fixed32, bool, string, group, message, bytes,
        uint32, enumeration, sfixed32, sfixed64, sint32, sint64
}

struct SchemaField {
    var name: String
    var number: Int32
    var isRepeated: Bool
    var type: FieldType
    /// Full name without the leading dot, for message and enum fields.
    var typeName: String
    var oneofIndex: Int?
    var comment: String
    /// Index in protobuf-c's number-sorted `fields` array.
    var descriptorIndex: Int = 0
    /// Set for singular message fields that can contain their own message type, so Swift stores
    /// them boxed (a struct cannot contain itself).
    var isIndirect: Bool = false
}

struct SchemaOneof {
    var name: String
    var comment: String
    var fieldIndexes: [Int]  // positions in SchemaMessage.fields
}

struct SchemaEnum {
    var fullName: String
    var name: String
    var comment: String
    var values: [(name: String, number: Int32, comment: String)]
    var swiftName: String = ""
}

struct SchemaService {
    var fullName: String
    var name: String
    var comment: String
    var methods: [SchemaMethod]
}

struct SchemaMethod {
    var name: String
    var inputType: String
    var outputType: String
    var clientStreaming: Bool
    var serverStreaming: Bool
    var comment: String
}
