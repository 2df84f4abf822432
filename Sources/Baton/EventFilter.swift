import BatonProtos

/// The filters of an Events/Watch request: different filters combine with AND, values of one
/// filter with OR, an empty filter matches everything. The store answers them
/// (`StoreReader.events(after:through:matching:limit:)`).
public struct EventFilter: Sendable {
    /// Events of any of these chats.
    public let chatIDs: Set<String>
    /// Events naming any of these reps in `rep_ids`.
    public let repIDs: Set<String>
    /// Events naming any of these teams in `team_ids`.
    public let teamIDs: Set<String>
    /// Events of any of these kinds (raw values).
    public let kinds: Set<Int32>

    /// The filter of `request`, or INVALID_ARGUMENT naming the bad field.
    public init(_ request: Baton_V1_WatchRequest) throws(BatonError) {
        var validator = Validator()
        for (name, values) in [
            ("chat_ids", request.chatIDs), ("rep_ids", request.repIDs), ("team_ids", request.teamIDs),
        ] {
            if values.count > 1000 { validator.fail(name, "\(name) has \(values.count) values, above 1000") }
            for (index, value) in values.enumerated() { validator.id(value, "\(name)[\(index)]") }
        }
        for (index, kind) in request.kinds.enumerated() where kind.rawValue < 1 || kind.rawValue > 16 {
            validator.fail("kinds[\(index)]", "kinds[\(index)] is not an event kind (\(kind.rawValue))")
        }
        if request.onlyNew && request.afterSequence != 0 {
            validator.fail("after_sequence", "after_sequence must be 0 with only_new, which starts after the newest event")
        }
        try validator.check()
        chatIDs = Set(request.chatIDs)
        repIDs = Set(request.repIDs)
        teamIDs = Set(request.teamIDs)
        kinds = Set(request.kinds.map(\.rawValue))
    }
}
