import GRDB

extension Migrations {
    /// Migration "v5": events by chat, for Watch's chat filter, which the store now answers with
    /// a query instead of reading every event. One index insert per event; rep and team filters
    /// read the event_reps / event_teams rows every event already had, and kinds (16 values, a
    /// filter that matches a large share of the log) need no index of their own.
    static func registerWatchFilters(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5") { db in
            try db.execute(sql: "CREATE INDEX events_chat ON events(chat_id, sequence)")
        }
    }
}
