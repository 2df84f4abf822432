/// Limits applied when decoding untrusted bytes.
public struct ProtoDecodingOptions: Sendable, Hashable {
    /// The deepest nesting of messages accepted; the outermost message is depth 1. protobuf-c has
    /// no limit of its own, so Baton checks the bytes before handing them over.
    public var maxDepth: Int
    /// The most memory one decode may allocate for the unpacked C structs. protobuf-c can expand
    /// its input about 32 times; past the budget the decode fails instead of allocating.
    public var allocationBudget: Int

    public init(maxDepth: Int = 100, allocationBudget: Int = 64 << 20) {
        self.maxDepth = maxDepth
        self.allocationBudget = allocationBudget
    }
}
