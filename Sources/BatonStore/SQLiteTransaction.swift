import Baton
import BatonProtos
import Foundation
import GRDB

/// The store's reads and writes on one GRDB connection, inside the transaction GRDB opened.
struct SQLiteTransaction: StoreTransaction {
    let db: Database

    // MARK: Reads

    func rep(_ id: String) throws -> Baton_V1_Rep? { try one("SELECT data FROM reps WHERE id = ?", [id]) }

    func reps() throws -> [Baton_V1_Rep] { try all("SELECT data FROM reps ORDER BY id", []) }

    func team(_ id: String) throws -> Baton_V1_Team? { try one("SELECT data FROM teams WHERE id = ?", [id]) }

    func teams() throws -> [Baton_V1_Team] { try all("SELECT data FROM teams ORDER BY id", []) }

    func chat(_ id: String) throws -> Baton_V1_Chat? { try one("SELECT data FROM chats WHERE id = ?", [id]) }

    func chats(ownerRepID: String?, teamID: String?, state: Baton_V1_ChatState?) throws -> [Baton_V1_Chat] {
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
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try all("SELECT data FROM chats \(filter) ORDER BY updated_at DESC, id", arguments)
    }

    func activeChatCount(repID: String) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(sql: "SELECT COUNT(*) FROM chats WHERE owner_rep_id = ? AND state = ?"),
            arguments: [repID, Baton_V1_ChatState.active.rawValue]
        ) ?? 0
    }

    func entries(chatID: String, after: UInt64, limit: Int?, everyoneOnly: Bool) throws -> [Baton_V1_TranscriptEntry] {
        try all(
            """
            SELECT data FROM transcript_entries WHERE chat_id = ? AND sequence > ? \(everyoneOnly ? "AND everyone = 1" : "")
            ORDER BY sequence LIMIT ?
            """,
            [chatID, Int64(after), limit ?? -1]
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
        try all("SELECT data FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?", [Int64(after), limit])
    }

    func lastEventSequence() throws -> UInt64 {
        UInt64(try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(sequence), 0) FROM events")) ?? 0)
    }

    func rememberedResponse(method: String, key: String) throws -> RememberedResponse? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: "SELECT fingerprint, response FROM idempotency WHERE method = ? AND key = ?",
                arguments: [method, key]
            )
        else { return nil }
        let fingerprint: Data = row["fingerprint"]
        let response: Data = row["response"]
        return RememberedResponse(fingerprint: Array(fingerprint), response: Array(response))
    }

    // MARK: Writes

    func save(_ rep: Baton_V1_Rep) throws {
        try run(
            "INSERT OR REPLACE INTO reps (id, logged_in, lease_expires_at, data) VALUES (?, ?, ?, ?)",
            arguments: [
                rep.id, rep.presence == .loggedIn ? 1 : 0, rep.leaseExpiresAt.map { micros($0.date) },
                try blob(rep),
            ]
        )
    }

    func save(_ team: Baton_V1_Team) throws {
        var stored = team
        stored.memberRepIDs = []
        try run("INSERT OR REPLACE INTO teams (id, data) VALUES (?, ?)", arguments: [team.id, try blob(stored)])
    }

    func save(_ chat: Baton_V1_Chat) throws {
        var stored = chat
        stored.transcript = []
        try run(
            """
            INSERT OR REPLACE INTO chats (id, owner_rep_id, team_id, state, updated_at, data)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                chat.id, chat.ownerRepID, chat.teamID, chat.state.rawValue, chat.updatedAt.map { micros($0.date) } ?? 0,
                try blob(stored),
            ]
        )
    }

    func append(_ entry: Baton_V1_TranscriptEntry, chatID: String) throws {
        try run(
            "INSERT INTO transcript_entries (chat_id, sequence, everyone, data) VALUES (?, ?, ?, ?)",
            arguments: [chatID, Int64(entry.sequence), entry.visibility == .everyone ? 1 : 0, try blob(entry)]
        )
    }

    func save(_ transfer: Baton_V1_PendingTransfer) throws {
        try run(
            "INSERT OR REPLACE INTO transfers (id, chat_id, state, expires_at, data) VALUES (?, ?, ?, ?, ?)",
            arguments: [
                transfer.id, transfer.chatID, transfer.state.rawValue, transfer.expiresAt.map { micros($0.date) } ?? 0,
                try blob(transfer),
            ]
        )
    }

    func append(_ event: Baton_V1_Event) throws -> UInt64 {
        var event = event
        event.sequence = try lastEventSequence() + 1
        let sequence = Int64(event.sequence)
        try run(
            "INSERT INTO events (sequence, kind, chat_id, actor_rep_id, request_id, data) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                sequence, event.kind.rawValue, event.chatID, event.actorRepID, event.requestID, try blob(event),
            ]
        )
        for rep in event.repIDs {
            try run("INSERT INTO event_reps (rep_id, sequence) VALUES (?, ?)", arguments: [rep, sequence])
        }
        for team in event.teamIDs {
            try run("INSERT INTO event_teams (team_id, sequence) VALUES (?, ?)", arguments: [team, sequence])
        }
        return event.sequence
    }

    func remember(_ response: RememberedResponse, method: String, key: String, at instant: Date) throws {
        try run(
            "INSERT INTO idempotency (method, key, fingerprint, response, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [method, key, Data(response.fingerprint), Data(response.response), micros(instant)]
        )
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

    private func blob(_ message: some ProtoMessage) throws -> Data { Data(try message.serializedBytes()) }

    private func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}
