import Baton
import BatonProtos
import NIOCore

/// The CTEs that apply a body's writes, one per table, rows passed as arrays and unnested.
///
/// A row saved several times is written once, as last saved (an upsert may not touch one row
/// twice in a statement); transcript entries, remembered responses and deletions keep every
/// occurrence.
enum WriteStatement {
    static func parts(_ writes: [StagedWrite], _ statement: inout StatementBuilder) throws -> [String] {
        var reps = LastByID<Baton_V1_Rep>()
        var teams = LastByID<Baton_V1_Team>()
        var chats = LastByID<Baton_V1_Chat>()
        var transfers = LastByID<Baton_V1_PendingTransfer>()
        var schedules = LastByID<Baton_V1_Schedule>()
        var meetings = LastByID<Baton_V1_Meeting>()
        var entries: [(Baton_V1_TranscriptEntry, String)] = []
        var remembered: [(RememberedResponse, String, String, Int64)] = []
        var deletedEvents: [Baton_V1_Event] = []
        for write in writes {
            switch write {
            case .rep(let rep): reps.insert(rep, id: rep.id)
            case .team(let team): teams.insert(team, id: team.id)
            case .chat(let chat): chats.insert(chat, id: chat.id)
            case .transfer(let transfer): transfers.insert(transfer, id: transfer.id)
            case .schedule(let schedule): schedules.insert(schedule, id: schedule.repID)
            case .meeting(let meeting): meetings.insert(meeting, id: meeting.id)
            case .entry(let entry, let chatID): entries.append((entry, chatID))
            case .remember(let response, let method, let key, let micros): remembered.append((response, method, key, micros))
            case .deleteEvents(let events): deletedEvents += events
            }
        }
        var parts: [String] = []
        if !reps.values.isEmpty {
            let rows = reps.values
            let data = try rows.map(serialized)
            parts.append(
                """
                saved_reps AS (INSERT INTO reps (id, logged_in, lease_expires_at, data)
                    SELECT id, logged_in, CASE WHEN has_lease THEN lease END, data
                    FROM unnest(\(statement.bind(rows.map(\.id)))::text[],
                        \(statement.bind(rows.map { $0.presence == .loggedIn }))::bool[],
                        \(statement.bind(rows.map { $0.leaseExpiresAt != nil }))::bool[],
                        \(statement.bind(rows.map { $0.leaseExpiresAt.map { storedMicros($0.date) } ?? 0 }))::int8[],
                        \(statement.bind(data))::bytea[]) AS r(id, logged_in, has_lease, lease, data)
                    ON CONFLICT (id) DO UPDATE SET logged_in = EXCLUDED.logged_in,
                        lease_expires_at = EXCLUDED.lease_expires_at, data = EXCLUDED.data)
                """
            )
        }
        if !teams.values.isEmpty {
            let rows = teams.values
            let data = try rows.map(serialized)
            parts.append(
                """
                saved_teams AS (INSERT INTO teams (id, data)
                    SELECT * FROM unnest(\(statement.bind(rows.map(\.id)))::text[],
                        \(statement.bind(data))::bytea[])
                    ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data)
                """
            )
        }
        if !chats.values.isEmpty {
            let rows = chats.values
            let data = try rows.map(serialized)
            parts.append(
                """
                saved_chats AS (INSERT INTO chats (id, owner_rep_id, team_id, state, updated_at, data)
                    SELECT * FROM unnest(\(statement.bind(rows.map(\.id)))::text[],
                        \(statement.bind(rows.map(\.ownerRepID)))::text[], \(statement.bind(rows.map(\.teamID)))::text[],
                        \(statement.bind(rows.map(\.state.rawValue)))::int4[],
                        \(statement.bind(rows.map { $0.updatedAt.map { storedMicros($0.date) } ?? 0 }))::int8[],
                        \(statement.bind(data))::bytea[])
                    ON CONFLICT (id) DO UPDATE SET owner_rep_id = EXCLUDED.owner_rep_id, team_id = EXCLUDED.team_id,
                        state = EXCLUDED.state, updated_at = EXCLUDED.updated_at, data = EXCLUDED.data)
                """
            )
        }
        if !entries.isEmpty {
            let data = try entries.map { try serialized($0.0) }
            parts.append(
                """
                saved_entries AS (INSERT INTO transcript_entries (chat_id, sequence, everyone, data)
                    SELECT * FROM unnest(\(statement.bind(entries.map(\.1)))::text[],
                        \(statement.bind(entries.map { Int64(clamping: $0.0.sequence) }))::int8[],
                        \(statement.bind(entries.map { $0.0.visibility == .everyone }))::bool[],
                        \(statement.bind(data))::bytea[]))
                """
            )
        }
        if !transfers.values.isEmpty {
            let rows = transfers.values
            let data = try rows.map(serialized)
            parts.append(
                """
                saved_transfers AS (INSERT INTO transfers (id, chat_id, state, expires_at, data)
                    SELECT * FROM unnest(\(statement.bind(rows.map(\.id)))::text[],
                        \(statement.bind(rows.map(\.chatID)))::text[], \(statement.bind(rows.map(\.state.rawValue)))::int4[],
                        \(statement.bind(rows.map { $0.expiresAt.map { storedMicros($0.date) } ?? 0 }))::int8[],
                        \(statement.bind(data))::bytea[])
                    ON CONFLICT (id) DO UPDATE SET chat_id = EXCLUDED.chat_id, state = EXCLUDED.state,
                        expires_at = EXCLUDED.expires_at, data = EXCLUDED.data)
                """
            )
        }
        if !remembered.isEmpty {
            // A plain INSERT: a key another writer took first is a unique violation, and the
            // write is retried, reading that writer's response.
            parts.append(
                """
                remembered AS (INSERT INTO idempotency (method, key, fingerprint, response, created_at)
                    SELECT * FROM unnest(\(statement.bind(remembered.map(\.1)))::text[],
                        \(statement.bind(remembered.map(\.2)))::text[],
                        \(statement.bind(remembered.map { ByteBuffer(bytes: $0.0.fingerprint) }))::bytea[],
                        \(statement.bind(remembered.map { ByteBuffer(bytes: $0.0.response) }))::bytea[],
                        \(statement.bind(remembered.map(\.3)))::int8[]))
                """
            )
        }
        if !schedules.values.isEmpty {
            let rows = schedules.values
            let data = try rows.map(serialized)
            parts.append(
                """
                saved_schedules AS (INSERT INTO schedules (rep_id, data)
                    SELECT * FROM unnest(\(statement.bind(rows.map(\.repID)))::text[],
                        \(statement.bind(data))::bytea[])
                    ON CONFLICT (rep_id) DO UPDATE SET data = EXCLUDED.data)
                """
            )
        }
        if !meetings.values.isEmpty {
            let rows = meetings.values
            let data = try rows.map(serialized)
            let start = rows.map { $0.startTime.map { storedMicros($0.date) } ?? 0 }
            let end = rows.map { $0.endTime.map { storedMicros($0.date) } ?? 0 }
            parts.append(
                """
                saved_meetings AS (INSERT INTO meetings (id, rep_id, chat_id, state, start_at, end_at, data)
                    SELECT * FROM unnest(\(statement.bind(rows.map(\.id)))::text[],
                        \(statement.bind(rows.map(\.repID)))::text[], \(statement.bind(rows.map(\.chatID)))::text[],
                        \(statement.bind(rows.map(\.state.rawValue)))::int4[], \(statement.bind(start))::int8[],
                        \(statement.bind(end))::int8[], \(statement.bind(data))::bytea[])
                    ON CONFLICT (id) DO UPDATE SET rep_id = EXCLUDED.rep_id, chat_id = EXCLUDED.chat_id,
                        state = EXCLUDED.state, start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at,
                        data = EXCLUDED.data)
                """
            )
        }
        if !deletedEvents.isEmpty {
            let sequences = deletedEvents.map { Int64(clamping: $0.sequence) }
            let byRep = deletedEvents.flatMap { event in event.repIDs.map { ($0, Int64(clamping: event.sequence)) } }
            let byTeam = deletedEvents.flatMap { event in event.teamIDs.map { ($0, Int64(clamping: event.sequence)) } }
            parts.append("deleted_events AS (DELETE FROM events WHERE sequence = ANY(\(statement.bind(sequences))))")
            // By full primary key: these tables have no index on the sequence alone.
            parts.append(
                """
                deleted_event_reps AS (DELETE FROM event_reps WHERE (rep_id, sequence) IN (
                    SELECT * FROM unnest(\(statement.bind(byRep.map(\.0)))::text[], \(statement.bind(byRep.map(\.1)))::int8[])))
                """
            )
            parts.append(
                """
                deleted_event_teams AS (DELETE FROM event_teams WHERE (team_id, sequence) IN (
                    SELECT * FROM unnest(\(statement.bind(byTeam.map(\.0)))::text[], \(statement.bind(byTeam.map(\.1)))::int8[])))
                """
            )
        }
        return parts
    }

    private static func serialized(_ message: some ProtoMessage) throws -> ByteBuffer {
        ByteBuffer(bytes: try message.serializedBytes())
    }
}

/// Values by id, each as last inserted, in the order first inserted.
private struct LastByID<Value> {
    private var positions: [String: Int] = [:]
    private(set) var values: [Value] = []

    mutating func insert(_ value: Value, id: String) {
        if let position = positions[id] {
            values[position] = value
        } else {
            positions[id] = values.count
            values.append(value)
        }
    }
}
