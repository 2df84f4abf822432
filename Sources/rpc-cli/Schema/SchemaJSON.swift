import BatonProtos

/// `rpc-cli describe --format json`: what `describe` shows, as one JSON object per symbol for
/// scripts: `{"kind":"method","fullName":…,"inputType":…}`. Type names are full names without
/// a leading dot, as `call` and `describe` take them.
enum SchemaJSON {
    /// A service, method, message or enum.
    static func describe(_ symbol: DescriptorSet.Symbol, in schema: DescriptorSet, prettyPrinted: Bool) -> String {
        var writer = JSONWriter(prettyPrinted: prettyPrinted)
        write(symbol, in: schema, to: &writer)
        return writer.text
    }

    /// `{"services":[…]}`: every service, as `describe` without a symbol.
    static func describeServices(in schema: DescriptorSet, prettyPrinted: Bool) -> String {
        var writer = JSONWriter(prettyPrinted: prettyPrinted)
        writer.beginObject()
        writer.key("services")
        writer.beginArray()
        for service in schema.services { write(.service(service), in: schema, to: &writer) }
        writer.endArray()
        writer.endObject()
        return writer.text
    }

    private static func write(_ symbol: DescriptorSet.Symbol, in schema: DescriptorSet, to writer: inout JSONWriter) {
        writer.beginObject()
        defer { writer.endObject() }
        switch symbol {
        case .service(let service):
            header("service", service.fullName, service.comment, to: &writer)
            writer.key("methods")
            writer.beginArray()
            for method in service.methods { write(.method(method), in: schema, to: &writer) }
            writer.endArray()
        case .method(let method):
            header("method", method.fullName, method.comment, to: &writer)
            member("inputType", method.inputType, to: &writer)
            member("outputType", method.outputType, to: &writer)
            writer.key("clientStreaming")
            writer.raw("\(method.clientStreaming)")
            writer.key("serverStreaming")
            writer.raw("\(method.serverStreaming)")
        case .message(let message):
            header("message", message.fullName, message.comment, to: &writer)
            writer.key("fields")
            writer.beginArray()
            for field in message.fields { write(field, of: message, in: schema, to: &writer) }
            writer.endArray()
        case .enumeration(let enumeration):
            header("enum", enumeration.fullName, enumeration.comment, to: &writer)
            writer.key("values")
            writer.beginArray()
            for value in enumeration.values {
                writer.beginObject()
                member("name", value.name, to: &writer)
                writer.key("number")
                writer.raw("\(value.number)")
                member("comment", value.comment, to: &writer)
                writer.endObject()
            }
            writer.endArray()
        }
    }

    /// `{"name":"chat_id","jsonName":"chatId","number":1,"type":"string",…}`; `label` is
    /// `repeated`, `map` or `optional` when the field has one, `oneof` the oneof it belongs to.
    private static func write(_ field: SchemaField, of message: SchemaMessage, in schema: DescriptorSet, to writer: inout JSONWriter) {
        writer.beginObject()
        defer { writer.endObject() }
        member("name", field.name, to: &writer)
        member("jsonName", field.jsonName, to: &writer)
        writer.key("number")
        writer.raw("\(field.number)")
        if let entry = schema.mapEntry(of: field) {
            member("label", "map", to: &writer)
            member("keyType", typeName(of: entry.key), to: &writer)
            member("type", typeName(of: entry.value), to: &writer)
        } else {
            if field.isRepeated {
                member("label", "repeated", to: &writer)
            } else if field.isProto3Optional {
                member("label", "optional", to: &writer)
            }
            member("type", typeName(of: field), to: &writer)
        }
        if let index = field.realOneofIndex, message.oneofs.indices.contains(index) {
            member("oneof", message.oneofs[index].name, to: &writer)
        }
        member("comment", field.comment, to: &writer)
    }

    /// A scalar's .proto keyword, or a message's or enum's full name.
    private static func typeName(of field: SchemaField) -> String {
        switch field.type {
        case .message, .enumeration, .group: field.typeName
        default: field.type.scalarKeyword
        }
    }

    private static func header(_ kind: String, _ fullName: String, _ comment: String, to writer: inout JSONWriter) {
        member("kind", kind, to: &writer)
        member("fullName", fullName, to: &writer)
        member("comment", comment, to: &writer)
    }

    private static func member(_ key: String, _ value: String, to writer: inout JSONWriter) {
        writer.key(key)
        writer.string(value)
    }
}
