import Baton
import BatonProtos
import Foundation
import GRDB

/// The store's reads and writes on one GRDB connection, inside the transaction GRDB opened.
///
/// Within one transaction it remembers what it read or wrote (reps, teams, the last event
/// sequence), so a change that looks the same rep up several times reads and decodes it once.
/// Writes wait for `flush()`, which the store runs before the transaction commits (and which
/// runs before any query that could see them): the last saved version of each chat is written
/// once instead of on every step, and appended transcript entries and events go in a few rows
/// per INSERT.
struct SQLiteTransaction: StoreTransaction {
    let db: Database
    private let cache = Cache()

    init(db: Database) { self.db = db }

    /// What this transaction has read or written, valid only while it is open.
    private final class Cache {
        /// Reps read or saved, nil for ids known to be absent.
        var reps: [String: Baton_V1_Rep?] = [:]
        /// Every team, once read and until one is saved.
        var teams: [Baton_V1_Team]? = nil
        /// The last event sequence, once known.
        var lastEventSequence: UInt64? = nil
        /// The team and state columns of chat rows as this transaction read or wrote them.
        var storedChatColumns: [String: ChatColumns] = [:]
        /// Chats saved but not written yet, by id, in the order first saved.
        var pendingChats: [String: Baton_V1_Chat] = [:]
        var pendingOrder: [String] = []
        /// Rows appended but not inserted yet, per table: inserted by `flush()` a few rows per
        /// statement.
        var pendingRows: [PendingRows] = PendingTable.allCases.map { PendingRows(table: $0) }
        var hasPendingRows = false
    }

    /// A chat row's indexed columns besides its owner.
    struct ChatColumns: Equatable {
        var teamID: String
        var state: Baton_V1_ChatState

        init(_ chat: Baton_V1_Chat) {
            teamID = chat.teamID
            state = chat.state
        }
    }

    /// The append-only tables whose inserts wait for `flush()`.
    enum PendingTable: Int, CaseIterable {
        case entries, events, eventReps, eventTeams

        var insert: String {
            switch self {
            case .entries: "INSERT INTO transcript_entries (chat_id, sequence, everyone, data) VALUES "
            case .events: "INSERT INTO events (sequence, kind, chat_id, actor_rep_id, request_id, data) VALUES "
            case .eventReps: "INSERT INTO event_reps (rep_id, sequence) VALUES "
            case .eventTeams: "INSERT INTO event_teams (team_id, sequence) VALUES "
            }
        }

        var columns: Int {
            switch self {
            case .entries: 4
            case .events: 6
            case .eventReps, .eventTeams: 2
            }
        }

        /// The INSERT of `count` rows (1...rowsPerInsert), built once.
        func sql(rows count: Int) -> String { Self.statements[rawValue][count - 1] }

        private static let statements: [[String]] = allCases.map { table in
            let row = "(" + Array(repeating: "?", count: table.columns).joined(separator: ", ") + ")"
            return (1...SQLiteTransaction.rowsPerInsert).map { count in
                table.insert + Array(repeating: row, count: count).joined(separator: ", ")
            }
        }
    }

    /// Rows of one table waiting to be inserted, their values one after the other.
    struct PendingRows {
        let table: PendingTable
        var values: [DatabaseValue] = []
    }

    /// Queues a row for `table`, inserted by the next `flush()`.
    private func queue(_ table: PendingTable, _ values: [DatabaseValue]) {
        cache.pendingRows[table.rawValue].values += values
        cache.hasPendingRows = true
    }

    /// The most rows one INSERT carries.
    fileprivate static let rowsPerInsert = 16

    /// Writes the rows appended and the chats saved since the last flush. Runs before commit and
    /// before any query over those tables (beyond one chat by id, answered from what was saved).
    func flush() throws {
        if cache.hasPendingRows {
            let tables = cache.pendingRows
            cache.pendingRows = PendingTable.allCases.map { PendingRows(table: $0) }
            cache.hasPendingRows = false
            for pending in tables where !pending.values.isEmpty {
                let width = pending.table.columns
                let rowCount = pending.values.count / width
                var start = 0
                while start < rowCount {
                    let count = min(Self.rowsPerInsert, rowCount - start)
                    let values = pending.values[(start * width)..<((start + count) * width)]
                    try db.cachedStatement(sql: pending.table.sql(rows: count))
                        .execute(arguments: Self.arguments(values))
                    start += count
                }
            }
        }
        guard !cache.pendingOrder.isEmpty else { return }
        let order = cache.pendingOrder
        let pending = cache.pendingChats
        cache.pendingOrder = []
        cache.pendingChats = [:]
        for id in order {
            try write(pending[id]!)
        }
    }

    /// `values` as statement arguments. GRDB's initializer for a sequence of concrete values
    /// maps them through a key path it builds on every call, unspecialized across modules: a
    /// quarter of the flush's time. Its initializer for optional existentials maps with a
    /// closure.
    private static func arguments(_ values: ArraySlice<DatabaseValue>) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in value })
    }

    // MARK: Reads

    func rep(_ id: String) throws -> Baton_V1_Rep? {
        if let cached = cache.reps[id] { return cached }
        let rep: Baton_V1_Rep? = try one("SELECT data FROM reps WHERE id = ?", [id])
        cache.reps[id] = .some(rep)
        return rep
    }

    func reps() throws -> [Baton_V1_Rep] { try all("SELECT data FROM reps ORDER BY id", []) }

    func reps(ids: [String]) throws -> [Baton_V1_Rep] {
        let missing = Array(Set(ids.filter { cache.reps[$0] == nil }))
        if !missing.isEmpty {
            let found: [Baton_V1_Rep] = try all(
                "SELECT data FROM reps WHERE id IN (SELECT value FROM json_each(?))",
                [try jsonArray(missing)]
            )
            for id in missing { cache.reps[id] = .some(nil) }
            for rep in found { cache.reps[rep.id] = .some(rep) }
        }
        return Set(ids).sorted().compactMap { cache.reps[$0] ?? nil }
    }

    func reps(after id: String, limit: Int) throws -> [Baton_V1_Rep] {
        try all("SELECT data FROM reps WHERE id > ? ORDER BY id LIMIT ?", [id, limit])
    }

    func team(_ id: String) throws -> Baton_V1_Team? { try one("SELECT data FROM teams WHERE id = ?", [id]) }

    func teams() throws -> [Baton_V1_Team] {
        if let cached = cache.teams { return cached }
        let teams: [Baton_V1_Team] = try all("SELECT data FROM teams ORDER BY id", [])
        cache.teams = teams
        return teams
    }

    func teams(after id: String, limit: Int) throws -> [Baton_V1_Team] {
        try all("SELECT data FROM teams WHERE id > ? ORDER BY id LIMIT ?", [id, limit])
    }

    func chat(_ id: String) throws -> Baton_V1_Chat? {
        if let pending = cache.pendingChats[id] { return pending }
        let chat: Baton_V1_Chat? = try one("SELECT data FROM chats WHERE id = ?", [id])
        if let chat { cache.storedChatColumns[id] = ChatColumns(chat) }
        return chat
    }

    func chats(
        ownerRepID: String?,
        teamID: String?,
        state: Baton_V1_ChatState?,
        after position: ChatListPosition?,
        limit: Int
    ) throws -> [Baton_V1_Chat] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let ownerRepID {
            conditions.append("owner_rep_id = ?")
            arguments += [ownerRepID]
        }
        if let teamID {
            conditions.append("team_id = ?")
            arguments += [teamID]
        }
        if let state {
            conditions.append("state = ?")
            arguments += [state.rawValue]
        }
        if let position {
            // The list's order, updated_at descending then id ascending, as one keyset condition.
            let updatedAt = micros(position.updatedAt.date)
            conditions.append("(updated_at < ? OR (updated_at = ? AND id > ?))")
            arguments += [updatedAt, updatedAt, position.id]
        }
        try flush()
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [limit]
        return try all("SELECT data FROM chats \(filter) ORDER BY updated_at DESC, id LIMIT ?", arguments)
    }

    func activeChatCount(repID: String) throws -> Int {
        try flush()
        return try Int.fetchOne(
            db.cachedStatement(sql: "SELECT COUNT(*) FROM chats WHERE owner_rep_id = ? AND state = ?"),
            arguments: [repID, Baton_V1_ChatState.active.rawValue]
        ) ?? 0
    }

    func activeChatCounts(repIDs: [String]) throws -> [String: Int] {
        guard !repIDs.isEmpty else { return [:] }
        try flush()
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT owner_rep_id, COUNT(*) FROM chats
                    WHERE owner_rep_id IN (SELECT value FROM json_each(?)) AND state = ? GROUP BY owner_rep_id
                    """
            ),
            arguments: [try jsonArray(repIDs), Baton_V1_ChatState.active.rawValue]
        )
        return Dictionary(rows.map { (row: Row) -> (String, Int) in (row[0], row[1]) }, uniquingKeysWith: +)
    }

    // Sequences are SQLite's signed integers: after anything above Int64.max there is nothing,
    // as after Int64.max, so `after` clamps instead of trapping.
    func entries(chatID: String, after: UInt64, limit: Int?, everyoneOnly: Bool) throws -> [Baton_V1_TranscriptEntry] {
        try flush()
        return try all(
            """
            SELECT data FROM transcript_entries WHERE chat_id = ? AND sequence > ? \(everyoneOnly ? "AND everyone = 1" : "")
            ORDER BY sequence LIMIT ?
            """,
            [chatID, Int64(clamping: after), limit ?? -1]
        )
    }

    func transfer(_ id: String) throws -> Baton_V1_PendingTransfer? {
        try one("SELECT data FROM transfers WHERE id = ?", [id])
    }

    func repsWithExpiredLease(at instant: Date) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(sql: "SELECT id FROM reps WHERE lease_expires_at <= ? AND logged_in = 1 ORDER BY id"),
            arguments: [micros(instant)]
        )
    }

    func expiredTransfers(at instant: Date) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(
                sql: "SELECT id FROM transfers WHERE state = 1 AND expires_at <= ? ORDER BY expires_at, id"
            ),
            arguments: [micros(instant)]
        )
    }

    func events(after: UInt64, limit: Int) throws -> [Baton_V1_Event] {
        try flush()
        return try all(
            "SELECT data FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?",
            [Int64(clamping: after), limit]
        )
    }

    func events(after: UInt64, through: UInt64, matching filter: EventFilter, limit: Int) throws -> [Baton_V1_Event] {
        try flush()
        // Lists bind as one JSON array each: one cached statement per combination of filters,
        // whatever the number of values. Rep and team filters read event_reps / event_teams by
        // their primary key over the sequence range. Chat and kind filters check the rows the
        // others (or the range, which the caller bounds) selected: an index by chat would cost
        // every commit an insert, and a watch of one chat reads the log once to catch up.
        var conditions = ["sequence > :after", "sequence <= :through"]
        var arguments: [String: (any DatabaseValueConvertible)?] = [
            "after": Int64(clamping: after), "through": Int64(clamping: through), "limit": limit,
        ]
        if !filter.chatIDs.isEmpty {
            conditions.append("chat_id IN (SELECT value FROM json_each(:chats))")
            arguments["chats"] = try jsonArray(Array(filter.chatIDs))
        }
        if !filter.repIDs.isEmpty {
            conditions.append(
                """
                sequence IN (SELECT sequence FROM event_reps WHERE rep_id IN (SELECT value FROM json_each(:reps))
                    AND sequence > :after AND sequence <= :through)
                """
            )
            arguments["reps"] = try jsonArray(Array(filter.repIDs))
        }
        if !filter.teamIDs.isEmpty {
            conditions.append(
                """
                sequence IN (SELECT sequence FROM event_teams WHERE team_id IN (SELECT value FROM json_each(:teams))
                    AND sequence > :after AND sequence <= :through)
                """
            )
            arguments["teams"] = try jsonArray(Array(filter.teamIDs))
        }
        if !filter.kinds.isEmpty {
            conditions.append("kind IN (SELECT value FROM json_each(:kinds))")
            arguments["kinds"] = try jsonArray(Array(filter.kinds))
        }
        return try all(
            "SELECT data FROM events WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence LIMIT :limit",
            StatementArguments(arguments)
        )
    }

    func oldestEventSequence() throws -> UInt64? {
        try flush()
        return try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(sequence) FROM events")).map {
            UInt64(clamping: $0)
        }
    }

    func lastEventSequence() throws -> UInt64 {
        if let cached = cache.lastEventSequence { return cached }
        let last = UInt64(
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(sequence), 0) FROM events")) ?? 0
        )
        cache.lastEventSequence = last
        return last
    }

    func rememberedResponse(method: String, key: String) throws -> RememberedResponse? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT fingerprint, response FROM idempotency WHERE method = ? AND key = ?"),
                arguments: [method, key]
            )
        else { return nil }
        let fingerprint: Data = row["fingerprint"]
        let response: Data = row["response"]
        return RememberedResponse(fingerprint: Array(fingerprint), response: Array(response))
    }

    func oldestRememberedResponseTime() throws -> Date? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(created_at) FROM idempotency"))
            .map { Date(timeIntervalSince1970: Double($0) / 1_000_000) }
    }

    // MARK: Writes

    func save(_ rep: Baton_V1_Rep) throws {
        try run(
            """
            INSERT INTO reps (id, logged_in, lease_expires_at, data) VALUES (?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET
                logged_in = excluded.logged_in, lease_expires_at = excluded.lease_expires_at, data = excluded.data
            """,
            arguments: [
                rep.id, rep.presence == .loggedIn ? 1 : 0, rep.leaseExpiresAt.map { micros($0.date) },
                try blob(rep),
            ]
        )
        cache.reps[rep.id] = .some(rep)
    }

    func save(_ team: Baton_V1_Team) throws {
        var stored = team
        stored.memberRepIDs = []
        try run("INSERT OR REPLACE INTO teams (id, data) VALUES (?, ?)", arguments: [team.id, try blob(stored)])
        cache.teams = nil
    }

    func save(_ chat: Baton_V1_Chat) throws {
        var stored = chat
        stored.transcript = []
        if cache.pendingChats.updateValue(stored, forKey: chat.id) == nil { cache.pendingOrder.append(chat.id) }
    }

    /// Writes a chat row (its transcript already cleared). An existing row is updated in place:
    /// a REPLACE would delete it and insert it again under a new rowid, rewriting every index of
    /// the table and one more page of it on each transfer. A row whose team and state this
    /// transaction knows unchanged (a transfer) leaves the index by team alone: SQLite rewrites
    /// the index entries of every column an UPDATE sets, changed or not. The columns are
    /// recorded only once written: after a failed statement the row still has its old ones.
    private func write(_ stored: Baton_V1_Chat) throws {
        let chat = stored
        let columns = ChatColumns(chat)
        if cache.storedChatColumns[chat.id] == columns {
            try run(
                "UPDATE chats SET owner_rep_id = ?, updated_at = ?, data = ? WHERE id = ?",
                arguments: [chat.ownerRepID, chat.updatedAt.map { micros($0.date) } ?? 0, try blob(stored), chat.id]
            )
            // No row changed: it is not the row this transaction read (gone since); write it whole.
            if db.changesCount == 1 { return }
        }
        try run(
            """
            INSERT INTO chats (id, owner_rep_id, team_id, state, updated_at, data) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET
                owner_rep_id = excluded.owner_rep_id, team_id = excluded.team_id, state = excluded.state,
                updated_at = excluded.updated_at, data = excluded.data
            """,
            arguments: [
                chat.id, chat.ownerRepID, chat.teamID, chat.state.rawValue, chat.updatedAt.map { micros($0.date) } ?? 0,
                try blob(stored),
            ]
        )
        cache.storedChatColumns[chat.id] = columns
    }

    func append(_ entry: Baton_V1_TranscriptEntry, chatID: String) throws {
        queue(
            .entries,
            [
                chatID.databaseValue, Int64(entry.sequence).databaseValue,
                (entry.visibility == .everyone ? 1 : 0).databaseValue, try blob(entry).databaseValue,
            ]
        )
    }

    func save(_ transfer: Baton_V1_PendingTransfer) throws {
        try run(
            """
            INSERT INTO transfers (id, chat_id, state, expires_at, data) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET
                chat_id = excluded.chat_id, state = excluded.state, expires_at = excluded.expires_at,
                data = excluded.data
            """,
            arguments: [
                transfer.id, transfer.chatID, transfer.state.rawValue, transfer.expiresAt.map { micros($0.date) } ?? 0,
                try blob(transfer),
            ]
        )
    }

    func append(_ event: Baton_V1_Event) throws {
        var event = event
        event.sequence = try lastEventSequence() + 1
        let sequence = Int64(event.sequence)
        queue(
            .events,
            [
                sequence.databaseValue, event.kind.rawValue.databaseValue, event.chatID.databaseValue,
                event.actorRepID.databaseValue, event.requestID.databaseValue, try blob(event).databaseValue,
            ]
        )
        cache.lastEventSequence = event.sequence
        for rep in event.repIDs { queue(.eventReps, [rep.databaseValue, sequence.databaseValue]) }
        for team in event.teamIDs { queue(.eventTeams, [team.databaseValue, sequence.databaseValue]) }
    }

    func remember(_ response: RememberedResponse, method: String, key: String, at instant: Date) throws {
        try run(
            "INSERT INTO idempotency (method, key, fingerprint, response, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [method, key, Data(response.fingerprint), Data(response.response), micros(instant)]
        )
    }

    func forgetResponses(rememberedBefore instant: Date, limit: Int) throws -> Int {
        try run(
            """
            DELETE FROM idempotency WHERE rowid IN
                (SELECT rowid FROM idempotency WHERE created_at < ? ORDER BY created_at LIMIT ?)
            """,
            arguments: [micros(instant), limit]
        )
        return db.changesCount
    }

    func delete(_ events: [Baton_V1_Event]) throws {
        for event in events {
            let sequence = Int64(event.sequence)
            try run("DELETE FROM events WHERE sequence = ?", arguments: [sequence])
            // By full primary key: these tables have no index on the sequence alone.
            for rep in event.repIDs {
                try run("DELETE FROM event_reps WHERE rep_id = ? AND sequence = ?", arguments: [rep, sequence])
            }
            for team in event.teamIDs {
                try run("DELETE FROM event_teams WHERE team_id = ? AND sequence = ?", arguments: [team, sequence])
            }
        }
    }

    func nextID(_ kind: StoredIDKind) throws -> String {
        try run(
            """
            INSERT INTO id_counters (kind, value) VALUES (?, 1)
            ON CONFLICT(kind) DO UPDATE SET value = value + 1
            """,
            arguments: [kind.rawValue]
        )
        let value = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT value FROM id_counters WHERE kind = ?"),
            arguments: [kind.rawValue]
        )
        return "\(kind.rawValue)-\(value ?? 0)"
    }

    // MARK: Helpers

    private func one<Message: ProtoMessage>(_ sql: String, _ arguments: StatementArguments) throws -> Message? {
        guard let data = try Data.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) else { return nil }
        return try Message(serializedBytes: Array(data))
    }

    private func all<Message: ProtoMessage>(_ sql: String, _ arguments: StatementArguments) throws -> [Message] {
        try Data.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map {
            try Message(serializedBytes: Array($0))
        }
    }

    /// Runs a write statement, compiled once per connection.
    private func run(_ sql: String, arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// `values` as a JSON array, bound as one argument and read back with `json_each`.
    private func jsonArray(_ values: [some Encodable]) throws -> String {
        String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
    }

    private func blob(_ message: some ProtoMessage) throws -> Data { Data(try message.serializedBytes()) }

    private func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}
