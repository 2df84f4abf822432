import Baton
import BatonProtos
import BatonRPC

/// `baton.v1.Events`: streams the event log from a sequence number, then live.
///
/// The store answers the filters (reps and teams through their indexed rows, chats and kinds
/// within a bounded range of sequence numbers), so the server does not decode every event for a
/// filtered watcher. A watcher subscribes to commit wake-ups before it reads anything, then always reads the
/// store after the last sequence it sent: history and live events come from the same ordered
/// log, so there is no gap and no duplicate, and a slow watcher holds at most one pending
/// wake-up and one page in memory (the runtime's flow control bounds the socket side). Events
/// the retention pruned before the watcher reached them end the call with EVENTS_EXPIRED
/// instead of being silently skipped.
public struct EventsService: RPCService {
    /// Events read from the store per query.
    static let pageSize = 256

    private let handoff: Handoff

    public init(handoff: Handoff) { self.handoff = handoff }

    public var methods: [RPCMethodHandler] {
        let handoff = self.handoff
        return [
            .serverStreaming("/baton.v1.Events/Watch") {
                (request: Baton_V1_WatchRequest, writer: RPCStreamWriter<Baton_V1_Event>, _) in
                try await Self.watch(request, writer: writer, handoff: handoff)
            }
            .endingOnShutdown()
        ]
    }

    private static func watch(
        _ request: Baton_V1_WatchRequest,
        writer: RPCStreamWriter<Baton_V1_Event>,
        handoff: Handoff
    ) async throws {
        let filter = try await mapped { () async throws(BatonError) in try EventFilter(request) }
        let wakeUps = handoff.signal.subscribe()
        let last = try await mapped { () async throws(BatonError) in try await handoff.lastEventSequence() }
        if request.afterSequence > last {
            throw outOfRange(
                .sequenceNotReached,
                "after_sequence \(request.afterSequence) is beyond the last event \(last)",
                "last_sequence",
                last
            )
        }
        let stopAt = request.stopWhenCaughtUp ? last : nil
        var cursor = request.onlyNew ? last : request.afterSequence
        // The log has no gaps but the prefix the sweep pruned: from 0 the first page starts at
        // the oldest event kept, but after a resume point (or once reading) an oldest kept event
        // beyond the next one means events this watcher never examined were deleted.
        var expectsNext = request.afterSequence > 0
        var iterator = wakeUps.makeAsyncIterator()
        while true {
            let page = try await mapped { [cursor] () async throws(BatonError) in
                try await handoff.events(after: cursor, through: stopAt, matching: filter, limit: pageSize)
            }
            if expectsNext, let oldest = page.oldestKept, oldest > cursor + 1 {
                throw outOfRange(
                    .eventsExpired,
                    "events after \(cursor) have expired; the oldest still available is \(oldest)",
                    "oldest_sequence",
                    oldest
                )
            }
            expectsNext = true
            for event in page.events {
                try await writer.send(event)
                // A call ended mid-page (a drain, its deadline) resumes after what it received.
                writer.setTrailingMetadata([Baton_V1_WatchRequest.resumeAfterMetadataKey: String(event.sequence)])
            }
            cursor = page.examinedThrough
            // Everything up to the cursor was sent or filtered out: a filtered watcher resumes
            // from here, not from its last event, which may be long before (and pruned since).
            writer.setTrailingMetadata([Baton_V1_WatchRequest.resumeAfterMetadataKey: String(cursor)])
            if let stopAt, cursor >= stopAt { return }
            if !page.isCaughtUp { continue }
            guard await iterator.next() != nil else { return }
        }
    }

    /// OUT_OF_RANGE with `reason`, and the sequence the client can go on from as metadata `key`.
    private static func outOfRange(
        _ reason: Baton_V1_ErrorReason,
        _ message: String,
        _ key: String,
        _ sequence: UInt64
    ) -> RPCError {
        var info = Baton_V1_ErrorInfo()
        info.reason = reason
        var metadata = Baton_V1_ErrorMetadata()
        metadata.key = key
        metadata.value = String(sequence)
        info.metadata = [metadata]
        return RPCError(.outOfRange, message).adding(info)
    }
}
