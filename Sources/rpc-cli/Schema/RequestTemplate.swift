/// Example JSON for a message, like grpcurl's `-msg-template`: every field present with a
/// placeholder of the right JSON kind, ready to edit and pass to `rpc-cli call -d`.
///
/// Placeholders are proto3 JSON's zero values (an enum's is its `..._UNSPECIFIED` name, which
/// means "not set": a template sent as it is picks no mode and filters nothing), except that a
/// repeated field shows one element and a map one entry. Of a oneof
/// only the first member is filled, since setting two is an error. A message already being
/// filled further up (a recursive type) is cut off as `{}`.
enum RequestTemplate {
    /// The template of the message `fullName` (`baton.v1.TransferRequest`) of `schema`.
    static func json(forMessage fullName: String, in schema: DescriptorSet) throws -> String {
        guard let message = schema.messages[DescriptorSet.fullName(of: fullName)], !message.isMapEntry else {
            throw CLIFailure.unknownName("unknown message \(fullName); `rpc-cli describe` shows the schema")
        }
        return value(ofMessage: message, in: schema, filling: []).rendered()
    }

    /// The template of a method's request, from the schema built into rpc-cli. `path` is
    /// `/baton.v1.Chats/TransferChat`, `baton.v1.Chats/TransferChat` or `baton.v1.Chats.TransferChat`.
    static func json(forMethod path: String) throws -> String {
        let schema = try SchemaSource.builtIn()
        guard case .method(let method) = schema.symbol(named: path) else {
            throw CLIFailure.unknownName("unknown method \(path); `rpc-cli list` shows what batond serves")
        }
        return try json(forMessage: method.inputType, in: schema)
    }

    /// `filling`: the messages whose templates enclose this one, to stop at recursion.
    private static func value(
        ofMessage message: SchemaMessage,
        in schema: DescriptorSet,
        filling: Set<String>
    ) -> TemplateJSON {
        // proto3 JSON writes a Timestamp as an RFC 3339 string, not as its fields.
        if message.fullName == "google.protobuf.Timestamp" { return .string("1970-01-01T00:00:00Z") }
        guard !filling.contains(message.fullName) else { return .object([]) }
        let filling = filling.union([message.fullName])
        var filledOneofs = Set<Int>()
        var members: [(key: String, value: TemplateJSON)] = []
        for field in message.fields {
            if let oneof = field.realOneofIndex, !filledOneofs.insert(oneof).inserted { continue }
            members.append((field.jsonName, value(ofField: field, in: schema, filling: filling)))
        }
        return .object(members)
    }

    private static func value(
        ofField field: SchemaField,
        in schema: DescriptorSet,
        filling: Set<String>
    ) -> TemplateJSON {
        if let entry = schema.mapEntry(of: field) {
            return .object([(mapKey(entry.key), element(of: entry.value, in: schema, filling: filling))])
        }
        let element = element(of: field, in: schema, filling: filling)
        return field.isRepeated ? .array([element]) : element
    }

    /// The placeholder for one value of the field's type, ignoring `repeated`.
    private static func element(of field: SchemaField, in schema: DescriptorSet, filling: Set<String>) -> TemplateJSON {
        switch field.type {
        case .double, .float, .int32, .uint32, .sint32, .fixed32, .sfixed32:
            return .literal("0")
        case .int64, .uint64, .sint64, .fixed64, .sfixed64:
            return .string("0")  // proto3 JSON writes 64-bit integers as strings
        case .bool:
            return .literal("false")
        case .string, .bytes:
            return .string("")
        case .enumeration:
            return schema.enums[field.typeName].map { .string(enumPlaceholder($0)) } ?? .literal("0")
        case .message, .group:
            return schema.messages[field.typeName].map { value(ofMessage: $0, in: schema, filling: filling) }
                ?? .object([])
        }
    }

    /// The zero value's name: proto3's "not set".
    private static func enumPlaceholder(_ enumeration: SchemaEnum) -> String {
        (enumeration.values.first { $0.number == 0 } ?? enumeration.values.first)?.name ?? "0"
    }

    /// Map keys are JSON strings whatever the key type.
    private static func mapKey(_ key: SchemaField) -> String {
        switch key.type {
        case .bool: "false"
        case .string: ""
        default: "0"
        }
    }
}
