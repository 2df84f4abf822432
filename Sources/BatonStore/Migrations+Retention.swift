import GRDB

extension Migrations {
    /// Migration "v3": remembered responses by age, so the sweep finds the expired ones (every
    /// second) without scanning every key.
    static func registerRetention(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3") { db in
            try db.execute(sql: "CREATE INDEX idempotency_created ON idempotency(created_at)")
        }
    }

    /// Migration "v4": drops the events' indexes by chat and by kind. No query reads them (Watch
    /// reads by sequence and filters in memory), yet every event paid two index inserts, four
    /// events per transfer, on the commit path.
    static func registerUnusedEventIndexesDropped(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4") { db in
            try db.execute(sql: "DROP INDEX events_chat; DROP INDEX events_kind")
        }
    }
}
