import Baton
@testable import BatonStore
import Testing

/// When the store tells the operator that writes work again: not on the first commit after a
/// failure, which on a nearly full disk proves little, but after commits in a row or a quiet
/// while.
@Suite struct FaultEpisodesTests {
    private let full = StoreFailure(.outOfSpace, detail: "database or disk is full")
    private let start = ContinuousClock.now

    @Test func aFailureInsideTheEpisodeRestartsTheCountOfCommitsAndIsOnlyCounted() {
        var episodes = FaultEpisodes()
        #expect(episodes.failed(full, calls: 1, at: start) != nil)
        for _ in 1..<FaultEpisodes.commitsEndingAnEpisode {
            #expect(episodes.committedChanges(at: start) == nil)
        }
        #expect(episodes.failed(full, calls: 2, at: start) == nil, "the episode is still open: not reported again")
        for _ in 1..<FaultEpisodes.commitsEndingAnEpisode {
            #expect(episodes.committedChanges(at: start) == nil)
        }
        let ended = episodes.committedChanges(at: start)
        guard case .episodeEnded(.outOfSpace, let failedCalls)? = ended else {
            Issue.record("the episode did not end: \(String(describing: ended))")
            return
        }
        #expect(failedCalls == 3)
        #expect(episodes.committedChanges(at: start) == nil, "an episode ends once")
    }

    @Test func aCommitAfterTheQuietPeriodEndsTheEpisode() {
        var episodes = FaultEpisodes()
        #expect(episodes.failed(full, calls: 1, at: start) != nil)
        let almost = start + FaultEpisodes.quietPeriodEndingAnEpisode - .milliseconds(1)
        #expect(episodes.committedChanges(at: almost) == nil)
        let ended = episodes.committedChanges(at: start + FaultEpisodes.quietPeriodEndingAnEpisode)
        guard case .episodeEnded(.outOfSpace, failedCalls: 1)? = ended else {
            Issue.record("the episode did not end: \(String(describing: ended))")
            return
        }
    }
}
