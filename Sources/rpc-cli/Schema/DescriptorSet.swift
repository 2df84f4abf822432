/// A FileDescriptorSet reduced to what `rpc-cli describe` shows and templates need: services,
/// messages and enums by full name, each with its comment from the .proto file.
///
/// Full names here never start with a dot (`baton.v1.Chat`), although descriptors spell type
/// references with one (`.baton.v1.Chat`).
struct DescriptorSet {
    /// Every service, in file and declaration order.
    var services: [SchemaService] = []
    /// Every message, nested ones and map entries included.
    var messages: [String: SchemaMessage] = [:]
    /// Every enum, nested ones included.
    var enums: [String: SchemaEnum] = [:]

    /// What a symbol given on the command line names.
    enum Symbol {
        case service(SchemaService)
        case method(SchemaMethod)
        case message(SchemaMessage)
        case enumeration(SchemaEnum)
    }

    /// Finds a service, method, message or enum. Methods may be written `Service/Method` or
    /// `Service.Method`, with or without a leading slash, as paths and full names are.
    func symbol(named name: String) -> Symbol? {
        let fullName = Self.fullName(of: name)
        if let message = messages[fullName], !message.isMapEntry { return .message(message) }
        if let enumeration = enums[fullName] { return .enumeration(enumeration) }
        if let service = services.first(where: { $0.fullName == fullName }) { return .service(service) }
        if let method = services.lazy.flatMap(\.methods).first(where: { $0.fullName == fullName }) {
            return .method(method)
        }
        return nil
    }

    /// A symbol written as on the command line (`/baton.v1.Chats/GetChat`, `.baton.v1.Chat`) as
    /// a dotted full name, the form reflection and descriptors use.
    static func fullName(of name: String) -> String {
        var trimmed = Substring(name)
        while let first = trimmed.first, first == "/" || first == "." { trimmed = trimmed.dropFirst() }
        return String(trimmed.map { $0 == "/" ? "." : $0 })
    }
}

/// A service and its methods.
struct SchemaService {
    var fullName: String
    var comment: String
    var methods: [SchemaMethod]

    var name: String { DescriptorSet.simpleName(fullName) }
}

/// One method: which messages it takes and returns, and which of them stream.
struct SchemaMethod {
    /// `baton.v1.Chats.TransferChat`.
    var fullName: String
    var comment: String
    var inputType: String
    var outputType: String
    var clientStreaming: Bool
    var serverStreaming: Bool

    var name: String { DescriptorSet.simpleName(fullName) }
}

/// A message and its fields in declaration order.
struct SchemaMessage {
    var fullName: String
    var comment: String
    var fields: [SchemaField]
    /// The oneofs, indexed by `SchemaField.oneofIndex`; proto3 `optional` fields make synthetic
    /// ones too.
    var oneofs: [SchemaOneof]
    /// True for the entry type protoc makes for a `map<K, V>` field.
    var isMapEntry: Bool

    var name: String { DescriptorSet.simpleName(fullName) }
}

/// A oneof of a message; its members are the fields whose `oneofIndex` points to it.
struct SchemaOneof {
    var name: String
    var comment: String
}

/// One field of a message.
struct SchemaField {
    var name: String
    /// The proto3 JSON name, e.g. `ownerRepId`.
    var jsonName: String
    var number: Int32
    var type: SchemaFieldType
    /// The full name of a message or enum type; empty for scalars.
    var typeName: String
    var isRepeated: Bool
    /// True for proto3 `optional`: the field is alone in a synthetic oneof.
    var isProto3Optional: Bool
    var oneofIndex: Int?
    var comment: String

    /// The oneof the field belongs to, not counting the synthetic oneof of an `optional` field.
    var realOneofIndex: Int? { isProto3Optional ? nil : oneofIndex }

    /// True for a field the server sets and ignores in requests: Protos/ starts its comment with
    /// `Output only:`.
    var isOutputOnly: Bool { comment.hasPrefix("Output only:") }
}

/// FieldDescriptorProto.Type, by its numbers in descriptor.proto. The scalar cases are named
/// by their .proto keywords.
enum SchemaFieldType: Int32 {
    case double = 1
    case float = 2
    case int64 = 3
    case uint64 = 4
    case int32 = 5
    case fixed64 = 6
    case fixed32 = 7
    case bool = 8
    case string = 9
    case group = 10
    case message = 11
    case bytes = 12
    case uint32 = 13
    case enumeration = 14
    case sfixed32 = 15
    case sfixed64 = 16
    case sint32 = 17
    case sint64 = 18

    /// How a .proto file writes a scalar type; message and enum fields name their type instead.
    var scalarKeyword: String { "\(self)" }
}

/// An enum and its values in declaration order.
struct SchemaEnum {
    var fullName: String
    var comment: String
    var values: [SchemaEnumValue]

    var name: String { DescriptorSet.simpleName(fullName) }
}

/// One value of an enum.
struct SchemaEnumValue {
    var name: String
    var number: Int32
    var comment: String
}

extension DescriptorSet {
    /// The last component of a full name: `Chat` for `baton.v1.Chat`.
    static func simpleName(_ fullName: String) -> String {
        fullName.split(separator: ".").last.map(String.init) ?? fullName
    }
}
