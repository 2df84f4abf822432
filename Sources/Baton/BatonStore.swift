import BatonProtos
import Foundation

/// Where the domain keeps its state. Every write runs in one transaction: the change, its
/// transcript entries and its events commit together or not at all, and a write returns only
/// once committed. The SQLite store implements it; a shared PostgreSQL one could too. The
/// engine's own failures (a full disk, a read-only database) come as a `StoreFailure`.
public protocol BatonStore: Sendable {
    /// Runs `body` in a write transaction, committed if `body` returns and rolled back if it throws.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T
    /// Runs `body` on a consistent snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreReader) throws -> T) async throws -> T
}

/// What an id is assigned for.
public enum StoredIDKind: String, Sendable {
    case chat, transfer
}

/// A remembered response of an idempotent call.
public struct RememberedResponse: Sendable {
    /// The serialized request of the first call, to tell a retry from a reused key.
    public var fingerprint: [UInt8]
    /// The serialized response of the first call.
    public var response: [UInt8]

    public init(fingerprint: [UInt8], response: [UInt8]) {
        self.fingerprint = fingerprint
        self.response = response
    }
}

/// Where a page of the chat list starts: right after the chat with this update time and id, in
/// the list's order (most recently updated first, ties by id).
public struct ChatListPosition: Sendable, Equatable {
    public var updatedAt: Google_Protobuf_Timestamp
    public var id: String

    public init(updatedAt: Google_Protobuf_Timestamp, id: String) {
        self.updatedAt = updatedAt
        self.id = id
    }
}

/// Reads of the stored state. Reps, teams and chats come back as stored: output-only fields
/// derived from other rows (active chat counts, members, transcripts) are filled by the domain.
public protocol StoreReader: CalendarStoreReader {
    func rep(_ id: String) throws -> Baton_V1_Rep?
    /// Every rep, ordered by id.
    func reps() throws -> [Baton_V1_Rep]
    /// The reps with these ids that exist, ordered by id, in one query.
    func reps(ids: [String]) throws -> [Baton_V1_Rep]
    /// Up to `limit` reps with an id above `id` ("" for the first), ordered by id.
    func reps(after id: String, limit: Int) throws -> [Baton_V1_Rep]
    func team(_ id: String) throws -> Baton_V1_Team?
    /// Every team, ordered by id.
    func teams() throws -> [Baton_V1_Team]
    /// Up to `limit` teams with an id above `id` ("" for the first), ordered by id.
    func teams(after id: String, limit: Int) throws -> [Baton_V1_Team]
    func chat(_ id: String) throws -> Baton_V1_Chat?
    /// Up to `limit` chats matching the filters (nil matches any) after `position` (nil: from the
    /// start), most recently updated first, ties by id.
    func chats(
        ownerRepID: String?,
        teamID: String?,
        state: Baton_V1_ChatState?,
        after position: ChatListPosition?,
        limit: Int
    ) throws -> [Baton_V1_Chat]
    /// How many active chats `repID` owns.
    func activeChatCount(repID: String) throws -> Int
    /// How many active chats each of `repIDs` owns, in one query; reps owning none are absent.
    func activeChatCounts(repIDs: [String]) throws -> [String: Int]
    /// A chat's transcript entries with a sequence above `after`, in order, at most `limit`.
    func entries(chatID: String, after: UInt64, limit: Int?, everyoneOnly: Bool) throws -> [Baton_V1_TranscriptEntry]
    func transfer(_ id: String) throws -> Baton_V1_PendingTransfer?
    /// Ids of logged-in reps whose presence lease ran out at or before `instant`.
    func repsWithExpiredLease(at instant: Date) throws -> [String]
    /// Ids of pending transfers whose time ran out at or before `instant`.
    func expiredTransfers(at instant: Date) throws -> [String]
    /// Events with a sequence above `after`, in order, at most `limit`.
    func events(after: UInt64, limit: Int) throws -> [Baton_V1_Event]
    /// Events matching `filter` with a sequence above `after` and at most `through`, in order, at
    /// most `limit`: answered from indexes (by chat, rep and team), never by decoding the events
    /// the filter skips.
    func events(after: UInt64, through: UInt64, matching filter: EventFilter, limit: Int) throws -> [Baton_V1_Event]
    /// The sequence of the last event, 0 when there is none.
    func lastEventSequence() throws -> UInt64
    /// The sequence of the oldest event kept, nil when there is none.
    func oldestEventSequence() throws -> UInt64?
    /// The remembered response for `key` of `method`, if any.
    func rememberedResponse(method: String, key: String) throws -> RememberedResponse?
    /// When the oldest remembered response was remembered, nil when there is none.
    func oldestRememberedResponseTime() throws -> Date?
}

/// Writes, inside one transaction.
public protocol StoreTransaction: StoreReader, CalendarStoreTransaction {
    func save(_ rep: Baton_V1_Rep) throws
    func save(_ team: Baton_V1_Team) throws
    /// Saves a chat's own fields; its transcript is appended entry by entry.
    func save(_ chat: Baton_V1_Chat) throws
    func append(_ entry: Baton_V1_TranscriptEntry, chatID: String) throws
    func save(_ transfer: Baton_V1_PendingTransfer) throws
    /// Appends `event` to the log. The store gives it its sequence when the transaction
    /// commits, in commit order, so it is not known here.
    func append(_ event: Baton_V1_Event) throws
    func remember(_ response: RememberedResponse, method: String, key: String, at instant: Date) throws
    /// Forgets up to `limit` remembered responses, oldest first, remembered before `instant`;
    /// returns how many.
    func forgetResponses(rememberedBefore instant: Date, limit: Int) throws -> Int
    /// Deletes `events` from the log, with the rows that index them by rep and team.
    func delete(_ events: [Baton_V1_Event]) throws
    /// A new id for a chat or transfer, never handed out before.
    func nextID(_ kind: StoredIDKind) throws -> String
}
