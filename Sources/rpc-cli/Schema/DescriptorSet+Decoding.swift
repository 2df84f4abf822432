import BatonProtos
/// Decoding a serialized google.protobuf.FileDescriptorSet with the field numbers of
/// google/protobuf/descriptor.proto. Fields `describe` has no use for are skipped, so
/// descriptors from a newer protoc still read.
extension DescriptorSet {
    /// Decodes `bytes`, a FileDescriptorSet as protoc writes it (type names fully qualified),
    /// with or without source info: without it every comment is empty.
    init(serialized bytes: [UInt8]) throws(MalformedDescriptorSet) {
        var reader = WireReader(bytes[...])
        while let field = try reader.nextField() {
            if field.number == 1 { try addFile(field.payload()) }  // FileDescriptorSet.file
        }
    }

    /// The comments of one file by the descriptor path of what they document, e.g. [4, 0, 2, 1]
    /// for the second field of the first message.
    private typealias Comments = [[Int32]: String]

    /// How deep messages may nest inside messages: a bound, so hostile bytes cannot exhaust the stack.
    private static let maximumNesting = 64

    private mutating func addFile(_ bytes: ArraySlice<UInt8>) throws(MalformedDescriptorSet) {
        var package = ""
        var messages: [ArraySlice<UInt8>] = []
        var enums: [ArraySlice<UInt8>] = []
        var services: [ArraySlice<UInt8>] = []
        var comments: Comments = [:]
        var reader = WireReader(bytes)
        while let field = try reader.nextField() {
            switch field.number {
            case 2: package = try field.string()
            case 4: messages.append(try field.payload())
            case 5: enums.append(try field.payload())
            case 6: services.append(try field.payload())
            case 9: comments = try Self.comments(inSourceCodeInfo: field.payload())
            default: break
            }
        }
        // Source info comes last in the file, so the definitions are read once it is known.
        for (index, message) in messages.enumerated() {
            try addMessage(message, scope: package, path: [4, Int32(index)], comments: comments, nesting: 0)
        }
        for (index, enumeration) in enums.enumerated() {
            try addEnum(enumeration, scope: package, path: [5, Int32(index)], comments: comments)
        }
        for (index, service) in services.enumerated() {
            self.services.append(
                try Self.service(service, scope: package, path: [6, Int32(index)], comments: comments)
            )
        }
    }

    private mutating func addMessage(
        _ bytes: ArraySlice<UInt8>,
        scope: String,
        path: [Int32],
        comments: Comments,
        nesting: Int
    ) throws(MalformedDescriptorSet) {
        guard nesting < Self.maximumNesting else {
            throw MalformedDescriptorSet("messages nest more than \(Self.maximumNesting) levels deep")
        }
        var name = ""
        var fields: [ArraySlice<UInt8>] = []
        var nestedMessages: [ArraySlice<UInt8>] = []
        var nestedEnums: [ArraySlice<UInt8>] = []
        var oneofs: [SchemaOneof] = []
        var isMapEntry = false
        var reader = WireReader(bytes)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try field.string()
            case 2: fields.append(try field.payload())
            case 3: nestedMessages.append(try field.payload())
            case 4: nestedEnums.append(try field.payload())
            case 7: isMapEntry = try Self.isMapEntry(messageOptions: field.payload())
            case 8:
                let comment = comments[path + [8, Int32(oneofs.count)]] ?? ""
                oneofs.append(SchemaOneof(name: try Self.name(of: field.payload()), comment: comment))
            default: break
            }
        }
        let fullName = try Self.fullName(name, in: scope, kind: "message")
        messages[fullName] = SchemaMessage(
            fullName: fullName,
            comment: comments[path] ?? "",
            fields: try fields.enumerated().map { index, field throws(MalformedDescriptorSet) in
                try Self.field(field, comment: comments[path + [2, Int32(index)]] ?? "")
            },
            oneofs: oneofs,
            isMapEntry: isMapEntry
        )
        for (index, nested) in nestedMessages.enumerated() {
            try addMessage(
                nested,
                scope: fullName,
                path: path + [3, Int32(index)],
                comments: comments,
                nesting: nesting + 1
            )
        }
        for (index, nested) in nestedEnums.enumerated() {
            try addEnum(nested, scope: fullName, path: path + [4, Int32(index)], comments: comments)
        }
    }

    private static func field(_ bytes: ArraySlice<UInt8>, comment: String) throws(MalformedDescriptorSet) -> SchemaField
    {
        var name = ""
        var jsonName: String?
        var number: Int32 = 0
        var isRepeated = false
        var typeNumber: Int32 = 0
        var typeName = ""
        var oneofIndex: Int?
        var isProto3Optional = false
        var reader = WireReader(bytes)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try field.string()
            case 3: number = try field.int32()
            case 4: isRepeated = try field.int32() == 3  // LABEL_REPEATED
            case 5: typeNumber = try field.int32()
            case 6: typeName = try field.string()
            case 9: oneofIndex = Int(try field.int32())
            case 10: jsonName = try field.string()
            case 17: isProto3Optional = try field.int32() != 0
            default: break
            }
        }
        guard !name.isEmpty else { throw MalformedDescriptorSet("a field has no name") }
        guard let type = SchemaFieldType(rawValue: typeNumber) else {
            throw MalformedDescriptorSet("field \(name) has unknown type \(typeNumber)")
        }
        return SchemaField(
            name: name,
            jsonName: jsonName ?? ProtoFieldDescriptor.jsonName(for: name),
            number: number,
            type: type,
            typeName: typeName.hasPrefix(".") ? String(typeName.dropFirst()) : typeName,
            isRepeated: isRepeated,
            isProto3Optional: isProto3Optional,
            oneofIndex: oneofIndex,
            comment: comment
        )
    }

    private mutating func addEnum(
        _ bytes: ArraySlice<UInt8>,
        scope: String,
        path: [Int32],
        comments: Comments
    ) throws(MalformedDescriptorSet) {
        var name = ""
        var values: [SchemaEnumValue] = []
        var reader = WireReader(bytes)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try field.string()
            case 2:
                let valuePath = path + [2, Int32(values.count)]
                values.append(try Self.enumValue(field.payload(), comment: comments[valuePath] ?? ""))
            default: break
            }
        }
        let fullName = try Self.fullName(name, in: scope, kind: "enum")
        enums[fullName] = SchemaEnum(fullName: fullName, comment: comments[path] ?? "", values: values)
    }

    private static func enumValue(
        _ bytes: ArraySlice<UInt8>,
        comment: String
    ) throws(MalformedDescriptorSet) -> SchemaEnumValue {
        var value = SchemaEnumValue(name: "", number: 0, comment: comment)
        var reader = WireReader(bytes)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: value.name = try field.string()
            case 2: value.number = try field.int32()
            default: break
            }
        }
        guard !value.name.isEmpty else { throw MalformedDescriptorSet("an enum value has no name") }
        return value
    }

    private static func service(
        _ bytes: ArraySlice<UInt8>,
        scope: String,
        path: [Int32],
        comments: Comments
    ) throws(MalformedDescriptorSet) -> SchemaService {
        var name = ""
        var methods: [ArraySlice<UInt8>] = []
        var reader = WireReader(bytes)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try field.string()
            case 2: methods.append(try field.payload())
            default: break
            }
        }
        let fullName = try fullName(name, in: scope, kind: "service")
        return SchemaService(
            fullName: fullName,
            comment: comments[path] ?? "",
            methods: try methods.enumerated().map { index, method throws(MalformedDescriptorSet) in
                try Self.method(method, service: fullName, comment: comments[path + [2, Int32(index)]] ?? "")
            }
        )
    }

    private static func method(
        _ bytes: ArraySlice<UInt8>,
        service: String,
        comment: String
    ) throws(MalformedDescriptorSet) -> SchemaMethod {
        var name = ""
        var method = SchemaMethod(
            fullName: "",
            comment: comment,
            inputType: "",
            outputType: "",
            clientStreaming: false,
            serverStreaming: false
        )
        var reader = WireReader(bytes)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try field.string()
            case 2: method.inputType = String(try field.string().drop { $0 == "." })
            case 3: method.outputType = String(try field.string().drop { $0 == "." })
            case 5: method.clientStreaming = try field.int32() != 0
            case 6: method.serverStreaming = try field.int32() != 0
            default: break
            }
        }
        method.fullName = try fullName(name, in: service, kind: "method")
        return method
    }

    /// MessageOptions.map_entry (7): set on the entry type protoc makes for a map field.
    private static func isMapEntry(messageOptions bytes: ArraySlice<UInt8>) throws(MalformedDescriptorSet) -> Bool {
        var reader = WireReader(bytes)
        var isMapEntry = false
        while let field = try reader.nextField() {
            if field.number == 7 { isMapEntry = try field.int32() != 0 }
        }
        return isMapEntry
    }

    /// The `name` (1) of a OneofDescriptorProto.
    private static func name(of bytes: ArraySlice<UInt8>) throws(MalformedDescriptorSet) -> String {
        var reader = WireReader(bytes)
        var name = ""
        while let field = try reader.nextField() {
            if field.number == 1 { name = try field.string() }
        }
        return name
    }

    /// SourceCodeInfo.location (1): each Location's path (1) and leading comment (3).
    private static func comments(inSourceCodeInfo bytes: ArraySlice<UInt8>) throws(MalformedDescriptorSet) -> Comments {
        var comments: Comments = [:]
        var reader = WireReader(bytes)
        while let location = try reader.nextField() {
            guard location.number == 1 else { continue }
            var path: [Int32] = []
            var comment = ""
            var fields = WireReader(try location.payload())
            while let field = try fields.nextField() {
                switch field.number {
                case 1: path += try field.int32s()
                case 3: comment = try field.string()
                default: break
                }
            }
            if !comment.isEmpty { comments[path] = commentText(comment) }
        }
        return comments
    }

    /// A leading comment as protoc records it (" Starts a chat...\n second line\n") as the
    /// lines people wrote after `// `.
    private static func commentText(_ raw: String) -> String {
        raw.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(" ") ? $0.dropFirst() : $0 }
            .joined(separator: "\n")
            .trimmingTrailingNewlines()
    }

    private static func fullName(
        _ name: String,
        in scope: String,
        kind: String
    ) throws(MalformedDescriptorSet) -> String {
        guard !name.isEmpty else {
            throw MalformedDescriptorSet("a \(kind) in \(scope.isEmpty ? "a file" : scope) has no name")
        }
        return scope.isEmpty ? name : "\(scope).\(name)"
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while text.last == "\n" { text = text.dropLast() }
        return String(text)
    }
}
