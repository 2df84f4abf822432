import Baton

/// What the store tells its operator; batond logs it. An episode is a run of failures of one
/// kind (a full disk, a read-only database): reported when it starts and when a write commits
/// again, not once per failed call.
public enum StoreNotice: Sendable {
    /// The database's folder exists with a mode that lets others than its owner in.
    case looseFolderMode(folder: String, mode: UInt32)
    /// The first failure of an episode: writes fail this way until the operator fixes it.
    case episodeStarted(StoreFailure)
    /// A write committed after an episode of this kind: writes work again.
    case episodeEnded(StoreFailure.Kind)
    /// A fault of the store itself, reported every time.
    case failed(StoreFailure)
}

/// Turns the store's failures and commits into notices, an episode reported once: a value-type
/// state machine whose transitions return the notice to send, if any.
struct FaultEpisodes {
    private var current: StoreFailure.Kind?

    /// A read or write failed.
    mutating func failed(_ failure: StoreFailure) -> StoreNotice? {
        guard failure.kind != .internal else { return .failed(failure) }
        guard failure.kind != current else { return nil }
        current = failure.kind
        return .episodeStarted(failure)
    }

    /// A write that changed rows committed: whatever failed before works again. (A commit that
    /// changed nothing proves nothing: it writes nothing, full disk or not.)
    mutating func committedChanges() -> StoreNotice? {
        guard let kind = current else { return nil }
        current = nil
        return .episodeEnded(kind)
    }
}
