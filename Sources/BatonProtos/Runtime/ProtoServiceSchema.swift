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
