import Baton
import BatonProtos
import BatonRPC

/// `baton.v1.Events`: streams the event log from a sequence number, then live.
///
/// A watcher subscribes to commit wake-ups before it reads anything, then always reads the
/// store after the last sequence it sent: history and live events come from the same ordered
/// log, so there is no gap and no duplicate, and a slow watcher holds at most one pending
/// wake-up and one page in memory (the runtime's flow control bounds the socket side).
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
            var info = Baton_V1_ErrorInfo()
            info.reason = .sequenceNotReached
            var metadata = Baton_V1_ErrorMetadata()
            metadata.key = "last_sequence"
            metadata.value = String(last)
            info.metadata = [metadata]
            throw RPCError(.outOfRange, "after_sequence \(request.afterSequence) is beyond the last event \(last)")
                .adding(info)
        }
        let stopAt = request.stopWhenCaughtUp ? last : nil
        var cursor = request.afterSequence
        var iterator = wakeUps.makeAsyncIterator()
        while true {
            let page = try await mapped { () async throws(BatonError) in
                try await handoff.events(after: cursor, limit: pageSize)
            }
            for event in page {
                if let stopAt, event.sequence > stopAt { return }
                cursor = event.sequence
                if filter.matches(event) { try await writer.send(event) }
            }
            if let stopAt, cursor >= stopAt { return }
            if page.count == pageSize { continue }
            guard await iterator.next() != nil else { return }
        }
    }
}
