import BatonProtos

/// Example JSON for a message, like grpcurl's `-msg-template`: every field a caller sets present
/// with a placeholder of the right JSON kind, ready to edit and pass to `rpc-cli call -d`.
///
/// Left out: output-only fields (the server ignores them), and wrappers (a message of one
/// scalar, such as ExpectedVersion), whose mere presence is a request (`{"value":"0"}` guards on
/// version 0): filling in the obvious fields of a template and sending it must work.
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
        var writer = JSONWriter(prettyPrinted: true)
        write(message, in: schema, filling: [], to: &writer)
        return writer.text
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
    private static func write(
        _ message: SchemaMessage,
        in schema: DescriptorSet,
        filling: Set<String>,
        to writer: inout JSONWriter
    ) {
        // proto3 JSON writes a Timestamp as an RFC 3339 string, not as its fields.
        if message.fullName == "google.protobuf.Timestamp" { return writer.string("1970-01-01T00:00:00Z") }
        writer.beginObject()
        defer { writer.endObject() }
        guard !filling.contains(message.fullName) else { return }
        let filling = filling.union([message.fullName])
        var filledOneofs = Set<Int>()
        for field in message.fields where !field.isOutputOnly && !schema.isWrapper(field) {
            if let oneof = field.realOneofIndex, !filledOneofs.insert(oneof).inserted { continue }
            writer.key(field.jsonName)
            write(field, in: schema, filling: filling, to: &writer)
        }
    }

    private static func write(
        _ field: SchemaField,
        in schema: DescriptorSet,
        filling: Set<String>,
        to writer: inout JSONWriter
    ) {
        if let entry = schema.mapEntry(of: field) {
            writer.beginObject()
            writer.key(mapKey(entry.key))
            writeElement(of: entry.value, in: schema, filling: filling, to: &writer)
            writer.endObject()
        } else if field.isRepeated {
            writer.beginArray()
            writeElement(of: field, in: schema, filling: filling, to: &writer)
            writer.endArray()
        } else {
            writeElement(of: field, in: schema, filling: filling, to: &writer)
        }
    }

    /// The placeholder for one value of the field's type, ignoring `repeated`.
    private static func writeElement(
        of field: SchemaField,
        in schema: DescriptorSet,
        filling: Set<String>,
        to writer: inout JSONWriter
    ) {
        switch field.type {
        case .double, .float, .int32, .uint32, .sint32, .fixed32, .sfixed32:
            writer.raw("0")
        case .int64, .uint64, .sint64, .fixed64, .sfixed64:
            writer.string("0")  // proto3 JSON writes 64-bit integers as strings
        case .bool:
            writer.raw("false")
        case .string, .bytes:
            writer.string("")
        case .enumeration:
            if let enumeration = schema.enums[field.typeName] {
                writer.string(enumPlaceholder(enumeration))
            } else {
                writer.raw("0")
            }
        case .message, .group:
            if let message = schema.messages[field.typeName] {
                write(message, in: schema, filling: filling, to: &writer)
            } else {
                writer.beginObject()
                writer.endObject()
            }
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

extension DescriptorSet {
    /// True for a singular message field whose type holds one scalar and nothing else.
    func isWrapper(_ field: SchemaField) -> Bool {
        guard field.type == .message, !field.isRepeated, let message = messages[field.typeName], message.fields.count == 1,
            let only = message.fields.first
        else { return false }
        return !only.isRepeated && only.type != .message && only.type != .group
    }
}
