import BatonProtos
import Foundation

/// What one sweep did.
public struct SweepResult: Sendable, Equatable {
    /// Reps logged out because their presence lease ran out.
    public var loggedOutRepIDs: [String] = []
    /// Two-phase transfers that expired unanswered.
    public var expiredTransferIDs: [String] = []
    /// Events deleted because they were older than the retention.
    public var prunedEventCount = 0
    /// Remembered responses forgotten because they were older than the retention.
    public var forgottenResponseCount = 0

    /// True when the sweep found nothing to do.
    public var isEmpty: Bool { self == SweepResult() }
}

extension Handoff {
    /// Logs out reps whose lease ran out and expires unanswered transfers, as of the clock's now,
    /// in one transaction, with an event (actor: the system) for each; then deletes the events
    /// and remembered responses older than the retention.
    public func sweep() async throws(BatonError) -> SweepResult {
        var result = try await expireLeasesAndTransfers()
        let now = clock.now
        result.prunedEventCount = try await pruneEvents(now: now)
        result.forgottenResponseCount = try await forgetResponses(now: now)
        return result
    }

    private func expireLeasesAndTransfers() async throws(BatonError) -> SweepResult {
        let now = clock.now
        let due = try await read { reader in
            try !reader.repsWithExpiredLease(at: now).isEmpty || !reader.expiredTransfers(at: now).isEmpty
        }
        guard due else { return SweepResult() }
        return try await write { transaction, now in
            var result = SweepResult()
            let change = Change(transaction, now: now, actor: .system, caller: .server)
            for id in try transaction.repsWithExpiredLease(at: now) {
                guard var rep = try transaction.rep(id) else { continue }
                let before = rep
                rep.presence = .loggedOut
                rep.leaseExpiresAt = nil
                rep.version += 1
                rep.updatedAt = change.timestamp
                try transaction.save(rep)
                try emitPresenceChanges(change, before: before, after: rep, cause: .leaseExpired)
                result.loggedOutRepIDs.append(id)
            }
            for id in try transaction.expiredTransfers(at: now) {
                guard let transfer = try transaction.transfer(id), var chat = try transaction.chat(transfer.chatID)
                else { continue }
                try resolve(transfer, as: .expired, chat: &chat, change: change, by: "", reason: "")
                result.expiredTransferIDs.append(id)
            }
            return result
        }
    }
}
