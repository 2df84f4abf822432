import BatonProtos
import Foundation

extension Handoff {
    /// Events deleted per transaction (a few rows each with their rep and team rows), so the
    /// sweep never holds the writer long while a backlog is pruned.
    static let pruneBatchSize = 500

    /// Remembered responses forgotten per transaction.
    static let forgetBatchSize = 2000

    /// Deletes the events committed before `now` minus the retention, oldest first, a batch per
    /// transaction; returns how many. Only a prefix of the log goes, so what remains has no gaps
    /// (a watcher that sees one knows it missed events), and the newest event always stays: the
    /// next sequence number is the last one plus one, so an empty log would start again at 1.
    func pruneEvents(now: Date) async throws(BatonError) -> Int {
        guard let retention = retention.events else { return 0 }
        let cutoff = now.addingTimeInterval(-retention)
        var pruned = 0
        while true {
            // Read (and decoded) on a snapshot, off the writer: events are only ever appended
            // after these, so they are still there to delete.
            let expired = try await read { reader in try Self.expiredEvents(reader, before: cutoff) }
            if expired.isEmpty { return pruned }
            try await write { transaction, _ in try transaction.delete(expired) }
            pruned += expired.count
            if expired.count < Self.pruneBatchSize { return pruned }
        }
    }

    /// The oldest events, up to a batch, committed before `cutoff`, without the newest event.
    private static func expiredEvents(_ reader: any StoreReader, before cutoff: Date) throws -> [Baton_V1_Event] {
        let last = try reader.lastEventSequence()
        func isExpired(_ event: Baton_V1_Event) -> Bool {
            event.sequence < last && (event.time?.date ?? .distantPast) < cutoff
        }
        // The sweep runs every second: one event tells whether a whole batch is worth decoding.
        guard let oldest = try reader.events(after: 0, limit: 1).first, isExpired(oldest) else { return [] }
        return Array(try reader.events(after: 0, limit: pruneBatchSize).prefix(while: isExpired))
    }

    /// Forgets the responses remembered before `now` minus the retention, a batch per
    /// transaction; returns how many. A retry with a forgotten key is performed anew.
    func forgetResponses(now: Date) async throws(BatonError) -> Int {
        guard let retention = retention.idempotentResponses else { return 0 }
        let cutoff = now.addingTimeInterval(-retention)
        let due = try await read { reader in try reader.oldestRememberedResponseTime().map { $0 < cutoff } ?? false }
        guard due else { return 0 }
        var forgotten = 0
        while true {
            let count = try await write { transaction, _ in
                try transaction.forgetResponses(rememberedBefore: cutoff, limit: Self.forgetBatchSize)
            }
            forgotten += count
            if count < Self.forgetBatchSize { return forgotten }
        }
    }
}
