/// Every failure of Baton's protobuf and JSON codecs: which message, which field when known, and
/// what was wrong with the input.
public struct ProtoCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong. A struct over a private enum so that new codes do not break clients.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case malformedWire = "malformed protobuf"
            case nestingTooDeep = "nesting too deep"
            case allocationBudgetExceeded = "allocation budget exceeded"
            case invalidUTF8 = "invalid UTF-8"
            case unrepresentableString = "string not representable in protobuf-c"
            case unknownMessageType = "unknown message type"
            case invalidJSON = "invalid JSON"
            case unknownField = "unknown field"
            case invalidFieldValue = "invalid field value"
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The bytes are not a valid protobuf encoding of the message (truncated, wrong wire type,
        /// a length past the end, ...).
        public static let malformedWire = Code(.malformedWire)
        /// Messages are nested deeper than `ProtoDecodingOptions.maxDepth`.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// Decoding needed more memory than `ProtoDecodingOptions.allocationBudget`.
        public static let allocationBudgetExceeded = Code(.allocationBudgetExceeded)
        /// A string field holds bytes that are not UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A string holds U+0000, which protobuf-c's NUL-terminated strings cannot carry.
        public static let unrepresentableString = Code(.unrepresentableString)
        /// No message of that full name is in Baton's schema.
        public static let unknownMessageType = Code(.unknownMessageType)
        /// The text is not JSON.
        public static let invalidJSON = Code(.invalidJSON)
        /// The JSON names a field the message does not have.
        public static let unknownField = Code(.unknownField)
        /// The JSON value does not fit the field's type (wrong JSON type, out of range, unknown enum name, ...).
        public static let invalidFieldValue = Code(.invalidFieldValue)

        public var description: String { wrapped.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The full name of the message being decoded or encoded, e.g. `baton.v1.Chat`.
    public var messageName: String
    /// The field, when the failure is tied to one (its proto name, e.g. `owner_rep_id`).
    public var fieldName: String?
    /// A human-readable explanation.
    public var detail: String

    public init(_ code: Code, messageName: String, fieldName: String? = nil, detail: String) {
        self.code = code
        self.messageName = messageName
        self.fieldName = fieldName
        self.detail = detail
    }

    public var description: String {
        let location = fieldName.map { "\(messageName).\($0)" } ?? messageName
        return "\(location): \(code): \(detail)"
    }
}
