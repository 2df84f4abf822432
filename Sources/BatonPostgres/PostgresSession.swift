import Baton
import BatonProtos
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The queries of one transaction on one leased connection: the answers to `StagedRead`s and
/// the statements that apply `StagedWrite`s and commit events.
///
/// In a write (`locking`), reads take the locks that make the body's checks hold until commit
/// (the preconditions the domain states as reads): rows it may change are read FOR UPDATE,
/// reps and teams FOR SHARE (a later UPDATE upgrades), and reads whose answer spans rows that do
/// not exist yet (a rep's active chats, a rep's calendar, an idempotency key) first take a
/// transaction-scoped advisory lock named after what they count, so two writers that both count
/// a rep's chats run one after the other and the second sees the first's chat. Read-only
/// transactions take no locks: they read one REPEATABLE READ snapshot.
///
/// Every query's rows are consumed (`collect()`), also when nothing is read from them: a row
/// sequence dropped before its rows arrived left the connection waiting for a consumer, and
/// the next query on it was never sent (seen under load across a server restart).
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger
    let locking: Bool

    /// The channel every commit with events notifies, its payload the last sequence committed.
    static let eventChannel = "baton_events"

    // MARK: Reads

    func answer(_ read: StagedRead) async throws -> StagedAnswer {
        let share = locking ? " FOR SHARE" : ""
        let update = locking ? " FOR UPDATE" : ""
        switch read {
        case .rep(let id):
            return .rep(try await one("SELECT data FROM reps WHERE id = \(id)\(unescaped: share)"))
        case .reps:
            return .reps(try await all("SELECT data FROM reps ORDER BY id"))
        case .repsByID(let ids):
            return .reps(try await all("SELECT data FROM reps WHERE id = ANY(\(ids)) ORDER BY id\(unescaped: share)"))
        case .repsAfter(let id, let limit):
            return .reps(try await all("SELECT data FROM reps WHERE id > \(id) ORDER BY id LIMIT \(Int64(limit))"))
        case .team(let id):
            return .team(try await one("SELECT data FROM teams WHERE id = \(id)\(unescaped: share)"))
        case .teams:
            return .teams(try await all("SELECT data FROM teams ORDER BY id"))
        case .teamsAfter(let id, let limit):
            return .teams(try await all("SELECT data FROM teams WHERE id > \(id) ORDER BY id LIMIT \(Int64(limit))"))
        case .chat(let id):
            return .chat(try await one("SELECT data FROM chats WHERE id = \(id)\(unescaped: update)"))
        case .chats(let query):
            return .chats(try await chats(query))
        case .activeChatCount(let repID):
            try await lock(["capacity:\(repID)"])
            let rows = try await connection.query(
                "SELECT count(*) FROM chats WHERE owner_rep_id = \(repID) AND state = \(Self.activeChat)",
                logger: logger
            ).collect()
            return .count(Int(clamping: try rows.first?.decode(Int64.self) ?? 0))
        case .activeChatCounts(let repIDs):
            try await lock(repIDs.map { "capacity:\($0)" })
            let rows = try await connection.query(
                """
                SELECT owner_rep_id, count(*) FROM chats
                WHERE owner_rep_id = ANY(\(repIDs)) AND state = \(Self.activeChat) GROUP BY owner_rep_id
                """,
                logger: logger
            ).collect()
            var counts: [String: Int] = [:]
            for row in rows {
                let (id, count) = try row.decode((String, Int64).self)
                counts[id] = Int(clamping: count)
            }
            return .counts(counts)
        case .entries(let chatID, let after, let limit, let everyoneOnly):
            let everyone = everyoneOnly ? " AND everyone" : ""
            return .entries(
                try await all(
                    """
                    SELECT data FROM transcript_entries WHERE chat_id = \(chatID) AND sequence > \(Int64(clamping: after))\
                    \(unescaped: everyone) ORDER BY sequence LIMIT \(limit.map { Int64($0) })
                    """
                )
            )
        case .transfer(let id):
            return .transfer(try await one("SELECT data FROM transfers WHERE id = \(id)\(unescaped: update)"))
        case .repsWithExpiredLease(let micros):
            // Locked in a write, so a sweep on another host that got there first is seen: the
            // row no longer matches once its lock is released, and is left out.
            return .ids(
                try await strings(
                    "SELECT id FROM reps WHERE lease_expires_at <= \(micros) AND logged_in ORDER BY id\(unescaped: update)"
                )
            )
        case .expiredTransfers(let micros):
            return .ids(
                try await strings(
                    """
                    SELECT id FROM transfers WHERE state = \(Self.pendingTransfer) AND expires_at <= \(micros)
                    ORDER BY expires_at, id\(unescaped: update)
                    """
                )
            )
        case .events(let after, let limit):
            return .events(
                try await events(
                    "SELECT sequence, data FROM events WHERE sequence > \(Int64(clamping: after)) ORDER BY sequence LIMIT \(Int64(limit))"
                )
            )
        case .matchingEvents(let query):
            return .events(try await events(matching: query))
        case .lastEventSequence:
            let rows = try await connection.query("SELECT last FROM event_sequence", logger: logger).collect()
            return .sequence(UInt64(clamping: try rows.first?.decode(Int64.self) ?? 0))
        case .oldestEventSequence:
            let rows = try await connection.query("SELECT min(sequence) FROM events", logger: logger).collect()
            return .sequence(try rows.first?.decode(Int64?.self).map { UInt64(clamping: $0) })
        case .rememberedResponse(let method, let key):
            // A retry racing its first call waits here until that call commits, then reads its
            // response, instead of running the call a second time.
            try await lock(["idempotency:\(method):\(key)"])
            let rows = try await connection.query(
                "SELECT fingerprint, response FROM idempotency WHERE method = \(method) AND key = \(key)",
                logger: logger
            ).collect()
            guard let row = rows.first else { return .rememberedResponse(nil) }
            let (fingerprint, response) = try row.decode((ByteBuffer, ByteBuffer).self)
            return .rememberedResponse(
                RememberedResponse(fingerprint: Array(fingerprint.readableBytesView), response: Array(response.readableBytesView))
            )
        case .oldestRememberedResponseTime:
            let rows = try await connection.query("SELECT min(created_at) FROM idempotency", logger: logger).collect()
            return .time(try rows.first?.decode(Int64?.self).map(storedDate))
        case .schedule(let repID):
            try await lock(["calendar:\(repID)"])
            return .schedule(try await one("SELECT data FROM schedules WHERE rep_id = \(repID)\(unescaped: update)"))
        case .meeting(let id):
            return .meeting(try await one("SELECT data FROM meetings WHERE id = \(id)\(unescaped: update)"))
        case .meetings(let query):
            if let repIDs = query.repIDs { try await lock(repIDs.map { "calendar:\($0)" }) }
            return .meetings(try await meetings(query))
        case .bookedIntervals(let repID, let from, let to):
            try await lock(["calendar:\(repID)"])
            let rows = try await connection.query(
                """
                SELECT start_at, end_at FROM meetings
                WHERE rep_id = \(repID) AND state = \(Self.bookedMeeting) AND start_at < \(to) AND end_at > \(from)
                ORDER BY start_at
                """,
                logger: logger
            ).collect()
            return .intervals(
                try rows.map { row in
                    let (start, end) = try row.decode((Int64, Int64).self)
                    return storedDate(start)..<storedDate(max(start, end))
                }
            )
        case .nextID(let kind):
            let sequence = kind == .chat ? "chat_ids" : "transfer_ids"
            return .id("\(kind.rawValue)-\(try await next(sequence))")
        case .nextMeetingID:
            return .id("meeting-\(try await next("meeting_ids"))")
        case .forgetResponses(let before, let limit):
            let rows = try await connection.query(
                """
                WITH forgotten AS (
                    DELETE FROM idempotency WHERE (method, key) IN (
                        SELECT method, key FROM idempotency WHERE created_at < \(before)
                        ORDER BY created_at LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED
                    ) RETURNING 1
                )
                SELECT count(*) FROM forgotten
                """,
                logger: logger
            ).collect()
            return .count(Int(clamping: try rows.first?.decode(Int64.self) ?? 0))
        }
    }

    static let activeChat = Baton_V1_ChatState.active.rawValue
    static let pendingTransfer = Baton_V1_TransferState.pending.rawValue
    static let bookedMeeting = Baton_V1_MeetingState.booked.rawValue

    /// Takes the advisory locks named `names` for the rest of the transaction, in one order
    /// (sorted by key) so two writers locking the same names cannot deadlock on them. Only in a
    /// write: a snapshot read needs no lock.
    private func lock(_ names: [String]) async throws {
        guard locking, !names.isEmpty else { return }
        // Its own statement: under READ COMMITTED, the query that counts must start after the
        // lock is granted to see what its holder committed.
        _ = try await connection.query(
            """
            SELECT pg_advisory_xact_lock(key) FROM (
                SELECT DISTINCT hashtextextended(name, 0) AS key FROM unnest(\(names)::text[]) AS name ORDER BY key
            ) AS keys
            """,
            logger: logger
        ).collect()
    }

    private func next(_ sequence: String) async throws -> Int64 {
        let rows = try await connection.query("SELECT nextval(\(sequence)::regclass)", logger: logger).collect()
        return try rows.first?.decode(Int64.self) ?? 0
    }

    private func chats(_ query: StagedRead.ChatQuery) async throws -> [Baton_V1_Chat] {
        var statement = StatementBuilder()
        var conditions: [String] = []
        if let owner = query.ownerRepID { conditions.append("owner_rep_id = \(statement.bind(owner))") }
        if let team = query.teamID { conditions.append("team_id = \(statement.bind(team))") }
        if let state = query.state { conditions.append("state = \(statement.bind(state))") }
        if let updatedAt = query.afterUpdatedAt, let id = query.afterID {
            // The list's order, updated_at descending then id ascending, as one keyset condition.
            let time = statement.bind(updatedAt)
            conditions.append("(updated_at < \(time) OR (updated_at = \(time) AND id > \(statement.bind(id))))")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = statement.bind(Int64(query.limit))
        return try await all(statement.query("SELECT data FROM chats \(filter) ORDER BY updated_at DESC, id LIMIT \(limit)"))
    }

    private func events(matching query: StagedRead.EventQuery) async throws -> [Baton_V1_Event] {
        // Rep and team filters read event_reps / event_teams by their primary key over the
        // sequence range; chat and kind filters check the rows the others (or the bounded range)
        // selected, as the SQLite store does.
        var statement = StatementBuilder()
        let after = statement.bind(Int64(clamping: query.after))
        let through = statement.bind(Int64(clamping: query.through))
        var conditions = ["sequence > \(after)", "sequence <= \(through)"]
        if !query.chatIDs.isEmpty { conditions.append("chat_id = ANY(\(statement.bind(query.chatIDs)))") }
        if !query.repIDs.isEmpty {
            conditions.append(
                """
                sequence IN (SELECT sequence FROM event_reps WHERE rep_id = ANY(\(statement.bind(query.repIDs)))
                    AND sequence > \(after) AND sequence <= \(through))
                """
            )
        }
        if !query.teamIDs.isEmpty {
            conditions.append(
                """
                sequence IN (SELECT sequence FROM event_teams WHERE team_id = ANY(\(statement.bind(query.teamIDs)))
                    AND sequence > \(after) AND sequence <= \(through))
                """
            )
        }
        if !query.kinds.isEmpty { conditions.append("kind = ANY(\(statement.bind(query.kinds)))") }
        let limit = statement.bind(Int64(query.limit))
        return try await events(
            statement.query(
                "SELECT sequence, data FROM events WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence LIMIT \(limit)"
            )
        )
    }

    private func meetings(_ query: StagedRead.MeetingQuery) async throws -> [Baton_V1_Meeting] {
        var statement = StatementBuilder()
        var conditions: [String] = []
        if let repIDs = query.repIDs { conditions.append("rep_id = ANY(\(statement.bind(repIDs)))") }
        if let chatID = query.chatID { conditions.append("chat_id = \(statement.bind(chatID))") }
        if let from = query.fromMicros { conditions.append("end_at > \(statement.bind(from))") }
        if let to = query.toMicros { conditions.append("start_at < \(statement.bind(to))") }
        if let state = query.state { conditions.append("state = \(statement.bind(state))") }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try await all(statement.query("SELECT data FROM meetings \(filter) ORDER BY start_at, id"))
    }

    // MARK: Writes

    /// Applies `writes` in one statement, a CTE per table: one round trip whatever their number.
    func apply(_ writes: [StagedWrite]) async throws {
        var statement = StatementBuilder()
        let parts = try WriteStatement.parts(writes, &statement)
        guard !parts.isEmpty else { return }
        _ = try await connection.query(
            statement.query("WITH " + parts.joined(separator: ",\n") + "\nSELECT 1"),
            logger: logger
        ).collect()
    }

    /// Applies the last `writes`, then numbers `events` and inserts them, with their rows by rep
    /// and by team, and notifies every listening batond: one statement.
    ///
    /// The one-row counter is taken last, so it is held only from this statement to COMMIT: a
    /// second writer waits on it, and READ COMMITTED lets it see the first's new value once
    /// that commits. Sequences therefore become visible in commit order, without a gap.
    func applyAndNumber(_ writes: [StagedWrite], events: [Baton_V1_Event]) async throws {
        guard !events.isEmpty else { return try await apply(writes) }
        var statement = StatementBuilder()
        var parts = try WriteStatement.parts(writes, &statement)
        let count = statement.bind(Int64(events.count))
        var kinds: [Int32] = []
        var chats: [String] = []
        var actors: [String] = []
        var requests: [String] = []
        var data: [ByteBuffer] = []
        var repIDs: [String] = []
        var repOrdinals: [Int64] = []
        var teamIDs: [String] = []
        var teamOrdinals: [Int64] = []
        for (offset, event) in events.enumerated() {
            // Stored without its sequence, which is the row's key: reads set it from there.
            var stored = event
            stored.sequence = 0
            kinds.append(event.kind.rawValue)
            chats.append(event.chatID)
            actors.append(event.actorRepID)
            requests.append(event.requestID)
            data.append(ByteBuffer(bytes: try stored.serializedBytes()))
            let ordinal = Int64(offset + 1)
            for rep in event.repIDs {
                repIDs.append(rep)
                repOrdinals.append(ordinal)
            }
            for team in event.teamIDs {
                teamIDs.append(team)
                teamOrdinals.append(ordinal)
            }
        }
        parts.append("counter AS (UPDATE event_sequence SET last = last + \(count) RETURNING last - \(count) AS base)")
        parts.append(
            """
            new_events AS (INSERT INTO events (sequence, kind, chat_id, actor_rep_id, request_id, data)
                SELECT counter.base + e.ordinal, e.kind, e.chat_id, e.actor, e.request, e.data
                FROM counter, unnest(\(statement.bind(kinds))::int4[], \(statement.bind(chats))::text[],
                    \(statement.bind(actors))::text[], \(statement.bind(requests))::text[],
                    \(statement.bind(data))::bytea[]) WITH ORDINALITY AS e(kind, chat_id, actor, request, data, ordinal))
            """
        )
        if !repIDs.isEmpty {
            parts.append(
                """
                new_event_reps AS (INSERT INTO event_reps (rep_id, sequence)
                    SELECT r.id, counter.base + r.ordinal
                    FROM counter, unnest(\(statement.bind(repIDs))::text[], \(statement.bind(repOrdinals))::int8[]) AS r(id, ordinal))
                """
            )
        }
        if !teamIDs.isEmpty {
            parts.append(
                """
                new_event_teams AS (INSERT INTO event_teams (team_id, sequence)
                    SELECT t.id, counter.base + t.ordinal
                    FROM counter, unnest(\(statement.bind(teamIDs))::text[], \(statement.bind(teamOrdinals))::int8[]) AS t(id, ordinal))
                """
            )
        }
        // NOTIFY is delivered at COMMIT, in commit order, and only if the transaction commits.
        _ = try await connection.query(
            statement.query(
                "WITH " + parts.joined(separator: ",\n")
                    + "\nSELECT pg_notify('\(Self.eventChannel)', (base + \(count))::text) FROM counter"
            ),
            logger: logger
        ).collect()
    }

    // MARK: Helpers

    private func one<Message: ProtoMessage>(_ query: PostgresQuery) async throws -> Message? {
        let rows: [Message] = try await all(query)
        return rows.first
    }

    private func all<Message: ProtoMessage>(_ query: PostgresQuery) async throws -> [Message] {
        try await connection.query(query, logger: logger).collect().map { row in
            try Message(serializedBytes: row.decode(ByteBuffer.self).readableBytesView)
        }
    }

    private func strings(_ query: PostgresQuery) async throws -> [String] {
        try await connection.query(query, logger: logger).collect().map { try $0.decode(String.self) }
    }

    private func events(_ query: PostgresQuery) async throws -> [Baton_V1_Event] {
        try await connection.query(query, logger: logger).collect().map { row in
            let (sequence, data) = try row.decode((Int64, ByteBuffer).self)
            var event = try Baton_V1_Event(serializedBytes: data.readableBytesView)
            event.sequence = UInt64(clamping: sequence)
            return event
        }
    }
}

/// SQL text with numbered parameters and their values, for statements whose shape depends on
/// the request (filters, the tables a write touches).
struct StatementBuilder {
    private var binds = PostgresBindings()

    /// The placeholder of `value`, appended to the parameters.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    func query(_ sql: String) -> PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
