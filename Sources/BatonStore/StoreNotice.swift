import Baton

/// What the store tells its operator; batond logs it. An episode is a run of failures of one
/// kind (a full disk, a read-only database): reported when it starts and when writes have
/// worked again for a while, not once per failed call.
public enum StoreNotice: Sendable {
    /// The database's folder exists with a mode that lets others than its owner in.
    case looseFolderMode(folder: String, mode: UInt32)
    /// The first failure of an episode: writes fail this way until the operator fixes it.
    case episodeStarted(StoreFailure)
    /// Writes of an episode of this kind work again; `failedCalls` calls failed during it.
    case episodeEnded(StoreFailure.Kind, failedCalls: Int)
    /// A fault of the store itself, reported every time.
    case failed(StoreFailure)
}

/// Turns the store's failures and commits into notices, an episode reported once: a value-type
/// state machine whose transitions return the notice to send, if any.
///
/// One commit proves little: on a nearly full disk a small write fits in the WAL's reused pages
/// while the next large one fails, and ending the episode on each would log an error and a
/// recovery per alternation. So an episode ends only on a commit that follows
/// `commitsEndingAnEpisode` commits in a row, or `quietPeriodEndingAnEpisode`, without a failure.
struct FaultEpisodes {
    /// Commits in a row, with no failure between them, that end an episode.
    static let commitsEndingAnEpisode = 16
    /// Time without a failure after which a commit ends an episode: a store that writes rarely
    /// never makes the commits in a row.
    static let quietPeriodEndingAnEpisode = Duration.seconds(30)

    private struct Episode {
        var kind: StoreFailure.Kind
        var failedCalls: Int
        var lastFailure: ContinuousClock.Instant
        var commitsSinceFailure = 0
    }
    private var current: Episode?

    /// A read or write failed at `now`, failing `calls` calls.
    mutating func failed(_ failure: StoreFailure, calls: Int, at now: ContinuousClock.Instant) -> StoreNotice? {
        guard failure.kind != .internal else { return .failed(failure) }
        if var episode = current, episode.kind == failure.kind {
            episode.failedCalls += calls
            episode.lastFailure = now
            episode.commitsSinceFailure = 0
            current = episode
            return nil
        }
        current = Episode(kind: failure.kind, failedCalls: calls, lastFailure: now)
        return .episodeStarted(failure)
    }

    /// A write that changed rows committed at `now`. (A commit that changed nothing proves
    /// nothing: it writes nothing, full disk or not.)
    mutating func committedChanges(at now: ContinuousClock.Instant) -> StoreNotice? {
        guard var episode = current else { return nil }
        episode.commitsSinceFailure += 1
        guard
            episode.commitsSinceFailure >= Self.commitsEndingAnEpisode
                || now - episode.lastFailure >= Self.quietPeriodEndingAnEpisode
        else {
            current = episode
            return nil
        }
        current = nil
        return .episodeEnded(episode.kind, failedCalls: episode.failedCalls)
    }
}
