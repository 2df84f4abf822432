/// How a method streams, which protoc-c drops but the generator keeps from protoc's descriptors.
public enum ProtoMethodKind: String, Sendable, Hashable, CaseIterable {
    case unary
    case serverStreaming
    case clientStreaming
    case bidirectionalStreaming
}

/// One RPC method of Baton's schema.
public struct ProtoMethodSchema: Sendable, Hashable {
    /// The method's name, e.g. `TransferChat`.
    public var name: String
    /// The service's full name, e.g. `baton.v1.Chats`.
    public var service: String
    /// The request message's full name.
    public var inputType: String
    /// The response message's full name.
    public var outputType: String
    /// Unary or which way it streams.
    public var kind: ProtoMethodKind

    public init(name: String, service: String, inputType: String, outputType: String, kind: ProtoMethodKind) {
        self.name = name
        self.service = service
        self.inputType = inputType
        self.outputType = outputType
        self.kind = kind
    }

    /// The path calls are routed by, e.g. `/baton.v1.Chats/TransferChat`.
    public var path: String { "/\(service)/\(name)" }

    /// The method's comment from `Protos/`.
    public var comment: String { BatonSchema.comments["\(service).\(name)"] ?? "" }
}

/// One service of Baton's schema.
public struct ProtoServiceSchema: Sendable, Hashable {
    /// The full name, e.g. `baton.v1.Chats`.
    public var name: String
    /// Its methods in declaration order.
    public var methods: [ProtoMethodSchema]

    public init(name: String, methods: [ProtoMethodSchema]) {
        self.name = name
        self.methods = methods
    }

    /// The service's comment from `Protos/`.
    public var comment: String { BatonSchema.comments[name] ?? "" }
}

extension BatonSchema {
    /// protoc's FileDescriptorSet for the schema (imports and comments included), as served by
    /// reflection so clients in any language can build messages.
    public static var fileDescriptorSet: [UInt8] { DescriptorRegistry.fileDescriptorSet }

    /// The Swift type of a message, by full name.
    public static func messageType(named fullName: String) -> (any ProtoMessage.Type)? {
        messageTypesByName[fullName]
    }

    private static let messageTypesByName: [String: any ProtoMessage.Type] = Dictionary(
        uniqueKeysWithValues: messageTypes.map { ($0.protoMessageName, $0) }
    )

    /// A method by its path (`/baton.v1.Chats/TransferChat`) or `Service/Method`.
    public static func method(_ path: String) -> ProtoMethodSchema? {
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        return services.lazy.flatMap(\.methods).first { "\($0.service)/\($0.name)" == trimmed }
    }
}

/// One .proto file of the schema: what it defines and imports.
public struct ProtoFileSchema: Sendable, Hashable {
    /// The path under Protos/, e.g. `baton/v1/chats.proto`.
    public var name: String
    /// The proto package, e.g. `baton.v1`.
    public var package: String
    /// The files it imports.
    public var dependencies: [String]
    /// The full names of its top-level messages, enums and services.
    public var symbols: [String]

    public init(name: String, package: String, dependencies: [String], symbols: [String]) {
        self.name = name
        self.package = package
        self.dependencies = dependencies
        self.symbols = symbols
    }

    /// True when `symbol` (a message, enum, service, nested type, field or method) is defined here.
    public func defines(_ symbol: String) -> Bool {
        symbols.contains { symbol == $0 || symbol.hasPrefix($0 + ".") }
    }
}

extension BatonSchema {
    /// Each file's serialized FileDescriptorProto, in `files` order: what reflection hands out.
    public static let fileDescriptorProtos: [[UInt8]] = {
        // A FileDescriptorSet is `repeated FileDescriptorProto file = 1`: tag, length, bytes.
        let set = fileDescriptorSet
        var files: [[UInt8]] = []
        var position = 0
        while position < set.count, set[position] == 0x0a {
            position += 1
            var length = 0
            var shift = 0
            while position < set.count {
                let byte = set[position]
                position += 1
                length |= Int(byte & 0x7f) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            files.append(Array(set[position..<min(set.count, position + length)]))
            position += length
        }
        precondition(files.count == BatonSchema.files.count, "the embedded descriptor set does not match the schema")
        return files
    }()

    /// The files defining `symbols` and everything they import, each after its imports; every
    /// file when `symbols` is empty. Fails with the first symbol no file defines.
    public static func files(defining symbols: [String]) -> Result<[ProtoFileSchema], UnknownSymbol> {
        guard !symbols.isEmpty else { return .success(files) }
        var wanted = Set<String>()
        func include(_ name: String) {
            guard wanted.insert(name).inserted, let file = files.first(where: { $0.name == name }) else { return }
            file.dependencies.forEach(include)
        }
        for symbol in symbols {
            guard let file = files.first(where: { $0.defines(symbol) }) else { return .failure(UnknownSymbol(name: symbol)) }
            include(file.name)
        }
        return .success(files.filter { wanted.contains($0.name) })
    }

    /// A symbol no file of the schema defines.
    public struct UnknownSymbol: Error, Hashable, Sendable {
        public var name: String
    }
}
