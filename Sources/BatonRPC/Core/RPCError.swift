import BatonProtos

/// A call's failure as the caller sees it: a gRPC status code, a message, and typed details.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// gRPC's status codes. A struct over the schema's enum so new codes do not break clients.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let ok = Code(rawValue: 0)
        public static let cancelled = Code(rawValue: 1)
        public static let unknown = Code(rawValue: 2)
        public static let invalidArgument = Code(rawValue: 3)
        public static let deadlineExceeded = Code(rawValue: 4)
        public static let notFound = Code(rawValue: 5)
        public static let alreadyExists = Code(rawValue: 6)
        public static let permissionDenied = Code(rawValue: 7)
        public static let resourceExhausted = Code(rawValue: 8)
        public static let failedPrecondition = Code(rawValue: 9)
        public static let aborted = Code(rawValue: 10)
        public static let outOfRange = Code(rawValue: 11)
        public static let unimplemented = Code(rawValue: 12)
        public static let `internal` = Code(rawValue: 13)
        public static let unavailable = Code(rawValue: 14)
        public static let dataLoss = Code(rawValue: 15)
        public static let unauthenticated = Code(rawValue: 16)

        /// The wire name, e.g. `NOT_FOUND`.
        public var name: String {
            let names = [
                "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
                "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
            ]
            return rawValue >= 0 && Int(rawValue) < names.count ? names[Int(rawValue)] : "CODE_\(rawValue)"
        }

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// Typed details: each a message of the schema, by full name and serialized bytes.
    public var details: [Baton_Rpc_V1_ErrorDetail]
    /// Trailing metadata that came with the status.
    public var metadata: RPCMetadata

    public init(_ code: Code, _ message: String, details: [Baton_Rpc_V1_ErrorDetail] = [], metadata: RPCMetadata = [:]) {
        self.code = code
        self.message = message
        self.details = details
        self.metadata = metadata
    }

    /// Adds `detail` (any message of the schema) to the details.
    public func adding<Detail: ProtoMessage>(_ detail: Detail) -> RPCError {
        var copy = self
        var entry = Baton_Rpc_V1_ErrorDetail()
        entry.type = Detail.protoMessageName
        entry.value = (try? detail.serializedBytes()) ?? []
        copy.details.append(entry)
        return copy
    }

    /// The first detail of type `Detail`, decoded.
    public func detail<Detail: ProtoMessage>(_ type: Detail.Type) -> Detail? {
        details.lazy.filter { $0.type == Detail.protoMessageName }.compactMap { try? Detail(serializedBytes: $0.value) }
            .first
    }

    public var description: String { "\(code.name): \(message)" }

    /// The wire status. The message is capped at 4096 bytes of UTF-8 (it may echo client input,
    /// e.g. an unknown method name) and U+0000, which protobuf-c strings cannot carry, becomes
    /// U+FFFD, so trailers always encode.
    var status: Baton_Rpc_V1_Status {
        var status = Baton_Rpc_V1_Status()
        status.code = .init(rawValue: code.rawValue)
        status.message = RPCError.wireSafe(message, maxBytes: 4096)
        status.details = details
        return status
    }

    /// `text` without U+0000 and cut to at most `maxBytes` of UTF-8 on a character boundary.
    static func wireSafe(_ text: String, maxBytes: Int = .max) -> String {
        var safe = text.contains("\u{0}") ? text.replacingNUL() : text
        if safe.utf8.count > maxBytes {
            var cut = ""
            for character in safe {
                if cut.utf8.count + String(character).utf8.count > maxBytes - 3 { break }
                cut.append(character)
            }
            safe = cut + "..."
        }
        return safe
    }

    init(status: Baton_Rpc_V1_Status, metadata: RPCMetadata) {
        self.init(Code(rawValue: status.code.rawValue), status.message, details: status.details, metadata: metadata)
    }
}

extension String {
    fileprivate func replacingNUL() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 }))
    }
}
