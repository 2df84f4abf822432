/// How proto3 JSON is read into messages.
public struct ProtoJSONDecodingOptions: Sendable, Hashable {
    /// Skips members the message does not have, and enum names the schema does not know (the
    /// field keeps its default), instead of failing: for JSON written against a newer schema.
    public var ignoreUnknownFields: Bool
    /// Limits for untrusted input. `maxDepth` caps the JSON's nesting, each object and each array
    /// being one level; `allocationBudget` caps the memory of the C structs built from it.
    public var limits: ProtoDecodingOptions

    public init(ignoreUnknownFields: Bool = false, limits: ProtoDecodingOptions = ProtoDecodingOptions()) {
        self.ignoreUnknownFields = ignoreUnknownFields
        self.limits = limits
    }
}
