/// The proto-like text `rpc-cli describe` prints, in the manner of `grpcurl describe`: what the
/// symbol is, then its declaration with the comments of the .proto files. Type references are
/// fully qualified with a leading dot, so any of them can be described in turn.
enum SchemaText {
    /// A service, method, message or enum.
    static func describe(_ symbol: DescriptorSet.Symbol, in schema: DescriptorSet) -> String {
        let lines: [String]
        switch symbol {
        case .service(let service):
            lines = ["\(service.fullName) is a service:"] + declaration(of: service)
        case .method(let method):
            lines = ["\(method.fullName) is a method:"] + comment(method.comment) + [signature(of: method)]
        case .message(let message):
            lines = ["\(message.fullName) is a message:"] + declaration(of: message, in: schema)
        case .enumeration(let enumeration):
            lines = ["\(enumeration.fullName) is an enum:"] + declaration(of: enumeration)
        }
        return lines.joined(separator: "\n")
    }

    /// Every service of the schema, each as `describe` shows it, a blank line between them.
    static func describeServices(in schema: DescriptorSet) -> String {
        schema.services.map { describe(.service($0), in: schema) }.joined(separator: "\n\n")
    }

    private static func declaration(of service: SchemaService) -> [String] {
        var lines = comment(service.comment) + ["service \(service.name) {"]
        for method in service.methods {
            lines += comment(method.comment, indent: "  ") + ["  " + signature(of: method)]
        }
        return lines + ["}"]
    }

    private static func signature(of method: SchemaMethod) -> String {
        let input = (method.clientStreaming ? "stream " : "") + "." + method.inputType
        let output = (method.serverStreaming ? "stream " : "") + "." + method.outputType
        return "rpc \(method.name) ( \(input) ) returns ( \(output) );"
    }

    private static func declaration(of message: SchemaMessage, in schema: DescriptorSet) -> [String] {
        var lines = comment(message.comment) + ["message \(message.name) {"]
        var openOneof: Int?
        for field in message.fields {
            if field.realOneofIndex != openOneof {
                if openOneof != nil { lines.append("  }") }
                if let index = field.realOneofIndex {
                    let oneof = message.oneofs.indices.contains(index) ? message.oneofs[index] : nil
                    lines += comment(oneof?.comment ?? "", indent: "  ")
                    lines.append("  oneof \(oneof?.name ?? "oneof_\(index)") {")
                }
                openOneof = field.realOneofIndex
            }
            let indent = openOneof == nil ? "  " : "    "
            lines += comment(field.comment, indent: indent)
            lines.append(indent + "\(typeText(of: field, in: schema)) \(field.name) = \(field.number);")
        }
        if openOneof != nil { lines.append("  }") }
        return lines + ["}"]
    }

    /// The field's type as a .proto file writes it, with its label: `repeated string`,
    /// `map<string, .baton.v1.Rep>`, `optional .baton.v1.Visibility`.
    private static func typeText(of field: SchemaField, in schema: DescriptorSet) -> String {
        if let entry = schema.mapEntry(of: field) {
            return "map<\(typeText(of: entry.key, in: schema)), \(typeText(of: entry.value, in: schema))>"
        }
        let type =
            switch field.type {
            case .message, .enumeration, .group: "." + field.typeName
            default: field.type.scalarKeyword
            }
        if field.isRepeated { return "repeated " + type }
        return field.isProto3Optional ? "optional " + type : type
    }

    private static func declaration(of enumeration: SchemaEnum) -> [String] {
        var lines = comment(enumeration.comment) + ["enum \(enumeration.name) {"]
        for value in enumeration.values {
            lines += comment(value.comment, indent: "  ") + ["  \(value.name) = \(value.number);"]
        }
        return lines + ["}"]
    }

    /// A comment as `//` lines, as it was written in the .proto file.
    private static func comment(_ text: String, indent: String = "") -> [String] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.isEmpty ? indent + "//" : indent + "// " + $0
        }
    }
}

extension DescriptorSet {
    /// The key and value fields of a `map<K, V>` field's entry type, or nil for other fields.
    func mapEntry(of field: SchemaField) -> (key: SchemaField, value: SchemaField)? {
        guard field.isRepeated, field.type == .message, let entry = messages[field.typeName], entry.isMapEntry,
            let key = entry.fields.first(where: { $0.number == 1 }),
            let value = entry.fields.first(where: { $0.number == 2 })
        else { return nil }
        return (key, value)
    }
}
