/// How messages are written as proto3 JSON.
public struct ProtoJSONEncodingOptions: Sendable, Hashable {
    /// Writes fields that hold their default (zero, false, empty string or bytes, the first enum
    /// value, an empty list) instead of leaving them out. Message fields are written only when
    /// present either way, and a oneof member that is set is always written.
    public var emitDefaultValues: Bool
    /// Breaks lines and indents nested values by two spaces.
    public var prettyPrinted: Bool
    /// Names fields as the schema does (`owner_rep_id`) instead of in lowerCamelCase (`ownerRepId`).
    public var useProtoNames: Bool

    public init(emitDefaultValues: Bool = false, prettyPrinted: Bool = false, useProtoNames: Bool = false) {
        self.emitDefaultValues = emitDefaultValues
        self.prettyPrinted = prettyPrinted
        self.useProtoNames = useProtoNames
    }
}
