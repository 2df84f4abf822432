import CBatonCodegenDescriptor

struct CodegenError: Error, CustomStringConvertible {
    var description: String
}

/// Decodes protoc's `--descriptor_set_out` output with protobuf-c's own descriptor.proto code and
/// turns it into `SchemaFile`s. Rejects what protobuf-c or the generator cannot carry.
struct DescriptorSetReader {
    func read(_ bytes: [UInt8]) throws -> [SchemaFile] {
        guard
            let set = bytes.withUnsafeBufferPointer({
                google__protobuf__file_descriptor_set__unpack(nil, $0.count, $0.baseAddress)
            })
        else { throw CodegenError(description: "not a FileDescriptorSet") }
        defer { google__protobuf__file_descriptor_set__free_unpacked(set, nil) }
        var files: [SchemaFile] = []
        for file in buffer(set.pointee.file, set.pointee.n_file) {
            files.append(try readFile(file!.pointee))
        }
        return files
    }

    private func readFile(_ file: Google__Protobuf__FileDescriptorProto) throws -> SchemaFile {
        let comments = Comments(file.source_code_info)
        let package = string(file.package)
        let prefix = package.isEmpty ? "" : package + "."
        let fileName = string(file.name)
        if string(file.syntax) != "proto3" && fileName != "google/protobuf/descriptor.proto" {
            throw CodegenError(description: "\(fileName): only proto3 files are supported")
        }
        var messages: [SchemaMessage] = []
        for (i, m) in buffer(file.message_type, file.n_message_type).enumerated() {
            messages.append(try readMessage(m!.pointee, prefix: prefix, path: [4, Int32(i)], comments: comments))
        }
        var enums: [SchemaEnum] = []
        for (i, e) in buffer(file.enum_type, file.n_enum_type).enumerated() {
            enums.append(readEnum(e!.pointee, prefix: prefix, path: [5, Int32(i)], comments: comments))
        }
        var services: [SchemaService] = []
        for (i, s) in buffer(file.service, file.n_service).enumerated() {
            let service = s!.pointee
            var methods: [SchemaMethod] = []
            for (j, m) in buffer(service.method, service.n_method).enumerated() {
                let method = m!.pointee
                methods.append(
                    SchemaMethod(
                        name: string(method.name),
                        inputType: typeName(method.input_type),
                        outputType: typeName(method.output_type),
                        clientStreaming: method.has_client_streaming != 0 && method.client_streaming != 0,
                        serverStreaming: method.has_server_streaming != 0 && method.server_streaming != 0,
                        comment: comments[[6, Int32(i), 2, Int32(j)]]
                    )
                )
            }
            services.append(
                SchemaService(
                    fullName: prefix + string(service.name),
                    name: string(service.name),
                    comment: comments[[6, Int32(i)]],
                    methods: methods
                )
            )
        }
        let dependencies = buffer(file.dependency, file.n_dependency).map { string($0) }
        return SchemaFile(
            name: fileName,
            package: package,
            dependencies: dependencies,
            messages: messages,
            enums: enums,
            services: services
        )
    }

    private func readMessage(
        _ message: Google__Protobuf__DescriptorProto,
        prefix: String,
        path: [Int32],
        comments: Comments
    ) throws -> SchemaMessage {
        let name = string(message.name)
        let fullName = prefix + name
        if let options = message.options, options.pointee.has_map_entry != 0, options.pointee.map_entry != 0 {
            throw CodegenError(description: "\(fullName): map<> fields are not supported; use a repeated entry message")
        }
        if message.n_extension_range > 0 || message.n_extension > 0 {
            throw CodegenError(description: "\(fullName): extensions are not supported")
        }
        let result = SchemaMessage(fullName: fullName, name: name, comment: comments[path])
        for (i, f) in buffer(message.field, message.n_field).enumerated() {
            let field = f!.pointee
            let fieldName = string(field.name)
            if field.has_proto3_optional != 0 && field.proto3_optional != 0 {
                throw CodegenError(description: "\(fullName).\(fieldName): proto3 optional is not supported by protoc-c")
            }
            guard let type = FieldType(protoType: field.type.rawValue), type != .group else {
                throw CodegenError(description: "\(fullName).\(fieldName): unsupported field type")
            }
            result.fields.append(
                SchemaField(
                    name: fieldName,
                    number: field.number,
                    isRepeated: field.label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED,
                    type: type,
                    typeName: typeName(field.type_name),
                    oneofIndex: field.has_oneof_index != 0 ? Int(field.oneof_index) : nil,
                    comment: comments[path + [2, Int32(i)]]
                )
            )
        }
        // protobuf-c sorts its field descriptors by number; generated Swift indexes into that order.
        let sorted = result.fields.enumerated().sorted { $0.element.number < $1.element.number }
        for (sortedIndex, entry) in sorted.enumerated() {
            result.fields[entry.offset].descriptorIndex = sortedIndex
        }
        for (i, o) in buffer(message.oneof_decl, message.n_oneof_decl).enumerated() {
            let members = result.fields.indices.filter { result.fields[$0].oneofIndex == i }
            result.oneofs.append(
                SchemaOneof(name: string(o!.pointee.name), comment: comments[path + [8, Int32(i)]], fieldIndexes: members)
            )
        }
        for (i, m) in buffer(message.nested_type, message.n_nested_type).enumerated() {
            result.nestedMessages.append(
                try readMessage(m!.pointee, prefix: fullName + ".", path: path + [3, Int32(i)], comments: comments)
            )
        }
        for (i, e) in buffer(message.enum_type, message.n_enum_type).enumerated() {
            result.nestedEnums.append(readEnum(e!.pointee, prefix: fullName + ".", path: path + [4, Int32(i)], comments: comments))
        }
        return result
    }

    private func readEnum(
        _ e: Google__Protobuf__EnumDescriptorProto,
        prefix: String,
        path: [Int32],
        comments: Comments
    ) -> SchemaEnum {
        let name = string(e.name)
        var values: [(String, Int32, String)] = []
        for (i, v) in buffer(e.value, e.n_value).enumerated() {
            values.append((string(v!.pointee.name), v!.pointee.number, comments[path + [2, Int32(i)]]))
        }
        return SchemaEnum(fullName: prefix + name, name: name, comment: comments[path], values: values)
    }
}

/// Leading comments keyed by their SourceCodeInfo path.
private struct Comments {
    private var byPath: [[Int32]: String] = [:]

    init(_ info: UnsafeMutablePointer<Google__Protobuf__SourceCodeInfo>?) {
        guard let info else { return }
        for l in buffer(info.pointee.location, info.pointee.n_location) {
            let location = l!.pointee
            let path = Array(UnsafeBufferPointer(start: location.path, count: location.n_path))
            let text = string(location.leading_comments)
            if !text.isEmpty { byPath[path] = text }
        }
    }

    subscript(path: [Int32]) -> String {
        (byPath[path] ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(" ") ? String($0.dropFirst()) : String($0) }
            .joined(separator: "\n")
            .trimmingTrailingNewlines()
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = self
        while s.last == "\n" || s.last == " " { s.removeLast() }
        return s
    }
}

extension FieldType {
    init?(protoType: UInt32) {
        let all: [FieldType] = [
            .double, .float, .int64, .uint64, .int32, .fixed64, .fixed32, .bool, .string, .group, .message, .bytes,
            .uint32, .enumeration, .sfixed32, .sfixed64, .sint32, .sint64,
        ]
        guard protoType >= 1, Int(protoType) <= all.count else { return nil }
        self = all[Int(protoType) - 1]
    }
}

private func buffer<T>(_ pointer: UnsafeMutablePointer<T>?, _ count: Int) -> UnsafeBufferPointer<T> {
    UnsafeBufferPointer(start: pointer, count: count)
}

private func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

private func typeName(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    let name = string(pointer)
    return name.hasPrefix(".") ? String(name.dropFirst()) : name
}
