import Baton
import BatonProtos
import Foundation

/// One question a body asks the store: a read, or an operation whose answer the body uses (a new
/// id, how many responses a sweep forgot). The staged replay answers it from what the connection
/// said on an earlier run (see `StagedTransaction`).
enum StagedRead: Equatable, Sendable {
    case rep(String)
    case reps
    case repsByID([String])
    case repsAfter(String, limit: Int)
    case team(String)
    case teams
    case teamsAfter(String, limit: Int)
    case chat(String)
    case chats(ChatQuery)
    case activeChatCount(repID: String)
    case activeChatCounts(repIDs: [String])
    case entries(chatID: String, after: UInt64, limit: Int?, everyoneOnly: Bool)
    case transfer(String)
    case repsWithExpiredLease(atMicros: Int64)
    case expiredTransfers(atMicros: Int64)
    case events(after: UInt64, limit: Int)
    case matchingEvents(EventQuery)
    case lastEventSequence
    case oldestEventSequence
    case rememberedResponse(method: String, key: String)
    case oldestRememberedResponseTime
    case schedule(repID: String)
    case meeting(String)
    case meetings(MeetingQuery)
    case bookedIntervals(repID: String, fromMicros: Int64, toMicros: Int64)
    case nextID(StoredIDKind)
    case nextMeetingID
    case forgetResponses(beforeMicros: Int64, limit: Int)

    /// A page of the chat list.
    struct ChatQuery: Equatable, Sendable {
        var ownerRepID: String?
        var teamID: String?
        var state: Int32?
        /// The keyset position: update time (microseconds) and id of the last chat of the page before.
        var afterUpdatedAt: Int64?
        var afterID: String?
        var limit: Int
    }

    /// Events of a bounded span matching a filter.
    struct EventQuery: Equatable, Sendable {
        var after: UInt64
        var through: UInt64
        var chatIDs: [String]
        var repIDs: [String]
        var teamIDs: [String]
        var kinds: [Int32]
        var limit: Int
    }

    /// Meetings matching filters, nil matching any.
    struct MeetingQuery: Equatable, Sendable {
        var repIDs: [String]?
        var chatID: String?
        var fromMicros: Int64?
        var toMicros: Int64?
        var state: Int32?
    }
}

/// What the connection answered to a `StagedRead`.
enum StagedAnswer: Sendable {
    case rep(Baton_V1_Rep?)
    case reps([Baton_V1_Rep])
    case team(Baton_V1_Team?)
    case teams([Baton_V1_Team])
    case chat(Baton_V1_Chat?)
    case chats([Baton_V1_Chat])
    case count(Int)
    case counts([String: Int])
    case entries([Baton_V1_TranscriptEntry])
    case transfer(Baton_V1_PendingTransfer?)
    case ids([String])
    case events([Baton_V1_Event])
    case sequence(UInt64?)
    case rememberedResponse(RememberedResponse?)
    case time(Date?)
    case schedule(Baton_V1_Schedule?)
    case meeting(Baton_V1_Meeting?)
    case meetings([Baton_V1_Meeting])
    case intervals([Range<Date>])
    case id(String)
}

/// Thrown by a `StagedTransaction` at the first read this run has no answer for; never seen by
/// the domain, which only catches its own errors (`BatonError`, `PostedBookerFailure`).
struct StagedReadMiss: Error {
    let read: StagedRead
}

/// A change a body made, sent to the server in order before the next read or the commit.
enum StagedWrite: Sendable {
    case rep(Baton_V1_Rep)
    case team(Baton_V1_Team)
    case chat(Baton_V1_Chat)
    case entry(Baton_V1_TranscriptEntry, chatID: String)
    case transfer(Baton_V1_PendingTransfer)
    case remember(RememberedResponse, method: String, key: String, atMicros: Int64)
    case deleteEvents([Baton_V1_Event])
    case schedule(Baton_V1_Schedule)
    case meeting(Baton_V1_Meeting)
}

/// Microseconds since 1970, as every time column stores them; instants past Int64's range (no
/// valid Timestamp is) clamp instead of trapping.
func storedMicros(_ date: Date) -> Int64 {
    let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
    guard micros.isFinite else { return 0 }
    return Int64(exactly: micros) ?? (micros < 0 ? .min : .max)
}

/// The instant `micros` microseconds after 1970.
func storedDate(_ micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }
