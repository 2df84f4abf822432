import BatonProtos

/// A step of a watcher through the event log, read on one snapshot.
public struct EventPage: Sendable {
    /// The events that matched the filter, in order.
    public var events: [Baton_V1_Event]
    /// Every event up to this sequence is in `events` or did not match: where the watcher goes
    /// on from (and what it reports as its resume point).
    public var examinedThrough: UInt64
    /// The sequence of the oldest event kept, nil when the log is empty. A watcher whose cursor
    /// is below it minus one missed events the retention pruned.
    public var oldestKept: UInt64?
    /// Whether nothing committed (up to the bound asked for) is left past `examinedThrough`: the
    /// watcher waits for the next commit instead of reading on.
    public var isCaughtUp: Bool
}

extension Handoff {
    /// The most sequence numbers one filtered read spans, so a filter that rarely matches costs
    /// a bounded query per page instead of one over the whole rest of the log.
    static let eventScanSpan: UInt64 = 16_384

    /// Up to `limit` events after `sequence`, in order.
    public func events(after sequence: UInt64, limit: Int) async throws(BatonError) -> [Baton_V1_Event] {
        try await read { reader in try reader.events(after: sequence, limit: limit) }
    }

    /// Up to `limit` events matching `filter` after `cursor` and at most `bound` (nil: the last
    /// committed), in order, with how far the store looked. From before the oldest kept event the
    /// read starts at it: telling a watcher that expected the pruned ones is the caller's part,
    /// by `oldestKept`.
    public func events(
        after cursor: UInt64,
        through bound: UInt64?,
        matching filter: EventFilter,
        limit: Int
    ) async throws(BatonError) -> EventPage {
        try await read { reader in
            let oldest = try reader.oldestEventSequence()
            let last = try reader.lastEventSequence()
            let end = min(bound ?? last, last)
            let start = max(cursor, oldest.map { $0 - min($0, 1) } ?? 0)
            guard start < end else {
                return EventPage(events: [], examinedThrough: max(cursor, end), oldestKept: oldest, isCaughtUp: true)
            }
            let spanEnd = start + min(Self.eventScanSpan, end - start)
            let events = try reader.events(after: start, through: spanEnd, matching: filter, limit: limit)
            let examined = events.count == limit ? events[events.count - 1].sequence : spanEnd
            return EventPage(events: events, examinedThrough: examined, oldestKept: oldest, isCaughtUp: examined >= end)
        }
    }

    /// The sequence of the last committed event, 0 when none.
    public func lastEventSequence() async throws(BatonError) -> UInt64 {
        try await read { reader in try reader.lastEventSequence() }
    }
}
