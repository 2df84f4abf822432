import Foundation

/// Emits the Swift value types, their protobuf-c conversions and the schema tables.
///
/// Conversions address protobuf-c's runtime descriptors by field index (the number-sorted order
/// protoc-c emits), so the generated Swift never names a C type: the C layout stays inside the
/// `ProtoCReader`/`ProtoCWriter` primitives of BatonProtos.
final class SwiftEmitter {
    private let files: [SchemaFile]
    private var messagesByName: [String: SchemaMessage] = [:]
    private var enumsByName: [String: SchemaEnum] = [:]

    init(files: [SchemaFile]) {
        self.files = files
        for file in files {
            let prefix = Naming.typePrefix(package: file.package)
            for message in file.messages { register(message, swiftName: prefix + message.name) }
            for e in file.enums { registerEnum(e, swiftName: prefix + e.name) }
        }
        markIndirectFields()
    }

    private func register(_ message: SchemaMessage, swiftName: String) {
        message.swiftName = swiftName
        messagesByName[message.fullName] = message
        for nested in message.nestedMessages { register(nested, swiftName: swiftName + "." + nested.name) }
        for e in message.nestedEnums { registerEnum(e, swiftName: swiftName + "." + e.name) }
    }

    private func registerEnum(_ e: SchemaEnum, swiftName: String) {
        var e = e
        e.swiftName = swiftName
        enumsByName[e.fullName] = e
    }

    /// A singular message field whose type can reach the containing message through singular
    /// message fields would make the struct infinitely large; such fields are stored boxed.
    private func markIndirectFields() {
        for message in messagesByName.values {
            for i in message.fields.indices where message.fields[i].type == .message && !message.fields[i].isRepeated {
                message.fields[i].isIndirect = reaches(message.fields[i].typeName, message.fullName, visited: [])
            }
        }
    }

    private func reaches(_ from: String, _ target: String, visited: Set<String>) -> Bool {
        if from == target { return true }
        guard !visited.contains(from), let message = messagesByName[from] else { return false }
        let next = visited.union([from])
        return message.fields.contains { field in
            field.type == .message && !field.isRepeated && reaches(field.typeName, target, visited: next)
        }
    }

    // MARK: - Files

    func emitFile(_ file: SchemaFile) -> String {
        var out = header(source: file.name)
        for message in file.messages { emitMessage(message, into: &out) }
        for e in file.enums { emitEnum(enumsByName[e.fullName]!, into: &out) }
        return out
    }

    func emitSchema() -> String {
        var out = header(source: files.map(\.name).joined(separator: ", "))
        out += "/// Baton's schema as compiled into this build: services with their methods' streaming kinds,\n"
        out += "/// every message type, and the comments of `Protos/`.\n"
        out += "public enum BatonSchema {\n"
        out += "    /// Every service declared in `Protos/`, in file order.\n"
        out += "    public static let services: [ProtoServiceSchema] = [\n"
        for file in files {
            for service in file.services {
                out += "        ProtoServiceSchema(\n"
                out += "            name: \(literal(service.fullName)),\n"
                out += "            methods: [\n"
                for method in service.methods {
                    let kind: String =
                        switch (method.clientStreaming, method.serverStreaming) {
                        case (false, false): ".unary"
                        case (false, true): ".serverStreaming"
                        case (true, false): ".clientStreaming"
                        case (true, true): ".bidirectionalStreaming"
                        }
                    out += "                ProtoMethodSchema(\n"
                    out += "                    name: \(literal(method.name)), service: \(literal(service.fullName)),\n"
                    out += "                    inputType: \(literal(method.inputType)), outputType: \(literal(method.outputType)),\n"
                    out += "                    kind: \(kind)\n"
                    out += "                ),\n"
                }
                out += "            ]\n"
                out += "        ),\n"
            }
        }
        out += "    ]\n\n"
        out += "    /// Every .proto file, each after its imports (the order of `fileDescriptorSet`).\n"
        out += "    public static let files: [ProtoFileSchema] = [\n"
        for file in files {
            let symbols = file.messages.map(\.fullName) + file.enums.map(\.fullName) + file.services.map(\.fullName)
            out += "        ProtoFileSchema(\n"
            out += "            name: \(literal(file.name)), package: \(literal(file.package)),\n"
            out += "            dependencies: [\(file.dependencies.map(literal).joined(separator: ", "))],\n"
            out += "            symbols: [\(symbols.map(literal).joined(separator: ", "))]\n"
            out += "        ),\n"
        }
        out += "    ]\n\n"
        out += "    /// Every message type, for lookups by full name.\n"
        out += "    public static let messageTypes: [any ProtoMessage.Type] = [\n"
        for message in allMessages() { out += "        \(message.swiftName).self,\n" }
        out += "    ]\n\n"
        out += "    /// The leading comment of every commented element, keyed by its full name (`baton.v1.Chat`,\n"
        out += "    /// `baton.v1.Chat.owner_rep_id`, `baton.v1.ChatState.CHAT_STATE_ACTIVE`, `baton.v1.Chats.GetChat`).\n"
        out += "    public static let comments: [String: String] = [\n"
        for (key, comment) in allComments() where !comment.isEmpty {
            out += "        \(literal(key)): \(literal(comment)),\n"
        }
        out += "    ]\n"
        out += "}\n"
        return out
    }

    private func header(source: String) -> String {
        "// Generated by tools/generate.sh from \(source). DO NOT EDIT.\n\n"
    }

    private func allMessages() -> [SchemaMessage] {
        var result: [SchemaMessage] = []
        func walk(_ m: SchemaMessage) {
            result.append(m)
            m.nestedMessages.forEach(walk)
        }
        files.forEach { $0.messages.forEach(walk) }
        return result
    }

    private func allComments() -> [(String, String)] {
        var result: [(String, String)] = []
        func walkEnum(_ e: SchemaEnum) {
            result.append((e.fullName, e.comment))
            for v in e.values { result.append((e.fullName + "." + v.name, v.comment)) }
        }
        func walk(_ m: SchemaMessage) {
            result.append((m.fullName, m.comment))
            for f in m.fields { result.append((m.fullName + "." + f.name, f.comment)) }
            for o in m.oneofs { result.append((m.fullName + "." + o.name, o.comment)) }
            m.nestedMessages.forEach(walk)
            m.nestedEnums.forEach(walkEnum)
        }
        for file in files {
            file.messages.forEach(walk)
            file.enums.forEach(walkEnum)
            for s in file.services {
                result.append((s.fullName, s.comment))
                for m in s.methods { result.append((s.fullName + "." + m.name, m.comment)) }
            }
        }
        return result
    }

    // MARK: - Messages

    private func emitMessage(_ message: SchemaMessage, into out: inout String) {
        let typeName = message.swiftName.split(separator: ".").last.map(String.init)!
        let isNested = message.swiftName.contains(".")
        let parent = message.swiftName.split(separator: ".").dropLast().joined(separator: ".")
        var body = ""
        body += docComment(message.comment, indent: "", fallback: "The `\(message.fullName)` message.")
        body += "public struct \(typeName): ProtoMessage {\n"
        for field in message.fields where field.oneofIndex == nil {
            body += docComment(field.comment, indent: "    ", fallback: "Field `\(field.name)` = \(field.number).")
            let name = Naming.lowerCamel(field.name)
            if field.isIndirect {
                let type = swiftType(field, inOneof: false)
                body += "    public var \(name): \(type)? {\n"
                body += "        get { _\(plain(name))?.value }\n"
                body += "        set { _\(plain(name)) = newValue.map(ProtoBox.init) }\n"
                body += "    }\n"
                body += "    private var _\(plain(name)): ProtoBox<\(type)>? = nil\n"
            } else {
                let optional = field.type == .message && !field.isRepeated ? "?" : ""
                body += "    public var \(name): \(swiftType(field, inOneof: false))\(optional) = \(defaultValue(field))\n"
            }
        }
        for oneof in message.oneofs {
            let enumName = "OneOf_" + Naming.upperCamel(oneof.name)
            body += docComment(oneof.comment, indent: "    ", fallback: "The `\(oneof.name)` oneof; nil when none is set.")
            body += "    public var \(Naming.lowerCamel(oneof.name)): \(enumName)? = nil\n"
        }
        for oneof in message.oneofs {
            let enumName = "OneOf_" + Naming.upperCamel(oneof.name)
            let indirect = oneof.fieldIndexes.contains { message.fields[$0].isIndirect } ? "indirect " : ""
            body += "\n    /// The members of the `\(oneof.name)` oneof.\n"
            body += "    public \(indirect)enum \(enumName): Sendable, Hashable {\n"
            for i in oneof.fieldIndexes {
                let field = message.fields[i]
                body += docComment(field.comment, indent: "        ", fallback: "Field `\(field.name)` = \(field.number).")
                body += "        case \(Naming.lowerCamel(field.name))(\(swiftType(field, inOneof: true)))\n"
            }
            body += "    }\n"
        }
        body += "\n    public init() {}\n\n"
        body += "    public static let protoMessageName = \(literal(message.fullName))\n"
        body += "    public static let _protoDescriptor = ProtoMessageDescriptor(named: protoMessageName)\n\n"
        body += emitReader(message)
        body += "\n"
        body += emitWriter(message)
        body += "}\n"
        if isNested {
            out += "extension \(parent) {\n"
            out += indentBlock(body, "    ")
            out += "}\n\n"
        } else {
            out += body + "\n"
        }
        for nested in message.nestedMessages { emitMessage(nested, into: &out) }
        for e in message.nestedEnums { emitEnum(enumsByName[e.fullName]!, into: &out) }
    }

    private func emitReader(_ message: SchemaMessage) -> String {
        var body = "    public init(_protoReader reader: ProtoCReader) throws(ProtoCodecError) {\n"
        for field in message.fields where field.oneofIndex == nil {
            body += "        \(Naming.lowerCamel(field.name)) = \(readExpression(field))\n"
        }
        for oneof in message.oneofs {
            let first = message.fields[oneof.fieldIndexes[0]].descriptorIndex
            body += "        switch reader.oneofCase(\(first)) {\n"
            for i in oneof.fieldIndexes {
                let field = message.fields[i]
                body += "        case \(field.number): \(Naming.lowerCamel(oneof.name)) = .\(plain(Naming.lowerCamel(field.name)))(\(readExpression(field, inOneof: true)))\n"
            }
            body += "        default: \(Naming.lowerCamel(oneof.name)) = nil\n"
            body += "        }\n"
        }
        if message.fields.isEmpty { body += "        self.init()\n" }
        body += "    }\n"
        return body
    }

    private func readExpression(_ field: SchemaField, inOneof: Bool = false) -> String {
        let i = field.descriptorIndex
        if field.isRepeated {
            switch field.type {
            case .string: return "try reader.repeatedString(\(i))"
            case .bytes: return "reader.repeatedBytes(\(i))"
            case .bool: return "reader.repeatedBool(\(i))"
            case .enumeration: return "reader.repeatedEnum(\(i))"
            case .message: return "try reader.repeatedMessage(\(i))"
            default: return "reader.repeatedScalar(\(i))"
            }
        }
        switch field.type {
        case .string: return "try reader.string(\(i))"
        case .bytes: return "reader.bytes(\(i))"
        case .bool: return "reader.bool(\(i))"
        case .enumeration: return "reader.enumValue(\(i))"
        case .message:
            return inOneof
                ? "try reader.message(\(i), as: \(messagesByName[field.typeName]!.swiftName).self) ?? .init()"
                : "try reader.message(\(i))"
        default: return "reader.scalar(\(i))"
        }
    }

    private func emitWriter(_ message: SchemaMessage) -> String {
        var body = "    public func _protoWrite(to writer: ProtoCWriter) throws(ProtoCodecError) {\n"
        for field in message.fields where field.oneofIndex == nil {
            let name = Naming.lowerCamel(field.name)
            if field.type == .message && !field.isRepeated {
                body += "        if let value = \(name) { \(writeStatement(field, value: "value")) }\n"
            } else {
                body += "        \(writeStatement(field, value: name))\n"
            }
        }
        for oneof in message.oneofs {
            body += "        switch \(Naming.lowerCamel(oneof.name)) {\n"
            for i in oneof.fieldIndexes {
                let field = message.fields[i]
                body += "        case .\(plain(Naming.lowerCamel(field.name)))(let value)?:\n"
                body += "            writer.setOneofCase(\(field.descriptorIndex))\n"
                body += "            \(writeStatement(field, value: "value"))\n"
            }
            body += "        case nil: break\n"
            body += "        }\n"
        }
        body += "    }\n"
        return body
    }

    private func writeStatement(_ field: SchemaField, value: String) -> String {
        let i = field.descriptorIndex
        if field.isRepeated {
            switch field.type {
            case .string: return "try writer.setRepeatedString(\(i), \(value))"
            case .bytes: return "writer.setRepeatedBytes(\(i), \(value))"
            case .bool: return "writer.setRepeatedBool(\(i), \(value))"
            case .enumeration: return "writer.setRepeatedEnum(\(i), \(value))"
            case .message: return "try writer.setRepeatedMessage(\(i), \(value))"
            default: return "writer.setRepeatedScalar(\(i), \(value))"
            }
        }
        switch field.type {
        case .string: return "try writer.setString(\(i), \(value))"
        case .bytes: return "writer.setBytes(\(i), \(value))"
        case .bool: return "writer.setBool(\(i), \(value))"
        case .enumeration: return "writer.setEnum(\(i), \(value))"
        case .message: return "try writer.setMessage(\(i), \(value))"
        default: return "writer.setScalar(\(i), \(value))"
        }
    }

    private func swiftType(_ field: SchemaField, inOneof: Bool) -> String {
        let base: String
        switch field.type {
        case .double: base = "Double"
        case .float: base = "Float"
        case .int64, .sint64, .sfixed64: base = "Int64"
        case .uint64, .fixed64: base = "UInt64"
        case .int32, .sint32, .sfixed32: base = "Int32"
        case .uint32, .fixed32: base = "UInt32"
        case .bool: base = "Bool"
        case .string: base = "String"
        case .bytes: base = "[UInt8]"
        case .enumeration: base = enumsByName[field.typeName]!.swiftName
        case .message: base = messagesByName[field.typeName]!.swiftName
        case .group: fatalError("groups are rejected by DescriptorSetReader")
        }
        return field.isRepeated ? "[\(base)]" : base
    }

    private func defaultValue(_ field: SchemaField) -> String {
        if field.isRepeated { return "[]" }
        switch field.type {
        case .double, .float, .int64, .sint64, .sfixed64, .uint64, .fixed64, .int32, .sint32, .sfixed32, .uint32,
            .fixed32:
            return "0"
        case .bool: return "false"
        case .string: return "\"\""
        case .bytes: return "[]"
        case .enumeration:
            let e = enumsByName[field.typeName]!
            let zero = e.values.first { $0.number == 0 } ?? e.values[0]
            return ".\(plain(caseName(zero.name, in: e)))"
        case .message, .group: return "nil"
        }
    }

    // MARK: - Enums

    private func caseName(_ valueName: String, in e: SchemaEnum) -> String {
        let name = Naming.enumCase(valueName, enumName: e.name)
        return name == "unrecognized" ? "unrecognizedValue" : name
    }

    private func emitEnum(_ e: SchemaEnum, into out: inout String) {
        let typeName = e.swiftName.split(separator: ".").last.map(String.init)!
        let parent = e.swiftName.split(separator: ".").dropLast().joined(separator: ".")
        var body = docComment(e.comment, indent: "", fallback: "The `\(e.fullName)` enum.")
        body += "public enum \(typeName): ProtoEnum {\n"
        var seen = Set<Int32>()
        let distinct = e.values.filter { seen.insert($0.number).inserted }
        for value in distinct {
            body += docComment(value.comment, indent: "    ", fallback: "`\(value.name)` = \(value.number).")
            body += "    case \(caseName(value.name, in: e))\n"
        }
        body += "    /// A value this build does not know; kept as is so it survives a round trip.\n"
        body += "    case unrecognized(Int32)\n\n"
        body += "    public static let protoEnumName = \(literal(e.fullName))\n\n"
        body += "    public init(rawValue: Int32) {\n"
        body += "        switch rawValue {\n"
        for value in distinct {
            body += "        case \(value.number): self = .\(plain(caseName(value.name, in: e)))\n"
        }
        body += "        default: self = .unrecognized(rawValue)\n"
        body += "        }\n"
        body += "    }\n\n"
        body += "    public var rawValue: Int32 {\n"
        body += "        switch self {\n"
        for value in distinct {
            body += "        case .\(plain(caseName(value.name, in: e))): \(value.number)\n"
        }
        body += "        case .unrecognized(let value): value\n"
        body += "        }\n"
        body += "    }\n"
        body += "}\n"
        if parent.isEmpty {
            out += body + "\n"
        } else {
            out += "extension \(parent) {\n" + indentBlock(body, "    ") + "}\n\n"
        }
    }

    // MARK: - Text helpers

    private func docComment(_ comment: String, indent: String, fallback: String) -> String {
        let text = comment.isEmpty ? fallback : comment
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.isEmpty ? "\(indent)///\n" : "\(indent)/// \(line)\n" }
            .joined()
    }

    private func indentBlock(_ text: String, _ indent: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : indent + $0 }
            .joined(separator: "\n")
    }

    private func plain(_ name: String) -> String {
        name.replacingOccurrences(of: "`", with: "")
    }

    private func literal(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
