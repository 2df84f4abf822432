import BatonProtos

extension Handoff {
    /// Up to `limit` events after `sequence`, in order.
    public func events(after sequence: UInt64, limit: Int) async throws(BatonError) -> [Baton_V1_Event] {
        try await read { reader in try reader.events(after: sequence, limit: limit) }
    }

    /// The sequence of the last committed event, 0 when none.
    public func lastEventSequence() async throws(BatonError) -> UInt64 {
        try await read { reader in try reader.lastEventSequence() }
    }
}
