import GRDB

extension Migrations {
    /// Migration "v2": schedules and meetings. Meetings keep the columns availability and
    /// listing filter on, so free time is computed without decoding a meeting.
    static func registerCalendars(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    CREATE TABLE schedules (rep_id TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL);
                    CREATE TABLE meetings (
                        id TEXT PRIMARY KEY NOT NULL,
                        rep_id TEXT NOT NULL,
                        chat_id TEXT NOT NULL,
                        state INTEGER NOT NULL,
                        start_at INTEGER NOT NULL,
                        end_at INTEGER NOT NULL,
                        data BLOB NOT NULL
                    );
                    CREATE INDEX meetings_rep ON meetings(rep_id, state, start_at);
                    CREATE INDEX meetings_chat ON meetings(chat_id, start_at) WHERE chat_id != '';
                    CREATE INDEX meetings_start ON meetings(start_at);
                    """
            )
        }
    }
}
