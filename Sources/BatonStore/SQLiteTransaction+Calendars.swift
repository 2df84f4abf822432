import Baton
import BatonProtos
import Foundation
import GRDB

/// Schedules and meetings in the `schedules` and `meetings` tables (migration "v2").
extension SQLiteTransaction {
    func schedule(repID: String) throws -> Baton_V1_Schedule? {
        guard
            let data = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT data FROM schedules WHERE rep_id = ?"),
                arguments: [repID]
            )
        else { return nil }
        return try Baton_V1_Schedule(serializedBytes: Array(data))
    }

    func meeting(_ id: String) throws -> Baton_V1_Meeting? {
        guard
            let data = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT data FROM meetings WHERE id = ?"),
                arguments: [id]
            )
        else { return nil }
        return try Baton_V1_Meeting(serializedBytes: Array(data))
    }

    func meetings(
        repIDs: [String]?,
        chatID: String?,
        from: Date?,
        to: Date?,
        state: Baton_V1_MeetingState?
    ) throws -> [Baton_V1_Meeting] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let repIDs {
            guard !repIDs.isEmpty else { return [] }
            conditions.append("rep_id IN (\(repIDs.map { _ in "?" }.joined(separator: ", ")))")
            for id in repIDs { arguments += [id] }
        }
        if let chatID {
            conditions.append("chat_id = ?")
            arguments += [chatID]
        }
        if let from {
            conditions.append("end_at > ?")
            arguments += [calendarMicros(from)]
        }
        if let to {
            conditions.append("start_at < ?")
            arguments += [calendarMicros(to)]
        }
        if let state {
            conditions.append("state = ?")
            arguments += [state.rawValue]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try Data.fetchAll(
            db.makeStatement(sql: "SELECT data FROM meetings \(filter) ORDER BY start_at, id"),
            arguments: arguments
        ).map { try Baton_V1_Meeting(serializedBytes: Array($0)) }
    }

    func bookedIntervals(repID: String, from: Date, to: Date) throws -> [Range<Date>] {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT start_at, end_at FROM meetings
                    WHERE rep_id = ? AND state = ? AND start_at < ? AND end_at > ? ORDER BY start_at
                    """
            ),
            arguments: [repID, Baton_V1_MeetingState.booked.rawValue, calendarMicros(to), calendarMicros(from)]
        )
        return rows.map { row in
            let start: Int64 = row[0]
            let end: Int64 = row[1]
            return Date(timeIntervalSince1970: Double(start) / 1e6)..<Date(timeIntervalSince1970: Double(end) / 1e6)
        }
    }

    func save(_ schedule: Baton_V1_Schedule) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO schedules (rep_id, data) VALUES (?, ?)").execute(
            arguments: [schedule.repID, Data(try schedule.serializedBytes())]
        )
    }

    func save(_ meeting: Baton_V1_Meeting) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO meetings (id, rep_id, chat_id, state, start_at, end_at, data)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                meeting.id, meeting.repID, meeting.chatID, meeting.state.rawValue,
                calendarMicros(meeting.startTime?.date ?? Date(timeIntervalSince1970: 0)),
                calendarMicros(meeting.endTime?.date ?? Date(timeIntervalSince1970: 0)),
                Data(try meeting.serializedBytes()),
            ]
        )
    }

    func nextMeetingID() throws -> String {
        try db.cachedStatement(
            sql: """
                INSERT INTO id_counters (kind, value) VALUES ('meeting', 1)
                ON CONFLICT(kind) DO UPDATE SET value = value + 1
                """
        ).execute()
        let value = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM id_counters WHERE kind = 'meeting'"))
        return "meeting-\(value ?? 0)"
    }

    /// Instants are stored as microseconds since 1970, like every other time column.
    private func calendarMicros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}
